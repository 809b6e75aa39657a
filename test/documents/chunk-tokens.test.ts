import { describe, expect, it } from 'vitest';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { assemble, chunkText, extractDocument, tokenCount } from '../../src/documents/index.ts';
import type { Block } from '../../src/documents/extract/types.ts';

/** A small deterministic generator (mulberry32): the same documents on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces that meet cl100k's pre-tokenizer at a join in every way: words, digit runs (split by 3), contractions,
// punctuation runs (which swallow following line breaks), spaces and tabs, CJK, a combining mark, an emoji, a
// full-width stop, quotes and brackets.
const PIECES = [
  'word',
  'Alpha',
  'x',
  '12',
  '12345',
  "'s",
  "'",
  '.',
  '...',
  ')',
  '("',
  '-',
  ' ',
  '  ',
  '\t',
  '中文',
  '收入。',
  'e\u0301',
  '👍',
  '。',
  '"',
  '?!',
  ':',
  '3.14',
];

function randomBlock(next: () => number): Block {
  let text = '';
  const parts = 1 + Math.floor(next() * 8);
  for (let i = 0; i < parts; i++) text += PIECES[Math.floor(next() * PIECES.length)] ?? '';
  const kinds: Block['kind'][] = ['paragraph', 'paragraph', 'heading', 'list', 'table'];
  return { kind: kinds[Math.floor(next() * kinds.length)] ?? 'paragraph', text: text.trim() || 'w', ...(next() < 0.2 ? { continues: true } : {}) };
}

function expectExactCounts(blocks: Block[], maxTokens: number): number {
  const chunks = chunkText(assemble(blocks), { maxTokens, overlapTokens: Math.floor(maxTokens / 3) });
  for (const chunk of chunks) expect(chunk.tokenCount, JSON.stringify(chunk.text)).toBe(tokenCount(chunk.text));
  return chunks.length;
}

describe('documents: chunk token counts made from the units', () => {
  it('equal counting the chunk whole, on 400 random documents', () => {
    const next = random(7);
    let chunks = 0;
    for (let doc = 0; doc < 400; doc++) {
      const blocks = Array.from({ length: 2 + Math.floor(next() * 12) }, () => randomBlock(next));
      chunks += expectExactCounts(blocks, 4 + Math.floor(next() * 30));
    }
    expect(chunks).toBeGreaterThan(1000);
  });

  it('equal counting the chunk whole, on the test corpus', async () => {
    const files = await corpus();
    for (const name of ['long.pdf', 'english.pdf', 'chinese.pdf', 'docx/chinese.docx', 'docx/structure.docx', 'sales.xlsx', 'page.html', 'guide.md']) {
      const { blocks } = await extractDocument(files.bytes(name), { filename: name });
      for (const maxTokens of [20, 60, 400]) expectExactCounts(blocks, maxTokens);
    }
  });
});

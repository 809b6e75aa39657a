import { describe, expect, it } from 'vitest';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { assemble, chunkText, extractDocument, tokenCount } from '../../src/documents/index.ts';
import type { Block } from '../../src/documents/extract/types.ts';
import { SeededRandom } from '../../src/db/demo-data/random.ts';

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

const KINDS: Block['kind'][] = ['paragraph', 'paragraph', 'heading', 'list', 'table'];

/** A random block from a seeded generator: the same documents on every run, so a failure can be replayed. */
function randomBlock(random: SeededRandom): Block {
  let text = '';
  for (let i = random.int(1, 8); i > 0; i--) text += random.pick(PIECES);
  return { kind: random.pick(KINDS), text: text.trim() || 'w', ...(random.chance(0.2) ? { continues: true } : {}) };
}

function expectExactCounts(blocks: Block[], maxTokens: number): number {
  const chunks = chunkText(assemble(blocks), { maxTokens, overlapTokens: Math.floor(maxTokens / 3) });
  for (const chunk of chunks) expect(chunk.tokenCount, JSON.stringify(chunk.text)).toBe(tokenCount(chunk.text));
  return chunks.length;
}

describe('documents: chunk token counts made from the units', () => {
  it('equal counting the chunk whole, on 400 random documents', () => {
    const random = new SeededRandom(7);
    let chunks = 0;
    for (let doc = 0; doc < 400; doc++) {
      const blocks = Array.from({ length: random.int(2, 13) }, () => randomBlock(random));
      chunks += expectExactCounts(blocks, random.int(4, 33));
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

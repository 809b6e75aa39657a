import { readFileSync } from 'node:fs';
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import { tokenCount } from '../../src/documents/index.ts';
import { TEXT } from '../../fixtures/documents-corpus.ts';

// tokenCount builds cl100k_base from the .tiktoken file gpt-tokenizer ships; its own encoding module holds the same
// ranks as JavaScript. Every text here must count the same under both.
const samples: Record<string, string> = {
  ...TEXT,
  readme: readFileSync(new URL('../../README.md', import.meta.url), 'utf8'),
  source: readFileSync(new URL('../../src/documents/pipeline.ts', import.meta.url), 'utf8'),
  // Tokens that are not valid UTF-8 alone (byte fallbacks): rare CJK, emoji with modifiers, combining marks.
  rare: '𠀋𡈽𡌛 👩🏽‍💻 🇨🇳 e\u0301 ﬁ ǅ ﷺ \u200b\u2028 ',
  specials: 'before <|endoftext|> and <|fim_prefix|> after',
  whitespace: `${' '.repeat(300)}\n\n\t\t\r\n${'\u3000'.repeat(20)}`,
  numbers: '3.14159 1,000,000 12:30 2026-12-07 0x1F 1e-9 ١٢٣ ①②③',
  lone: 'a\ud800b\udc00c',
};

describe('tokenCount (cl100k_base)', () => {
  it.each(Object.keys(samples))('counts %s as gpt-tokenizer does', (name) => {
    const text = samples[name] as string;
    expect(tokenCount(text)).toBe(countTokens(text, { disallowedSpecial: new Set() }));
  });

  it('counts every byte value and 2,000 random code points alike', () => {
    let bytes = '';
    for (let c = 0; c < 256; c++) bytes += String.fromCharCode(c);
    expect(tokenCount(bytes)).toBe(countTokens(bytes, { disallowedSpecial: new Set() }));
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const points = Array.from({ length: 2000 }, () => String.fromCodePoint(Math.floor(random() * 0x2ffff)));
    const text = points.join(random() > 0.5 ? ' ' : '');
    expect(tokenCount(text)).toBe(countTokens(text, { disallowedSpecial: new Set() }));
  });
});

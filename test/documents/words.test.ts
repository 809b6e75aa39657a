import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/db/demo-data/random.ts';
import { countWords } from '../../src/documents/index.ts';

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
/** The definition countWords keeps: ICU's word-like segments of the whole text. */
function icuCount(text: string): number {
  let words = 0;
  for (const segment of segmenter.segment(text)) if (segment.isWordLike) words++;
  return words;
}

const ASCII = [...'aZk09_.\',;:-/ \t\r\n!"#$%&()*+<=>?@[\\]^`{|}~\x00\x01\x0b\x0c\x7f'];
// Non-ASCII the fast path must hand to ICU: CJK (dictionary words), accents precomposed and combining, a curly
// apostrophe (MidNumLet), full-width punctuation, an emoji with a joiner, a no-break and an ideographic space.
const OTHER = [...'中华人民共和国的收入增长了。，、’éü\u0301\u200d👍\u00a0\u3000'];

/** Random strings from a seeded generator: the same on every run, so a failure can be replayed. */
function text(random: SeededRandom, maxLength: number, alphabet: string[]): string {
  let out = '';
  for (let i = random.int(1, maxLength); i > 0; i--) out += random.pick(alphabet);
  return out;
}

describe('documents: word count', () => {
  it('counts ASCII text as ICU does, on 100,000 random strings', () => {
    const random = new SeededRandom(1);
    for (let i = 0; i < 100_000; i++) {
      const sample = text(random, 24, ASCII);
      expect(countWords(sample), JSON.stringify(sample)).toBe(icuCount(sample));
    }
  });

  it('counts text that mixes ASCII and other scripts as ICU does, line by line or whole', () => {
    const random = new SeededRandom(2);
    const mixed = [...ASCII, ...ASCII, ...OTHER];
    for (let i = 0; i < 20_000; i++) {
      const sample = text(random, 40, mixed);
      expect(countWords(sample), JSON.stringify(sample)).toBe(icuCount(sample));
    }
  });

  it('counts real sentences: English words, numbers and URLs; Chinese by dictionary words', () => {
    expect(countWords("The revenue grew by 12.5% in Q3, see https://example.com/q3.report?v=2 for details. It can't fall.")).toBe(19);
    expect(countWords('中华人民共和国')).toBe(icuCount('中华人民共和国'));
    expect(countWords('中华人民共和国')).toBeLessThan(7);
    const mixed = 'Install the service\n我们使用 PostgreSQL 和 Redis 构建平台。\nThen run npm start.';
    expect(countWords(mixed)).toBe(icuCount(mixed));
    expect(countWords('')).toBe(0);
    expect(countWords('\n\n')).toBe(0);
  });
});

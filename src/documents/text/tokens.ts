import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Encodings from 'gpt-tokenizer/GptEncoding';

const load = createRequire(import.meta.url);
/** The encoder takes tens of MB of heap: built when the first text is counted, not when the service starts. */
let encoder: Encodings.GptEncoding | undefined;

// A document may contain "<|endoftext|>" literally: count it as text, never refuse it as a special token.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * cl100k_base's merge ranks from the `.tiktoken` file gpt-tokenizer ships (OpenAI's format: a base64 token
 * and its rank per line), not from its JavaScript module of the same ranks: compiling that module's
 * 100,000-element array literal left 8 MB more resident and 3 MB more live heap for the same encoder (38.9 vs
 * 30.6 MB RSS, 10.7 vs 7.9 MB heap after GC, load time equal). A token that is not valid UTF-8 on its own
 * stays a byte array, as in gpt-tokenizer's module. test/documents/tokens.test.ts holds the counts equal to
 * gpt-tokenizer's own cl100k_base encoding.
 */
function cl100kRanks(): (string | number[])[] {
  const file = readFileSync(load.resolve('gpt-tokenizer/data/cl100k_base.tiktoken'), 'latin1');
  const strict = new TextDecoder('utf-8', { fatal: true });
  const ranks: (string | number[])[] = [];
  for (let from = 0; from < file.length;) {
    const space = file.indexOf(' ', from);
    const newline = file.indexOf('\n', space);
    const end = newline < 0 ? file.length : newline;
    if (space < 0 || Number(file.slice(space + 1, end)) !== ranks.length)
      throw new Error(`cl100k_base.tiktoken: line ${ranks.length + 1} is not rank ${ranks.length}`);
    const bytes = Buffer.from(file.slice(from, space), 'base64');
    let token: string | number[];
    try {
      token = strict.decode(bytes);
    } catch {
      token = [...bytes];
    }
    ranks.push(token);
    from = end + 1;
  }
  return ranks;
}

/** Tokens of `text` under cl100k_base (gpt-tokenizer), the encoding most embedding APIs count and cap by. */
export function tokenCount(text: string): number {
  encoder ??= (load('gpt-tokenizer/GptEncoding') as typeof Encodings).GptEncoding.getEncodingApi('cl100k_base', cl100kRanks);
  return encoder.countTokens(text, AS_TEXT);
}

export const TOKENIZER = 'cl100k_base';

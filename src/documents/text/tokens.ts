import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';

// A document may contain "<|endoftext|>" literally: count it as text, never refuse it as a special token.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Tokens of `text` under cl100k_base (gpt-tokenizer), the encoding most embedding APIs count and cap by. */
export function tokenCount(text: string): number {
  return countTokens(text, AS_TEXT);
}

export const TOKENIZER = 'cl100k_base';

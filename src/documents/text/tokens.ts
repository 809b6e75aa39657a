import { createRequire } from 'node:module';
import type { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';

type CountTokens = typeof countTokens;
const load = createRequire(import.meta.url);
/** cl100k_base's ranks take tens of MB of heap: loaded when the first text is counted, not when the service starts. */
let counter: CountTokens | undefined;

// A document may contain "<|endoftext|>" literally: count it as text, never refuse it as a special token.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Tokens of `text` under cl100k_base (gpt-tokenizer), the encoding most embedding APIs count and cap by. */
export function tokenCount(text: string): number {
  counter ??= (load('gpt-tokenizer/encoding/cl100k_base') as { countTokens: CountTokens }).countTokens;
  return counter(text, AS_TEXT);
}

export const TOKENIZER = 'cl100k_base';

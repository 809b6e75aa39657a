import { ValidationError } from '../shared/errors.ts';

/** Longest glob accepted from callers (admin browse, deleteByPattern). */
export const MAX_PATTERN_LENGTH = 256;

/**
 * Redis-style glob (`*`, `?`, `[abc]`, `\x`) to an anchored RegExp, for the memory driver and for
 * applying pattern invalidations to L1. Character classes are restricted to plain characters so a
 * hostile pattern cannot build a catastrophic regex.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '\\' && i + 1 < glob.length) out += escapeRe(glob[++i] as string);
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      const body = glob.slice(i + 1, end).replace(/[\\\]^]/g, (c) => `\\${c}`);
      out += `[${body}]`;
      i = end;
    } else out += escapeRe(ch);
  }
  return new RegExp(`${out}$`, 's');
}

function escapeRe(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Validates a caller pattern: bounded, printable, and not a bare `*` explosion like `****…`. */
export function assertPattern(pattern: string, field = 'pattern'): void {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw new ValidationError(`${field} must be 1-${MAX_PATTERN_LENGTH} characters`, [{ field, message: 'bad length' }]);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(pattern))
    throw new ValidationError(`${field} must not contain control characters`, [{ field, message: 'control character' }]);
  if (/\*{3,}/.test(pattern)) throw new ValidationError(`${field} has a run of '*'`, [{ field, message: 'wildcard run' }]);
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, ValidationError } from '../../../shared/errors.ts';

export type CursorValue = string | number;

/** The last row a page ended on, bound to the ordering it was produced under. */
export interface CursorPosition {
  sort: string;
  values: [CursorValue, CursorValue];
}

export interface CursorCodec {
  encode(position: CursorPosition): string;
  /** Throws ValidationError (400) for anything malformed, forged, or made for another ordering. */
  decode(cursor: string, expectedSort: string): CursorPosition;
}

const MAX_CURSOR_LENGTH = 1024;
const BAD_CURSOR = 'cursor is not valid: pass the next_cursor of a previous page unchanged';

/**
 * Opaque cursors: base64url(JSON) + "." + a truncated HMAC-SHA256. Clients cannot read meaning into them
 * or forge a position (e.g. to skip a row-level filter baked into the sort values).
 */
export function createCursorCodec(secret: string | Buffer): CursorCodec {
  if (Buffer.byteLength(secret) < 16) throw new ConfigError('The cursor signing secret must be at least 16 bytes');
  const sign = (body: string): Buffer => createHmac('sha256', secret).update(body).digest().subarray(0, 16);
  return {
    encode(position) {
      const body = Buffer.from(JSON.stringify([position.sort, position.values])).toString('base64url');
      return `${body}.${sign(body).toString('base64url')}`;
    },
    decode(cursor, expectedSort) {
      if (cursor.length > MAX_CURSOR_LENGTH) throw invalid('too long');
      const [body, mac, extra] = cursor.split('.');
      if (body === undefined || mac === undefined || extra !== undefined || !/^[\w-]+$/.test(body) || !/^[\w-]+$/.test(mac)) throw invalid('malformed');
      const given = Buffer.from(mac, 'base64url');
      const expected = sign(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('signature mismatch');
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw invalid('malformed');
      }
      if (!Array.isArray(parsed) || parsed[0] !== expectedSort) {
        throw new ValidationError('cursor belongs to another list or sort order; start again without a cursor', [
          { field: 'cursor', message: 'made for another list or sort order' },
        ]);
      }
      const values: unknown = parsed[1];
      if (!Array.isArray(values) || values.length !== 2 || !values.every((v) => typeof v === 'string' || typeof v === 'number')) throw invalid('malformed');
      return { sort: expectedSort, values: values as [CursorValue, CursorValue] };
    },
  };
}

function invalid(reason: string): ValidationError {
  return new ValidationError(BAD_CURSOR, [{ field: 'cursor', message: reason }]);
}

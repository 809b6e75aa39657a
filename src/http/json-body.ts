import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AiStackError } from '../shared/errors.ts';

/**
 * Deep enough for any real document (metadata, order lines, `$batch` envelopes), shallow enough that
 * every recursive walker behind the boundary (ajv, JSON.stringify, the drivers) stays far from the stack limit.
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/** 400: a JSON body nested deeper than the server accepts. */
export class JsonTooDeepError extends AiStackError {
  constructor(field: string, maxDepth: number) {
    super(`The JSON body is nested deeper than ${maxDepth} levels at ${field}`, {
      code: 'json_too_deep',
      status: 400,
      issues: [{ field, message: `nested deeper than ${maxDepth} levels` }],
    });
  }
}

/** 400: PostgreSQL text cannot hold U+0000 and SQLite would store it silently, so both refuse it here alike. */
export class NulCharacterError extends AiStackError {
  constructor(field: string) {
    super(`${field} contains a NUL character (U+0000), which is not allowed in any text`, {
      code: 'nul_character',
      status: 400,
      issues: [{ field, message: 'contains a NUL character (U+0000)' }],
    });
  }
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string;
}

/**
 * Walks a parsed JSON value without recursion (so a hostile depth cannot overflow the stack here) and
 * returns the first problem: a container deeper than `maxDepth`, or a NUL character in a string or key.
 * Paths are built only for the failure, so a clean body costs one pass and no string work.
 */
export function inspectJson(value: unknown, root: string, maxDepth: number): AiStackError | null {
  const stack: Frame[] = [{ value, depth: 0, parent: null, key: root }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const current = frame.value;
    if (typeof current === 'string') {
      if (current.includes('\0')) return new NulCharacterError(pathOf(frame));
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) return new JsonTooDeepError(pathOf(frame), maxDepth);
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) stack.push({ value: current[index], depth, parent: frame, key: String(index) });
      continue;
    }
    for (const [key, child] of Object.entries(current)) {
      if (key.includes('\0')) return new NulCharacterError(pathOf({ value: child, depth, parent: frame, key }));
      stack.push({ value: child, depth, parent: frame, key });
    }
  }
  return null;
}

function pathOf(frame: Frame): string {
  const parts: string[] = [];
  for (let at: Frame | null = frame; at !== null; at = at.parent) {
    // JSON Pointer escaping, and control characters shown as JSON escapes so the field name stays printable.
    parts.push(at.parent === null ? at.key : JSON.stringify(at.key.replaceAll('~', '~0').replaceAll('/', '~1')).slice(1, -1));
  }
  return parts.reverse().join('/');
}

/**
 * Replaces Fastify's JSON parser with the same parser (secure-json-parse, prototype poisoning refused)
 * followed by `inspectJson`, so every route, `$batch` and Idempotency-Key fingerprinting only ever see
 * bounded, NUL-free bodies. Query strings and path parameters get the NUL check before validation.
 */
export function guardJsonInput(app: FastifyInstance, maxDepth: number = DEFAULT_MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // parseAs 'string' hands a string; the type is the union of both parseAs modes.
    void parse(request, String(body), (error, parsed) => {
      if (error) return done(error, undefined);
      const problem = inspectJson(parsed, 'body', maxDepth);
      return problem === null ? done(null, parsed) : done(problem, undefined);
    });
  });
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const problem = inspectJson(request.query, 'query', maxDepth) ?? inspectJson(request.params, 'params', maxDepth);
    if (problem !== null) throw problem;
  });
}

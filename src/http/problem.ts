import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AiStackError, type FieldIssue } from '../shared/errors.ts';

/** RFC 9457 problem details, with our stable `code` and the per-field `errors` a client can show next to inputs. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  request_id: string;
  errors?: FieldIssue[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  424: 'Failed Dependency',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

interface AjvIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** Turns any thrown value into an AiStackError; one place decides what a client may learn from a failure. */
export type ErrorTranslator = (error: unknown, request: { method: string }) => unknown;

export function toAiStackError(error: unknown, translate?: ErrorTranslator, request: { method: string } = { method: 'GET' }): AiStackError {
  const translated = translate ? translate(error, request) : error;
  if (translated instanceof AiStackError) return translated;
  const fastifyError = translated as Partial<FastifyError> & { validation?: AjvIssue[]; validationContext?: string };
  if (Array.isArray(fastifyError.validation)) return fromValidation(fastifyError.validation, fastifyError.validationContext ?? 'body');
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    return new AiStackError(clientMessage(fastifyError), { code: fastifyCode(fastifyError.code, status), status });
  }
  return new AiStackError('An unexpected error occurred; it has been logged with the request id', { code: 'internal_error', status: 500, cause: error });
}

/** The one problem `type` scheme: every problem body, whole-response or inside `$batch`/bulk results, uses it. */
export function problemType(code: string): string {
  return `/problems/${code}`;
}

/** The RFC 9110 reason phrase used as a problem `title`. */
export function problemTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

export function problemFor(error: AiStackError, request: FastifyRequest): ProblemDetails {
  const problem: ProblemDetails = {
    type: problemType(error.code),
    title: problemTitle(error.status),
    status: error.status,
    detail: error.message,
    instance: request.url,
    code: error.code,
    request_id: request.id,
  };
  if (error.issues.length > 0) problem.errors = error.issues;
  return problem;
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AiStackError): FastifyReply {
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(problemFor(error, request));
}

/** With ajv's allErrors a hostile body could list thousands of issues; a client needs the first few dozen. */
const MAX_FIELD_ISSUES = 50;

function fromValidation(issues: AjvIssue[], context: string): AiStackError {
  const seen = new Set<string>();
  const fieldIssues = issues
    .map((issue) => toFieldIssue(issue, context))
    .filter((i) => {
      const key = `${i.field}\u0000${i.message}`;
      return seen.has(key) ? false : (seen.add(key), true);
    })
    .slice(0, MAX_FIELD_ISSUES);
  const first = fieldIssues[0];
  const summary = first ? `${first.field}: ${first.message}` : 'the request is invalid';
  return new AiStackError(`Invalid ${context}: ${summary}`, { code: 'validation_failed', status: 400, issues: fieldIssues });
}

function toFieldIssue(issue: AjvIssue, context: string): FieldIssue {
  const base = issue.instancePath ?? '';
  const params = issue.params ?? {};
  if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return { field: `${context}${base}/${params.additionalProperty}`, message: 'is not a known field' };
  }
  if (issue.keyword === 'required' && typeof params.missingProperty === 'string') {
    return { field: `${context}${base}/${params.missingProperty}`, message: 'is required' };
  }
  return { field: `${context}${base}`, message: issue.message ?? 'is invalid' };
}

function clientMessage(error: Partial<FastifyError>): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is larger than the server accepts';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported Content-Type; send application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The body is empty but Content-Type says application/json';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'The body is not valid JSON';
    default:
      if (error.name === 'SyntaxError') return 'The body is not valid JSON';
      return error.message ?? 'Bad request';
  }
}

function fastifyCode(code: string | undefined, status: number): string {
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'body_too_large';
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'unsupported_media_type';
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_JSON_BODY') return 'malformed_json';
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') return 'uri_too_long';
  return status === 404 ? 'not_found' : 'bad_request';
}

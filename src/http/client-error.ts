import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from './problem.ts';

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (raw non-ASCII bytes in the URL,
 * malformed header lines, oversized headers) still get a problem+json answer like every other error.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'request_timeout', 'The request was not received in time']
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request headers are larger than the server accepts']
      : [400, 'malformed_request', 'The request line or headers are not valid HTTP; characters outside ASCII in the URL must be percent-encoded (UTF-8)'];
  const requestId = randomUUID();
  const problem: ProblemDetails = { type: `/problems/${code}`, title: status === 400 ? 'Bad Request' : status === 408 ? 'Request Timeout' : 'Request Header Fields Too Large', status, detail, instance: '', code, request_id: requestId };
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

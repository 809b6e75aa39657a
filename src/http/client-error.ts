import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../shared/logger.ts';
import { PROBLEM_CONTENT_TYPE, problemType, type ProblemDetails } from './problem.ts';

interface ClientErrorShape {
  status: number;
  code: string;
  detail: string;
}

/** What Node's HTTP parser refused before any route ran, in our terms. */
function classify(error: NodeJS.ErrnoException): ClientErrorShape {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      code: 'headers_too_large',
      detail: 'The request line and headers are larger than the server accepts; shorten the URL or the headers',
    };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'request_timeout', detail: 'The request was not received in time' };
  return {
    status: 400,
    code: 'malformed_request',
    detail: 'The request line or headers are not valid HTTP/1.1; characters outside ASCII in the URL must be percent-encoded (UTF-8)',
  };
}

/**
 * Fastify's `clientErrorHandler`: errors raised by Node's HTTP parser (oversized headers or URL, malformed
 * request lines, timeouts) never reach a route, so Fastify's default answers them with its own JSON.
 * This answers them as problem+json like everything else, then closes the connection as Node does.
 */
export function clientErrorHandler(logger: Logger): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, code, detail } = classify(error);
    const requestId = randomUUID();
    logger.debug({ err: error, code, request_id: requestId }, 'client error refused by the HTTP parser');
    if (socket.writable) {
      const problem: ProblemDetails = {
        type: problemType(code),
        title: STATUS_CODES[status] ?? 'Error',
        status,
        detail,
        instance: '',
        code,
        request_id: requestId,
      };
      const body = JSON.stringify(problem);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}

import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_TABLE } from '../errors.js';

/**
 * Requests Node's HTTP parser refuses before the app runs, answered in the contract's error shape
 * instead of Node's bare status lines: a request head over `http.maxHeaderSize` (16 KiB; e.g. a
 * filter too long for a URL) is `413 payload_too_large` with reason `headers_too_large`, and an
 * unparsable request is `400 invalid_request`. Timeouts keep Node's `408` (docs/deployment.md).
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      answer(socket, 413, 'Payload Too Large', {
        code: 'payload_too_large',
        message:
          'The request line and headers are larger than 16 KiB (a filter this long fits in a $match stage of POST …/aggregate).',
        details: { reason: 'headers_too_large' },
      });
      return;
    }
    answer(socket, 400, 'Bad Request', {
      code: 'invalid_request',
      message: 'The request is not valid HTTP.',
      details: {},
    });
  });
}

function answer(
  socket: Duplex,
  status: number,
  text: string,
  error: { code: keyof typeof ERROR_TABLE; message: string; details: Record<string, unknown> },
): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

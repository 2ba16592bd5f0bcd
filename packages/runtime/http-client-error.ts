// What an HTTP server of ours answers to a request Node could not take (the `clientError` event): a
// client too slow with its headers or body (slow loris), headers over the limit, or bytes that are
// not HTTP. One plain status line and the connection closed; never a crash.
import type { Duplex } from 'node:stream';

/** Answers the failed request on `socket` and closes it; returns the status code sent. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): string {
  const status =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? '408 Request Timeout'
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : '400 Bad Request';
  if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  else socket.destroy();
  return status.slice(0, 3);
}

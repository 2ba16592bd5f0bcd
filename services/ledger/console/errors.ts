// The console's one error: a typed code for tests, mapped to an HTTP status only in console-http.ts.

export type ConsoleErrorCode =
  /** A query parameter the endpoint does not take, given twice, or with a malformed value. */
  | 'BAD_QUERY'
  /** The query string or a value is longer than the console accepts. */
  | 'TOO_LONG'
  /** No such entry or object. */
  | 'NOT_FOUND'
  /** No checkpoint is published yet, or search is disabled. */
  | 'UNAVAILABLE';

export class ConsoleError extends Error {
  constructor(
    readonly code: ConsoleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleError';
  }
}

// The one error class of the collector. `code` maps to an HTTP status only at the webhook boundary.

export type CollectorErrorCode =
  | 'CONFIG' // a flag or config value that is invalid; names the flag
  | 'BAD_REQUEST' // a body that is not an audit Event or EventList
  | 'UNAUTHORIZED' // no valid bearer token or client certificate
  | 'TOO_LARGE' // body over the configured limit
  | 'UNSUPPORTED_MEDIA' // wrong content type or content encoding
  | 'METHOD' // not a POST
  | 'NOT_FOUND' // a /sources/ path that is no source
  | 'UNAVAILABLE' // the batch could not be durably published in time (NATS down or slow)
  | 'TIMEOUT'; // the client was too slow sending its request

export class CollectorError extends Error {
  override readonly name = 'CollectorError';
  constructor(
    readonly code: CollectorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

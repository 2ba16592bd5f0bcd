// The one error class of the tiles client. Callers branch on `code`: a location that cannot be
// read (UNREACHABLE, TIMEOUT, BAD_STATUS) is the caller's problem to report; what was read but is
// not what tlog-tiles says it must be (MALFORMED, TOO_LARGE, MISSING) is evidence about the log.

export type TilesErrorCode =
  | 'BAD_LOCATION' // not an http(s) URL or an existing directory, or a path outside the layout
  | 'UNREACHABLE' // the request failed (connection refused, TLS, I/O error)
  | 'TIMEOUT' // no whole answer within the time limit
  | 'BAD_STATUS' // an HTTP status other than 200 and 404
  | 'TOO_LARGE' // an answer over the size any object of its kind may have
  | 'MALFORMED' // a tile or bundle whose size or encoding is not the one its path requires
  | 'MISSING'; // an object the published tree must have is absent

export class TilesError extends Error {
  override readonly name = 'TilesError';
  constructor(
    readonly code: TilesErrorCode,
    message: string,
    /** The layout path concerned, when there is one. */
    readonly path?: string,
  ) {
    super(message);
  }
}

// The search module's one error class. A request the index refuses throws SearchError with a
// typed code and the field at fault; the API maps it to a gRPC status (request-validation.ts).
// The message is "field: why" and names only what the client sent, so it may be shown to it.

export type SearchErrorCode =
  | 'TOO_LONG' // a string field longer than MAX_FILTER_CHARS
  | 'BAD_VALUE' // a value out of range, not one of the allowed ones, with a NUL, or since after until
  | 'BAD_TEXT' // a full-text query with no terms, too many, or one the full-text parser refuses
  | 'BAD_PAGE' // page_size above MAX_PAGE_SIZE, or a page_token malformed or made for other filters
  | 'MISSING_FIELD'; // a history request naming neither an object's name nor its uid

export class SearchError extends Error {
  override readonly name = 'SearchError';
  constructor(
    readonly code: SearchErrorCode,
    /** The request field at fault, in the proto's spelling (page_token). */
    readonly field: string,
    why: string,
  ) {
    super(`${field}: ${why}`);
  }
}

// The one error class of the witness service. The HTTP boundary maps codes to statuses; messages
// are for logs only and never reach a client.

export type WitnessErrorCode =
  | 'MALFORMED' // the request body does not parse (400)
  | 'UNKNOWN_ORIGIN' // no trusted log has this origin (404)
  | 'FORBIDDEN' // no signature by a trusted key of the origin verifies (403)
  | 'BAD_OLD_SIZE' // old size larger than the checkpoint size (400)
  | 'CONFLICT' // old size is not the latest cosigned size, or same size with another root (409)
  | 'BAD_PROOF' // the consistency proof does not verify (422)
  | 'TOO_LARGE' // the request body is over the limit (413)
  | 'CONFIG'; // bad configuration at start-up

export class WitnessError extends Error {
  override readonly name = 'WitnessError';
  constructor(
    readonly code: WitnessErrorCode,
    message: string,
    /** For CONFLICT: the latest cosigned size, which the 409 body carries. */
    readonly size?: bigint,
  ) {
    super(message);
  }
}

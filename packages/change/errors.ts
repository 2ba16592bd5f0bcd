// The one error class of packages/change. `code` is also the Rejection-Reason prefix on NATS.

export type ChangeErrorCode =
  | 'TOO_LARGE' // leaf over MAX_LEAF_BYTES
  | 'BAD_NOTE' // not a signed note
  | 'UNKNOWN_KEY' // no signature by a configured collector key
  | 'BAD_SIGNATURE' // a configured key's signature does not verify
  | 'BAD_JSON' // note text is not one line of JSON
  | 'NOT_CANONICAL' // JSON that is not RFC 8785 canonical
  | 'SCHEMA' // required fields missing or of the wrong type
  | 'TOO_DEEP' // JSON nested deeper than MAX_NESTING_DEPTH
  | 'CLUSTER_MISMATCH' // change.cluster differs from the signing key's collector/<cluster>
  | 'BODY_MISSING' // an out-of-leaf body that cannot be found or does not match its digest
  | 'NOT_A_CHANGE'; // an audit event that is not a recordable change (collector side)

export class ChangeError extends Error {
  override readonly name = 'ChangeError';
  constructor(
    readonly code: ChangeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

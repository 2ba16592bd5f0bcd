// The one error class of the transparency-log core. Callers branch on `code`, never on messages.

export type TlogErrorCode =
  | 'MALFORMED' // input does not parse: bad base64, wrong line structure, bad number text
  | 'BAD_HASH_SIZE' // a hash that is not exactly 32 bytes
  | 'BAD_RANGE' // an index or size out of range (index >= size, from > to, from = 0 for consistency)
  | 'PROOF_INVALID' // a proof that does not verify, or has the wrong length
  | 'BAD_KEY' // a vkey/skey that does not parse, or a name that is not allowed
  | 'BAD_SIGNATURE' // a known key whose signature does not verify
  | 'NO_SIGNATURE' // no signature by any known key
  | 'QUORUM_NOT_MET' // a checkpoint without enough cosignatures for the policy
  | 'BAD_POLICY' // a policy file that does not parse or is inconsistent
  | 'MISSING_NODE'; // the node reader lacks a hash the computation needs

export class TlogError extends Error {
  override readonly name = 'TlogError';
  constructor(
    readonly code: TlogErrorCode,
    message: string,
  ) {
    super(message);
  }
}

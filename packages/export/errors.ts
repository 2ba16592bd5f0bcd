// The one error class of the exporter. Callers branch on `code`: a CONFLICT or VERIFY_FAILED is
// evidence of tampering (exit 1, an alert), the others are operational and retried.

export type ExportErrorCode =
  | 'VERIFY_FAILED' // a checkpoint, tile, bundle, leaf or body does not verify
  | 'CONFLICT' // an immutable object in the target holds other bytes than the log says
  | 'SOURCE' // the source could not be read (network, missing object, oversized object)
  | 'TARGET' // the target could not be read or written
  | 'USAGE'; // a location, duration or option that does not parse

export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    readonly code: ExportErrorCode,
    message: string,
  ) {
    super(message);
  }
}

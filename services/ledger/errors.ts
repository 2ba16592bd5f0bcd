// The one error class of the ledger service. Mapped to gRPC statuses only in api.ts.

export type LedgerErrorCode =
  | 'CONFIG' // a bad flag, env var or config file value (exit 2)
  | 'STORE' // the database is not what this version expects, or a stored row is corrupt
  | 'INCONSISTENT' // a new tree would not be consistent with an earlier signed checkpoint
  | 'ROLLED_BACK' // the store lacks the tree of the last published checkpoint, or the witnesses hold a larger or other tree (refused at start)
  | 'CLOSED'; // the ledger is shutting down

export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

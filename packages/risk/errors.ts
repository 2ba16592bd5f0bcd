// The one error class of packages/risk.

export type RiskErrorCode = 'BAD_CONFIG';

export class RiskError extends Error {
  override readonly name = 'RiskError';
  constructor(
    readonly code: RiskErrorCode,
    message: string,
  ) {
    super(message);
  }
}

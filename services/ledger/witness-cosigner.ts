// CONTRACT STUB (witness engineer implements): asks the witnesses of a tlog-policy to cosign.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Policy } from '../../packages/tlog/index.js';
import type { CheckpointCosigner } from './cosigning.js';

export interface WitnessCosignerOptions {
  policy: Policy;
  logger: Logger;
  registry?: Registry;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

export function createWitnessCosigner(_opts: WitnessCosignerOptions): CheckpointCosigner {
  throw new Error('not implemented');
}

// The out-of-leaf body references of a change (DESIGN 3.2): a request or response replaced by
// `{"sha256": "<hex>", "size": <bytes>}`. Pure, so verify workers can read them without NATS.
import type { Change } from '../../packages/change/index.js';

export interface BodyRef {
  sha256: string;
  size: number;
}

function refOf(v: unknown): BodyRef | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 2 || !('sha256' in v) || !('size' in v)) return undefined;
  const { sha256, size } = v as { sha256: unknown; size: unknown };
  if (typeof sha256 !== 'string' || typeof size !== 'number') return undefined;
  return { sha256, size };
}

/** The body references of a change (request and response), if any. */
export function bodyRefs(change: Pick<Change, 'request' | 'response'>): BodyRef[] {
  return [refOf(change.request), refOf(change.response)].filter((r): r is BodyRef => r !== undefined);
}

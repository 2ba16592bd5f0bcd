// One log entry as the document the changes feed sends: the change's fields a SIEM searches on, the
// entry's index, the size of a published checkpoint that covers it, and its dedup id.
//
// The leaf's signature is not checked here: the ledger admitted it (openLeaf) before it was
// logged, and notify reads it from its own ledger. The note is still parsed defensively (the leaf
// is bytes from the network): a leaf that is not a note of a JSON change yields undefined, counted
// by the caller, never a crash.
import type { Entry } from '../../../packages/proto/index.js';
import { parseNote } from '../../../packages/tlog/index.js';

export interface ChangeDoc {
  /** `<cluster>/<auditID>`: the change's identity in the log (Elasticsearch `_id`). */
  id: string;
  index: string;
  /** Size of a published checkpoint that covers the entry (it is > index). */
  checkpointSize: string;
  cluster: string;
  object: Record<string, unknown>;
  verb: string;
  action: string;
  user: string;
  impersonatedUser: string | null;
  reason: string | null;
  attribution?: Record<string, unknown>;
  stageTimestamp: string;
  auditID: string;
  sourceIPs: string[];
  responseCode: number;
  source: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function changeDoc(entry: Entry, checkpointSize: bigint): ChangeDoc | undefined {
  let c: unknown;
  try {
    const text = parseNote(entry.leaf).text;
    c = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(c)) return undefined;
  const cluster = str(c.cluster);
  const auditID = str(c.auditID);
  const stageTimestamp = str(c.stageTimestamp);
  if (cluster === undefined || auditID === undefined || stageTimestamp === undefined) return undefined;
  if (!isRecord(c.object) || !isRecord(c.user)) return undefined;
  const imp = isRecord(c.impersonatedUser) ? str(c.impersonatedUser.username) : undefined;
  const doc: ChangeDoc = {
    id: `${cluster}/${auditID}`,
    index: entry.index.toString(),
    checkpointSize: checkpointSize.toString(),
    cluster,
    object: c.object,
    verb: str(c.verb) ?? '',
    action: str(c.action) ?? '',
    user: str(c.user.username) ?? '',
    impersonatedUser: imp ?? null,
    reason: str(c.reason) ?? null,
    stageTimestamp,
    auditID,
    sourceIPs: Array.isArray(c.sourceIPs)
      ? c.sourceIPs.filter((x): x is string => typeof x === 'string')
      : [],
    responseCode: typeof c.responseCode === 'number' ? c.responseCode : 0,
    source: str(c.source) ?? '',
  };
  if (isRecord(c.attribution)) doc.attribution = c.attribution;
  return doc;
}

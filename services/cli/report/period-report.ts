// The period report of issue 14 as data: every verified change of a period, grouped by object and
// by actor, with its findings, counts (including the changes without a why, per actor: issue 18)
// and the checkpoint it was verified against. Pure: the command (commands/report.ts) fetches and
// verifies; report-html.ts renders this same object, so the HTML and the JSON cannot disagree.
import { type Attribution, type Change, isHumanUser, statedReason } from '../../../packages/change/index.js';
import type { Finding } from '../../../packages/proto/index.js';
import { actorLabel, attributionLabel, objectLabel } from '../render-change.js';

export const REPORT_SCHEMA = 'ingress-ledger.report/v1';

/** One verified entry of the period, as the command hands it over. */
export interface VerifiedChange {
  index: bigint;
  change: Change;
  findings: readonly Finding[];
  /** `collector/<cluster>+<key id>` that signed the leaf. */
  signer: string;
  /** For a delete: the object it removed (the last stored version, from a verified entry). */
  deleted?: unknown;
}

export interface ReportCheckpoint {
  origin: string;
  size: bigint;
  rootHash: string;
  note: string;
  cosigners: readonly string[];
}

export interface ReportEntry {
  index: string;
  cluster: string;
  time: string;
  action: string;
  verb: string;
  object: string;
  actor: string;
  responseCode: number;
  /** The stated reason (a delete: the reason on the object it removed), or null. */
  reason: string | null;
  attribution: Attribution | null;
  source: string | null;
  /** No reason, and no attributed source that records one (a pipeline, GitOps or Helm release). */
  withoutWhy: boolean;
  /** Made by a person (packages/change/actor.ts) without a reason. */
  personWithoutReason: boolean;
  findings: { rule: string; severity: string; message: string; path: string }[];
  signer: string;
}

export interface ActorCounts {
  actor: string;
  changes: number;
  failed: number;
  withoutReason: number;
  withoutWhy: number;
  personWithoutReason: number;
  findings: number;
  entries: string[];
}

export interface ObjectGroup {
  object: string;
  cluster: string;
  changes: number;
  entries: string[];
}

export interface PeriodReport {
  schema: typeof REPORT_SCHEMA;
  generatedAt: string;
  period: { since: string; until: string; cluster: string | null };
  checkpoint: { origin: string; size: string; rootHash: string; cosigners: string[]; note: string };
  counts: {
    changes: number;
    create: number;
    update: number;
    delete: number;
    failed: number;
    withFindings: number;
    findingsBySeverity: Record<string, number>;
    withoutReason: number;
    withoutWhy: number;
    personWithoutReason: number;
  };
  byActor: ActorCounts[];
  byObject: ObjectGroup[];
  /** Oldest first (log order). */
  entries: ReportEntry[];
  verify: string[];
}

/** Tools whose attribution points at a recorded why: a commit, a release, an application's history. */
const WHY_TOOLS = new Set(['argocd', 'flux', 'helm', 'ci']);

function entryOf(v: VerifiedChange): ReportEntry {
  const c = v.change;
  // A delete's request cannot state a reason; its why is on the object it removed.
  const reason = statedReason(c, v.deleted ?? c.response);
  const a = c.attribution ?? null;
  return {
    index: v.index.toString(),
    cluster: c.cluster,
    time: c.stageTimestamp,
    action: c.action,
    verb: c.verb,
    object: objectLabel(c),
    actor: actorLabel(c),
    responseCode: c.responseCode,
    reason,
    attribution: a,
    source: attributionLabel(c) ?? null,
    withoutWhy: reason === null && (a === null || !WHY_TOOLS.has(a.tool)),
    personWithoutReason: reason === null && isHumanUser(c.user),
    findings: v.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      path: f.path,
    })),
    signer: v.signer,
  };
}

const failed = (e: ReportEntry) => e.responseCode < 200 || e.responseCode > 299;

export interface ReportInput {
  since: string;
  until: string;
  cluster: string | undefined;
  generatedAt: string;
  checkpoint: ReportCheckpoint;
  changes: readonly VerifiedChange[];
  verify: readonly string[];
}

export function buildReport(input: ReportInput): PeriodReport {
  const entries = [...input.changes].sort((a, b) => (a.index < b.index ? -1 : 1)).map(entryOf);
  const actors = new Map<string, ActorCounts>();
  const objects = new Map<string, ObjectGroup>();
  const bySeverity: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const e of entries) {
    const a = actors.get(e.actor) ?? {
      actor: e.actor,
      changes: 0,
      failed: 0,
      withoutReason: 0,
      withoutWhy: 0,
      personWithoutReason: 0,
      findings: 0,
      entries: [],
    };
    a.changes++;
    if (failed(e)) a.failed++;
    if (e.reason === null) a.withoutReason++;
    if (e.withoutWhy) a.withoutWhy++;
    if (e.personWithoutReason) a.personWithoutReason++;
    a.findings += e.findings.length;
    a.entries.push(e.index);
    actors.set(e.actor, a);
    const key = JSON.stringify([e.cluster, e.object]);
    const o = objects.get(key) ?? { object: e.object, cluster: e.cluster, changes: 0, entries: [] };
    o.changes++;
    o.entries.push(e.index);
    objects.set(key, o);
    for (const f of e.findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  }
  const count = (p: (e: ReportEntry) => boolean) => entries.filter(p).length;
  const cp = input.checkpoint;
  return {
    schema: REPORT_SCHEMA,
    generatedAt: input.generatedAt,
    period: { since: input.since, until: input.until, cluster: input.cluster ?? null },
    checkpoint: {
      origin: cp.origin,
      size: cp.size.toString(),
      rootHash: cp.rootHash,
      cosigners: [...cp.cosigners],
      note: cp.note,
    },
    counts: {
      changes: entries.length,
      create: count((e) => e.action === 'create'),
      update: count((e) => e.action === 'update'),
      delete: count((e) => e.action === 'delete'),
      failed: count(failed),
      withFindings: count((e) => e.findings.length > 0),
      findingsBySeverity: bySeverity,
      withoutReason: count((e) => e.reason === null),
      withoutWhy: count((e) => e.withoutWhy),
      personWithoutReason: count((e) => e.personWithoutReason),
    },
    byActor: [...actors.values()].sort((x, y) => y.changes - x.changes || (x.actor < y.actor ? -1 : 1)),
    byObject: [...objects.values()].sort((x, y) =>
      x.cluster === y.cluster ? (x.object < y.object ? -1 : 1) : x.cluster < y.cluster ? -1 : 1,
    ),
    entries,
    verify: [...input.verify],
  };
}

/** Microseconds since the epoch of an RFC 3339 time with up to nine fraction digits, or undefined. */
export function rfc3339Micros(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return BigInt(ms) * 1000n + BigInt(frac);
}

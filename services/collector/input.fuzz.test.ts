// Property-based fuzzing of what reaches the collector from outside: webhook bodies and audit log
// lines, down to the prepared item. A body is refused as a whole only with BAD_REQUEST; every item
// becomes a leaf, a skip or a rejection, never an exception (one would fail the whole batch on
// every retry). FUZZ_RUNS sets the runs per property; `FUZZ_RUNS=100000 npm run fuzz` runs long.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_RESOURCES, ResourceFilter } from '../../packages/change/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import { REPO_ROOT } from '../../test/support/shared.js';
import { type AuditItem, logItems, webhookBodyItems } from './audit-input.js';
import { CollectorError } from './errors.js';
import { type PrepareContext, prepareItem } from './prepare.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const TIMEOUT_MS = 120_000 + RUNS * 100;
const ctx: PrepareContext = {
  cluster: 'fuzz',
  key: generateKey('collector/fuzz'),
  resources: new ResourceFilter(DEFAULT_RESOURCES),
  source: 'audit-webhook',
  observedAt: '2026-12-05T00:00:00.000000Z',
};
const events = readFileSync(
  join(REPO_ROOT, 'services', 'collector', 'testdata', 'audit-events.jsonl'),
  'utf8',
)
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A real event with one field replaced by anything JSON can hold, or a deeply nested value. */
const bentEvent = fc
  .tuple(
    fc.constantFrom(...events),
    fc.constantFrom(
      'auditID',
      'verb',
      'stage',
      'objectRef',
      'responseStatus',
      'requestObject',
      'responseObject',
      'user',
      'requestReceivedTimestamp',
      'annotations',
      'kind',
    ),
    fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.nat(3000).map((d) => JSON.parse('['.repeat(d + 1) + ']'.repeat(d + 1))),
    ),
  )
  .map(([e, field, value]) => ({ ...e, [field]: value }));

function prepareAll(items: AuditItem[]): boolean {
  // prepareItem throws only on a bug: any throw fails the property.
  for (const item of items) prepareItem(item, ctx);
  return true;
}

describe('fuzzing the collector inputs', { timeout: TIMEOUT_MS }, () => {
  it('webhook bodies: BAD_REQUEST for the whole body, or every item prepared', () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
      fc
        .array(fc.oneof(bentEvent, fc.jsonValue({ maxDepth: 3 })), { maxLength: 5 })
        .map((items) => JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items })),
      fc
        .tuple(fc.constantFrom(...events), fc.nat(200))
        .map(([e, cut]) => JSON.stringify(e).slice(0, -cut - 1)),
    );
    fc.assert(
      fc.property(body, (b) => {
        let items: AuditItem[];
        try {
          items = webhookBodyItems(typeof b === 'string' ? new TextEncoder().encode(b) : b);
        } catch (err) {
          if (err instanceof CollectorError && err.code === 'BAD_REQUEST') return true;
          throw err;
        }
        return prepareAll(items);
      }),
      { numRuns: RUNS },
    );
  });

  it('audit log lines: items or a foreign document, every item prepared', () => {
    const line = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      bentEvent.map((e) => JSON.stringify(e)),
      fc
        .array(fc.oneof(bentEvent, fc.jsonValue({ maxDepth: 3 })), { maxLength: 4 })
        .map((rs) =>
          JSON.stringify({ records: rs.map((r) => ({ properties: { log: JSON.stringify(r) } })) }),
        ),
    );
    fc.assert(
      fc.property(line, (l) => {
        const got = logItems(l);
        return Array.isArray(got) ? prepareAll(got) : typeof got.foreignKind === 'string';
      }),
      { numRuns: RUNS },
    );
  });
});

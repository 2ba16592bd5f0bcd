// Test support for the witness cosigner's tests: three real witnesses on loopback for one log, an
// honest log and a fork of it, a logger whose lines the test reads, the evidence gauge, and a
// cosigning round that moves chosen witnesses to a log's size.
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import { type PrivateKey, parsePolicy, parseVkey } from '../../../packages/tlog/index.js';
import { MemoryLog } from '../../../packages/tlog/testing.js';
import { type RunningWitness, startWitness } from '../../witness/index.js';
import { createWitnessCosigner } from '../witness-cosigner.js';

export interface LogLine {
  level: number;
  msg: string;
  witness?: string;
  kind?: string;
  size?: string;
  reason?: string;
  failure?: string;
}

/** The same entries for every log of a test; a fork differs from the 4th on. */
const ENTRIES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];

/** The log of `logKey` at `size` (at most ten entries), and a fork of it from the 4th entry. */
export function trioLogs(logKey: PrivateKey): {
  honest(size: number): MemoryLog;
  forked(size: number): MemoryLog;
} {
  return {
    honest: (size) => new MemoryLog({ logKey }).append(...ENTRIES.slice(0, size)),
    forked: (size) =>
      new MemoryLog({ logKey }).append(...ENTRIES.slice(0, 3), ...ENTRIES.slice(3, size).map((e) => `${e}!`)),
  };
}

/** One fresh witness per key, each with its own state under `dir` (w1, w2, w3 in key order). */
export async function startTrio(
  dir: string,
  keys: PrivateKey[],
  logKey: PrivateKey,
): Promise<RunningWitness[]> {
  const witnesses: RunningWitness[] = [];
  for (const [i, key] of keys.entries()) {
    witnesses.push(
      await startWitness(
        { dataDir: join(dir, `w${i + 1}`), listen: '127.0.0.1:0', key, logs: [parseVkey(logKey.vkey)] },
        { logger: pino({ level: 'silent' }) },
      ),
    );
  }
  return witnesses;
}

/** A debug-level logger that hands each line to `keep`. */
export function keepingLogger(keep: (line: LogLine) => void): Logger {
  return pino({ level: 'debug' }, { write: (s: string) => keep(JSON.parse(s) as LogLine) });
}

/** ingress_ledger_ledger_witness_evidence for one witness and kind. */
export async function evidenceGauge(
  registry: Registry,
  witness: string,
  kind: string,
): Promise<number | undefined> {
  const m = await registry.getSingleMetric('ingress_ledger_ledger_witness_evidence')?.get();
  return m?.values.find((v) => v.labels.witness === witness && v.labels.kind === kind)?.value;
}

/** Cosigns `log` at its size under `policy`; true when the quorum was met. */
export async function cosignOnce(policy: string, log: MemoryLog, timeoutMs: number): Promise<boolean> {
  const c = createWitnessCosigner({
    policy: parsePolicy(policy),
    logger: pino({ level: 'silent' }),
    timeoutMs,
  });
  try {
    return (await c.cosign(log.checkpoint(), log.size, (f) => log.consistencyProof(f))) !== undefined;
  } finally {
    await c.close?.();
  }
}

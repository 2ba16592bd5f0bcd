// Test support for the witness cosigner's tests: three real witnesses on loopback (w1, w2, w3) for
// one log, fresh for each test; an honest log and a fork of it; the policy over them; a cosigner
// whose log lines and evidence gauge the test reads; and a cosigning round that moves chosen
// witnesses to a log's size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import {
  cosignatureVkey,
  generateKey,
  type PrivateKey,
  parsePolicy,
  parseVkey,
  verifyCheckpointNote,
} from '../../../packages/tlog/index.js';
import { MemoryLog } from '../../../packages/tlog/testing.js';
import { type RunningWitness, startWitness } from '../../witness/index.js';
import { createWitnessCosigner, type WitnessCosigner } from '../witness-cosigner.js';

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
function trioLogs(logKey: PrivateKey): {
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
async function startTrio(dir: string, keys: PrivateKey[], logKey: PrivateKey): Promise<RunningWitness[]> {
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
async function evidenceGauge(registry: Registry, witness: string, kind: string): Promise<number | undefined> {
  const m = await registry.getSingleMetric('ingress_ledger_ledger_witness_evidence')?.get();
  return m?.values.find((v) => v.labels.witness === witness && v.labels.kind === kind)?.value;
}

/** Cosigns `log` at its size under `policy`; true when the quorum was met. */
async function cosignOnce(policy: string, log: MemoryLog, timeoutMs: number): Promise<boolean> {
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

const NAMES = ['w1', 'w2', 'w3'];

/**
 * Three witnesses for one log. `start()` before each test gives fresh witnesses (each with its
 * own state), log lines and registry; `stop()` after each; `remove()` once at the end.
 */
export class WitnessTrio {
  readonly logKey: PrivateKey;
  readonly keys: PrivateKey[];
  /** The log at `size` (at most ten entries), and a fork of it from the 4th entry. */
  readonly honest: (size: number) => MemoryLog;
  readonly forked: (size: number) => MemoryLog;
  witnesses: RunningWitness[] = [];
  /** Every line the cosigners of this test logged. */
  readonly lines: LogLine[] = [];
  registry = new Registry();
  readonly #root: string;
  #run = 0;

  constructor(name: string) {
    this.logKey = generateKey(`example.com/${name}-log`);
    this.keys = [1, 2, 3].map((i) => generateKey(`witness.example/${name}${i}`));
    this.#root = mkdtempSync(join(tmpdir(), `il-${name}-`));
    ({ honest: this.honest, forked: this.forked } = trioLogs(this.logKey));
  }

  async start(): Promise<void> {
    this.#run++;
    this.lines.length = 0;
    this.registry = new Registry();
    this.witnesses = await startTrio(join(this.#root, `run-${this.#run}`), this.keys, this.logKey);
  }

  async stop(): Promise<void> {
    for (const w of this.witnesses) await w.close();
  }

  remove(): void {
    rmSync(this.#root, { recursive: true, force: true });
  }

  /** The policy over the three, with groups `two` (2 of 3) and `any` (1 of 3); `urls` replace witnesses' URLs by name. */
  policy(quorum: string, urls: Record<string, string> = {}): string {
    const out = [`log ${this.logKey.vkey}`];
    for (const [i, key] of this.keys.entries()) {
      const name = NAMES[i] as string;
      out.push(`witness ${name} ${cosignatureVkey(key)} ${urls[name] ?? this.witnesses[i]?.url}`);
    }
    out.push('group two 2 w1 w2 w3', 'group any 1 w1 w2 w3', `quorum ${quorum}`);
    return `${out.join('\n')}\n`;
  }

  /** A cosigner under `policy(quorum, urls)` that logs into `lines` and counts into `registry`. */
  cosigner(quorum = 'two', urls?: Record<string, string>, timeoutMs = 2000): WitnessCosigner {
    return createWitnessCosigner({
      policy: parsePolicy(this.policy(quorum, urls)),
      logger: keepingLogger((l) => this.lines.push(l)),
      registry: this.registry,
      timeoutMs,
    });
  }

  /** Has the named witnesses, and only them, cosign `log` at its size. */
  async advance(log: MemoryLog, names: string[]): Promise<void> {
    const lines = [`log ${this.logKey.vkey}`];
    for (const n of names) {
      const i = NAMES.indexOf(n);
      lines.push(`witness ${n} ${cosignatureVkey(this.keys[i] as PrivateKey)} ${this.witnesses[i]?.url}`);
    }
    lines.push(`group all ${names.length} ${names.join(' ')}`, 'quorum all');
    if (!(await cosignOnce(`${lines.join('\n')}\n`, log, 2000))) {
      throw new Error(`${names.join(', ')} did not cosign size ${log.size}`);
    }
  }

  /** `c` cosigns `log` at its size. */
  cosign(c: WitnessCosigner, log: MemoryLog): Promise<string | undefined> {
    return c.cosign(log.checkpoint(), log.size, (from) => log.consistencyProof(from));
  }

  /** The names of the witnesses that cosigned `note`, sorted. */
  cosigners(note: string | undefined): string[] {
    if (note === undefined) throw new Error('no cosigned note');
    return verifyCheckpointNote(note, parsePolicy(this.policy('two'))).cosigners.sort();
  }

  /** ingress_ledger_ledger_witness_evidence for one witness and kind. */
  gauge(witness: string, kind: string): Promise<number | undefined> {
    return evidenceGauge(this.registry, witness, kind);
  }

  /** The lines at `level` (50: error, 40: warn). */
  at(level: number): LogLine[] {
    return this.lines.filter((l) => l.level === level);
  }
}

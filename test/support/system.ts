// The whole system as separate processes, for the fault suite: nats-server (one, or a three-node
// JetStream cluster), a witness, a ledger and a collector, each started from the real executable
// on fixed loopback ports so that a killed part comes back where the others expect it. A steady
// load drives the webhook as the kube-apiserver does (batches on a schedule, a refused batch sent
// again), and the checks say what the suite promises: every event answered 2xx is in the log
// exactly once, the checkpoints are consistent (`audit --state` across the whole run), and the
// system is back to steady latency on its own.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { writeKeyFiles } from '../../packages/runtime/index.js';
import { cosignatureVkey, generateKey } from '../../packages/tlog/index.js';
import { connectLedger, type LedgerApi } from '../../services/cli/ledger-client.js';
import { CLI_BIN, type CliResult, runCli } from '../../services/cli/testing/run-cli.js';
import { ingressCreateEvent, postEvents } from '../cli-support.js';
import { freePort, haveNatsServer, type NatsServer, startNatsServer } from './nats-server.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value, or throws naming `what` after `ms`. */
export async function until<T>(ms: number, what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${ms} ms${last === undefined ? '' : ` (${last})`}`);
    await sleep(100);
  }
}

/** One role of the executable as a child process, restartable with the same arguments. */
export class ServiceProcess {
  #child: ChildProcess | undefined;
  #log = '';
  constructor(
    readonly role: string,
    readonly args: string[],
    /** The /livez, /readyz and /metrics port. */
    readonly metricsPort: number,
  ) {}

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The last of what it wrote to stderr (its structured log). */
  get log(): string {
    return this.#log;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI_BIN, this.role, ...this.args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info', NO_COLOR: '1' },
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.#log = (this.#log + d.toString()).slice(-64_000);
    });
    this.#child = child;
    const closed = new Promise((r) => child.once('close', r));
    const outcome = await until(60_000, `${this.role} live`, async () => {
      // A process that exits during its start has said why: no point waiting for the deadline.
      if (child.exitCode !== null) return 'exited';
      const res = await fetch(`http://127.0.0.1:${this.metricsPort}/livez`);
      return res.ok ? 'live' : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; its log: ${this.#log.slice(-3000)}`);
    });
    if (outcome === 'exited') {
      await closed; // all of its stderr read
      throw new Error(`${this.role} exited ${child.exitCode}: ${this.#log.slice(-3000)}`);
    }
  }

  /** SIGKILL, or another signal, and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.#child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await gone;
    clearTimeout(timer);
  }

  /** Sends a signal without waiting (SIGSTOP and SIGCONT freeze and thaw it, for a snapshot). */
  signal(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  async readyz(): Promise<{ status: number; text: string }> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`);
    return { status: res.status, text: await res.text() };
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
  }
}

/** A JetStream cluster of three local nats-servers, or one server. */
export interface NatsSet {
  urls: string;
  servers: NatsServer[];
  stop(): Promise<void>;
}

export async function startNatsSet(nodes: 1 | 3, dir: string): Promise<NatsSet> {
  if (nodes === 1) {
    const s = await startNatsServer({ storeDir: join(dir, 'nats') });
    return { urls: s.url, servers: [s], stop: () => s.stop({ removeStore: true }) };
  }
  const routes = await Promise.all([0, 1, 2].map(() => freePort()));
  const ports = await Promise.all([0, 1, 2].map(() => freePort()));
  for (const i of [0, 1, 2]) mkdirSync(join(dir, `nats-${i}`), { recursive: true });
  const routeList = routes.map((p) => `"nats://127.0.0.1:${p}"`).join(', ');
  const servers = await Promise.all(
    [0, 1, 2].map((i) =>
      startNatsServer({
        storeDir: join(dir, `nats-${i}`),
        port: ports[i] as number,
        config: `server_name: n${i}\ncluster { name: faults, listen: 127.0.0.1:${routes[i]}, routes: [${routeList}] }\n`,
      }),
    ),
  );
  return {
    urls: servers.map((s) => s.url).join(','),
    servers,
    stop: async () => {
      for (const s of servers) await s.stop({ removeStore: true });
    },
  };
}

export interface SystemOptions {
  natsNodes?: 1 | 3;
  /** The ledger's data dir, when it must live elsewhere (a small tmpfs). */
  ledgerDataDir?: string;
  ledgerArgs?: string[];
  collectorArgs?: string[];
}

export const CLUSTER = 'faults';

/** nats-server, witness, ledger and collector, each its own process, on fixed loopback ports. */
export class System {
  readonly dir = mkdtempSync(join(tmpdir(), 'il-faults-'));
  nats!: NatsSet;
  witness!: ServiceProcess;
  ledger!: ServiceProcess;
  collector!: ServiceProcess;
  grpc = '';
  webhook = '';
  readonly token = `faults-token-${Math.random().toString(36).slice(2)}0123456789`;
  readonly policyFile = join(this.dir, 'policy.txt');
  readonly stateFile = join(this.dir, 'audit.state');
  /** The ledger's data dir. */
  ledgerDir = '';

  static async start(o: SystemOptions = {}): Promise<System> {
    const s = new System();
    await s.#start(o);
    return s;
  }

  async #start(o: SystemOptions): Promise<void> {
    const f = (name: string) => join(this.dir, name);
    const log = generateKey('faults.test/log');
    const collector = generateKey(`collector/${CLUSTER}`);
    const witness = generateKey('faults.test/witness');
    writeKeyFiles(f('log'), log.skey, log.vkey);
    writeKeyFiles(f('collector'), collector.skey, collector.vkey);
    writeKeyFiles(f('witness'), witness.skey, witness.vkey);
    writeFileSync(f('collectors.vkeys'), `${collector.vkey}\n`);
    writeFileSync(f('token'), this.token, { mode: 0o600 });
    const [grpcPort, webhookPort, witnessPort, ...metricPorts] = await Promise.all(
      [0, 1, 2, 3, 4, 5].map(() => freePort()),
    );
    writeFileSync(
      this.policyFile,
      `log ${log.vkey}\nwitness w1 ${cosignatureVkey(witness)} http://127.0.0.1:${witnessPort}\nquorum w1\n`,
    );
    this.grpc = `127.0.0.1:${grpcPort}`;
    this.webhook = `http://127.0.0.1:${webhookPort}/`;
    this.nats = await startNatsSet(o.natsNodes ?? 1, this.dir);
    const ledgerDir = o.ledgerDataDir ?? f('ledger');
    this.ledgerDir = ledgerDir;
    mkdirSync(ledgerDir, { recursive: true });
    this.witness = new ServiceProcess(
      'witness',
      [
        '--data-dir',
        f('witness-state'),
        '--listen',
        `127.0.0.1:${witnessPort}`,
        '--key',
        f('witness.key'),
        '--log',
        log.vkey,
        '--metrics-listen',
        `127.0.0.1:${metricPorts[0]}`,
      ],
      metricPorts[0] as number,
    );
    this.ledger = new ServiceProcess(
      'ledger',
      [
        ...['--data-dir', ledgerDir, '--nats-url', this.nats.urls, '--grpc-listen', this.grpc],
        ...['--key', f('log.key'), '--collector-keys', f('collectors.vkeys'), '--origin', log.name],
        ...['--witness-policy', this.policyFile, '--metrics-listen', `127.0.0.1:${metricPorts[1]}`],
        ...['--checkpoint-interval', '100ms', '--witness-quorum-grace', '3s', '--ack-wait', '5s'],
        ...(o.natsNodes === 3 ? ['--stream-replicas', '3'] : []),
        ...(o.ledgerArgs ?? []),
      ],
      metricPorts[1] as number,
    );
    this.collector = new ServiceProcess(
      'collector',
      [
        ...['--cluster', CLUSTER, '--key', f('collector.key'), '--nats-url', this.nats.urls],
        ...['--webhook-listen', `127.0.0.1:${webhookPort}`, '--webhook-token-file', f('token')],
        ...['--metrics-listen', `127.0.0.1:${metricPorts[2]}`],
        ...(o.collectorArgs ?? []),
      ],
      metricPorts[2] as number,
    );
    await this.witness.start();
    await this.ledger.start();
    await this.collector.start();
    // Ready end to end (streams created, a cluster's stream leaders elected): one event taken.
    await until(60_000, 'the webhook taking a first event', async () => {
      const status = await postEvents(this.webhook, this.token, [ingressCreateEvent('warm-up', 'warm-up')]);
      return status === 200 ? true : undefined;
    });
  }

  /** A client of the ledger's gRPC API; close it when done. */
  api(): LedgerApi {
    return connectLedger(this.grpc);
  }

  /** `ingress-ledger audit` with the suite's state file: consistent with every earlier run of it. */
  audit(): Promise<CliResult> {
    return runCli(['audit', '--grpc', this.grpc, '--policy', this.policyFile, '--state', this.stateFile], {
      timeoutMs: 120_000,
    });
  }

  async stop(): Promise<void> {
    for (const p of [this.collector, this.ledger, this.witness]) await p?.kill('SIGTERM').catch(() => {});
    await this.nats?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The apiserver's side: a batch of `perBatch` Ingress events every `everyMs`; a batch that is not
 * answered 2xx (refused, failed, no connection) is sent again, as its buffer would, until stop().
 * `acked` holds every auditID of the batches answered 2xx.
 */
export class SteadyLoad {
  readonly acked = new Set<string>();
  readonly statuses = new Map<string, number>();
  #n = 0;
  #stopping = false;
  /** After stop(), refused batches are sent again until this time (epoch ms). */
  #drainUntil = Number.POSITIVE_INFINITY;
  #loop: Promise<void> | undefined;
  readonly #retrying = new Set<Promise<void>>();

  constructor(
    readonly webhook: string,
    readonly token: string,
    readonly prefix: string,
    readonly perBatch = 20,
    readonly everyMs = 50,
  ) {}

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopping) {
        const ids = Array.from({ length: this.perBatch }, (_, i) => `${this.prefix}-${this.#n}-${i}`);
        this.#n++;
        const p = this.#deliver(ids).finally(() => this.#retrying.delete(p));
        this.#retrying.add(p);
        await sleep(this.everyMs);
      }
    })();
  }

  async #deliver(ids: string[]): Promise<void> {
    const items = ids.map((id) => ingressCreateEvent(id, `app-${id.split('-').at(-2)}`));
    // Sent again until answered 2xx; after stop() only for a bounded time.
    for (let attempt = 0; ; attempt++) {
      const status = await postEvents(this.webhook, this.token, items, 30_000).catch(() => 0);
      const key = String(status);
      this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
      if (status >= 200 && status < 300) {
        for (const id of ids) this.acked.add(id);
        return;
      }
      if (this.#stopping && Date.now() > this.#drainUntil) return;
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 4)));
    }
  }

  /** Batches sent so far. */
  get batches(): number {
    return this.#n;
  }

  /**
   * Stops sending new batches and waits for the ones still being sent again, for at most
   * `drainMs` (0: give up on them at once, as for a system that was killed).
   */
  async stop(drainMs = 60_000): Promise<void> {
    this.#stopping = true;
    this.#drainUntil = Date.now() + drainMs;
    await this.#loop;
    await Promise.all([...this.#retrying]);
  }
}

const decoder = new TextDecoder();

/** Every auditID in the published log, with how often it occurs. */
export async function auditIdsInLog(api: LedgerApi): Promise<{ size: bigint; counts: Map<string, number> }> {
  const cp = await api.getCheckpoint();
  const counts = new Map<string, number>();
  for (let start = 0n; start < cp.size; ) {
    const entries = await api.getEntries(start, cp.size);
    if (entries.length === 0) throw new Error(`no entries returned from ${start}`);
    for (const e of entries) {
      const m = /"auditID":"([^"]+)"/.exec(decoder.decode(e.leaf));
      if (m !== null) counts.set(m[1] as string, (counts.get(m[1] as string) ?? 0) + 1);
    }
    start += BigInt(entries.length);
  }
  return { size: cp.size, counts };
}

/**
 * Waits until every acknowledged event is in the published log, then says which are missing and
 * which occur more than once (both empty when the promise holds).
 */
/** What the checks need of a running system: `System`, or an `up`. */
export interface Target {
  api(): LedgerApi;
  webhook: string;
  token: string;
}

export async function checkExactlyOnce(
  system: Target,
  acked: ReadonlySet<string>,
  ms = 90_000,
): Promise<{ missing: string[]; repeated: string[]; size: bigint }> {
  const api = system.api();
  try {
    let last: { size: bigint; counts: Map<string, number> } | undefined;
    await until(ms, 'every acknowledged event in a published checkpoint', async () => {
      last = await auditIdsInLog(api);
      for (const id of acked) if (!last.counts.has(id)) return undefined;
      return true;
    }).catch(() => undefined);
    const counts = last?.counts ?? new Map<string, number>();
    return {
      missing: [...acked].filter((id) => !counts.has(id)),
      repeated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
      size: last?.size ?? 0n,
    };
  } finally {
    api.close();
  }
}

/**
 * Steady latency after the faults: `probes` single batches, each answered 200 within
 * `answerMs` and in a published checkpoint within `coverMs` (nothing else is being sent).
 */
export async function probeLatency(
  system: Target,
  probes = 5,
): Promise<{ answerMs: number[]; coverMs: number[] }> {
  const api = system.api();
  const answerMs: number[] = [];
  const coverMs: number[] = [];
  try {
    for (let i = 0; i < probes; i++) {
      const before = await api.getCheckpoint();
      const t0 = performance.now();
      const status = await postEvents(system.webhook, system.token, [
        ingressCreateEvent(`probe-${Date.now()}-${i}`, 'probe'),
      ]);
      if (status !== 200) throw new Error(`probe answered ${status}`);
      const t1 = performance.now();
      answerMs.push(t1 - t0);
      await until(30_000, 'probe covered', async () =>
        (await api.getCheckpoint()).size > before.size ? true : undefined,
      );
      coverMs.push(performance.now() - t1);
    }
  } finally {
    api.close();
  }
  return { answerMs, coverMs };
}

/**
 * What the fault suite asserts after every fault: each acknowledged event is in the log exactly
 * once, `audit` (with its state across the whole run) exits 0, and a new batch is answered and
 * cosigned within 5 s with nothing done by hand.
 */
export async function assertPromiseKept(
  t: Target,
  acked: ReadonlySet<string>,
  audit: () => Promise<CliResult>,
): Promise<void> {
  const { missing, repeated } = await checkExactlyOnce(t, acked);
  assert.deepEqual(missing, [], 'every acknowledged event is in the log');
  assert.deepEqual(repeated, [], 'no event is in the log twice');
  const result = await audit();
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const latency = await probeLatency(t);
  assert.ok(Math.max(...latency.answerMs) < 5000, `answered within 5 s: ${latency.answerMs}`);
  assert.ok(Math.max(...latency.coverMs) < 5000, `cosigned within 5 s: ${latency.coverMs}`);
}

/** What a fault test holds: the running system, set before its first test. */
export interface SystemUnderTest {
  system: System;
}

/**
 * A describe block around one whole System, started before its tests and stopped after them, and
 * skipped where nats-server is not installed.
 */
export function describeSystem(
  title: string,
  o: { start?: SystemOptions; timeout?: number },
  body: (t: SystemUnderTest) => void,
): void {
  describe(title, {
    skip: haveNatsServer() ? false : 'nats-server is not installed',
    timeout: o.timeout ?? 300_000,
  }, () => {
    const t = {} as SystemUnderTest;
    before(async () => {
      t.system = await System.start(o.start);
    });
    after(async () => {
      await t.system?.stop();
    });
    body(t);
  });
}

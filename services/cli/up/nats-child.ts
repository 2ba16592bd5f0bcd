// The nats-server child process of `up`: JetStream on loopback, its store inside the data dir, and
// only the users of nats-auth.ts let in.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { CliError } from '../errors.js';
import { type NatsUser, natsServerConfig } from './nats-auth.js';

/** How long nats-server may take to accept connections. */
export const NATS_START_TIMEOUT_MS = 15_000;
/** How long it may take to stop after SIGTERM before it is killed. */
const NATS_STOP_TIMEOUT_MS = 5_000;

export const NATS_INSTALL_HINT =
  'nats-server is not on PATH: install it (Debian/Ubuntu: `apt-get install -y nats-server`, or the release ' +
  'binary from https://github.com/nats-io/nats-server/releases), or pass --nats-url of a running server';

/**
 * nats-server's warnings and errors (a refused client, by address and never with its secret; a
 * permission violation; a full disk under JetStream) reach up's stderr, at most this many a minute
 * so that a client retrying in a loop cannot flood the terminal; the rest are counted. Its
 * informational lines stay out of the way.
 */
export const NATS_ERRORS_PER_MINUTE = 10;

/** The levels of nats-server's log lines that up passes on, and how it labels them. */
const SHOWN_LEVELS: readonly { tag: string; label: string }[] = [
  { tag: '[ERR] ', label: '' },
  { tag: '[FTL] ', label: 'fatal: ' },
  { tag: '[WRN] ', label: 'warning: ' },
];

/** A feed of nats-server's stderr that hands `report` its warning and error lines, within the budget. */
export function natsErrorReporter(report: (line: string) => void, now = () => Date.now()) {
  let partial = '';
  let windowStart = now();
  let shown = 0;
  let hidden = 0;
  return (chunk: string): void => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // "[pid] date time [ERR] 127.0.0.1:53712 - cid:5 - … - authentication error …"
      let text: string | undefined;
      for (const { tag, label } of SHOWN_LEVELS) {
        const at = line.indexOf(tag);
        if (at >= 0) {
          text = label + line.slice(at + tag.length);
          break;
        }
      }
      if (text === undefined) continue;
      if (now() - windowStart >= 60_000) {
        if (hidden > 0) report(`${hidden} more errors not shown`);
        windowStart = now();
        shown = 0;
        hidden = 0;
      }
      if (shown < NATS_ERRORS_PER_MINUTE) {
        shown++;
        report(text);
      } else {
        hidden++;
      }
    }
  };
}

export interface NatsChild {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function haveNatsServer(): boolean {
  return spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A free loopback port (for nats-server, which cannot report the port it picked for -p 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The pid file of `up`'s nats-server, beside its configuration. */
export function natsPidFile(configFile: string): string {
  return join(dirname(configFile), 'nats-server.pid');
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its new parent) still answers signal 0.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
};

/**
 * The Go runtime's soft memory limit for up's nats-server, unless GOMEMLIMIT is set already. Without
 * one, Go lets its heap grow to twice what is live before it collects: over a million events the
 * server went from 208 to 449 MB; under this limit it stayed at 199-210 MB (docs/performance.md). It is soft:
 * a larger live heap costs more collection, never a failure.
 */
export const NATS_GOMEMLIMIT = '200MiB';

/**
 * Stops a nats-server that an earlier `up` on this data dir left running (an `up` killed with
 * SIGKILL cannot stop its child). The caller holds the data-dir lock, so no live `up` owns it; two
 * servers on one JetStream store would corrupt it. Only a process whose command line is
 * nats-server with this configuration file is stopped: a reused pid is left alone.
 */
export async function stopOrphanNatsServer(configFile: string, say: (line: string) => void): Promise<void> {
  const pidFile = natsPidFile(configFile);
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return;
  }
  if (!Number.isSafeInteger(pid) || pid <= 1 || !alive(pid)) {
    rmSync(pidFile, { force: true });
    return;
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return; // No /proc: cannot tell what the pid is now, so it is not touched.
  }
  if (!cmdline.includes('nats-server') || !cmdline.includes(configFile)) {
    rmSync(pidFile, { force: true });
    return;
  }
  say(`stopping nats-server pid ${pid}, left running on this data dir by an earlier up`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + NATS_STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
  rmSync(pidFile, { force: true });
}

/**
 * Starts nats-server on 127.0.0.1:`requestedPort` (0: a free port) with JetStream in `storeDir`,
 * letting in only `users`; its configuration is written (mode 0600) to `configFile` first.
 */
export async function startNatsChild(
  storeDir: string,
  configFile: string,
  requestedPort: number,
  users: NatsUser[],
  reportError: (line: string) => void = () => undefined,
): Promise<NatsChild> {
  if (!haveNatsServer()) throw new CliError('CONFIG', NATS_INSTALL_HINT);
  mkdirSync(storeDir, { recursive: true });
  await stopOrphanNatsServer(configFile, reportError);
  const port = requestedPort === 0 ? await freePort() : requestedPort;
  if (await canConnect(port))
    throw new CliError('CONFIG', `--nats-port ${port}: something already listens there`);
  writeFileSync(configFile, natsServerConfig(port, storeDir, users), { mode: 0o600 });
  chmodSync(configFile, 0o600);
  // The pid file lets the next `up` find this server if this one dies without stopping it.
  const child: ChildProcess = spawn('nats-server', ['-c', configFile, '-P', natsPidFile(configFile)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GOMEMLIMIT: process.env.GOMEMLIMIT ?? NATS_GOMEMLIMIT },
  });
  let stderr = '';
  const errors = natsErrorReporter(reportError);
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
    errors(d.toString());
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + NATS_START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new CliError(
        'CONFIG',
        `nats-server exited (${child.exitCode}): ${stderr.trim().split('\n').pop() ?? ''}`,
      );
    }
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new CliError(
        'CONFIG',
        `nats-server did not listen on port ${port} within ${NATS_START_TIMEOUT_MS} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), NATS_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

// Starts a real nats-server with JetStream on a free loopback port, storing in a temp dir.
// Used by every test that needs NATS; never a mock.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). Keeps the store unless told. */
  stop(opts?: { removeStore?: boolean }): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
  /** SIGKILL: no shutdown at all, as a crash or an OOM kill. Keeps the store. */
  kill(): Promise<void>;
  /** Starts it again after stop() or kill(). */
  start(): Promise<void>;
}

/** Whether a nats-server binary is on PATH. */
export function haveNatsServer(): boolean {
  return spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
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

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not listen on ${port} within ${deadlineMs} ms`);
}

export interface NatsServerOptions {
  storeDir?: string;
  port?: number;
  /**
   * The text of a nats-server configuration file (authorization, tls, operator mode…), written into
   * the store dir. The listen address, port, JetStream and store dir stay the command line's.
   */
  config?: string;
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), 'il-nats-'));
  const port = opts.port ?? (await freePort());
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir];
  if (opts.config !== undefined) {
    const file = join(storeDir, 'nats-server.conf');
    writeFileSync(file, opts.config);
    args.push('-c', file);
  }
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<never>((_, reject) =>
      child?.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${stderr}`))),
    );
    exited.catch(() => {});
    await Promise.race([waitForPort(port, 10_000), exited]);
  };

  const stop = async ({ removeStore = false } = {}) => {
    const c = child;
    child = undefined;
    if (c !== undefined && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    if (removeStore) rmSync(storeDir, { recursive: true, force: true });
  };

  const kill = async () => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await gone;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop,
    kill,
    start,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

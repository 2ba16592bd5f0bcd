// Test support: runs the real `ingress-ledger` executable as a child process.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** bin/ingress-ledger.js of this checkout (tests run from dist/services/cli/testing). */
export const CLI_BIN = fileURLToPath(new URL('../../../../bin/ingress-ledger.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
) {
  return new Promise<CliResult>((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      {
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        env: { ...process.env, NO_COLOR: '1', LOG_LEVEL: 'warn', ...opts.env },
      },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** The JSON lines of a --json run. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Starts the executable without waiting for it (long-running commands like `up`). */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [CLI_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the program in this process with its output captured (through output.ts's `io`): the same
 * code path as the executable without a node start-up per case. Runs are serialized.
 */
export function cli(args: readonly string[]): Promise<CliResult> {
  const next = queue.then(async () => {
    const [{ run }, { io }] = await Promise.all([import('../program.js'), import('../output.js')]);
    let stdout = '';
    let stderr = '';
    const saved = { ...io };
    io.out = (s) => {
      stdout += s;
    };
    io.err = (s) => {
      stderr += s;
    };
    try {
      const status = await run(['node', 'ingress-ledger', ...args]);
      return { status, stdout, stderr };
    } finally {
      Object.assign(io, saved);
    }
  });
  queue = next.catch(() => {});
  return next;
}

// Runs a load generator in a child process (child_process.fork), so the client's CPU is not the
// server's: the parent serves, the child calls, and the child's LoadResults come back over IPC.
import { fork } from 'node:child_process';
import type { LoadResult } from './load.js';

/** A named measurement sent from the child. */
export interface NamedResult {
  name: string;
  result: LoadResult;
}

/** Sent by the child when a named measurement window opens. */
interface Mark {
  mark: string;
}

/** A child that has not reported by then is killed; benchmarks are meant to be short. */
export const CHILD_TIMEOUT_MS = 300_000;

/**
 * Forks `modulePath` with `args` and collects every NamedResult it sends until it exits. The child
 * must call `reportToParent` for each result and exit when done; `onMark` hears `markToParent`.
 */
export function forkLoad(
  modulePath: string,
  args: string[],
  onMark?: (name: string) => void,
): Promise<NamedResult[]> {
  return new Promise((resolve, reject) => {
    const child = fork(modulePath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const results: NamedResult[] = [];
    const timer = setTimeout(() => child.kill(), CHILD_TIMEOUT_MS);
    child.on('message', (m) => {
      if (typeof (m as Partial<Mark>).mark === 'string') onMark?.((m as Mark).mark);
      else results.push(m as NamedResult);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(results);
      else reject(new Error(`load child exited with ${signal ?? code}`));
    });
  });
}

/** In the child: sends one result to the parent. */
export function reportToParent(name: string, result: LoadResult): void {
  if (process.send === undefined) throw new Error('reportToParent: not started by forkLoad');
  process.send({ name, result } satisfies NamedResult);
}

/** In the child: tells the parent that the measurement `name` starts now. */
export function markToParent(name: string): void {
  process.send?.({ mark: name } satisfies Mark);
}

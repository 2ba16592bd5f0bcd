// How every service process runs: start it, report a start failure with the right exit status, then
// run until SIGINT or SIGTERM and stop cleanly. Exit statuses follow DESIGN 6: 2 for bad usage or
// configuration (any error whose code is CONFIG), 1 for any other failure, 0 after a clean stop.
import { pino } from 'pino';

export interface StoppableService {
  close(): Promise<void>;
}

export interface RunOptions<R extends StoppableService> {
  /** Called on SIGHUP once running (a SIGHUP during the start is kept for after it). */
  reload?: (running: R) => void;
  /** Called once the service runs (e.g. to print where it listens). */
  started?: (running: R) => void;
  /** Where start failures are written (default stderr). */
  write?: (line: string) => void;
}

/** True for configuration errors: every module's error class uses the code CONFIG for them. */
export function isConfigError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'CONFIG';
}

export async function runService<R extends StoppableService>(
  name: string,
  start: () => Promise<R>,
  o: RunOptions<R> = {},
): Promise<void> {
  const write = o.write ?? ((line: string) => process.stderr.write(line));
  // An error nothing caught (a throw in a callback, a rejection nobody awaited) ends the process
  // with status 1 as Node would, but first says why in one fatal JSON line, like every other log
  // line, so that log pipelines and alerts on level see it. Written synchronously: it is the last.
  const fatal = pino({ name, level: 'fatal', base: { service: name } }, { write });
  process.on('uncaughtException', (err, origin) => {
    fatal.fatal({ err, origin }, 'uncaught error; exiting');
    process.exit(1);
  });
  let running: R | undefined;
  let reloadAsked = false;
  const reload = o.reload;
  if (reload !== undefined) {
    // SIGHUP's default action ends the process, so it is taken over before the (slow) start.
    process.on('SIGHUP', () => {
      if (running === undefined) reloadAsked = true;
      else reload(running);
    });
  }
  // One listener for the whole life of the process. Removing a listener and adding another would
  // stop and restart Node's signal watcher, and a signal caught in between is dropped: a SIGTERM
  // that arrived as the start finished was then never seen, and the process ran on.
  let requestStop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => {
    requestStop = resolve;
  });
  let stopping = false;
  const onSignal = () => {
    // A second signal while stopping means "now": the process exits without waiting.
    if (stopping) process.exit(130);
    requestStop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    running = await start();
  } catch (err) {
    write(`ingress-ledger ${name}: ${(err as Error).message}\n`);
    process.exit(isConfigError(err) ? 2 : 1);
  }
  const r = running;
  if (reloadAsked && reload !== undefined) reload(r);
  o.started?.(r);
  // A signal during the start stops the process once the start has finished.
  await stopRequested;
  stopping = true;
  try {
    await r.close();
  } catch (err) {
    write(`ingress-ledger ${name}: stopping failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.exit(0);
}

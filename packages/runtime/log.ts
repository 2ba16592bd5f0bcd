// Structured logging: JSON lines on stderr (pino). Every service takes a Logger; tests pass a silent one.
import { type Logger, pino } from 'pino';

export type { Logger };

/** Log level from LOG_LEVEL (trace, debug, info, warn, error, fatal, silent); default info. */
export const DEFAULT_LOG_LEVEL = 'info';

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? DEFAULT_LOG_LEVEL): Logger {
  return pino({ name: service, level, base: { service } }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that writes nothing (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

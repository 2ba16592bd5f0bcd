// Syslog (RFC 5424) over TCP with TLS (RFC 5425), framed by octet counting (RFC 6587 3.4.1):
// `<length> <message>`, the length in bytes. One connection, opened on first use and again after it
// breaks. Syslog has no application-level acknowledgement: an alert counts as delivered once its
// frame is written to the TLS connection, so a connection that breaks right after may lose the frames
// in flight (docs/alerts.md says so).
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import type { Alert } from '../../../packages/runtime/index.js';
import { DeliveryError, type Output } from './output.js';

/** Facility 4: security/authorization messages. */
export const SYSLOG_FACILITY = 4;
/** Our severities as syslog severities (crit, err, warning, notice). */
export const SYSLOG_SEVERITY: Record<string, number> = { critical: 2, high: 3, medium: 4, low: 5 };
export const SYSLOG_APP_NAME = 'ingress-ledger';
/** SD-ID of our structured data: RFC 5424's own example enterprise number (32473, RFC 5612). */
export const SD_ID = 'alert@32473';
const BOM = '\uFEFF';

/** PRINTUSASCII (33-126), at most `max` characters, NILVALUE when empty. */
function header(value: string, max: number): string {
  const s = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return s === '' ? '-' : s;
}

/** PARAM-VALUE: `"`, `\` and `]` escaped with a backslash (RFC 5424 6.3.3). */
const paramValue = (v: string) => v.replace(/["\\\]]/g, (c) => `\\${c}`);

/** RFC 5424 TIMESTAMP: RFC 3339 with at most 6 fraction digits; else the current time. */
export function syslogTimestamp(time: string, now = new Date()): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (m === null || !Number.isFinite(Date.parse(time))) return now.toISOString();
  return `${m[1]}${(m[2] ?? '').slice(0, 7)}${m[3]}`;
}

/** One RFC 5424 message for the alert (without framing). */
export function syslogMessage(a: Alert, raw: string, hostname: string): string {
  const pri = SYSLOG_FACILITY * 8 + (SYSLOG_SEVERITY[a.severity] ?? 4);
  const params = [
    ['id', a.id],
    ['index', String(a.index)],
    ['cluster', a.cluster],
    ['rule', a.rule],
    ['severity', a.severity],
    ['user', a.user],
    ['namespace', a.object.namespace],
    ['name', a.object.name],
  ];
  const sd = `[${SD_ID} ${params.map(([k, v]) => `${k}="${paramValue(v ?? '')}"`).join(' ')}]`;
  return `<${pri}>1 ${syslogTimestamp(a.stageTimestamp)} ${header(hostname, 255)} ${SYSLOG_APP_NAME} - ${header(a.rule, 32)} ${sd} ${BOM}${raw}`;
}

/** Octet-counting frame: the message's length in bytes, a space, the message. */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export interface SyslogOptions {
  host: string;
  port: number;
  /** PEM CA bundle that signs the server's certificate (default: the system's). */
  ca?: string;
  /** Name checked against the certificate (default: host). */
  serverName?: string;
  hostname: string;
  timeoutMs: number;
}

export function syslogOutput(o: SyslogOptions): Output {
  let socket: TLSSocket | undefined;
  let connecting: Promise<TLSSocket> | undefined;

  function open(): Promise<TLSSocket> {
    if (socket !== undefined && !socket.destroyed && socket.writable) return Promise.resolve(socket);
    connecting ??= new Promise<TLSSocket>((resolve, reject) => {
      const s = connect({
        host: o.host,
        port: o.port,
        // SNI takes a name, never an address; an address is checked against the certificate's IP SANs.
        ...(o.serverName !== undefined
          ? { servername: o.serverName }
          : isIP(o.host) === 0
            ? { servername: o.host }
            : {}),
        ...(o.ca === undefined ? {} : { ca: o.ca }),
      });
      const timer = setTimeout(
        () => s.destroy(new Error(`no TLS connection within ${o.timeoutMs}ms`)),
        o.timeoutMs,
      );
      s.once('secureConnect', () => {
        clearTimeout(timer);
        socket = s;
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      s.on('close', () => {
        if (socket === s) socket = undefined;
      });
      // The server never writes to us; anything it does is read and dropped.
      s.on('data', () => {});
    }).finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  return {
    name: 'syslog',
    async deliver(a, raw) {
      const frame = octetFrame(syslogMessage(a, raw, o.hostname));
      let s: TLSSocket;
      try {
        s = await open();
      } catch (err) {
        throw new DeliveryError(
          `syslog: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          true,
        );
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          s.destroy();
          reject(new DeliveryError(`syslog: write not done within ${o.timeoutMs}ms`, true));
        }, o.timeoutMs);
        s.write(frame, (err) => {
          clearTimeout(timer);
          if (err)
            reject(new DeliveryError(`syslog: ${(err as NodeJS.ErrnoException).code ?? err.message}`, true));
          else resolve();
        });
      });
    },
    async close() {
      socket?.end();
      socket?.destroy();
      socket = undefined;
    },
  };
}

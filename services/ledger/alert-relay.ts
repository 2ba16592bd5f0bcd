// Moves risk findings from the search index to the INGRESS_ALERTS stream, at least once.
//
// Obligations (docs/alerts.md, "Delivery"):
// - An alert is published only for an entry that is indexed (its findings committed by the search
//   follower) and inside the published, cosigned checkpoint, which the alert names; so a receiver
//   can prove the entry at once, and nothing is announced that the log could still lose.
// - The relay's position (alert_progress) moves past an entry only after the stream acknowledged
//   every alert of it (PubAck). A publish that fails is retried until it succeeds or the ledger
//   stops; the position is saved after each acknowledged range, so a kill -9 loses nothing: the
//   next start publishes the range again, and the stream's duplicate window on the alert id
//   (Nats-Msg-Id) stores each alert once.
// - It never holds up ingest: it runs on the event loop between appends, reads with the ledger's
//   connection, and its one write (the position) goes through the write gate like any other.

import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import {
  ALERT_ID_HEADER,
  ALERTS_STREAM,
  type Alert,
  alertsSubject,
  encodeAlert,
} from '../../packages/runtime/index.js';
import { alertsOfEntry, type StoredFinding } from './alert-build.js';
import type { PublishedCheckpoint } from './checkpointer.js';
import type { AlertRelayMetrics } from './metrics.js';
import { changeOfLeaf } from './search/leaf-reader.js';
import type { WriteGate } from './write-gate.js';

/** Most log entries read and published per round (one position write each). */
export const RELAY_MAX_ENTRIES = 256;
/** First pause after a failed publish; doubles up to RELAY_RETRY_MAX_MS. */
export const RELAY_RETRY_MS = 250;
export const RELAY_RETRY_MAX_MS = 10_000;
/** How long a publish waits for its PubAck. */
export const RELAY_PUBACK_TIMEOUT_MS = 5_000;

export interface AlertRelayDeps {
  db: Database.Database;
  gate: WriteGate;
  js: JetStreamClient;
  logger: Logger;
  metrics?: AlertRelayMetrics;
  /** Entries below this are indexed (the search follower's committed position). */
  indexed(): bigint;
  /** The latest published checkpoint. */
  checkpoint(): PublishedCheckpoint | undefined;
  consoleUrl?: string;
  retryMs?: number;
}

type FindingRow = StoredFinding & { idx: bigint };

export class AlertRelay {
  readonly #d: AlertRelayDeps;
  readonly #findings: Database.Statement<[bigint, bigint], FindingRow>;
  readonly #leaf: Database.Statement<[bigint], { leaf: Uint8Array }>;
  readonly #save: Database.Statement<[bigint]>;
  #position: bigint;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #wakeRetry: (() => void) | undefined;
  #idle: (() => void)[] = [];

  constructor(d: AlertRelayDeps) {
    this.#d = d;
    const db = d.db;
    db.exec('CREATE TABLE IF NOT EXISTS alert_progress (key TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    const get = db.prepare("SELECT position FROM alert_progress WHERE key = 'published'");
    get.safeIntegers(true);
    const row = get.get() as { position: bigint } | undefined;
    if (row === undefined) {
      // A ledger that had no relay before starts at what is already announced-worthy today: the
      // alerts of older entries were sent (at most once) by earlier versions, or never wanted.
      const start = this.#bound();
      d.gate.enter();
      try {
        db.prepare("INSERT INTO alert_progress (key, position) VALUES ('published', ?)").run(start);
      } finally {
        d.gate.leave();
      }
      this.#position = start;
    } else {
      this.#position = row.position;
    }
    this.#findings = db.prepare(
      'SELECT idx, rule, severity, message, path FROM search_findings WHERE idx >= ? AND idx < ? ORDER BY idx, seq',
    );
    this.#findings.safeIntegers(true);
    this.#leaf = db.prepare('SELECT leaf FROM entries WHERE idx = ?');
    this.#save = db.prepare("UPDATE alert_progress SET position = ? WHERE key = 'published'");
  }

  /** Entries below this have had every alert acknowledged by the stream. */
  get position(): bigint {
    return this.#position;
  }

  /** Entries that could be announced and are not yet. */
  lag(): bigint {
    const lag = this.#bound() - this.#position;
    return lag > 0n ? lag : 0n;
  }

  #bound(): bigint {
    const indexed = this.#d.indexed();
    const published = this.#d.checkpoint()?.size ?? 0n;
    return indexed < published ? indexed : published;
  }

  /** New entries indexed, or a new checkpoint published: publish what became announceable. */
  wake(): void {
    if (this.#stopped) return;
    this.#wakeRetry?.();
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#run()
      .catch((err: unknown) => {
        // Not expected (reads and writes are caught in the loop); the next wake starts again.
        this.#d.logger.error({ err: (err as Error).message }, 'alert relay: round failed');
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.wake();
        }
      });
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      const cp = this.#d.checkpoint();
      const bound = this.#bound();
      if (cp === undefined || this.#position >= bound) break;
      const limit = this.#position + BigInt(RELAY_MAX_ENTRIES);
      const end = bound < limit ? bound : limit;
      let alerts: Alert[];
      try {
        alerts = this.#read(this.#position, end, cp);
      } catch (err) {
        // The log's own rows are unreadable: stop here loudly rather than skip an entry.
        this.#d.logger.error(
          { err: (err as Error).message, from: String(this.#position) },
          'alert relay: read failed',
        );
        await this.#pause(failures++);
        continue;
      }
      const ok = await this.#publishAll(alerts);
      if (!ok) {
        await this.#pause(failures++);
        continue;
      }
      // The alerts are in the stream: only the save is retried, so nothing is sent again (a stop
      // meanwhile leaves the range to the next start, like a kill -9).
      while (!this.#savePosition(end)) {
        await this.#pause(failures++);
        if (this.#stopped) return;
      }
      failures = 0;
      this.#position = end;
    }
    if (this.#position >= this.#bound()) for (const fn of this.#idle.splice(0)) fn();
  }

  /** Saves the position; false (logged) when the write failed, e.g. SQLITE_FULL on a full disk. */
  #savePosition(end: bigint): boolean {
    this.#d.gate.enter();
    try {
      this.#save.run(end);
      return true;
    } catch (err) {
      this.#d.logger.error(
        { err: (err as Error).message, position: String(end) },
        'alert relay: position not saved; retrying',
      );
      return false;
    } finally {
      this.#d.gate.leave();
    }
  }

  #read(from: bigint, to: bigint, cp: PublishedCheckpoint): Alert[] {
    const byIndex = new Map<bigint, StoredFinding[]>();
    for (const r of this.#findings.all(from, to)) {
      const list = byIndex.get(r.idx) ?? [];
      list.push({ rule: r.rule, severity: r.severity, message: r.message, path: r.path });
      byIndex.set(r.idx, list);
    }
    const out: Alert[] = [];
    for (const [idx, findings] of byIndex) {
      const row = this.#leaf.get(idx);
      if (row === undefined) throw new Error(`entry ${idx} is missing`);
      out.push(...alertsOfEntry(idx, changeOfLeaf(row.leaf), findings, cp, this.#d.consoleUrl));
    }
    return out;
  }

  /** True when the stream acknowledged every alert. */
  async #publishAll(alerts: readonly Alert[]): Promise<boolean> {
    const results = await Promise.allSettled(alerts.map((a) => this.#publish(a)));
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      this.#d.metrics?.publishFailures.inc(failed.length);
      const err = (failed[0] as PromiseRejectedResult).reason as Error;
      this.#d.logger.warn(
        { err: err.message, failed: failed.length, position: String(this.#position) },
        'alert relay: alerts not acknowledged by INGRESS_ALERTS; retrying',
      );
      return false;
    }
    return true;
  }

  async #publish(a: Alert): Promise<void> {
    const h = natsHeaders();
    h.set(ALERT_ID_HEADER, a.id);
    await this.#d.js.publish(alertsSubject(a.cluster), encodeAlert(a), {
      msgID: a.id,
      headers: h,
      expect: { streamName: ALERTS_STREAM },
      timeout: RELAY_PUBACK_TIMEOUT_MS,
    });
    this.#d.metrics?.published.inc({ rule: a.rule });
  }

  #pause(failures: number): Promise<void> {
    const base = this.#d.retryMs ?? RELAY_RETRY_MS;
    const ms = Math.min(RELAY_RETRY_MAX_MS, base * 2 ** Math.min(failures, 16));
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wakeRetry = () => {
        this.#wakeRetry = undefined;
        done();
      };
    });
  }

  /** Resolves once every announceable alert is acknowledged (tests), or on stop(). */
  caughtUp(): Promise<void> {
    if (this.#stopped || this.#position >= this.#bound()) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.#idle.push(resolve));
    this.wake();
    return p;
  }

  /** Stops after the publish in flight; what was not acknowledged is published at the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wakeRetry?.();
    await this.#running;
    for (const fn of this.#idle.splice(0)) fn();
  }
}

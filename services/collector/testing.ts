// Test helpers for the collector's tests (real nats-server, real HTTP): read back what was published.
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { BODIES_STREAM, CHANGES_STREAM, REJECTED_STREAM } from '../../packages/runtime/index.js';

export interface StoredMessage {
  subject: string;
  data: Uint8Array;
  headers: Map<string, string>;
}

export class StreamReader {
  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {}

  static async connect(url: string): Promise<StreamReader> {
    const nc = await connect({ servers: url });
    return new StreamReader(nc, await jetstreamManager(nc));
  }

  async count(stream: string): Promise<number> {
    try {
      return (await this.jsm.streams.info(stream)).state.messages;
    } catch {
      return 0;
    }
  }

  async all(stream: string): Promise<StoredMessage[]> {
    const info = await this.jsm.streams.info(stream);
    const out: StoredMessage[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await this.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m === null) continue;
      const headers = new Map<string, string>();
      if (m.header !== undefined) for (const [k, v] of m.header) headers.set(k, v[0] ?? '');
      out.push({ subject: m.subject, data: m.data, headers });
    }
    return out;
  }

  changes() {
    return this.all(CHANGES_STREAM);
  }
  rejected() {
    return this.all(REJECTED_STREAM);
  }
  bodies() {
    return this.all(BODIES_STREAM);
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}

/** Polls until check() is true or the time is up. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// A canned Ledger implementation for the rpc tests: real descriptors, fixed answers, and hooks
// that record what a handler saw (aborts, closed iterators, how far a stream got).

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Ledger } from '../proto/index.js';
import { createClient } from './client.js';
import { serverCredentials } from './credentials.js';
import { listen } from './listen.js';
import { RpcError } from './rpc-error.js';
import { addService } from './server.js';
import type { StreamLimits } from './stream-limits.js';
import type { Client, ServiceImpl } from './types.js';

export const CANNED_ROOT = new Uint8Array(32).fill(7);
export const CANNED_CHECKPOINT = {
  origin: 'example.com/ledger',
  size: 42n,
  rootHash: CANNED_ROOT,
  note: 'example.com/ledger\n42\nBwcH\n\n— example.com/ledger AAAA\n',
};

/** Observations a test waits on. */
export class Probe {
  aborted = 0;
  closed = 0;
  produced = 0;
  private waiters: Array<() => void> = [];
  bump(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves when `cond` holds, rejecting after `ms`. */
  async until(cond: () => boolean, ms = 5000): Promise<void> {
    const limit = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > limit) throw new Error('probe: condition not met in time');
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), sleep(20)]);
    }
  }
}

function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Failure modes picked by the "x-mode" request header. */
function mode(md: grpc.Metadata): string {
  const v = md.get('x-mode')[0];
  return typeof v === 'string' ? v : '';
}

export function testLedger(probe: Probe): ServiceImpl<typeof Ledger> {
  const track = (signal: AbortSignal) =>
    signal.addEventListener('abort', () => {
      probe.aborted++;
      probe.bump();
    });
  return {
    async getCheckpoint(_req, ctx) {
      track(ctx.signal);
      switch (mode(ctx.metadata)) {
        case 'rpc-error':
          throw new RpcError(grpc.status.NOT_FOUND, 'no such checkpoint');
        case 'plain-error':
          throw new Error('secret: /var/lib/ledger/db.sqlite is corrupt');
        case 'bad-code':
          throw new RpcError(grpc.status.OK, 'not an error');
        case 'slow':
          return waitForAbort(ctx.signal);
        case 'bad-response':
          // A field of the wrong type: serialization must fail inside the handler, not leak.
          return { size: 'forty-two' as unknown as bigint };
        default:
          return CANNED_CHECKPOINT;
      }
    },
    async getInclusionProof(req) {
      if (req.leaf.case === 'leafHash' && req.leaf.value.length !== 32) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, 'leaf_hash: want 32 bytes');
      }
      const index = req.leaf.case === 'index' ? req.leaf.value : 0n;
      if (index >= 42n) throw new RpcError(grpc.status.OUT_OF_RANGE, `index ${index} >= tree size 42`);
      return { index, treeSize: 42n, hashes: [CANNED_ROOT, CANNED_ROOT] };
    },
    async getConsistencyProof(req) {
      return { fromSize: req.fromSize, toSize: req.toSize, hashes: [] };
    },
    async getEntries(req) {
      const entries = [];
      for (let i = req.start; i < req.end && i < req.start + 10n; i++)
        entries.push({ index: i, leaf: new Uint8Array(8) });
      return { entries };
    },
    async searchEntries() {
      return { results: [], nextPageToken: '' };
    },
    async getObjectHistory() {
      return { versions: [] };
    },
    async *watchEntries(req, ctx) {
      track(ctx.signal);
      const leaf = new Uint8Array(1024).fill(1);
      try {
        // from_index bounds the stream for finite tests; 0 means forever.
        const end = req.fromIndex === 0n ? -1n : req.fromIndex;
        for (let i = 0n; i !== end; i++) {
          probe.produced++;
          yield { index: i, leaf };
        }
      } finally {
        probe.closed++;
        probe.bump();
      }
    },
    async *watchCheckpoints(_req, ctx) {
      track(ctx.signal);
      try {
        if (mode(ctx.metadata) === 'fail-after-one') {
          yield CANNED_CHECKPOINT;
          throw new Error('secret: stream broke');
        }
        while (!ctx.signal.aborted) {
          probe.produced++;
          yield CANNED_CHECKPOINT;
          await sleep(10);
        }
      } finally {
        probe.closed++;
        probe.bump();
      }
    },
  };
}

/** A loopback server of testLedger with a client, the log lines and observe() calls it produced. */
export interface TestLedger {
  port: number;
  client: Client<typeof Ledger> & { close(): void };
  probe: Probe;
  logged: string[];
  observed: Array<[string, grpc.status]>;
  close(): void;
}

export async function startTestLedger(opts: { streams?: StreamLimits } = {}): Promise<TestLedger> {
  const probe = new Probe();
  const logged: string[] = [];
  const observed: Array<[string, grpc.status]> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logged.push(String(chunk));
      cb();
    },
  });
  const server = new grpc.Server();
  addService(server, Ledger, testLedger(probe), {
    logger: pino({ level: 'error' }, sink),
    observe: (method, code) => observed.push([method, code]),
    ...(opts.streams !== undefined ? { streams: opts.streams } : {}),
  });
  const port = await listen(server, '127.0.0.1:0', serverCredentials());
  const client = createClient(Ledger, `127.0.0.1:${port}`);
  return {
    port,
    client,
    probe,
    logged,
    observed,
    close() {
      client.close();
      server.forceShutdown();
    },
  };
}

/** Request metadata selecting a failure mode of testLedger. */
export function withMode(m: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-mode', m);
  return md;
}

/** Awaits `p` and asserts it failed with an RpcError of `code`; returns the error. */
export async function rejectsWith(p: Promise<unknown>, code: grpc.status): Promise<RpcError> {
  try {
    await p;
  } catch (err: unknown) {
    assert.ok(err instanceof RpcError, `want RpcError, got ${String(err)}`);
    assert.equal(err.code, code, `want ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.message}`);
    return err;
  }
  assert.fail(`want ${grpc.status[code]}, the call succeeded`);
}

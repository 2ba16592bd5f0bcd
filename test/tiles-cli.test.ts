// `audit`, `prove` and `verify` with --tiles (DESIGN 10), against a real ledger's read path over
// HTTP and against a directory mirror of it (what an export holds). One changed byte in any tile,
// bundle or body fails the audit (exit 1) naming the index, and consistency with --state is proven
// from the tiles. The log is small (audits of large logs take long on a shared machine): the
// checks of tiles on three levels are in services/cli/audit/tiles-source.test.ts, and the served
// layout of a 100,000-entry log in services/ledger/tiles-http.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { bodyRefsOfLeaf } from '../packages/change/index.js';
import { changesSubject, silentLogger } from '../packages/runtime/index.js';
import { fetchCheckpointNote, openTiles, TileLog } from '../packages/tiles-client/index.js';
import {
  entriesPath,
  parseCheckpoint,
  parseNote,
  TILE_HEIGHT,
  tilePath,
  tileWidth,
} from '../packages/tlog/index.js';
import { cli, jsonLines } from '../services/cli/testing/run-cli.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import {
  type KeySetup,
  ledgerSettings,
  makeChange,
  setupKeys,
  signChange,
  stopLedgerRig,
} from './ledger-fixtures.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';
import { type BuiltLog, buildSignedStore } from './tiles-fixtures.js';

const skip = haveNatsServer() ? false : 'no nats-server';
const SIZE = 5_000;
const withBody = (i: number) => i % 997 === 7;

/** Copies the published layout at the current checkpoint into `dir`, as an export would. */
async function mirror(base: string, dir: string): Promise<bigint> {
  const fetcher = openTiles(base);
  try {
    const note = await fetchCheckpointNote(fetcher);
    const size = parseCheckpoint(parseNote(note).text).size;
    const log = new TileLog(fetcher, size);
    const put = (path: string, bytes: Uint8Array) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
    };
    put('checkpoint', new TextEncoder().encode(note));
    for (let level = 0; size >> BigInt(level * TILE_HEIGHT) > 0n; level++) {
      for (let n = 0n; tileWidth(level, n, size) > 0; n++) {
        put(tilePath(level, n, tileWidth(level, n, size)), await log.hashTile(level, n));
      }
    }
    for (let n = 0n; tileWidth(0, n, size) > 0; n++) {
      const width = tileWidth(0, n, size);
      const bytes = await fetcher.fetch(entriesPath(n, width), 1 << 25);
      put(entriesPath(n, width), bytes ?? new Uint8Array());
      for (const leaf of await log.entryBundle(n)) {
        for (const ref of bodyRefsOfLeaf(leaf)) {
          put(`bodies/${ref.sha256}`, (await log.body(ref.sha256)) ?? new Uint8Array());
        }
      }
    }
    return size;
  } finally {
    fetcher.close();
  }
}

interface Failure {
  code: string;
  index?: number;
  message: string;
}

describe('audit, prove and verify with --tiles', { skip, timeout: 280_000 }, () => {
  let nats: NatsServer;
  let keys: KeySetup;
  let ledger: RunningLedger;
  let built: BuiltLog;
  let base = '';
  let dir = '';
  let policy = '';

  const audit = async (tiles: string, extra: string[] = []) => {
    const r = await cli([
      'audit',
      '--tiles',
      tiles,
      '--policy',
      policy,
      '--collector-vkey',
      keys.collectors.get('c1')?.vkey ?? '',
      '--workers',
      '2',
      '--json',
      ...extra,
    ]);
    const out = jsonLines(r.stdout).at(-1) ?? {};
    return { ...r, out, failures: (out.failures ?? []) as Failure[] };
  };

  /** Changes one byte of a file in the mirror for the duration of `fn`. */
  const tampered = async (rel: string, at: number, fn: () => Promise<void>) => {
    const file = join(dir, rel);
    const original = readFileSync(file);
    const changed = Buffer.from(original);
    changed[at] = (changed[at] ?? 0) ^ 0x01;
    writeFileSync(file, changed);
    try {
      await fn();
    } finally {
      writeFileSync(file, original);
    }
  };

  before(async () => {
    nats = await startNatsServer();
    keys = setupKeys('ledger.test/tiles-cli', ['c1']);
    built = buildSignedStore(join(keys.dir, 'data'), keys.collectors.get('c1')!, 'c1', SIZE, withBody);
    ledger = await startLedger(
      ledgerConfig(
        ledgerSettings(keys, nats.url, {
          'http-listen': '127.0.0.1:0',
          'checkpoint-interval': '100ms',
          search: 'off',
          'verify-workers': '1',
        }),
      ),
      { logger: silentLogger() },
    );
    base = ledger.tilesUrl ?? '';
    dir = join(keys.dir, 'mirror');
    assert.equal(await mirror(base, dir), BigInt(SIZE));
    policy = join(keys.dir, 'policy');
    writeFileSync(policy, `log ${keys.logKey.vkey}\nquorum none\n`);
  });
  after(async () => {
    await stopLedgerRig({ ledger, nats, dir: keys.dir });
  });

  it('audits the served tiles clean, and a directory mirror of them', async () => {
    const url = await audit(base);
    assert.equal(url.status, 0, url.stderr);
    assert.equal(url.out.size, SIZE);
    assert.equal(url.out.checked, SIZE);
    assert.equal(url.out.collectorSignatures, 'verified');
    const fromDir = await audit(dir, ['--state', join(keys.dir, 'dir.state')]);
    assert.equal(fromDir.status, 0, fromDir.stderr);
    assert.equal(fromDir.out.checked, SIZE);
    assert.ok(built.bodies.size >= 5);
  });

  it('fails on one changed byte of a level-0 hash tile, naming the entry', async () => {
    await tampered('tile/0/017', 5 * 32 + 3, async () => {
      const r = await audit(dir);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(
        r.failures.some((f) => f.index === 17 * 256 + 5 && f.code === 'ENTRY'),
        JSON.stringify(r.failures),
      );
    });
  });

  it('fails on one changed byte of a level-1 hash tile, naming the first entry under it', async () => {
    await tampered('tile/1/000.p/19', 7 * 32, async () => {
      const r = await audit(dir);
      assert.equal(r.status, 1, r.stderr);
      assert.deepEqual(
        r.failures.map((f) => [f.code, f.index]),
        [['TILE', 7 * 256]],
      );
    });
  });

  it('fails on one changed byte of an entry bundle or a body, naming the entry', async () => {
    // Bundle 3's entry 0 starts after its 2-byte length: byte 40 is inside its change JSON.
    await tampered('tile/entries/003', 40, async () => {
      const r = await audit(dir);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(
        r.failures.some((f) => f.index === 3 * 256),
        JSON.stringify(r.failures),
      );
    });
    const [sha] = [...built.bodies.keys()];
    await tampered(`bodies/${sha}`, 2, async () => {
      const r = await audit(dir);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(
        r.failures.some((f) => f.index === 7 && f.code === 'ENTRY'),
        JSON.stringify(r.failures),
      );
    });
  });

  it('fails when a tile is missing or truncated, naming where', async () => {
    await tampered('tile/entries/017', 0, async () => {
      writeFileSync(
        join(dir, 'tile/entries/017'),
        readFileSync(join(dir, 'tile/entries/017')).subarray(0, 100),
      );
      const r = await audit(dir);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(
        r.failures.some((f) => f.index === 17 * 256),
        JSON.stringify(r.failures),
      );
    });
    await tampered('tile/0/003', 0, async () => {
      rmSync(join(dir, 'tile/0/003'));
      const r = await audit(dir);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(
        r.failures.some((f) => f.index === 3 * 256),
        JSON.stringify(r.failures),
      );
    });
  });

  it('checks a grown log against --state through a consistency proof from the tiles', async () => {
    const state = join(keys.dir, 'grow.state');
    const first = await audit(dir, ['--state', state]);
    assert.equal(first.status, 0, first.stderr);
    const nc = await connect({ servers: nats.url });
    try {
      const js = jetstream(nc);
      for (let i = 0; i < 300; i++) {
        await js.publish(
          changesSubject('c1'),
          signChange(makeChange('c1', `grow-${i}`), keys.collectors.get('c1')!),
          {
            msgID: `c1/grow-${i}`,
          },
        );
      }
    } finally {
      await nc.close();
    }
    const until = Date.now() + 60_000;
    for (;;) {
      const note = await (await fetch(`${base}/checkpoint`)).text();
      if (parseCheckpoint(parseNote(note).text).size === BigInt(SIZE + 300)) break;
      assert.ok(Date.now() < until, 'no checkpoint of the grown log');
      await new Promise((r) => setTimeout(r, 100));
    }
    const grown = await audit(base, ['--state', state, '--resume']);
    assert.equal(grown.status, 0, grown.stderr);
    assert.equal(grown.out.trustedSize, SIZE);
    assert.equal(grown.out.checked, 300);
    // The mirror is now behind the trusted state: a log that shrank.
    const behind = await audit(dir, ['--state', state]);
    assert.equal(behind.status, 1);
    assert.equal(behind.failures[0]?.code, 'ROLLBACK');
  });

  it('proves an entry from the tiles, and verifies it from the files or from the tiles alone', async () => {
    const out = join(keys.dir, 'entry-7');
    const prove = await cli(['prove', '--tiles', base, '--index', '7', '--out', out, '--policy', policy]);
    assert.equal(prove.status, 0, prove.stderr);
    const vkey = keys.collectors.get('c1')?.vkey ?? '';
    const files = await cli([
      'verify',
      '--policy',
      policy,
      '--proof',
      `${out}.tlog-proof`,
      '--leaf',
      `${out}.leaf`,
      '--collector-vkey',
      vkey,
    ]);
    assert.equal(files.status, 0, files.stderr);
    for (const tiles of [base, dir]) {
      for (const index of ['0', '7', '4351', String(SIZE - 1)]) {
        const r = await cli([
          'verify',
          '--policy',
          policy,
          '--tiles',
          tiles,
          '--index',
          index,
          '--collector-vkey',
          vkey,
        ]);
        assert.equal(r.status, 0, `${tiles} ${index}: ${r.stderr}`);
      }
    }
    await tampered('tile/entries/000', 40, async () => {
      const r = await cli([
        'verify',
        '--policy',
        policy,
        '--tiles',
        dir,
        '--index',
        '0',
        '--collector-vkey',
        vkey,
      ]);
      assert.equal(r.status, 1, r.stderr);
    });
    // Index 0's proof reads node (8, 1): hash 1 of tile 1/000.p/19.
    await tampered('tile/1/000.p/19', 32, async () => {
      const r = await cli(['verify', '--policy', policy, '--tiles', dir, '--index', '0']);
      assert.equal(r.status, 1, r.stderr);
    });
  });

  it('refuses bad usage with exit 2', async () => {
    const cases: string[][] = [
      ['audit', '--policy', policy, '--tiles', base, '--grpc', ledger.grpcAddress],
      ['audit', '--policy', policy],
      ['audit', '--policy', policy, '--tiles', join(keys.dir, 'no-such-dir')],
      ['audit', '--policy', policy, '--tiles', 'ftp://example.com/tiles'],
      ['audit', '--policy', policy, '--tiles', 'http://127.0.0.1:1/tiles'],
      ['verify', '--policy', policy, '--tiles', dir],
      ['verify', '--policy', policy, '--tiles', dir, '--index', String(SIZE + 1000)],
      ['verify', '--policy', policy, '--tiles', dir, '--index', '1', '--leaf', 'x'],
      ['prove', '--tiles', dir, '--cluster', 'c1', '--bundle', join(keys.dir, 'b'), '--policy', policy],
    ];
    for (const args of cases) {
      const r = await cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout} ${r.stderr}`);
    }
  });
});

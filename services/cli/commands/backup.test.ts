// `ingress-ledger backup` on ledger databases written by the ledger's own LogStore, then on the
// files an operator should never see there: garbage, a truncated copy, an empty file, another
// application's SQLite, and a log whose stored hashes or checkpoint were altered.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { formatCheckpoint, generateKey, leafHash, signNote } from '../../../packages/tlog/index.js';
import { DB_FILE, LogStore } from '../../ledger/store.js';
import { cli, jsonLines } from '../testing/run-cli.js';

const ORIGIN = 'backup.test/log';
const key = generateKey(ORIGIN);

/** A ledger data dir holding `n` entries and, unless `sign` is false, a checkpoint of them. */
function ledgerDir(root: string, name: string, n: number, sign = true): string {
  const dir = join(root, name);
  const store = new LogStore(dir);
  try {
    const items = Array.from({ length: n }, (_, i) => {
      const leaf = new TextEncoder().encode(`entry ${i} `.padEnd(1500, '.'));
      return { leaf, leafHash: leafHash(leaf), identity: `c1/${name}-${i}`, bodies: new Map() };
    });
    for (let i = 0; i < n; i += 100) store.append(items.slice(i, i + 100));
    if (sign) {
      const note = signNote(
        formatCheckpoint({ origin: ORIGIN, size: store.size, rootHash: store.root(), extensions: [] }),
        key,
      );
      store.addCheckpoint({ size: store.size, note });
    }
  } finally {
    store.close();
  }
  return dir;
}

/** Runs SQL on a ledger database with its append-only triggers dropped, as an attacker could. */
function tamper(dir: string, sql: string): void {
  const db = new Database(join(dir, DB_FILE));
  try {
    for (const name of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all())
      db.exec(`DROP TRIGGER "${String(name)}"`);
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe('ingress-ledger backup', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'il-backup-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('when the database is a good ledger', () => {
    it('writes a 0600 copy that re-derives the checkpoint, and says so on one line', async () => {
      const dir = ledgerDir(root, 'good', 1000);
      const out = join(root, 'good.sqlite');
      const r = await cli(['backup', '--data-dir', dir, '--out', out]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^backup: .*tree size 1000, [0-9,]+ bytes, checkpoint 1000 re-derived/);
      assert.equal(r.stdout.trim().split('\n').length, 1);
      assert.equal(statSync(out).mode & 0o777, 0o600);
      assert.deepEqual(
        readdirSync(root).filter((f) => f.includes('.tmp')),
        [],
        'no temp file left',
      );
      const copy = new Database(out, { readonly: true });
      const size = copy.prepare('SELECT count(*) FROM entries').pluck().get();
      copy.close();
      assert.equal(size, 1000);
    });

    it('prints JSON with --json, refuses an existing --out, and replaces it with --force', async () => {
      const dir = ledgerDir(root, 'json', 300);
      const out = join(root, 'json.sqlite');
      writeFileSync(out, 'keep me');
      const refused = await cli(['backup', '--data-dir', dir, '--out', out, '--json']);
      assert.equal(refused.status, 2);
      assert.equal(readFileSync(out, 'utf8'), 'keep me');
      const r = await cli(['backup', '--data-dir', dir, '--out', out, '--json', '--force']);
      assert.equal(r.status, 0, r.stderr);
      const j = jsonLines(r.stdout)[0] as {
        ok: boolean;
        treeSize: number;
        bytes: number;
        checkpoint: { size: number; origin: string };
      };
      assert.equal(j.ok, true);
      assert.equal(j.treeSize, 300);
      assert.equal(j.checkpoint.size, 300);
      assert.equal(j.checkpoint.origin, ORIGIN);
      assert.equal(j.bytes, statSync(out).size);
    });

    it('copies a log that has signed no checkpoint yet, with nothing to check', async () => {
      const dir = ledgerDir(root, 'unsigned', 5, false);
      const r = await cli(['backup', '--data-dir', dir, '--out', join(root, 'unsigned.sqlite'), '--json']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(jsonLines(r.stdout)[0]?.checkpoint, null);
    });
  });

  describe('when the copy does not re-derive the checkpoint', () => {
    const cases = [
      [
        'a stored node hash was changed',
        'UPDATE nodes SET hash = zeroblob(32) WHERE id = (SELECT min(id) FROM nodes)',
      ],
      ['a leaf hash was changed', 'UPDATE entries SET leaf_hash = zeroblob(32) WHERE idx = 7'],
      ['a stored node is gone', 'DELETE FROM nodes WHERE id = (SELECT max(id) FROM nodes)'],
      [
        'a node hash has the wrong length',
        'UPDATE nodes SET hash = zeroblob(31) WHERE id = (SELECT max(id) FROM nodes)',
      ],
      [
        'the checkpoint claims more than the tree holds',
        'UPDATE tree_state SET size = 1 WHERE size = (SELECT max(size) FROM tree_state)',
      ],
    ] as const;
    for (const [what, sql] of cases) {
      it(`${what}: exit 1 and nothing written`, async () => {
        const dir = ledgerDir(root, `bad-${what.replaceAll(' ', '-')}`, 700);
        tamper(dir, sql);
        const out = join(root, `bad-${what.replaceAll(' ', '-')}.sqlite`);
        const r = await cli(['backup', '--data-dir', dir, '--out', out, '--json']);
        assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
        assert.equal((jsonLines(r.stdout)[0]?.error as { code?: string } | undefined)?.code, 'VERIFY_FAILED');
        assert.equal(existsSync(out), false);
        assert.deepEqual(
          readdirSync(root).filter((f) => f.includes('.tmp')),
          [],
        );
      });
    }
  });

  describe('when the data directory does not hold a ledger database', () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      ['random bytes', (d) => writeFileSync(join(d, DB_FILE), Buffer.alloc(100_000, 0x5a)), /SQLITE_NOTADB/],
      ['an empty file', (d) => writeFileSync(join(d, DB_FILE), ''), /not a ledger database/],
      [
        "another application's SQLite",
        (d) => {
          const db = new Database(join(d, DB_FILE));
          db.exec('CREATE TABLE notes (t TEXT)');
          db.close();
        },
        /not a ledger database \(no table entries/,
      ],
      ['no database at all', () => {}, /no ledger\.sqlite here/],
      ['a directory in its place', (d) => mkdirSync(join(d, DB_FILE)), /no ledger\.sqlite here/],
    ];
    for (const [what, make, message] of cases) {
      it(`${what}: exit 2 with a clear message`, async () => {
        const dir = join(root, `hostile-${what.replaceAll(' ', '-')}`);
        mkdirSync(dir);
        make(dir);
        const out = join(root, `hostile-${what.replaceAll(' ', '-')}.sqlite`);
        const r = await cli(['backup', '--data-dir', dir, '--out', out]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
        assert.equal(existsSync(out), false);
      });
    }

    for (const keep of [16_384, 0.5, 0.99]) {
      it(`a ledger database truncated to ${keep < 1 ? `${keep * 100}%` : `${keep} bytes`}: exit 2`, async () => {
        const good = ledgerDir(root, `whole-${keep}`, 2000);
        const bytes = readFileSync(join(good, DB_FILE));
        const dir = join(root, `truncated-${keep}`);
        mkdirSync(dir);
        writeFileSync(
          join(dir, DB_FILE),
          bytes.subarray(0, keep < 1 ? Math.floor(bytes.length * keep) : keep),
        );
        const out = join(root, `truncated-${keep}.sqlite`);
        const r = await cli(['backup', '--data-dir', dir, '--out', out]);
        assert.equal(r.status, 2, `${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /SQLITE_CORRUPT|damaged/);
        assert.equal(existsSync(out), false);
      });
    }
  });

  describe('when called wrong', () => {
    it('exits 2 for a missing --data-dir, a missing --out directory, or --out naming the database', async () => {
      const dir = ledgerDir(root, 'usage', 10);
      const runs = [
        ['backup', '--data-dir', join(root, 'nope'), '--out', join(root, 'x.sqlite')],
        ['backup', '--data-dir', dir, '--out', join(root, 'no-such-dir', 'x.sqlite')],
        ['backup', '--data-dir', dir, '--out', join(dir, DB_FILE), '--force'],
        ['backup', '--data-dir', dir, '--out', join(dir, `${DB_FILE}-wal`), '--force'],
        ['backup', '--data-dir', dir, '--out', join(dir, 'ingress-ledger.lock'), '--force'],
        ['backup', '--data-dir', dir],
      ];
      for (const args of runs) {
        const r = await cli(args);
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      }
      assert.equal(statSync(join(dir, DB_FILE)).isFile(), true);
    });
  });
});

// A witness accepts a log it did not write: the Tessera golden log (../shared/testdata), its
// checkpoints 0..15 in order, with consistency proofs computed here from its entry bundle. Our own
// small log is covered the same way so the behaviour is tested when the shared data is absent.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../packages/runtime/index.js';
import {
  cosignatureVerifier,
  formatAddCheckpoint,
  generateKey,
  openNote,
  parseVkey,
} from '../../packages/tlog/index.js';
import { MemoryLog } from '../../packages/tlog/testing.js';
import { SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import { startWitness } from './service.js';

const GOLDEN_VKEY = 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx';
const golden = sharedTestdata('tessera-golden-log');

/** Entries of a tlog-tiles entry bundle: big-endian u16 length, then the bytes, each. */
function bundleEntries(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    assert.ok(at + 2 <= bytes.length, 'truncated bundle');
    const n = (bytes[at]! << 8) | bytes[at + 1]!;
    at += 2;
    assert.ok(at + n <= bytes.length, 'truncated entry');
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

async function post(url: string, body: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return { status: res.status, body: await res.text() };
}

/** Feeds checkpoints of the given sizes in order; each must be cosigned by a verifiable line. */
async function feed(
  log: MemoryLog,
  vkey: string,
  notes: Map<bigint, string>,
  sizes: bigint[],
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'witness-golden-'));
  const key = generateKey('witness.example/golden');
  const w = await startWitness(
    { dataDir: dir, listen: '127.0.0.1:0', key, logs: [parseVkey(vkey)] },
    { logger: silentLogger() },
  );
  try {
    let old = 0n;
    for (const size of sizes) {
      const note = notes.get(size)!;
      const r = await post(w.url, formatAddCheckpoint(old, log.consistencyProof(old, size), note));
      assert.equal(r.status, 200, `size ${size}: ${r.body}`);
      assert.equal(openNote(note + r.body, [cosignatureVerifier(w.vkey)]).verified.length, 1);
      old = size;
    }
  } finally {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the witness and a log written by another implementation', () => {
  it('cosigns the Tessera golden log checkpoints 0..15 in order', {
    skip: golden ? false : SHARED_MISSING,
  }, async () => {
    const dir = golden!;
    const entries = bundleEntries(readFileSync(join(dir, 'log/tile/entries/000.p/15')));
    assert.equal(entries.length, 15);
    assert.equal(new TextDecoder().decode(entries[7]), 'eit');
    // The log's key is only needed for our MemoryLog's type; the notes are Tessera's own bytes.
    const log = new MemoryLog({ logKey: generateKey('example.com/log/testdata') }).append(...entries);
    const notes = new Map<bigint, string>();
    for (let n = 0n; n <= 15n; n++) notes.set(n, readFileSync(join(dir, `log/checkpoint.${n}`), 'utf8'));
    // Our tree must agree with theirs before the witness is asked anything.
    for (const [n, note] of notes) {
      assert.equal(note.split('\n')[2], Buffer.from(log.root(n)).toString('base64'), `root at ${n}`);
    }
    await feed(log, GOLDEN_VKEY, notes, [...notes.keys()]);
  });

  it('cosigns our own log of 15 entries, every size and then in jumps', async () => {
    const log = new MemoryLog({ logKey: generateKey('example.com/own-log') });
    const notes = new Map<bigint, string>();
    notes.set(0n, log.checkpoint());
    for (let i = 1; i <= 15; i++) notes.set(BigInt(i), log.append(`entry ${i}`).checkpoint());
    await feed(log, log.key.vkey, notes, [...notes.keys()]);
    await feed(log, log.key.vkey, notes, [1n, 2n, 4n, 7n, 8n, 13n, 15n]);
  });
});

// One witness's add-checkpoint exchange (WitnessExchange over the real HTTP poster) against a real
// witness (services/witness) on loopback: first contact, growth with a consistency proof, a 409
// adopted after a restart, and each refusal named by its failure code.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../packages/runtime/index.js';
import {
  cosignatureVerifier,
  cosignatureVkey,
  generateKey,
  parseNote,
  parseSignatureLines,
  parseVkey,
} from '../../packages/tlog/index.js';
import { MemoryLog } from '../../packages/tlog/testing.js';
import { freePort } from '../../test/support/nats-server.js';
import { type RunningWitness, startWitness } from '../witness/index.js';
import { createWitnessPoster, type WitnessPoster } from './witness-http.js';
import { WitnessExchange, type WitnessResult } from './witness-protocol.js';

const log = new MemoryLog({ logKey: generateKey('example.com/protocol-log') });
const witnessKey = generateKey('witness.example/w1');
const vkey = cosignatureVkey(witnessKey);

/** Asks `exchange` to cosign the checkpoint of `l` at its current size. */
function ask(exchange: WitnessExchange, l: MemoryLog = log): Promise<WitnessResult> {
  const note = l.checkpoint();
  return exchange.addCheckpoint(parseNote(note), note, l.size, (from) => l.consistencyProof(from));
}

function failure(r: WitnessResult): string | undefined {
  return 'failure' in r ? r.failure : undefined;
}

describe('the add-checkpoint exchange with a real witness', () => {
  let dir: string;
  let witness: RunningWitness;
  let poster: WitnessPoster;
  const exchange = (key = vkey, url = witness.url) => new WitnessExchange('w1', url, key, poster.post);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-witness-protocol-'));
    witness = await startWitness(
      { dataDir: dir, listen: '127.0.0.1:0', key: witnessKey, logs: [parseVkey(log.key.vkey)] },
      { logger: silentLogger() },
    );
    poster = createWitnessPoster(2000);
  });
  after(async () => {
    poster?.close();
    await witness?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is cosigned on first contact, and then with a consistency proof from the size cosigned', async () => {
    const w = exchange();
    log.append('a', 'b', 'c');
    const first = await ask(w);
    assert.ok('cosignature' in first, JSON.stringify(first));
    const [sig] = parseSignatureLines(first.cosignature);
    const verifier = cosignatureVerifier(vkey);
    assert.equal(sig?.name, verifier.name);
    assert.ok(verifier.verify(new TextEncoder().encode(parseNote(log.checkpoint()).text), sig.signature));
    assert.equal(w.old, 3n);
    log.append('d', 'e');
    assert.ok('cosignature' in (await ask(w)));
    assert.equal(w.old, 5n);
  });

  it('adopts the size a witness holds (409) when it starts from 0 again, and is cosigned', async () => {
    const w = exchange();
    log.append('f');
    assert.ok('cosignature' in (await ask(w)));
    assert.equal(w.old, log.size);
  });

  it('does not send a size below the one the witness cosigned (rollback)', async () => {
    const w = exchange();
    log.append('g');
    await ask(w);
    const shorter = new MemoryLog({ logKey: log.key }).append('a', 'b');
    assert.equal(failure(await ask(w, shorter)), 'rollback');
  });

  it('names a fork: the same size with another root', async () => {
    const fork = new MemoryLog({ logKey: log.key });
    for (let i = 0n; i < log.size; i++) fork.append(`other ${i}`);
    assert.equal(failure(await ask(exchange(), fork)), 'fork');
  });

  it('names a log the witness does not know', async () => {
    const stranger = new MemoryLog({ logKey: generateKey('example.com/stranger') }).append('a');
    assert.equal(failure(await ask(exchange(), stranger)), 'unknown_origin');
  });

  it('merges nothing signed by a key other than the policy names', async () => {
    log.append('h');
    assert.equal(
      failure(await ask(exchange(cosignatureVkey(generateKey('witness.example/w1'))))),
      'bad_cosignature',
    );
  });

  it('names a witness that does not listen', async () => {
    assert.equal(failure(await ask(exchange(vkey, `http://127.0.0.1:${await freePort()}`))), 'unreachable');
  });

  it('refuses a URL that is not http or https', () => {
    assert.throws(() => exchange(vkey, 'ftp://127.0.0.1'), { code: 'BAD_POLICY' });
  });
});

// The browser's verdicts, on the pure-JS provider the browser uses (and node:crypto, which must
// agree): an honest entry verifies, and each way a server could lie is a failure with its reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeLeaf } from '../../../packages/change/index.js';
import { cosignatureVkey, encodeBase64, generateKey } from '../../../packages/tlog/index.js';
import { MemoryLog, PROVIDERS, withCrypto } from '../../../packages/tlog/testing.js';
import { makeChange } from '../../../test/ledger-fixtures.js';
import type { EntryJson, TrustJson } from './entry-json.js';
import { trustOf, verifyCheckpoint, verifyEntry } from './verify-entry.js';

const collector = generateKey('collector/eu1');
const witness = { name: 'w1', key: generateKey('witness.example/w1') };
const log = new MemoryLog({ logKey: generateKey('ledger.example/eu1'), witnesses: [witness] });
const leaves = [0, 1, 2, 3, 4].map((i) => makeLeaf(makeChange('eu1', `audit-${i}-000000`), collector).leaf);
for (const l of leaves) log.appendLeaf(l);
const note = log.checkpoint();
const trustJson: TrustJson = {
  origin: log.origin,
  logVkey: log.logKey.vkey,
  policy: log.policy(),
  collectorVkeys: [collector.vkey],
};
const checkpoint = { note, size: String(log.size) };

function entry(i: number, over: Partial<EntryJson> = {}): EntryJson {
  return {
    index: String(i),
    leaf: encodeBase64(leaves[i] as Uint8Array),
    bodies: [],
    findings: [],
    proof: log.inclusionProof(BigInt(i)).map((h) => encodeBase64(h)),
    ...over,
  };
}

for (const provider of PROVIDERS) {
  describe(`console verification (${provider.name})`, () => {
    const run = <T>(fn: () => T) => withCrypto(provider, fn);

    it('verifies an honest entry against a cosigned checkpoint', () =>
      run(() => {
        const trust = trustOf(trustJson);
        const cp = verifyCheckpoint(checkpoint, trust);
        assert.equal(cp.status, 'verified');
        for (let i = 0; i < leaves.length; i++) {
          const v = verifyEntry(entry(i), cp, trust);
          assert.equal(v.status, 'verified', JSON.stringify(v));
        }
      }));

    const lies: [string, () => { e: EntryJson; note?: string; trust?: TrustJson }, RegExp][] = [
      [
        'a leaf whose text was edited',
        () => {
          const text = new TextDecoder().decode(leaves[2]).replace('alice@example.com', 'bob@example.com');
          return { e: entry(2, { leaf: encodeBase64(new TextEncoder().encode(text)) }) };
        },
        /^leaf: BAD_SIGNATURE/,
      ],
      ['the leaf of another index', () => ({ e: entry(2, { leaf: entry(3).leaf }) }), /^inclusion:/],
      ['a proof for another index', () => ({ e: entry(2, { proof: entry(3).proof }) }), /^inclusion:/],
      ['a truncated proof', () => ({ e: entry(2, { proof: entry(2).proof.slice(1) }) }), /^inclusion:/],
      ['an index that is not a number', () => ({ e: entry(2, { index: '2x' }) }), /malformed index/],
      [
        'a checkpoint without the witness cosignature',
        () => ({ e: entry(1), note: log.checkpoint(log.size, []) }),
        /QUORUM_NOT_MET/,
      ],
      [
        'a checkpoint signed by another log key',
        () => ({ e: entry(1), note: log.signedCheckpoint(log.size, generateKey(log.origin)) }),
        /^checkpoint:/,
      ],
      [
        'a leaf by a collector key the policy does not know',
        () => ({ e: entry(1), trust: { ...trustJson, collectorVkeys: [generateKey('collector/eu1').vkey] } }),
        /^leaf: UNKNOWN_KEY/,
      ],
      [
        'a body that does not match its digest',
        () => ({
          e: entry(1, { bodies: [{ sha256: '00'.repeat(32), data: encodeBase64(new Uint8Array([1])) }] }),
        }),
        /does not match its digest/,
      ],
      ['a leaf that is not base64', () => ({ e: entry(1, { leaf: '%%%' }) }), /^leaf:/],
    ];
    for (const [name, make, reason] of lies) {
      it(`fails ${name}`, () =>
        run(() => {
          const { e, note: n, trust: t } = make();
          const trust = trustOf(t ?? trustJson);
          const cp = verifyCheckpoint({ note: n ?? note, size: checkpoint.size }, trust);
          const v = verifyEntry(e, cp, trust);
          assert.equal(v.status, 'failed');
          assert.match((v as { reason: string }).reason, reason);
        }));
    }

    it('fails a checkpoint whose served size is not the signed one', () =>
      run(() => {
        const cp = verifyCheckpoint({ note, size: '4' }, trustOf(trustJson));
        assert.equal(cp.status, 'failed');
      }));

    it('refuses a malformed policy before verifying anything', () =>
      assert.throws(() => trustOf({ ...trustJson, policy: 'quorum nobody\n' })));

    it('names witnesses in the verdict', () =>
      run(() => {
        const cp = verifyCheckpoint(checkpoint, trustOf(trustJson));
        assert.deepEqual(cp.status === 'verified' ? cp.cosigners : [], ['w1']);
        assert.ok(cosignatureVkey(witness.key).startsWith('witness.example/w1+'));
      }));
  });
}

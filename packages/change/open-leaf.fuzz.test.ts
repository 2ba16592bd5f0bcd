// Property-based fuzzing of leaf admission, the ledger's decode of every INGRESS_CHANGES message:
// random bytes, damaged real leaves, and signed notes whose text is anything at all (a collector
// key holder is an outside party too). Each ends in an opened change or a ChangeError, quickly.
// FUZZ_RUNS sets the runs per property; `FUZZ_RUNS=100000 npm run fuzz` runs long.
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateKey, parseVkey, signNote, TlogError } from '../tlog/index.js';
import { ChangeError, canonicalJson, openLeaf } from './index.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const key = generateKey('collector/fuzz');
const keys = [parseVkey(key.vkey)];
const enc = new TextEncoder();

function admitted(leaf: Uint8Array): boolean {
  try {
    openLeaf(leaf, keys);
    return true;
  } catch (err) {
    if (err instanceof ChangeError) return true;
    throw err;
  }
}

const signedText = (text: string) => enc.encode(signNote(text.endsWith('\n') ? text : `${text}\n`, key));

describe('fuzzing leaf admission', { timeout: 120_000 + RUNS * 50 }, () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), admitted), { numRuns: RUNS });
  });

  it('signed notes of any JSON, canonical or not, deep or not', () => {
    const text = fc.oneof(
      fc.jsonValue({ maxDepth: 5 }).map((v) => canonicalJson(v)),
      fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v, null, 1)),
      fc.string({ maxLength: 200 }),
      fc.nat(5000).map((d) => '['.repeat(d) + ']'.repeat(d)),
    );
    fc.assert(
      fc.property(text, (t) => {
        let leaf: Uint8Array;
        try {
          leaf = signedText(t);
        } catch (err) {
          // Text no note can carry (empty, ending in a blank line…): there is no such leaf.
          if (err instanceof TlogError) return true;
          throw err;
        }
        return admitted(leaf);
      }),
      { numRuns: RUNS },
    );
  });

  it('real-looking leaves with bytes changed', () => {
    const good = signedText(
      canonicalJson({ schema: 'ingress-ledger.change/v1', cluster: 'fuzz', auditID: 'a' }),
    );
    fc.assert(
      fc.property(
        fc.nat(good.length - 1),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(good.length),
        (i, b, cut) => {
          const leaf = good.slice(0, Math.max(cut, i + 1));
          leaf[i] = b;
          return admitted(leaf);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// Test support: a small signed, witnessed log and the files a user would hold to verify it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, type PrivateKey } from '../../../packages/tlog/index.js';
import { MemoryLog, sampleChange, signLeaf } from './memory-log.js';

export interface FixtureLog {
  dir: string;
  log: MemoryLog;
  logKey: PrivateKey;
  witnesses: { name: string; key: PrivateKey }[];
  collector: PrivateKey;
  policyFile: string;
  /** The collector's vkey text. */
  collectorVkey: string;
}

export const FIXTURE_ORIGIN = 'ingress-ledger.test/fixture';

/** A log of n signed sample changes, cosigned by `witnesses` witnesses, and its policy file. */
export function fixtureLog(n: number, witnessCount = 2, cluster = 'prod'): FixtureLog {
  const dir = mkdtempSync(join(tmpdir(), 'il-cli-'));
  const logKey = generateKey(FIXTURE_ORIGIN);
  const witnesses = Array.from({ length: witnessCount }, (_, i) => ({
    name: `witness-${i + 1}`,
    key: generateKey(`witness-${i + 1}.test`),
  }));
  const collector = generateKey(`collector/${cluster}`);
  const log = new MemoryLog({ origin: FIXTURE_ORIGIN, logKey, witnesses });
  for (let i = 0; i < n; i++) log.append(signLeaf(sampleChange(i, cluster), collector));
  const policyFile = join(dir, 'policy');
  writeFileSync(policyFile, log.policy());
  return { dir, log, logKey, witnesses, collector, policyFile, collectorVkey: collector.vkey };
}

/** Writes a leaf and a proof into the fixture dir; returns their paths. */
export function writeEvidence(f: FixtureLog, name: string, leaf: Uint8Array, proof: string) {
  const leafFile = join(f.dir, `${name}.leaf`);
  const proofFile = join(f.dir, `${name}.tlog-proof`);
  writeFileSync(leafFile, leaf);
  writeFileSync(proofFile, proof);
  return { leafFile, proofFile };
}

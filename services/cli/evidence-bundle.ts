// Writing evidence: one entry's files, or a bundle folder for an auditor (DESIGN 3.6).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leafHash, type PublicKey } from '../../packages/tlog/index.js';
import { CliError } from './errors.js';
import { evidenceReadme } from './evidence-readme.js';
import { b64, fields, green, printJson, println } from './output.js';

export interface Evidence {
  index: bigint;
  leaf: Uint8Array;
  proof: string;
  bodies: { sha256: string; data: Uint8Array }[];
}

function writeFile(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw new CliError('CONFIG', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export function writeOne(out: string, e: Evidence, json: boolean): void {
  writeFile(`${out}.leaf`, e.leaf);
  writeFile(`${out}.tlog-proof`, e.proof);
  for (const b of e.bodies) writeFile(`${out}.body-${b.sha256}.json`, b.data);
  if (json)
    printJson({
      index: e.index,
      leaf: `${out}.leaf`,
      proof: `${out}.tlog-proof`,
      leafHash: b64(leafHash(e.leaf)),
    });
  else
    println(
      fields([
        ['leaf', `${out}.leaf`],
        ['proof', `${out}.tlog-proof`],
        ['index', e.index.toString()],
      ]),
    );
}

export function writeBundle(
  dir: string,
  items: Evidence[],
  cp: { origin: string; size: bigint; rootHash: Uint8Array },
  o: { policyText: string; json?: boolean },
  keys: readonly PublicKey[],
  /** The caller reports what was written (the period report). */
  quiet = false,
): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new CliError('CONFIG', `--bundle ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'cannot write'}`);
  }
  // The bundle carries the policy and the collector keys it was checked with, so the README's
  // command verifies it as it stands (and a reader compares them with their own copies).
  writeFile(join(dir, 'policy'), o.policyText);
  writeFile(join(dir, 'collector.vkeys'), `${keys.map((k) => k.vkey).join('\n')}\n`);
  const files: { index: bigint; leaf: string; proof: string; bodies: string[] }[] = [];
  for (const e of items) {
    const base = `entry-${e.index}`;
    writeFile(join(dir, `${base}.leaf`), e.leaf);
    writeFile(join(dir, `${base}.tlog-proof`), e.proof);
    const bodies = e.bodies.map((b) => `${base}.body-${b.sha256}.json`);
    e.bodies.forEach((b, i) => {
      writeFile(join(dir, bodies[i] as string), b.data);
    });
    files.push({ index: e.index, leaf: `${base}.leaf`, proof: `${base}.tlog-proof`, bodies });
  }
  const createdAt = new Date().toISOString();
  const manifest = {
    origin: cp.origin,
    treeSize: cp.size.toString(),
    rootHash: b64(cp.rootHash),
    createdAt,
    verifiedWithPolicy: true,
    entries: files.map((f) => ({ ...f, index: f.index.toString() })),
  };
  writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFile(
    join(dir, 'README.md'),
    evidenceReadme({
      origin: cp.origin,
      size: cp.size,
      rootHash: b64(cp.rootHash),
      indexes: items.map((e) => e.index),
      createdAt,
      hasCollectorKeys: true,
      hasPolicy: true,
    }),
  );
  if (quiet) return;
  if (o.json === true) printJson({ bundle: dir, entries: items.map((e) => e.index), treeSize: cp.size });
  else
    println(
      `${green('✓')} wrote evidence for ${items.length} entries to ${dir} (tree size ${cp.size}, checked with the policy)`,
    );
}

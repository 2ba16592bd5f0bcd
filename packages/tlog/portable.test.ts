// The verifying half of the core must run where neither node:crypto nor Buffer exists (a browser).
// A child process hides Buffer and process before loading the core, which must then pick the
// pure-JS provider by itself, and signs, verifies and proves; a static check keeps node: imports out
// of every module but the Node.js provider, which the core loads only on Node.js.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const here = new URL('.', import.meta.url).pathname; // dist/packages/tlog/
const srcDir = join(here, '../../../packages/tlog');

describe('the tlog core without Node-only APIs', () => {
  it('imports node: modules only from crypto-node.ts', () => {
    const nodeOnly = new Set(['crypto-node.ts']);
    for (const f of readdirSync(srcDir)) {
      if (!f.endsWith('.ts') || f.endsWith('.test.ts') || nodeOnly.has(f) || f.includes('test-')) continue;
      const text = readFileSync(join(srcDir, f), 'utf8');
      assert.doesNotMatch(text, /from ['"]node:/, `${f} imports a node: module`);
    }
  });

  it('signs, verifies notes and proofs with Buffer removed and the noble provider', () => {
    const script = `
      delete globalThis.Buffer;
      const proc = globalThis.process;
      globalThis.process = undefined;
      const t = await import(${JSON.stringify(join(here, 'index.js'))});
      globalThis.process = proc;
      if (t.getCrypto().name !== 'noble') throw new Error('expected the noble provider by default');
      const key = t.generateKey('example.com/log');
      const vkey = t.parseVkey(key.vkey);
      let range = t.CompactRange.empty();
      const nodes = new Map();
      const leaves = [];
      for (let i = 0; i < 7; i++) {
        const leaf = new TextEncoder().encode('leaf ' + i);
        leaves.push(leaf);
        range = range.append(t.leafHash(leaf), (l, idx, h) => nodes.set(l + '/' + idx, h));
      }
      const read = (l, idx) => nodes.get(l + '/' + idx);
      const root = range.root();
      const text = t.formatCheckpoint({ origin: 'example.com/log', size: 7n, rootHash: root, extensions: [] });
      const note = t.signNote(text, key);
      t.openNote(note, [vkey]);
      const proof = t.inclusionProof(3n, 7n, read);
      t.verifyInclusion(3n, 7n, t.leafHash(leaves[3]), proof, root);
      const cons = t.consistencyProof(4n, 7n, read);
      t.verifyConsistency(4n, 7n, t.rootAt(4n, read), root, cons);
      const b = t.decodeBase64(t.encodeBase64(root));
      if (b.length !== 32) throw new Error('base64 round trip');
      console.log('ok ' + t.getCrypto().name);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ok noble/);
  });
});

// The evidence download is a tar archive any tar reads: checked with the system's own tar.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tarArchive } from './tar.js';

const hasTar = (() => {
  try {
    execFileSync('tar', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('tarArchive', () => {
  it('is read back byte for byte by tar', { skip: hasTar ? false : 'tar is not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-tar-'));
    try {
      const files = [
        { name: 'entry-7-evidence/README.md', data: new TextEncoder().encode('# hello\n') },
        { name: 'entry-7-evidence/entry-7.leaf', data: new Uint8Array(1000).map((_, i) => i % 256) },
        { name: 'entry-7-evidence/empty', data: new Uint8Array(0) },
        { name: 'entry-7-evidence/block', data: new Uint8Array(512).fill(7) },
      ];
      const archive = join(dir, 'a.tar');
      writeFileSync(archive, tarArchive(files, 1_765_000_000));
      execFileSync('tar', ['-xf', archive, '-C', dir]);
      for (const f of files)
        assert.deepEqual(new Uint8Array(readFileSync(join(dir, f.name))), f.data, f.name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has a size that is a whole number of blocks, ending in two zero blocks', () => {
    const t = tarArchive([{ name: 'x', data: new Uint8Array(3) }], 0);
    assert.equal(t.length % 512, 0);
    assert.equal(t.length, 512 * 4);
    assert.ok(t.subarray(t.length - 1024).every((b) => b === 0));
  });

  it('refuses a name longer than the header holds', () => {
    assert.throws(() => tarArchive([{ name: 'x'.repeat(101), data: new Uint8Array(0) }], 0), RangeError);
  });
});

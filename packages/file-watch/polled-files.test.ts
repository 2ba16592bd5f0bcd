import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pollFiles } from './index.js';

const INTERVAL_MS = 20;
const ticks = (n: number) => new Promise((r) => setTimeout(r, INTERVAL_MS * n));

describe('pollFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-poll-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'value');
  /** Replaces the file in one rename, as a careful writer does. */
  const write = (text: string) => {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  const load = ([b]: Buffer[]) => {
    const n = Number((b ?? '').toString().trim());
    if (!Number.isInteger(n)) throw new Error('not a number');
    return n;
  };

  it('throws at the start when the files cannot be read or loaded', () => {
    const o = { load, onChange: () => {}, onError: () => {}, intervalMs: INTERVAL_MS };
    assert.throws(() => pollFiles({ ...o, files: [join(dir, 'absent')] }), { code: 'ENOENT' });
    write('x');
    assert.throws(() => pollFiles({ ...o, files: [file] }), /not a number/);
  });

  it('follows changes, keeps the last good value through bad content and a missing file, and reports each once', async () => {
    write('1');
    const changes: number[] = [];
    const errors: string[] = [];
    const p = pollFiles({
      files: [file],
      load,
      onChange: (v) => changes.push(v),
      onError: (e) => errors.push(e.message),
      intervalMs: INTERVAL_MS,
    });
    try {
      assert.equal(p.current, 1);
      write('2');
      await ticks(5);
      assert.equal(p.current, 2);
      write('two');
      await ticks(5);
      assert.equal(p.current, 2);
      rmSync(file);
      await ticks(5);
      assert.equal(p.current, 2);
      write('3');
      await ticks(5);
      assert.equal(p.current, 3);
      assert.deepEqual(changes, [2, 3]);
      assert.equal(errors.length, 2, errors.join('; '));
      assert.match(errors[0] ?? '', /not a number/);
      assert.match(errors[1] ?? '', /ENOENT/);
    } finally {
      p.stop();
    }
  });
});

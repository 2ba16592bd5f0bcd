// The whole-system fault suite (issue 16): a full disk under the ledger's data dir (a small tmpfs,
// so this runs as root only; elsewhere it skips). Under a steady load the disk fills up: the ledger
// stops acknowledging (JetStream keeps the changes), /readyz says why, nothing is lost or
// half-written, and once space returns it resumes on its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { haveNatsServer } from './support/nats-server.js';
import { assertPromiseKept, SteadyLoad, System, until } from './support/system.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const mountPoint = mkdtempSync(join(tmpdir(), 'il-faults-disk-'));
/** Mounts a 48 MiB tmpfs, or says why it cannot. */
function mountTmpfs(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mountPoint], { encoding: 'utf8' });
  return r.status === 0 ? false : `cannot mount a tmpfs here: ${(r.stderr ?? '').trim() || r.error?.message}`;
}
const skip = haveNatsServer() ? mountTmpfs() : 'nats-server is not installed';
if (skip !== false) rmSync(mountPoint, { recursive: true, force: true });

/** Writes zeros into `file` until the file system is full. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

describe('faults: a full disk under the ledger', { skip, timeout: 300_000 }, () => {
  let system: System;
  const dataDir = join(mountPoint, 'ledger');
  const filler = join(mountPoint, 'filler');
  before(async () => {
    mkdirSync(dataDir, { recursive: true });
    system = await System.start({ ledgerDataDir: dataDir });
  });
  after(async () => {
    await system?.stop();
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('stops acknowledging, says why, loses nothing, and resumes when space returns', async () => {
    const load = new SteadyLoad(system.webhook, system.token, 'disk');
    load.start();
    const api = system.api();
    try {
      await sleep(1500);
      fill(filler);
      const readyz = await until(60_000, 'the ledger not ready, naming the failed append', async () => {
        assert.ok(system.ledger.running, `the ledger exited: ${system.ledger.log.slice(-3000)}`);
        const r = await system.ledger.readyz();
        return r.status === 503 ? r : undefined;
      }).catch((err: Error) => {
        throw new Error(`${err.message}; the ledger's log: ${system.ledger.log.slice(-3000)}`);
      });
      assert.match(readyz.text, /append failed|checkpoint round failed|SQLITE_FULL|disk/i);
      // The webhook still answers: JetStream holds what the ledger cannot take yet.
      const before = load.acked.size;
      await sleep(3000);
      assert.ok(load.acked.size > before, 'the webhook kept accepting');
      assert.ok(system.ledger.running, 'the ledger did not crash');
      rmSync(filler);
      await until(60_000, 'ready again', async () =>
        (await system.ledger.readyz()).status === 200 ? true : undefined,
      );
      await sleep(1500);
    } finally {
      api.close();
      await load.stop();
      rmSync(filler, { force: true });
    }
    await assertPromiseKept(system, load.acked, () => system.audit());
  });
});

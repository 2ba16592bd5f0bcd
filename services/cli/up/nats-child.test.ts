import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  haveNatsServer,
  NATS_ERRORS_PER_MINUTE,
  NATS_GOMEMLIMIT,
  natsErrorReporter,
  natsPidFile,
  startNatsChild,
} from './nats-child.js';

const ERR = (n: number) =>
  `[1] 2026/12/05 14:22:43.702774 [ERR] 127.0.0.1:${n} - cid:${n} - authentication error - Nkey ""`;

describe("nats-server's errors on up's stderr", () => {
  it('passes [ERR] lines split across chunks, without the pid and time, and drops the rest', () => {
    const lines: string[] = [];
    const feed = natsErrorReporter((l) => lines.push(l));
    const text = `[1] 2026/12/05 14:22:43.1 [INF] Server is ready\n${ERR(1)}\n`;
    feed(text.slice(0, 50));
    feed(text.slice(50));
    assert.deepEqual(lines, ['127.0.0.1:1 - cid:1 - authentication error - Nkey ""']);
  });

  it('passes warnings and fatal errors too, labelled, and a full disk under JetStream', () => {
    const lines: string[] = [];
    const feed = natsErrorReporter((l) => lines.push(l));
    feed(
      '[1] 2026/12/05 14:22:43.1 [WRN] JetStream resource limits exceeded for account\n' +
        "[1] 2026/12/05 14:22:43.2 [ERR] JetStream failed to store a msg on stream '$G > S': no space left on device\n" +
        '[1] 2026/12/05 14:22:43.3 [FTL] Error listening on port\n' +
        '[1] 2026/12/05 14:22:43.4 [DBG] not shown\n',
    );
    assert.deepEqual(lines, [
      'warning: JetStream resource limits exceeded for account',
      "JetStream failed to store a msg on stream '$G > S': no space left on device",
      'fatal: Error listening on port',
    ]);
  });

  it('shows at most NATS_ERRORS_PER_MINUTE a minute and counts the rest', () => {
    const lines: string[] = [];
    let t = 0;
    const feed = natsErrorReporter(
      (l) => lines.push(l),
      () => t,
    );
    for (let i = 0; i < 25; i++) feed(`${ERR(i)}\n`);
    assert.equal(lines.length, NATS_ERRORS_PER_MINUTE);
    t = 60_000;
    feed(`${ERR(99)}\n`);
    assert.deepEqual(lines.slice(-2), [
      `${25 - NATS_ERRORS_PER_MINUTE} more errors not shown`,
      '127.0.0.1:99 - cid:99 - authentication error - Nkey ""',
    ]);
  });
});

describe("up's nats-server process", {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
}, () => {
  const environOf = (configFile: string) =>
    readFileSync(`/proc/${readFileSync(natsPidFile(configFile), 'utf8').trim()}/environ`, 'utf8').split('\0');

  it('runs with a Go memory limit, and with the one the environment sets instead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-nats-child-'));
    const saved = process.env.GOMEMLIMIT;
    try {
      delete process.env.GOMEMLIMIT;
      let child = await startNatsChild(join(dir, 'a'), join(dir, 'a.conf'), 0, []);
      assert.ok(environOf(join(dir, 'a.conf')).includes(`GOMEMLIMIT=${NATS_GOMEMLIMIT}`));
      await child.stop();
      process.env.GOMEMLIMIT = '123MiB';
      child = await startNatsChild(join(dir, 'b'), join(dir, 'b.conf'), 0, []);
      assert.ok(environOf(join(dir, 'b.conf')).includes('GOMEMLIMIT=123MiB'));
      await child.stop();
    } finally {
      if (saved === undefined) delete process.env.GOMEMLIMIT;
      else process.env.GOMEMLIMIT = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

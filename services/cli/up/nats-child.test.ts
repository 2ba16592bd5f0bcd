import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NATS_ERRORS_PER_MINUTE, natsErrorReporter } from './nats-child.js';

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

// Syslog over TLS into a real rsyslogd (Debian rsyslog + rsyslog-gnutls), started unprivileged with
// its own configuration: a TLS listener (imtcp with the gtls driver) writing every message to a file
// in a temp dir, read back here. Plus the message format on its own (RFC 5424, RFC 6587 framing).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeAlert } from '../../../packages/runtime/index.js';
import { sampleAlert } from '../../../packages/runtime/testing.js';
import { haveOpenssl, makeCa, makeLeaf, NO_OPENSSL } from '../../../test/support/certs.js';
import { freePort } from '../../../test/support/nats-server.js';
import { DeliveryError } from './output.js';
import { octetFrame, syslogMessage, syslogOutput, syslogTimestamp } from './syslog.js';

const RSYSLOGD = '/usr/sbin/rsyslogd';
const GTLS = ['/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/rsyslog/lmnsd_gtls.so'];
const skip = !existsSync(RSYSLOGD)
  ? 'skipped: rsyslogd is not installed (apt-get install rsyslog rsyslog-gnutls)'
  : !GTLS.some((p) => existsSync(p))
    ? 'skipped: rsyslog-gnutls is not installed (apt-get install rsyslog-gnutls)'
    : !haveOpenssl()
      ? NO_OPENSSL
      : false;

describe('an RFC 5424 syslog message', () => {
  const a = sampleAlert({ user: 'eve "x" ]\\', rule: 'nginx-snippet' });
  const raw = encodeAlert(a);
  const m = syslogMessage(a, raw, 'host one');

  it('has PRI (auth facility, our severity), version, time, host, app, MSGID and structured data', () => {
    assert.ok(
      m.startsWith('<34>1 2026-12-05T10:00:00.123456Z host_one ingress-ledger - nginx-snippet [alert@32473 '),
    );
    assert.ok(m.includes(' user="eve \\"x\\" \\]\\\\"'), m);
    assert.ok(m.endsWith(`] \uFEFF${raw}`));
  });

  it('is framed by its length in bytes, not characters', () => {
    const f = octetFrame('é');
    assert.equal(f.toString('utf8'), '2 é');
  });

  it('keeps at most 6 fraction digits and falls back to the current time on a bad timestamp', () => {
    assert.equal(syslogTimestamp('2026-12-05T10:00:00.123456789Z'), '2026-12-05T10:00:00.123456Z');
    assert.equal(syslogTimestamp('2026-12-05T10:00:00+02:00'), '2026-12-05T10:00:00+02:00');
    const now = new Date('2027-01-01T00:00:00Z');
    assert.equal(syslogTimestamp('yesterday', now), '2027-01-01T00:00:00.000Z');
    assert.equal(syslogTimestamp('2026-13-45T99:00:00Z', now), '2027-01-01T00:00:00.000Z');
  });
});

describe('syslog over TLS into rsyslogd', { skip }, () => {
  let dir: string;
  let port: number;
  let rsyslog: ChildProcess | undefined;
  const out = () => join(dir, 'out.log');

  async function startRsyslog(): Promise<void> {
    const p = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    rsyslog = p;
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      if (p.exitCode !== null) throw new Error(`rsyslogd exited ${p.exitCode}`);
      const up = await new Promise<boolean>((resolve) => {
        const s = createConnection({ host: '127.0.0.1', port }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('rsyslogd did not listen within 15 s');
  }

  async function stopRsyslog(): Promise<void> {
    const p = rsyslog;
    rsyslog = undefined;
    if (p === undefined || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }

  async function lines(n: number): Promise<string[]> {
    const until = Date.now() + 15_000;
    for (;;) {
      const text = existsSync(out()) ? readFileSync(out(), 'utf8') : '';
      const got = text.split('\n').filter((l) => l !== '');
      if (got.length >= n) return got;
      if (Date.now() > until) throw new Error(`rsyslogd wrote ${got.length} of ${n} lines`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'notify-rsyslog-'));
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    makeLeaf(dir, 'ca', 'server', 'serverAuth');
    port = await freePort();
    writeFileSync(
      join(dir, 'rsyslog.conf'),
      [
        `global(workDirectory="${dir}" defaultNetstreamDriver="gtls"`,
        `  defaultNetstreamDriverCAFile="${join(dir, 'ca.crt')}"`,
        `  defaultNetstreamDriverCertFile="${join(dir, 'server.crt')}"`,
        `  defaultNetstreamDriverKeyFile="${join(dir, 'server.key')}")`,
        'module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")',
        `input(type="imtcp" port="${port}" address="127.0.0.1")`,
        `action(type="omfile" file="${out()}" template="RSYSLOG_SyslogProtocol23Format")`,
        '',
      ].join('\n'),
    );
    await startRsyslog();
  });

  after(async () => {
    await stopRsyslog();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers alerts that rsyslogd reads as RFC 5424 with our structured data and the alert JSON', async () => {
    const o = syslogOutput({
      host: '127.0.0.1',
      port,
      ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      hostname: 'notify-test',
      timeoutMs: 5000,
    });
    const alerts = [1, 2, 3].map((n) =>
      sampleAlert({
        index: BigInt(n),
        id: `prod/a-${n}/nginx-snippet`,
        message: `line ${n}\nwith a newline`,
      }),
    );
    for (const a of alerts) await o.deliver(a, encodeAlert(a));
    const got = await lines(3);
    for (const [i, a] of alerts.entries()) {
      const line = got[i] ?? '';
      assert.ok(
        line.startsWith(
          '<34>1 2026-12-05T10:00:00.123456Z notify-test ingress-ledger - nginx-snippet [alert@32473 id="',
        ),
        line,
      );
      assert.ok(line.includes(`id="${a.id}" index="${a.index}" cluster="prod" rule="nginx-snippet"`), line);
      const json = line.slice(line.indexOf('{"index"'));
      assert.equal(json, encodeAlert(a));
    }
    await o.close?.();
  });

  it('refuses a server whose certificate it cannot verify, as a retryable failure', async () => {
    const o = syslogOutput({
      host: '127.0.0.1',
      port,
      ca: readFileSync(join(dir, 'other-ca.crt'), 'utf8'),
      hostname: 'h',
      timeoutMs: 5000,
    });
    const a = sampleAlert();
    await assert.rejects(
      o.deliver(a, encodeAlert(a)),
      (e: unknown) => e instanceof DeliveryError && e.retryable,
    );
    await o.close?.();
  });

  it('reconnects after the server went away and came back', async () => {
    const o = syslogOutput({
      host: '127.0.0.1',
      port,
      ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      hostname: 'h',
      timeoutMs: 5000,
    });
    const before = (await lines(1)).length;
    const a = sampleAlert({ id: 'prod/x/nginx-snippet' });
    await o.deliver(a, encodeAlert(a));
    await lines(before + 1);
    await stopRsyslog();
    // The broken connection is noticed on a write or at once; either way, no frame counts as sent
    // while nothing listens.
    let failed = false;
    for (let i = 0; i < 5 && !failed; i++) {
      await o.deliver(a, encodeAlert(a)).catch((e: unknown) => {
        assert.ok(e instanceof DeliveryError && e.retryable);
        failed = true;
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(failed, 'a delivery failed while rsyslogd was down');
    await startRsyslog();
    const b = sampleAlert({ id: 'prod/back/nginx-snippet' });
    await o.deliver(b, encodeAlert(b));
    const got = await lines(before + 2);
    assert.ok(got.some((l) => l.includes('id="prod/back/nginx-snippet"')));
    await o.close?.();
  });
});

// runService in real processes: a signal that arrives while the service starts stops it once the
// start is done, however close to the end of the start it came; exit statuses follow DESIGN 6.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const runService = new URL('./run-service.js', import.meta.url).href;

/** Runs `start` (the body of an async function returning the service) under runService in a child. */
function run(start: string) {
  const script = `
    const { runService } = await import(${JSON.stringify(runService)});
    await runService('test', async () => { ${start} });`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 10_000,
  });
}

// A server keeps a real service's event loop alive; an interval stands in for it here.
const service = `const keep = setInterval(() => {}, 1000);
  return { close: async () => { clearInterval(keep); process.stdout.write('closed\\n'); } };`;

describe('runService', () => {
  it('stops after a SIGTERM that arrives as the start resolves (the signal is not lost)', () => {
    // The signal reaches Node before the start's promise settles and is handled after it.
    const r = run(`process.kill(process.pid, 'SIGTERM'); ${service}`);
    assert.equal(r.signal, null, 'not killed by the timeout');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'closed\n');
  });

  it('stops after a SIGINT during a slower start', () => {
    const r = run(
      `process.kill(process.pid, 'SIGINT'); await new Promise((r) => setTimeout(r, 200)); ${service}`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'closed\n');
  });

  it('exits 2 for a configuration error and 1 for any other start failure, naming the service', () => {
    const config = run(`throw Object.assign(new Error('--x: bad'), { code: 'CONFIG' });`);
    assert.equal(config.status, 2);
    assert.equal(config.stderr, 'ingress-ledger test: --x: bad\n');
    const other = run(`throw new Error('disk on fire');`);
    assert.equal(other.status, 1);
    assert.match(other.stderr, /ingress-ledger test: disk on fire/);
  });

  it('exits 1 after an error nothing caught, logged as one fatal JSON line naming the service', () => {
    for (const [origin, fault] of [
      [
        'unhandledRejection',
        `Promise.reject(Object.assign(new Error('lost write'), { code: 'SQLITE_FULL' }))`,
      ],
      ['uncaughtException', `(() => { throw new Error('lost write'); })()`],
    ] as const) {
      const r = run(`setTimeout(() => { ${fault}; }, 20); ${service}`);
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      const line = JSON.parse(lines[0] ?? '') as {
        level: number;
        service: string;
        origin: string;
        msg: string;
        err: { message: string; stack: string; code?: string };
      };
      assert.equal(line.level, 60);
      assert.equal(line.service, 'test');
      assert.equal(line.origin, origin);
      assert.equal(line.msg, 'uncaught error; exiting');
      assert.equal(line.err.message, 'lost write');
      assert.match(line.err.stack, /lost write/);
      if (origin === 'unhandledRejection') assert.equal(line.err.code, 'SQLITE_FULL');
    }
  });

  it('exits 1 when stopping fails', () => {
    const r = run(`process.kill(process.pid, 'SIGTERM'); const keep = setInterval(() => {}, 1000);
      return { close: async () => { clearInterval(keep); throw new Error('stuck'); } };`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /stopping failed: stuck/);
  });
});

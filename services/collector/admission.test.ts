import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admission } from './admission.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('webhook admission', () => {
  it('grants free slots at once and hands a released slot to the longest waiting request', async () => {
    const a = new Admission({ slots: 2, maxWaiting: 4, maxWaitMs: 5000 });
    assert.equal(await a.acquire(), true);
    assert.equal(await a.acquire(), true);
    const order: string[] = [];
    const first = a.acquire().then((ok) => order.push(`first ${ok}`));
    const second = a.acquire().then((ok) => order.push(`second ${ok}`));
    await sleep(10);
    assert.equal(a.waiting, 2);
    a.release();
    await first;
    assert.deepEqual(order, ['first true']);
    assert.equal(a.busy, 2, 'the slot moved, it was not freed');
    a.release();
    await second;
    assert.deepEqual(order, ['first true', 'second true']);
    a.release();
    a.release();
    assert.equal(a.busy, 0);
    a.release();
    assert.equal(a.busy, 0, 'an extra release never goes below zero');
  });

  it('refuses at once when the queue is full, and after the wait runs out', async () => {
    const a = new Admission({ slots: 1, maxWaiting: 1, maxWaitMs: 50 });
    assert.equal(await a.acquire(), true);
    const waiting = a.acquire();
    const started = Date.now();
    assert.equal(await a.acquire(), false, 'queue full');
    assert.ok(Date.now() - started < 20);
    assert.equal(await waiting, false, 'the wait ran out');
    assert.equal(a.waiting, 0, 'a request that gave up leaves the queue');
    a.release();
    assert.equal(await a.acquire(), true, 'the slot is free again');
  });

  it('never queues when waiting is off', async () => {
    const a = new Admission({ slots: 1, maxWaiting: 10, maxWaitMs: 0 });
    assert.equal(await a.acquire(), true);
    assert.equal(await a.acquire(), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShutdownStack } from './shutdown-stack.js';

describe('the shutdown stack', () => {
  it('runs each step once, in reverse order of defer, however often close() is called', async () => {
    const ran: string[] = [];
    const stack = new ShutdownStack();
    for (const name of ['lock', 'store', 'nats', 'checkpointer', 'ingest']) {
      stack.defer(name, async () => {
        await new Promise((r) => setImmediate(r));
        ran.push(name);
      });
    }
    await Promise.all([stack.close(), stack.close()]);
    await stack.close();
    assert.deepEqual(ran, ['ingest', 'checkpointer', 'nats', 'store', 'lock']);
  });

  it('runs every step after one that throws, and reports that one', async () => {
    const ran: string[] = [];
    const failed: string[] = [];
    const stack = new ShutdownStack((name) => failed.push(name));
    stack.defer('lock', () => {
      ran.push('lock');
    });
    stack.defer('store', () => {
      throw new Error('busy');
    });
    stack.defer('server', () => Promise.reject(new Error('gone')));
    stack.defer('ingest', () => {
      ran.push('ingest');
    });
    await stack.close();
    assert.deepEqual(ran, ['ingest', 'lock']);
    assert.deepEqual(failed, ['server', 'store']);
  });

  it('stops at once a step deferred after close() began', async () => {
    const ran: string[] = [];
    const stack = new ShutdownStack();
    stack.defer('store', () => {
      ran.push('store');
    });
    const closing = stack.close();
    stack.defer('late', () => {
      ran.push('late');
    });
    await closing;
    await stack.close();
    assert.deepEqual(ran, ['store', 'late']);
  });
});

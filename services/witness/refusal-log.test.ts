// A flood of refused requests (replays, garbage) must not bury the refusal that matters: one warning
// per client and reason an interval, counting the rest.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { generateKey, parseVkey } from '../../packages/tlog/index.js';
import { MemoryLog } from '../../packages/tlog/testing.js';
import { startWitness } from './service.js';

interface Line {
  msg: string;
  code?: string;
  count?: number;
}

describe('witness refusal warnings', () => {
  it('are one per client and reason, with the count of those not written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witness-refusals-'));
    const lines: Line[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
    const log = new MemoryLog({ logKey: generateKey('example.com/log-r') }).append('a', 'b', 'c');
    const w = await startWitness(
      {
        dataDir: dir,
        listen: '127.0.0.1:0',
        key: generateKey('witness.example/r1'),
        logs: [parseVkey(log.key.vkey)],
      },
      { logger },
    );
    try {
      const post = async (body: string) => {
        const res = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body });
        await res.arrayBuffer();
        return res.status;
      };
      for (let i = 0; i < 200; i++) assert.equal(await post('garbage'), 400);
      // Another reason from the same client is its own line.
      assert.equal(await post(`old 5\n\n${log.checkpoint(3n)}`), 400);
      const refused = lines.filter((l) => l.msg === 'add-checkpoint refused');
      assert.deepEqual(
        refused.map((l) => [l.code, l.count]),
        [
          ['MALFORMED', 1],
          ['BAD_OLD_SIZE', 1],
        ],
      );
    } finally {
      await w.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

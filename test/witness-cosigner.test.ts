// The ledger's side of witnessing (createWitnessCosigner) against real witnesses on loopback:
// quorum with witnesses down and back, 409 adoption after a restart, forks and rollbacks refused
// with the reason logged, and hostile witness answers that must never be merged.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  cosignatureVerifier,
  cosignatureVkey,
  generateKey,
  type PrivateKey,
  parsePolicy,
  parseVkey,
  QUORUM_NONE,
  verifyCheckpointNote,
} from '../packages/tlog/index.js';
import { MemoryLog } from '../packages/tlog/testing.js';
import { createWitnessCosigner } from '../services/ledger/witness-cosigner.js';
import { type RunningWitness, startWitness } from '../services/witness/index.js';

interface LogLine {
  msg: string;
  witness?: string;
  failure?: string;
}

function capturingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  return { logger, lines };
}

interface Node {
  key: PrivateKey;
  dir: string;
  port: number;
  running?: RunningWitness | undefined;
}

const log = new MemoryLog({ logKey: generateKey('example.com/cosigned-log') });
const nodes: Node[] = [1, 2, 3].map((i) => ({
  key: generateKey(`witness.example/w${i}`),
  dir: mkdtempSync(join(tmpdir(), `witness-cosigner-${i}-`)),
  port: 0,
}));

async function up(n: Node): Promise<void> {
  n.running = await startWitness(
    { dataDir: n.dir, listen: `127.0.0.1:${n.port}`, key: n.key, logs: [parseVkey(log.key.vkey)] },
    { logger: pino({ level: 'silent' }) },
  );
  n.port = Number(new URL(n.running.url).port);
}
async function down(n: Node): Promise<void> {
  await n.running?.close();
  n.running = undefined;
}

function policyText(quorum: string, urls = true): string {
  const lines = [`log ${log.key.vkey}`];
  for (const [i, n] of nodes.entries()) {
    const url = urls ? ` http://127.0.0.1:${n.port}` : '';
    lines.push(`witness w${i + 1} ${cosignatureVkey(n.key)}${url}`);
  }
  lines.push('group two 2 w1 w2 w3', `quorum ${quorum}`);
  return `${lines.join('\n')}\n`;
}

const proofOf = (l: MemoryLog) => (from: bigint) => l.consistencyProof(from);

describe('createWitnessCosigner with real witnesses', () => {
  before(async () => {
    for (const n of nodes) await up(n);
  });
  after(async () => {
    for (const n of nodes) {
      await down(n);
      rmSync(n.dir, { recursive: true, force: true });
    }
  });

  it('merges verified cosignatures from all three witnesses', async () => {
    const registry = new Registry();
    const { logger } = capturingLogger();
    const policy = parsePolicy(policyText('two'));
    const cosigner = createWitnessCosigner({ policy, logger, registry, timeoutMs: 2000 });
    log.append('a', 'b', 'c');
    const note = await cosigner.cosign(log.checkpoint(), log.size, proofOf(log));
    assert.ok(note !== undefined);
    const v = verifyCheckpointNote(note, policy);
    assert.deepEqual(v.cosigners.sort(), ['w1', 'w2', 'w3']);
    log.append('d');
    const next = await cosigner.cosign(log.checkpoint(), log.size, proofOf(log));
    assert.equal(verifyCheckpointNote(next!, policy).checkpoint.size, 4n);
    assert.match(
      await registry.metrics(),
      /ingress_ledger_ledger_witness_cosign_seconds_count\{witness="w1"\} 2/,
    );
  });

  it('adopts the size a witness reports (409) after the ledger restarts, and retries once', async () => {
    const { logger, lines } = capturingLogger();
    const policy = parsePolicy(policyText('two'));
    const cosigner = createWitnessCosigner({ policy, logger, timeoutMs: 2000 });
    log.append('e');
    const note = await cosigner.cosign(log.checkpoint(), log.size, proofOf(log));
    assert.equal(verifyCheckpointNote(note!, policy).cosigners.length, 3);
    assert.equal(lines.filter((l) => l.failure !== undefined).length, 0);
  });

  it('publishes 2-of-3 with one witness down, not with two, and again once they return', async () => {
    const registry = new Registry();
    const { logger, lines } = capturingLogger();
    const policy = parsePolicy(policyText('two'));
    const cosigner = createWitnessCosigner({ policy, logger, registry, timeoutMs: 2000 });
    await down(nodes[2]!);
    log.append('f');
    const one = await cosigner.cosign(log.checkpoint(), log.size, proofOf(log));
    assert.deepEqual(verifyCheckpointNote(one!, policy).cosigners.sort(), ['w1', 'w2']);
    assert.ok(lines.some((l) => l.witness === 'w3' && l.failure === 'unreachable'));
    await down(nodes[1]!);
    log.append('g');
    assert.equal(await cosigner.cosign(log.checkpoint(), log.size, proofOf(log)), undefined);
    assert.ok(lines.some((l) => l.msg.includes('missed the witness quorum')));
    await up(nodes[1]!);
    await up(nodes[2]!);
    const back = await cosigner.cosign(log.checkpoint(), log.size, proofOf(log));
    assert.equal(verifyCheckpointNote(back!, policy).cosigners.length, 3);
    assert.match(await registry.metrics(), /ingress_ledger_ledger_witness_quorum_missed_total 1/);
  });

  it('is refused by every witness for a fork, and logs why', async () => {
    const { logger, lines } = capturingLogger();
    const policy = parsePolicy(policyText('two'));
    const cosigner = createWitnessCosigner({ policy, logger, timeoutMs: 2000 });
    // Same key and origin, same first 3 entries, then different ones; sizes equal, smaller, larger.
    const fork = new MemoryLog({ logKey: log.key }).append('a', 'b', 'c', 'X', 'Y', 'Z', 'W');
    assert.equal(await cosigner.cosign(fork.checkpoint(), fork.size, proofOf(fork)), undefined);
    assert.deepEqual(
      lines
        .filter((l) => l.failure === 'fork')
        .map((l) => l.witness)
        .sort(),
      ['w1', 'w2', 'w3'],
    );
    const shorter = new MemoryLog({ logKey: log.key }).append('a', 'b', 'c', 'X');
    const c2 = createWitnessCosigner({ policy, logger, timeoutMs: 2000 });
    assert.equal(await c2.cosign(shorter.checkpoint(), shorter.size, proofOf(shorter)), undefined);
    assert.ok(lines.some((l) => l.failure === 'rollback'));
    fork.append('V');
    assert.equal(await cosigner.cosign(fork.checkpoint(), fork.size, proofOf(fork)), undefined);
    assert.ok(lines.some((l) => l.failure === 'bad_proof'));
    // The honest log still gets cosigned afterwards.
    const honest = await cosigner.cosign(log.checkpoint(), log.size, proofOf(log));
    assert.equal(verifyCheckpointNote(honest!, policy).cosigners.length, 3);
  });

  it('never asks a witness without a URL, so a quorum of them is never met', async () => {
    const { logger, lines } = capturingLogger();
    const policy = parsePolicy(policyText('two', false));
    const cosigner = createWitnessCosigner({ policy, logger });
    assert.equal(await cosigner.cosign(log.checkpoint(), log.size, proofOf(log)), undefined);
    assert.equal(lines.filter((l) => l.msg.includes('never asked')).length, 3);
  });

  it('with quorum none publishes at once, without waiting for witnesses', async () => {
    const { logger } = capturingLogger();
    const policy = parsePolicy(policyText(QUORUM_NONE, true));
    const note = log.checkpoint();
    assert.equal(await createWitnessCosigner({ policy, logger }).cosign(note, log.size, proofOf(log)), note);
  });
});

describe('createWitnessCosigner with hostile witnesses', () => {
  const servers: Server[] = [];
  let hang: () => void = () => {};

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
    const s = createServer(handler);
    servers.push(s);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
    const addr = s.address();
    return typeof addr === 'object' && addr !== null ? addr.port : 0;
  }
  after(async () => {
    hang();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('never merges a cosignature by another key, a bad 409 or a late answer', async () => {
    const forged = await serve((_req, res) => {
      // Well-formed lines with w1's name and key id but signatures its key never made, and junk.
      const bytes = Buffer.alloc(76, 7);
      bytes.writeUInt32BE(cosignatureVerifier(cosignatureVkey(nodes[0]!.key)).keyId >>> 0, 0);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`— witness.example/w1 ${bytes.toString('base64')}\n— junk\n`);
    });
    const bad409 = await serve((_req, res) => {
      res.writeHead(409, { 'content-type': 'text/plain' });
      res.end('05\n');
    });
    const slow = await serve((req) => {
      hang = () => req.socket.destroy();
    });
    const text = [
      `log ${log.key.vkey}`,
      `witness w1 ${cosignatureVkey(nodes[0]!.key)} http://127.0.0.1:${forged}`,
      `witness w2 ${cosignatureVkey(nodes[1]!.key)} http://127.0.0.1:${bad409}`,
      `witness w3 ${cosignatureVkey(nodes[2]!.key)} http://127.0.0.1:${slow}`,
      'group any1 1 w1 w2 w3',
      'quorum any1',
    ].join('\n');
    const { logger, lines } = capturingLogger();
    const cosigner = createWitnessCosigner({ policy: parsePolicy(`${text}\n`), logger, timeoutMs: 300 });
    assert.equal(await cosigner.cosign(log.checkpoint(), log.size, proofOf(log)), undefined);
    const failures = Object.fromEntries(lines.filter((l) => l.failure).map((l) => [l.witness, l.failure]));
    assert.deepEqual(failures, { w1: 'bad_cosignature', w2: 'bad_response', w3: 'timeout' });
  });

  const oneWitness: [string, number, string, string][] = [
    ['a 409 size beyond 2^63', 409, '99999999999999999999\n', 'bad_response'],
    ['a 409 repeating the old size for a larger checkpoint', 409, '0\n', 'bad_response'],
    ['a 500', 500, 'boom', 'http_500'],
    ['a 404', 404, '', 'unknown_origin'],
    ['a 200 of junk', 200, 'not a signature line\n', 'bad_cosignature'],
  ];
  for (const [name, status, body, failure] of oneWitness) {
    it(`counts ${name} as "${failure}", never as cosigned`, async () => {
      const port = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': status === 409 ? 'text/x.tlog.size' : 'text/plain' });
        res.end(body);
      });
      const text = `log ${log.key.vkey}\nwitness w1 ${cosignatureVkey(nodes[0]!.key)} http://127.0.0.1:${port}\nquorum w1\n`;
      const { logger, lines } = capturingLogger();
      const cosigner = createWitnessCosigner({ policy: parsePolicy(text), logger, timeoutMs: 1000 });
      assert.equal(await cosigner.cosign(log.checkpoint(), log.size, proofOf(log)), undefined);
      assert.deepEqual(
        lines.filter((l) => l.failure).map((l) => l.failure),
        [failure],
      );
      await cosigner.close?.();
    });
  }
});

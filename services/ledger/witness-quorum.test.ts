// The quorum over a policy's witnesses, without HTTP: each witness is an in-memory exchange that
// cosigns with its real key, refuses, or throws, so only the quorum logic is under test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { silentLogger } from '../../packages/runtime/index.js';
import {
  cosignatureVkey,
  cosignCheckpoint,
  generateKey,
  type Note,
  parsePolicy,
  verifyCheckpointNote,
} from '../../packages/tlog/index.js';
import { MemoryLog } from '../../packages/tlog/testing.js';
import { witnessMetrics } from './metrics.js';
import type { WitnessResult } from './witness-protocol.js';
import { cosignWithQuorum, type QuorumWitness } from './witness-quorum.js';

const log = new MemoryLog({ logKey: generateKey('example.com/quorum-log') }).append('a', 'b', 'c');
const keys = [1, 2, 3].map((i) => generateKey(`witness.example/w${i}`));
// Two of three witnesses make the quorum.
const policy = parsePolicy(
  [
    `log ${log.key.vkey}`,
    ...keys.map((k, i) => `witness w${i + 1} ${cosignatureVkey(k)}`),
    'group two 2 w1 w2 w3',
    'quorum two',
    '',
  ].join('\n'),
);

type Behaviour = 'cosigns' | 'refuses' | 'throws';

/** Witness i of the policy behaving as told; `asked` records each call. */
function witness(i: number, behaviour: Behaviour, asked: string[] = []): QuorumWitness {
  const name = `w${i + 1}`;
  return {
    name,
    url: `http://w${i + 1}.invalid`,
    async addCheckpoint(note: Note): Promise<WitnessResult> {
      asked.push(name);
      if (behaviour === 'throws') throw new Error('bug');
      if (behaviour === 'refuses') return { failure: 'fork', reason: 'another root hash' };
      return { cosignature: cosignCheckpoint(note.text, keys[i]!, 1_700_000_000n) };
    },
  };
}

async function round(behaviours: Behaviour[]) {
  const registry = new Registry();
  const asked: string[] = [];
  const note = await cosignWithQuorum(
    {
      policy,
      witnesses: behaviours.map((b, i) => witness(i, b, asked)),
      logger: silentLogger(),
      metrics: witnessMetrics(registry),
    },
    log.checkpoint(),
    log.size,
    (from) => log.consistencyProof(from),
  );
  return { note, asked, metrics: await registry.metrics() };
}

describe('the witness quorum', () => {
  const cases: { behaviours: Behaviour[]; cosigners: string[] | undefined }[] = [
    { behaviours: ['cosigns', 'cosigns', 'cosigns'], cosigners: ['w1', 'w2', 'w3'] },
    { behaviours: ['cosigns', 'refuses', 'cosigns'], cosigners: ['w1', 'w3'] },
    { behaviours: ['throws', 'cosigns', 'cosigns'], cosigners: ['w2', 'w3'] },
    { behaviours: ['cosigns', 'refuses', 'throws'], cosigners: undefined },
    { behaviours: ['refuses', 'refuses', 'refuses'], cosigners: undefined },
  ];
  for (const { behaviours, cosigners } of cases) {
    const outcome = cosigners === undefined ? 'publishes nothing' : `merges ${cosigners.join(', ')}`;
    it(`when the witnesses ${behaviours.join(', ')}: ${outcome}`, async () => {
      const { note, asked, metrics } = await round(behaviours);
      assert.deepEqual(asked.sort(), ['w1', 'w2', 'w3']);
      if (cosigners === undefined) {
        assert.equal(note, undefined);
        assert.match(metrics, /ingress_ledger_ledger_witness_quorum_missed_total 1/);
      } else {
        assert.ok(note !== undefined);
        assert.deepEqual(verifyCheckpointNote(note, policy).cosigners.sort(), cosigners);
        assert.match(metrics, /ingress_ledger_ledger_witness_quorum_missed_total 0/);
      }
      for (const [i, b] of behaviours.entries()) {
        const reason = b === 'refuses' ? 'fork' : b === 'throws' ? 'internal' : undefined;
        if (reason !== undefined) {
          assert.match(
            metrics,
            new RegExp(`witness_cosign_failures_total\\{witness="w${i + 1}",reason="${reason}"\\} 1`),
          );
        }
      }
    });
  }

  it('asks every witness at once, not one after another', { timeout: 5000 }, async () => {
    // Each witness answers only once all three were asked: asked in turn, the round never ends.
    let release: () => void = () => {};
    const allAsked = new Promise<void>((r) => {
      release = r;
    });
    let count = 0;
    const witnesses = [0, 1, 2].map((i) => {
      const w = witness(i, 'cosigns');
      return {
        ...w,
        async addCheckpoint(note: Note, text: string, size: bigint, proof: (from: bigint) => Uint8Array[]) {
          if (++count === 3) release();
          await allAsked;
          return w.addCheckpoint(note, text, size, proof);
        },
      };
    });
    const note = await cosignWithQuorum(
      { policy, witnesses, logger: silentLogger(), metrics: witnessMetrics(undefined) },
      log.checkpoint(),
      log.size,
      (from) => log.consistencyProof(from),
    );
    assert.equal(verifyCheckpointNote(note!, policy).cosigners.length, 3);
  });
});

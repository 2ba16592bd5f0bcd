// The evidence alarm of the witness cosigner (witness-evidence.ts) against real witnesses on
// loopback: a witness that holds a larger tree (rollback), the same size with another root (fork)
// or a tree our proof does not reach (bad_proof) raises the gauge and logs one error line, readiness
// fails only when the rest cannot meet the quorum, publication goes on with the others, and the
// alarm clears once the witness cosigns again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import {
  cosignatureVkey,
  generateKey,
  type PrivateKey,
  parsePolicy,
  verifyCheckpointNote,
} from '../../packages/tlog/index.js';
import type { MemoryLog } from '../../packages/tlog/testing.js';
import type { RunningWitness } from '../witness/index.js';
import {
  cosignOnce,
  evidenceGauge,
  keepingLogger,
  type LogLine,
  startTrio,
  trioLogs,
} from './testing/witness-trio.js';
import { createWitnessCosigner, type WitnessCosigner } from './witness-cosigner.js';

const logKey = generateKey('example.com/evidence-log');
const keys: PrivateKey[] = [1, 2, 3].map((i) => generateKey(`witness.example/ev${i}`));
const root = mkdtempSync(join(tmpdir(), 'il-witness-evidence-'));
const { honest, forked } = trioLogs(logKey);

let run = 0;

describe('the witness evidence alarm', () => {
  let witnesses: RunningWitness[] = [];
  let lines: LogLine[] = [];
  let registry: Registry;

  beforeEach(async () => {
    run++;
    lines = [];
    registry = new Registry();
    // Fresh witnesses each time, each with its own state.
    witnesses = await startTrio(join(root, `run-${run}`), keys, logKey);
  });
  afterEach(async () => {
    for (const w of witnesses) await w.close();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** The policy over `names` (all three by default), with the quorum given. */
  function policyOf(quorum: string, names = ['w1', 'w2', 'w3']): string {
    const out = [`log ${logKey.vkey}`];
    for (const [i, key] of keys.entries()) {
      const name = `w${i + 1}`;
      if (names.includes(name)) out.push(`witness ${name} ${cosignatureVkey(key)} ${witnesses[i]?.url}`);
    }
    if (names.length === 3) out.push('group two 2 w1 w2 w3');
    out.push(`quorum ${quorum}`);
    return `${out.join('\n')}\n`;
  }

  function cosigner(quorum = 'two', names?: string[]): WitnessCosigner {
    const logger = keepingLogger((l) => lines.push(l));
    return createWitnessCosigner({
      policy: parsePolicy(policyOf(quorum, names)),
      logger,
      registry,
      timeoutMs: 2000,
    });
  }

  /** Has `witnesses` (named) cosign `log` at its size, with a quorum of just them. */
  async function advance(log: MemoryLog, names: string[]): Promise<void> {
    const policy = `log ${logKey.vkey}\n${names.map((n) => `witness ${n} ${cosignatureVkey(keys[Number(n[1]) - 1]!)} ${witnesses[Number(n[1]) - 1]?.url}`).join('\n')}\ngroup all ${names.length} ${names.join(' ')}\nquorum all\n`;
    assert.ok(await cosignOnce(policy, log, 2000));
  }

  const cosign = (c: WitnessCosigner, log: MemoryLog) =>
    c.cosign(log.checkpoint(), log.size, (from) => log.consistencyProof(from));

  const gauge = (witness: string, kind: string) => evidenceGauge(registry, witness, kind);

  const errors = () => lines.filter((l) => l.level === 50);

  it('one witness of three with a larger tree: gauge 1, one error line, still ready and publishing; cleared once it cosigns again', async () => {
    await advance(honest(7), ['w3']);
    const c = cosigner();
    for (const kind of ['rollback', 'fork', 'bad_proof']) assert.equal(await gauge('w1', kind), 0);

    const five = honest(5);
    const note = await cosign(c, five);
    assert.ok(note !== undefined, 'the other two still publish');
    assert.deepEqual(verifyCheckpointNote(note, parsePolicy(policyOf('two'))).cosigners.sort(), ['w1', 'w2']);
    assert.equal(await gauge('w3', 'rollback'), 1);
    assert.equal(await gauge('w1', 'rollback'), 0);
    assert.equal(c.evidenceCheck(), undefined, 'a minority does not take readiness down');
    assert.equal(errors().length, 1);
    const [line] = errors();
    assert.equal(line?.witness, 'w3');
    assert.equal(line?.kind, 'rollback');
    assert.equal(line?.size, '5');
    assert.match(line?.reason ?? '', /already cosigned size 7, larger than this checkpoint's size 5/);
    assert.match(line?.msg ?? '', /^witness w3 reports rollback against this log at our size 5/);

    // The same answer again is not news: no second error line.
    await cosign(c, five);
    assert.equal(errors().length, 1);

    // The log grows past the witness's size with the same entries: it cosigns, the alarm clears.
    const eight = honest(8);
    const all = await cosign(c, eight);
    assert.equal(verifyCheckpointNote(all!, parsePolicy(policyOf('two'))).cosigners.length, 3);
    assert.equal(await gauge('w3', 'rollback'), 0);
    assert.ok(
      lines.some((l) => l.level === 30 && l.witness === 'w3' && /cosigns this log again/.test(l.msg)),
    );
    await c.close?.();
  });

  it('two witnesses of three with a larger tree: not ready, naming both and what they said', async () => {
    await advance(honest(7), ['w2', 'w3']);
    const c = cosigner();
    assert.equal(await cosign(c, honest(5)), undefined, 'the quorum is missed');
    const why = c.evidenceCheck();
    assert.ok(why !== undefined);
    assert.match(why, /the others cannot meet the quorum/);
    assert.match(why, /w2 \(rollback: the witness already cosigned size 7/);
    assert.match(why, /w3 \(rollback: the witness already cosigned size 7/);
    assert.doesNotMatch(why, /w1/);
    assert.ok(errors().some((l) => l.witness === 'w3' && /cannot meet the quorum/.test(l.msg)));

    assert.ok((await cosign(c, honest(8))) !== undefined);
    assert.equal(c.evidenceCheck(), undefined);
    for (const w of ['w2', 'w3']) assert.equal(await gauge(w, 'rollback'), 0);
    await c.close?.();
  });

  it('a witness that cosigned a fork: fork at its size, then bad_proof beyond it, each logged once', async () => {
    await advance(forked(5), ['w3']);
    const c = cosigner();
    assert.ok((await cosign(c, honest(5))) !== undefined);
    assert.equal(await gauge('w3', 'fork'), 1);
    assert.ok((await cosign(c, honest(6))) !== undefined);
    assert.equal(await gauge('w3', 'fork'), 0);
    assert.equal(await gauge('w3', 'bad_proof'), 1);
    assert.deepEqual(
      errors().map((l) => `${l.witness} ${l.kind}`),
      ['w3 fork', 'w3 bad_proof'],
    );
    assert.equal(c.evidenceCheck(), undefined);
    await c.close?.();
  });

  it('a witness that does not answer is no evidence, and leaves earlier evidence as it was', async () => {
    await advance(honest(7), ['w3']);
    const c = cosigner();
    await cosign(c, honest(5));
    assert.equal(await gauge('w3', 'rollback'), 1);
    await witnesses[2]?.close();
    await cosign(c, honest(6));
    assert.equal(await gauge('w3', 'rollback'), 1, 'no answer is not a cosignature');
    assert.equal(errors().length, 1);
    await c.close?.();
  });

  it('quorum none: nothing is asked, nothing is evidence', async () => {
    const c = cosigner('none');
    const five = honest(5);
    assert.equal(await cosign(c, five), five.checkpoint());
    assert.equal(c.evidenceCheck(), undefined);
    assert.equal(await gauge('w1', 'rollback'), 0);
    await c.close?.();
  });
});

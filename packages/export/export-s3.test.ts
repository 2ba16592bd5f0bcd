// Export into S3 as served by moto_server, which implements and enforces Object Lock: retention on
// every immutable object, locked versions that cannot be deleted, write-once, and the refusal of
// an object that was replaced behind the exporter's back.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { generateKey, parsePolicy } from '../tlog/index.js';
import { MemoryLog } from '../tlog/testing.js';
import { checkpointCheck, DirLayout, ExportError, exportStep, S3Layout } from './index.js';
import { hasMoto, type Moto, startMoto, writeLayout } from './testing.js';

const skip = hasMoto() ? false : 'moto_server is not installed (pip install "moto[server]")';
const DAY_MS = 86_400_000;

describe('export to S3 with Object Lock', { skip, timeout: 180_000 }, () => {
  let moto: Moto;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  const log = new MemoryLog({
    logKey: generateKey('example.test/log'),
    witnesses: [{ name: 'w1', key: generateKey('w1.test') }],
  });
  for (let i = 0; i < 700; i++) log.append(`leaf ${i}\n`);
  const check = checkpointCheck({ policy: parsePolicy(log.policy()) });
  const source = () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-s3-src-'));
    writeLayout(log, dir, log.checkpoint());
    return new DirLayout(dir);
  };
  const layout = (bucket: string) =>
    new S3Layout({
      bucket,
      prefix: 'logs/prod',
      client: moto.client,
      objectLock: { mode: 'COMPLIANCE', retainUntil: (now) => new Date(now.getTime() + DAY_MS) },
    });

  async function keys(bucket: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await moto.client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: 'logs/prod/',
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of r.Contents ?? []) out.push(o.Key ?? '');
      token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  it('puts COMPLIANCE retention on every immutable object, none on checkpoint', async () => {
    await moto.bucket('retention');
    const r = await exportStep({ source: source(), target: layout('retention'), check });
    assert.equal(r.to, 700n);
    const all = await keys('retention');
    assert.ok(all.includes('logs/prod/checkpoint') && all.includes('logs/prod/checkpoints/700'));
    assert.ok(all.includes('logs/prod/tile/entries/002.p/188'));
    for (const key of all) {
      const head = await moto.client.send(new HeadObjectCommand({ Bucket: 'retention', Key: key }));
      if (key === 'logs/prod/checkpoint') {
        assert.equal(head.ObjectLockMode, undefined);
        continue;
      }
      assert.equal(head.ObjectLockMode, 'COMPLIANCE', key);
      assert.ok((head.ObjectLockRetainUntilDate?.getTime() ?? 0) > Date.now() + DAY_MS / 2, key);
      assert.equal(head.CacheControl, 'public, max-age=31536000, immutable', key);
    }
  });

  it('a locked object cannot be deleted, and a replaced one is refused by the next export', async () => {
    await moto.bucket('locked');
    await exportStep({ source: source(), target: layout('locked'), check });
    const Key = 'logs/prod/tile/0/000';
    const versions = await moto.client.send(new ListObjectVersionsCommand({ Bucket: 'locked', Prefix: Key }));
    const VersionId = versions.Versions?.[0]?.VersionId;
    await assert.rejects(
      moto.client.send(new DeleteObjectCommand({ Bucket: 'locked', Key, VersionId })),
      (err: { name?: string }) => err.name === 'AccessDenied',
    );
    // Versioning lets anyone with write access stack a new version on top; the locked one stays,
    // and the exporter notices the difference.
    await moto.client.send(new PutObjectCommand({ Bucket: 'locked', Key, Body: Buffer.alloc(8192, 1) }));
    await moto.client.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'logs/prod/checkpoint' }));
    await assert.rejects(
      exportStep({ source: source(), target: layout('locked'), check }),
      (err: unknown) => err instanceof ExportError && err.code === 'CONFLICT',
    );
    const original = await moto.client.send(new GetObjectCommand({ Bucket: 'locked', Key, VersionId }));
    assert.equal((await original.Body?.transformToByteArray())?.length, 8192);
  });

  it('is write-once and idempotent: a rerun writes nothing new', async () => {
    await moto.bucket('idempotent');
    const outcomes: string[] = [];
    await exportStep({ source: source(), target: layout('idempotent'), check });
    await moto.client.send(new DeleteObjectCommand({ Bucket: 'idempotent', Key: 'logs/prod/checkpoint' }));
    await exportStep({
      source: source(),
      target: layout('idempotent'),
      check,
      events: { object: (_kind, outcome) => outcomes.push(outcome) },
    });
    assert.ok(outcomes.length > 5);
    assert.ok(outcomes.every((o) => o === 'same'));
  });

  it('writes to a bucket without Object Lock when none is asked for', async () => {
    await moto.bucket('plain', false);
    const target = new S3Layout({ bucket: 'plain', prefix: 'logs/prod', client: moto.client });
    assert.equal((await exportStep({ source: source(), target, check })).to, 700n);
    const head = await moto.client.send(
      new HeadObjectCommand({ Bucket: 'plain', Key: 'logs/prod/tile/0/000' }),
    );
    assert.equal(head.ObjectLockMode, undefined);
  });

  it('a bucket that does not exist is a TARGET error', async () => {
    await assert.rejects(
      exportStep({ source: source(), target: layout('no-such-bucket'), check }),
      (err: unknown) => err instanceof ExportError && err.code === 'TARGET',
    );
  });
});

// The container image (DESIGN 11), opt-in: building it takes minutes, so the default suite skips
// this. Build it first (scripts/build-image.sh, or docker/podman build), then:
//
//   INGRESS_LEDGER_IMAGE_TEST=1 [INGRESS_LEDGER_IMAGE=localhost/ingress-ledger:dev] \
//     [CONTAINERS_CONF=...] node scripts/run-tests.mjs image
//
// It runs the image as an unprivileged uid on a read-only root with a data volume: `ingress-ledger
// up` inside, a real audit batch into its webhook, then this checkout's CLI proves and verifies the
// entry from outside, offline, against the keys the container wrote into the volume.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../services/cli/testing/run-cli.js';
import { type Endpoints, eventually } from './cli-support.js';
import { REPO_ROOT } from './support/shared.js';

const IMAGE = process.env.INGRESS_LEDGER_IMAGE ?? 'localhost/ingress-ledger:dev';
/** The uid the image runs as (Dockerfile USER), and the one the test forces with --user. */
const UID = 65532;
/** Where the image keeps its data; the test mounts a host folder there. */
const VOLUME = '/data';

function skipReason(): string | false {
  if (process.env.INGRESS_LEDGER_IMAGE_TEST !== '1') {
    return 'skipped: the container image test is opt-in; build the image (scripts/build-image.sh) and set INGRESS_LEDGER_IMAGE_TEST=1';
  }
  if (spawnSync('podman', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return 'skipped: podman is not installed';
  }
  return false;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function podman(args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile('podman', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * A read-only root as Docker makes it: podman would otherwise mount writable tmpfs on /tmp, /var/tmp
 * and /run, and hide a write to any of them.
 */
const READ_ONLY = ['--read-only', '--read-only-tmpfs=false'];

/** `podman run` of the image, unprivileged and on a read-only root, as the docs tell users to. */
const runImage = (args: readonly string[]) =>
  podman(['run', '--rm', ...READ_ONLY, '--user', `${UID}:${UID}`, IMAGE, ...args]);

describe('the container image', { skip: skipReason(), timeout: 300_000 }, () => {
  before(async () => {
    const found = await podman(['image', 'exists', IMAGE]);
    assert.equal(found.status, 0, `image ${IMAGE} not found: build it with scripts/build-image.sh`);
  });

  it('has ingress-ledger as its entrypoint, with --help as the default command', async () => {
    const run = await runImage([]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Usage: ingress-ledger /m);
    for (const command of ['up', 'ledger', 'collector', 'witness', 'verify']) {
      assert.match(run.stdout, new RegExp(`^ {2}${command} `, 'm'), `${command} is listed`);
    }
  });

  it('runs as a numeric non-root uid, with OCI labels', async () => {
    const inspect = await podman(['image', 'inspect', IMAGE]);
    assert.equal(inspect.status, 0, inspect.stderr);
    const [config] = JSON.parse(inspect.stdout) as {
      Config: { User: string; Entrypoint: string[]; Labels: Record<string, string> };
    }[];
    assert.equal(config?.Config.User, `${UID}:${UID}`);
    assert.deepEqual(config?.Config.Entrypoint, ['ingress-ledger']);
    assert.equal(config?.Config.Labels['org.opencontainers.image.title'], 'ingress-ledger');
    for (const label of ['version', 'revision', 'licenses', 'base.name']) {
      assert.ok(config?.Config.Labels[`org.opencontainers.image.${label}`], `label ${label}`);
    }
    // Without --user: the image's own default.
    const id = await podman(['run', '--rm', ...READ_ONLY, '--entrypoint', 'id', IMAGE, '-u']);
    assert.equal(id.status, 0, id.stderr);
    assert.equal(id.stdout.trim(), String(UID));
  });

  it('has no package manager and no compiler, but has nats-server', async () => {
    const tools = ['npm', 'npx', 'corepack', 'yarn', 'gcc', 'g++', 'cc', 'make'];
    const script = `for t in ${tools.join(' ')} nats-server; do printf '%s=' "$t"; command -v "$t" || echo; done`;
    const run = await podman(['run', '--rm', ...READ_ONLY, '--entrypoint', 'sh', IMAGE, '-c', script]);
    assert.equal(run.status, 0, run.stderr);
    const found = new Map(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    for (const t of tools) assert.equal(found.get(t), '', `${t} must not be in the runtime image`);
    assert.match(found.get('nats-server') ?? '', /nats-server$/);
  });

  describe('ingress-ledger up in a container', () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-image-'));
    const name = `il-image-test-${process.pid}`;
    let up: ChildProcess | undefined;
    let out = '';
    let exited: Promise<number | null> | undefined;
    after(async () => {
      if (up?.exitCode === null) await podman(['rm', '--force', '--time', '5', name]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('records a real audit batch that the host CLI proves and verifies offline', async () => {
      // The container's uid must be able to write the volume, whatever uid runs the test.
      chmodSync(dir, 0o777);
      // --network host: up's listeners are on the loopback by design, and the test reaches them there.
      up = spawn(
        'podman',
        [
          'run',
          '--rm',
          '--name',
          name,
          ...READ_ONLY,
          '--user',
          `${UID}:${UID}`,
          '--network',
          'host',
          '--env',
          'LOG_LEVEL=warn',
          '--volume',
          `${dir}:${VOLUME}`,
          IMAGE,
          'up',
          '--data-dir',
          VOLUME,
          '--grpc-port',
          '0',
          '--webhook-port',
          '0',
          '--witness-port',
          '0',
          '--http-port',
          '0',
          '--nats-port',
          '0',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const child = up;
      exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
      child.stdout?.on('data', (d: Buffer) => {
        out = (out + d.toString()).slice(-20_000);
      });
      child.stderr?.on('data', (d: Buffer) => {
        out = (out + d.toString()).slice(-20_000);
      });

      const endpointsFile = join(dir, 'endpoints.json');
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`the container exited (${child.exitCode}): ${out}`);
          return existsSync(endpointsFile) ? true : undefined;
        },
        120_000,
        'endpoints.json in the volume',
      );
      const e = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Endpoints;
      // Paths in endpoints.json are the container's; the same files are in the host folder.
      const onHost = (p: string) => join(dir, relative(VOLUME, p));
      assert.equal(e.dataDir, VOLUME);
      assert.equal(
        statSync(join(dir, 'keys', 'log.key')).uid,
        UID,
        'files in the volume belong to the image uid',
      );

      // A real kube-apiserver batch, as in README "A first entry, verified".
      const lines = readFileSync(join(REPO_ROOT, 'services/collector/testdata/audit-events.jsonl'), 'utf8')
        .trim()
        .split('\n');
      const batch = {
        kind: 'EventList',
        apiVersion: 'audit.k8s.io/v1',
        items: lines.slice(0, 5).map((l) => JSON.parse(l) as unknown),
      };
      const post = (token: string) =>
        fetch(e.webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(batch),
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        });
      assert.equal(await post('not-the-token'), 401);
      assert.equal(await post(e.webhookToken), 200);

      const policy = onHost(e.policy);
      const size = await eventually(
        async () => {
          const cp = await runCli(['checkpoint', '--grpc', e.grpc, '--policy', policy, '--json']);
          if (cp.status !== 0) return undefined;
          const parsed = JSON.parse(cp.stdout) as { size: number | string; verified: boolean };
          return BigInt(parsed.size) >= 1n && parsed.verified ? BigInt(parsed.size) : undefined;
        },
        60_000,
        'a cosigned checkpoint with the batch, verified by the host CLI',
      );
      assert.ok(size >= 1n);

      const proof = join(dir, 'host-entry0');
      const prove = await runCli(['prove', '--grpc', e.grpc, '--index', '0', '--out', proof]);
      assert.equal(prove.status, 0, prove.stderr);
      const collectorVkey = e.collectorVkeys[0] ?? '';
      const verify = (leaf: string) =>
        runCli([
          'verify',
          '--policy',
          policy,
          '--proof',
          `${proof}.tlog-proof`,
          '--leaf',
          leaf,
          '--collector-vkey',
          collectorVkey,
        ]);
      const ok = await verify(`${proof}.leaf`);
      assert.equal(ok.status, 0, ok.stderr);
      // And a verification that can fail does: one changed byte of the leaf.
      const leaf = readFileSync(`${proof}.leaf`);
      const mid = leaf.length >> 1;
      leaf.writeUInt8(leaf.readUInt8(mid) ^ 1, mid);
      writeFileSync(`${proof}.bad.leaf`, leaf);
      assert.equal((await verify(`${proof}.bad.leaf`)).status, 1);

      // SIGTERM to the container stops everything cleanly, as on a host.
      const stop = await podman(['stop', '--time', '30', name]);
      assert.equal(stop.status, 0, stop.stderr);
      assert.equal(await exited, 0, out);
      assert.equal(existsSync(endpointsFile), false, 'endpoints.json is removed on a clean stop');
    });
  });
});

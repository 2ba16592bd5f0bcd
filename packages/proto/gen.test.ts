// The committed generated code must be what `buf generate` makes from proto/ today: a proto edit
// without regeneration (or a hand edit of gen/) fails here, naming the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../test/support/shared.js';

const BIN = join(REPO_ROOT, 'node_modules', '.bin');
const BUF = join(BIN, 'buf');
const COMMITTED = join(REPO_ROOT, 'packages', 'proto', 'gen');
/** buf generate compiles the protos and runs protoc-gen-es; a slow shared machine needs slack. */
const GENERATE_TIMEOUT_MS = 60_000;

const bufRuns = spawnSync(BUF, ['--version'], { encoding: 'utf8' }).status === 0;
const NO_BUF = 'skipped: node_modules/.bin/buf cannot run here (run `npm ci`; buf ships a native binary)';

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe('the committed generated code in packages/proto/gen', { skip: bufRuns ? false : NO_BUF }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'proto-gen-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('matches a fresh `buf generate`, file by file', () => {
    const out = join(tmp, 'gen');
    // The repository's own template with only the output directory changed.
    const template = parse(readFileSync(join(REPO_ROOT, 'buf.gen.yaml'), 'utf8')) as {
      plugins: Array<{ out: string }>;
    };
    for (const plugin of template.plugins) plugin.out = out;
    const templateFile = join(tmp, 'buf.gen.yaml');
    writeFileSync(templateFile, stringify(template));

    const run = spawnSync(BUF, ['generate', '--template', templateFile], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: GENERATE_TIMEOUT_MS,
      env: { ...process.env, PATH: `${BIN}:${process.env['PATH'] ?? ''}`, BUF_CACHE_DIR: join(tmp, 'cache') },
    });
    assert.equal(run.status, 0, `buf generate failed: ${run.stderr}`);

    const fresh = files(out);
    const committed = files(COMMITTED);
    for (const f of fresh)
      assert.ok(committed.includes(f), `${f} is generated but not committed: run npm run generate`);
    for (const f of committed)
      assert.ok(fresh.includes(f), `${f} is committed but no longer generated: delete it`);
    for (const f of fresh) {
      const same = readFileSync(join(out, f)).equals(readFileSync(join(COMMITTED, f)));
      assert.ok(same, `packages/proto/gen/${f} is stale: run npm run generate`);
    }
  });
});

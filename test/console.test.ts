// The web console end to end (DESIGN 12, issue 14), against a real `up`: its data API's answers to
// hostile query strings and its security headers, then headless Chromium: filters kept in shared
// links, an object's history with YAML diffs, live updates, every entry verified in the browser,
// an evidence download that verifies offline, and a leaf edited in SQLite shown as failed after a
// restart while the others still verify. Writes screenshots of the main views to docs/console/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { runCli } from '../services/cli/testing/run-cli.js';
import { tamper } from './attack-support.js';
import { eventually, postEvents, startUp, type UpProcess } from './cli-support.js';
import { chromiumSkip, ingressEvent, launchChromium } from './console-support.js';

const SHOTS = fileURLToPath(new URL('../../docs/console/', import.meta.url));
const WITH_TLS = {
  ingressClassName: 'nginx',
  tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
  rules: [{ host: 'shop.example.com', http: { paths: [] } }],
};
const WITHOUT_TLS = {
  ingressClassName: 'nginx',
  rules: [{ host: 'shop.example.com', http: { paths: [] } }, { host: 'admin.example.com' }],
};
const EVENTS = [
  ingressEvent({
    auditID: 'c-1',
    verb: 'create',
    namespace: 'shop',
    name: 'web',
    user: 'alice',
    spec: WITH_TLS,
    reason: 'OPS-1 launch',
  }),
  ingressEvent({
    auditID: 'c-2',
    verb: 'update',
    namespace: 'shop',
    name: 'web',
    user: 'bob',
    spec: WITHOUT_TLS,
    reason: 'OPS-2 debug',
  }),
  ingressEvent({
    auditID: 'c-3',
    verb: 'create',
    namespace: 'blog',
    name: 'site',
    user: 'carol',
    spec: WITH_TLS,
  }),
];

/** The little of the page's DOM the waits read (the tests compile without the DOM types). */
interface InPage {
  querySelectorAll(selector: string): Iterable<{ getAttribute(name: string): string | null }>;
}

describe('web console against up', { timeout: 240_000 }, () => {
  let dir: string;
  let up: UpProcess;
  let base: string;
  let browser: Browser | undefined;

  const api = (path: string, init?: RequestInit) => fetch(new URL(path, base), init);
  const entriesVisible = (n: number) =>
    eventually(
      async () => {
        const r = (await (await api('/api/entries')).json()) as { entries?: unknown[] };
        return r.entries !== undefined && r.entries.length >= n ? true : undefined;
      },
      60_000,
      `${n} entries searchable`,
    );
  const open = async (query: string): Promise<Page> => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(new URL(query, base).href);
    return page;
  };
  const states = (page: Page) =>
    page.$$eval('[data-entry-index]', (els) =>
      Object.fromEntries(
        els.map((e) => [e.getAttribute('data-entry-index'), e.getAttribute('data-verification')]),
      ),
    );
  // Runs in the page (a function, not a string: the console's CSP forbids eval, also to tests).
  const settled = (page: Page, n: number) =>
    page.waitForFunction(
      (count) => {
        const doc = (globalThis as unknown as { document: InPage }).document;
        const els = [...doc.querySelectorAll('[data-entry-index]')];
        return els.length === count && els.every((e) => e.getAttribute('data-verification') !== 'pending');
      },
      n,
      { timeout: 30_000 },
    );
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, name), fullPage: true });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-console-'));
    up = await startUp(dir);
    base = up.endpoints.console;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(await postEvents(up.endpoints.webhook, up.endpoints.webhookToken, EVENTS), 200);
    await entriesVisible(3);
    if (chromiumSkip === false) {
      browser = await launchChromium();
      mkdirSync(SHOTS, { recursive: true });
    }
  });

  after(async () => {
    await browser?.close();
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('data API', () => {
    it('sends a strict CSP and the other security headers on pages, files, data and errors', async () => {
      for (const path of [
        '/',
        '/app.js',
        '/app.css',
        '/api/entries',
        '/api/trust',
        '/api/entries?evil=1',
        '/nope',
      ]) {
        const res = await api(path);
        await res.arrayBuffer();
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'self'/, path);
        assert.match(csp, /frame-ancestors 'none'/, path);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, path);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
      }
      const page = await (await api('/')).text();
      assert.doesNotMatch(
        page,
        /<script>|<style>|style=|onload=|https?:\/\//,
        'no inline code, nothing remote',
      );
    });

    const hostile: [string, number][] = [
      ['/api/entries?evil=1', 400],
      ['/api/entries?user=a&user=b', 400],
      ['/api/entries?user=%E0%A4%A', 400],
      ['/api/entries?name=a%00b', 400],
      ['/api/entries?response-code=4e2', 400],
      ['/api/entries?limit=-1', 400],
      ['/api/entries?limit=99999999999999999999999', 400],
      ['/api/entries?since=2026-13-01T00:00:00Z', 400],
      ['/api/entries?risk=no-such-rule', 400],
      ['/api/entries?page=not-a-token', 400],
      ['/api/entries?page=p1.99999999999999999999.x', 400],
      ['/api/entries?text=%22', 200],
      ['/api/entries?text=NEAR(a%20b)%20OR%20*', 200],
      [`/api/entries?text=${'a'.repeat(9000)}`, 414],
      ['/api/entries?__proto__=x', 400],
      ['/api/history', 400],
      ['/api/history?object=a/b/c', 400],
      ['/api/history?object=nobody/nothing', 200],
      ['/api/bundle?index=-1', 400],
      ['/api/bundle?index=1e3', 400],
      ['/api/bundle?index=007', 400],
      ['/api/bundle?index=99999999999999999999999', 400],
      ['/api/bundle?index=1000000', 404],
      ['/api/bundle?index=0&index=1', 400],
      ['/..%2f..%2fetc/passwd', 404],
      ['/app.js?x=1', 400],
    ];
    for (const [path, status] of hostile) {
      it(`answers ${status} to ${path.slice(0, 70)}`, async () => {
        const res = await api(path);
        assert.equal(res.status, status, await res.clone().text());
        if (res.headers.get('content-type')?.startsWith('application/json')) {
          const body = (await res.json()) as { error?: string; entries?: unknown };
          if (status >= 400) assert.equal(typeof body.error, 'string');
        }
      });
    }

    it('is read-only: other methods are 405', async () => {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const res = await api('/api/entries', { method });
        await res.arrayBuffer();
        assert.equal(res.status, 405, method);
      }
    });

    it('still answers after all that', async () => {
      const res = await api('/api/entries?namespace=shop');
      assert.equal(((await res.json()) as { entries: unknown[] }).entries.length, 2);
    });
  });

  describe('in headless Chromium', { skip: chromiumSkip }, () => {
    it('verifies every entry of the timeline in the browser', async () => {
      const page = await open('/');
      await settled(page, 3);
      assert.deepEqual(await states(page), { 0: 'verified', 1: 'verified', 2: 'verified' });
      assert.match((await page.textContent('#checkpoint')) ?? '', /cosigned by local-witness/);
      await shot(page, 'timeline.png');
      await page.close();
    });

    it('keeps the filters in the query string with the search names, and a shared link shows the same', async () => {
      const page = await open('/');
      await settled(page, 3);
      await page.fill('#f-namespace', 'shop');
      await page.selectOption('#f-risk', 'tls-removed');
      await page.click('form.filters button[type=submit]');
      await settled(page, 1);
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('namespace'), 'shop');
      assert.equal(url.searchParams.get('risk'), 'tls-removed');
      assert.deepEqual(await states(page), { 1: 'verified' });
      await shot(page, 'filters.png');
      const shared = await open(`/?namespace=shop&user=alice`);
      await settled(shared, 1);
      assert.deepEqual(await states(shared), { 0: 'verified' });
      assert.equal(await shared.inputValue('#f-user'), 'alice');
      await page.close();
      await shared.close();
    });

    it("opens an object's history with YAML diffs, unified and side by side", async () => {
      const page = await open('/');
      await settled(page, 3);
      await page.click('[data-entry-index="1"] a.object');
      await settled(page, 2);
      assert.equal(new URL(page.url()).searchParams.get('object'), 'shop/web');
      const unified = (await page.textContent('[data-entry-index="1"] .diff.unified')) ?? '';
      assert.match(unified, /-\s+tls:/);
      assert.match(unified, /\+\s+- host: admin\.example\.com/);
      assert.match((await page.textContent('[data-entry-index="1"] .findings')) ?? '', /HIGH tls-removed/);
      await shot(page, 'history-unified.png');
      await page.click('a.diff-style');
      await page.waitForSelector('.diff.split');
      assert.equal(new URL(page.url()).searchParams.get('diff'), 'split');
      await settled(page, 2);
      await shot(page, 'history-split.png');
      await page.close();
    });

    it('shows new entries as they arrive, verified', async () => {
      const page = await open('/');
      await settled(page, 3);
      await page.waitForSelector('#live.on');
      const status = await postEvents(up.endpoints.webhook, up.endpoints.webhookToken, [
        ingressEvent({
          auditID: 'c-4',
          verb: 'update',
          namespace: 'blog',
          name: 'site',
          user: 'dave',
          spec: WITHOUT_TLS,
        }),
      ]);
      assert.equal(status, 200);
      await page.waitForSelector('[data-entry-index="3"][data-verification="verified"]', { timeout: 30_000 });
      await page.close();
    });

    it('downloads evidence that the README command verifies offline', async () => {
      const page = await open('/');
      await settled(page, 4);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('[data-entry-index="1"] a.bundle'),
      ]);
      const out = mkdtempSync(join(tmpdir(), 'il-console-bundle-'));
      try {
        const tar = join(out, 'bundle.tar');
        await download.saveAs(tar);
        execFileSync('tar', ['-xf', tar, '-C', out]);
        const bundle = join(out, 'entry-1-evidence');
        assert.match(
          readFileSync(join(bundle, 'README.md'), 'utf8'),
          /ingress-ledger verify --policy policy/,
        );
        const r = await runCli([
          'verify',
          '--policy',
          join(bundle, 'policy'),
          '--proof',
          join(bundle, 'entry-1.tlog-proof'),
          '--leaf',
          join(bundle, 'entry-1.leaf'),
          '--collector-vkeys',
          join(bundle, 'collector.vkeys'),
        ]);
        assert.equal(r.status, 0, r.stdout + r.stderr);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
      await page.close();
    });

    it('shows a leaf edited in the store as failed after a restart, and still verifies the others', async () => {
      assert.equal(await up.stop(), 0);
      tamper(join(dir, 'ledger', 'ledger.sqlite'), (db) => {
        const row = db.prepare('SELECT leaf FROM entries WHERE idx = 1').get() as { leaf: Buffer };
        const leaf = Buffer.from(row.leaf.toString('utf8').replace('"username":"bob"', '"username":"eve"'));
        assert.notDeepEqual(leaf, row.leaf);
        db.prepare('UPDATE entries SET leaf = ? WHERE idx = 1').run(leaf);
      });
      up = await startUp(dir);
      base = up.endpoints.console;
      await entriesVisible(4);
      const page = await open('/');
      await settled(page, 4);
      assert.deepEqual(await states(page), { 0: 'verified', 1: 'failed', 2: 'verified', 3: 'verified' });
      assert.match(
        (await page.textContent('[data-entry-index="1"] .verification')) ?? '',
        /VERIFICATION FAILED/,
      );
      assert.match((await page.textContent('.summary')) ?? '', /1 FAILED/);
      await shot(page, 'tampered.png');
      await page.close();
    });
  });
});

// report.html in a real browser (Debian `chromium` through playwright-core): it renders with no
// request beyond the file itself and no console error, and it prints to PDF. With
// INGRESS_LEDGER_SCREENSHOTS=1 the run also refreshes docs/images/report.png.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { auditEventToChange, ResourceFilter } from '../../../packages/change/index.js';
import { REPO_ROOT } from '../../../test/support/shared.js';
import { whyFixtures } from '../../../test/why-fixtures.js';
import { buildReport, type VerifiedChange } from './period-report.js';
import { reportHtml } from './report-html.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `skipped: no chromium at ${CHROMIUM} (set CHROMIUM_PATH)`;

function sampleReport() {
  const changes: VerifiedChange[] = whyFixtures().map((f, i) => {
    const out = auditEventToChange(f.event, {
      cluster: 'prod',
      source: 'audit-webhook',
      observedAt: '2026-12-05T10:01:00Z',
      resources: new ResourceFilter(),
    });
    assert.ok('change' in out);
    const findings =
      f.human && f.reason === null
        ? [
            {
              rule: 'reason-missing',
              severity: 'low',
              message: 'bob@example.com made this update without a reason',
              path: '',
            },
          ]
        : [];
    return {
      index: BigInt(100 + i),
      change: out.change,
      findings: findings as never,
      signer: 'collector/prod+0badc0de',
    };
  });
  return buildReport({
    since: '2026-12-05T00:00:00.000Z',
    until: '2026-12-05T23:59:59.000Z',
    cluster: 'prod',
    generatedAt: '2026-12-05T16:00:00.000Z',
    checkpoint: {
      origin: 'ingress-ledger.example/prod',
      size: 1234n,
      rootHash: 'q7Gk0Qm4Zr8p3b5Y1x9mJ0zV7cT2sW6uE4oH8nR1aLk=',
      note: 'ingress-ledger.example/prod\n1234\nq7Gk0Qm4Zr8p3b5Y1x9mJ0zV7cT2sW6uE4oH8nR1aLk=\n\n— ingress-ledger.example/prod AbCd…\n— witness-1.example AbCd…\n',
      cosigners: ['witness-1'],
    },
    changes,
    verify: ['cd evidence', 'ingress-ledger verify --policy policy …'],
  });
}

describe('report.html in chromium', { skip }, () => {
  it('renders from the file alone, without errors, and prints to PDF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-report-html-'));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const file = join(dir, 'report.html');
      writeFileSync(file, reportHtml(sampleReport()));
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      const url = pathToFileURL(file).href;
      await page.goto(url, { timeout: 30_000 });
      assert.deepEqual(requests, [url]);
      assert.deepEqual(errors, []);
      assert.equal(await page.locator('h1').count(), 1);
      assert.ok((await page.locator('tbody tr').count()) >= 14);
      const pdf = await page.pdf({ format: 'A4' });
      assert.ok(pdf.subarray(0, 5).toString() === '%PDF-' && pdf.length > 10_000);
      if (process.env.INGRESS_LEDGER_SCREENSHOTS === '1') {
        const images = join(REPO_ROOT, 'docs', 'images');
        mkdirSync(images, { recursive: true });
        await page.screenshot({ path: join(images, 'report.png'), fullPage: false });
      }
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// End-to-end: `make dist`'s one HTML file, opened from disk (file://) with no server,
// scores CSV files and workbooks like the CLI and makes no request but loading itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, allRows, fixturePath, launchBrowser, scoring } from './harness.mjs';
import { AS_OF, TOLERANCE, byId, cliJson, cliScore } from './cli.mjs';

const DIST = path.join(ROOT, 'target', 'dist', 'churn-audit.html');
const FIXTURE = fixturePath();

describe('single-file build from file://', { timeout: 120_000 }, () => {
  let browser;
  let context;
  let page;
  const requests = [];
  const problems = [];

  before(async () => {
    if (!existsSync(DIST)) throw new Error(`${path.relative(ROOT, DIST)} is missing: run 'make dist'.`);
    browser = await launchBrowser();
    // Service workers allowed, as in a user's browser: the page must not try to register
    // one from file:// (there is nothing to cache, and it would fail with an error).
    context = await browser.newContext({ serviceWorkers: 'allow' });
    await context.addInitScript(() => {
      const container = globalThis.ServiceWorkerContainer?.prototype;
      if (!container) return;
      const register = container.register;
      container.register = function (...args) {
        globalThis.serviceWorkerRegistrations = (globalThis.serviceWorkerRegistrations || 0) + 1;
        return register.apply(this, args);
      };
    });
    await context.setOffline(true); // no network at all, from the start
    context.on('request', (r) => requests.push(r.url()));
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    await page.goto(pathToFileURL(DIST).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-engine=ready]', { state: 'attached', timeout: 20_000 });
    await page.fill('[data-testid=as-of]', AS_OF);
  });

  after(async () => {
    await browser?.close().catch(() => {});
  });

  test('scores the fixture like the CLI, explains an account and exports', async () => {
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', FIXTURE));
    assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));
    const expected = await cliJson(FIXTURE);
    const shown = byId(await allRows(page));
    const cli = byId(expected.rows.map((r) => ({ id: r.account_id, p: r.churn_probability })));
    assert.equal(shown.size, cli.size);
    for (const [id, ps] of shown) ps.forEach((p, i) => assert.ok(Math.abs(p - cli.get(id)[i]) <= TOLERANCE, id));

    await page.click('[data-testid=open-detail] >> nth=0');
    await page.waitForSelector('dialog[data-testid=detail][open]');
    assert.equal(await page.locator('[data-testid=waterfall] svg').count(), 1);
    await page.click('[data-testid=detail-close]');

    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
    assert.equal(await readFile(await dl.path(), 'utf8'), await cliScore(FIXTURE, { format: 'csv' }));
    const sample = await scoring(page, () => page.click('[data-testid=sample-button]'));
    assert.equal(sample, 'scored');
  });

  test('reads workbooks from disk with the inlined workbook engine: .xlsx and .xls as the CLI scores them, the Excel export, a hostile one refused', async () => {
    for (const name of ['hubspot.xlsx', 'hubspot.xls']) {
      const book = path.join(ROOT, 'tests', 'fixtures', 'workbooks', name);
      const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', book));
      assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));
      const shown = byId(await allRows(page));
      const cli = byId((await cliJson(book)).rows.map((r) => ({ id: r.account_id, p: r.churn_probability })));
      assert.equal(shown.size, cli.size, name);
      for (const [id, ps] of shown) ps.forEach((p, i) => assert.ok(Math.abs(p - cli.get(id)[i]) <= TOLERANCE, `${name} ${id}`));
    }
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-xlsx]')]);
    assert.equal((await readFile(await dl.path())).subarray(0, 2).toString('latin1'), 'PK');
    const bomb = path.join(ROOT, 'tests', 'fixtures', 'workbooks', 'hostile', 'dimensions.xls');
    assert.equal(await scoring(page, () => page.setInputFiles('[data-testid=file-input]', bomb)), 'error');
    assert.match(await page.textContent('[data-testid=issues]'), /dimensions\.xls: the sheet spans about 352321536 cells/);
  });

  test('no request but the file itself, no error, no CSP violation', async () => {
    await page.waitForTimeout(200);
    assert.deepEqual(requests, [pathToFileURL(DIST).href]);
    assert.equal(await page.evaluate(() => document.body.dataset.offline), 'unavailable');
    assert.equal(await page.evaluate(() => globalThis.serviceWorkerRegistrations || 0), 0, 'the page tried to register a service worker from file://');
    assert.deepEqual(problems, []);
    assert.equal(await page.evaluate(() => document.body.dataset.cspViolations || '0'), '0');
    const csp = await page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /https?:|\*|'unsafe-inline'|connect-src/);
  });
});

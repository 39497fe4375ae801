// Coverage in the page: a real-shaped list that supplies few of the bundled model's
// inputs is scored but not presented as an audit (the hook data-testid="coverage" with
// data-share and data-sufficient, the tiers and drivers hidden, the missing inputs named,
// ways forward offered), with the same share the CLI's JSON gives; a full list shows its
// coverage in a line and every finding. The demonstration model says what it is next to
// the scores and on page 1 of the report. Screenshots go to tests/e2e/out/ (gitignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, checkBuilt, launchBrowser, openReadyPage, scoring, startServer } from './harness.mjs';
import { cliJson } from './cli.mjs';

const OUT = path.join(ROOT, 'tests', 'e2e', 'out');
const FEW = path.join(ROOT, 'tests', 'fixtures', 'accounts-few-inputs.csv');
const FULL = path.join(ROOT, 'tests', 'fixtures', 'accounts-hubspot.csv');
const AS_OF = '2026-01-15';

test('coverage is said out loud, and a list with few inputs is not presented as an audit', async () => {
  checkBuilt();
  await mkdir(OUT, { recursive: true });
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const { context, page, problems } = await openReadyPage(browser, server.url);
    const requests = [];
    context.on('request', (req) => requests.push(`${req.method()} ${req.url()}`));
    await page.fill('[data-testid=as-of]', AS_OF);
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', FEW));
    assert.equal(state, 'scored');
    const cov = page.locator('[data-testid=coverage]');
    assert.equal(await cov.count(), 1);
    assert.equal(await cov.getAttribute('data-sufficient'), 'false');
    const share = Number(await cov.getAttribute('data-share'));
    const cli = await cliJson(FEW, { asOf: AS_OF });
    assert.equal(cli.coverage.sufficient, false);
    assert.equal(share, cli.coverage.share, 'the page and the CLI give the same coverage');
    const text = await cov.textContent();
    assert.match(text, /Not an audit yet/);
    assert.match(text, /Open escalations/, 'the missing inputs are named by their labels');
    assert.match(text, /Train a model on this client's own history/);
    for (const hidden of ['tier-cards', 'drivers', 'stat-churners']) {
      assert.equal(await page.locator(`[data-testid=${hidden}]`).isVisible(), false, `${hidden} is not shown as a finding`);
    }
    assert.equal(await page.locator('[data-testid=results-coverage-note]').isVisible(), true);
    assert.equal(await page.locator('[data-testid=demo-note]').isVisible(), true);
    await page.screenshot({ path: path.join(OUT, 'coverage-few-inputs.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    const report = page.locator('[data-testid=report-coverage]');
    assert.equal(await report.getAttribute('data-sufficient'), 'false');
    assert.match(await page.locator('#report').textContent(), /demonstration model, trained on simulated accounts/);
    await page.screenshot({ path: path.join(OUT, 'coverage-few-inputs-report.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    const again = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', FULL));
    assert.equal(again, 'scored');
    assert.equal(await cov.getAttribute('data-sufficient'), 'true');
    assert.equal(Number(await cov.getAttribute('data-share')), (await cliJson(FULL, { asOf: AS_OF })).coverage.share);
    assert.match(await cov.textContent(), /^Coverage: 100%/);
    assert.equal(await page.locator('[data-testid=tier-cards]').isVisible(), true);
    assert.equal(await page.locator('[data-testid=drivers]').isVisible(), true);
    assert.equal(await page.locator('[data-testid=results-coverage-note]').isVisible(), false);
    await page.locator('[data-testid=summary]').screenshot({ path: path.join(OUT, 'coverage-full.png') });
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [], 'nothing is requested after load');
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
  }
});

// End-to-end: the page scores a CRM export in the browser exactly as the CLI does,
// and makes no request of any kind once it has loaded.
//
// Run: node --test tests/e2e/
// Needs: www/pkg built (wasm-bindgen), target/release/churn-audit built, /usr/bin/chromium.
// Env: E2E_FIXTURE (account file), CHURN_AUDIT_BIN (CLI), CHROMIUM_PATH.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, checkBuilt, fixturePath, launchBrowser, openReadyPage, scoring, shownRows, startServer } from './harness.mjs';

const AS_OF = '2026-01-15';
const TOLERANCE = 1e-12;
const MAX_ROWS_SHOWN = 1000;
const FIXTURE = fixturePath();
const CLI = path.resolve(ROOT, process.env.CHURN_AUDIT_BIN || 'target/release/churn-audit');

async function runCli(file) {
  if (!existsSync(CLI)) {
    throw new Error(`CLI not found at ${CLI}: build it with 'cargo build --release' or set CHURN_AUDIT_BIN.`);
  }
  let stdout;
  try {
    ({ stdout } = await promisify(execFile)(CLI, ['score', '--data', file, '--as-of', AS_OF, '--format', 'json'], {
      cwd: ROOT,
      maxBuffer: 512 * 1024 * 1024,
    }));
  } catch (err) {
    throw new Error(`the CLI failed on ${file}: ${err.stderr || err.message}`);
  }
  try {
    return JSON.parse(stdout);
  } catch (err) {
    throw new Error(`the CLI's --format json output is not JSON: ${err.message}\n${stdout.slice(0, 500)}`);
  }
}

describe('churn-audit page', { timeout: 60_000 }, () => {
  let server;
  let browser;
  let page;
  let problems;
  let tmp;
  const requests = [];
  let cli; // CLI result for FIXTURE, started in parallel with the browser

  before(async () => {
    checkBuilt();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-e2e-'));
    cli = runCli(FIXTURE);
    cli.catch(() => {}); // reported by the test that awaits it
    server = await startServer();
    browser = await launchBrowser();
    let context;
    ({ context, page, problems } = await openReadyPage(browser, server.url));
    // From here on, every request fails the run: the page must be fully self-contained.
    context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    context.on('websocket', (ws) => requests.push(`WEBSOCKET ${ws.url()}`));
    await page.fill('[data-testid=as-of]', AS_OF);
    await page.dispatchEvent('[data-testid=as-of]', 'change');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test(`scores ${path.relative(ROOT, FIXTURE)} exactly like the CLI`, async (t) => {
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', FIXTURE));
    const issues = await page.textContent('[data-testid=issues]');
    assert.equal(state, 'scored', `the page did not score the fixture; issues: ${issues}`);

    const expected = await cli;
    const shown = await shownRows(page);
    assert.ok(expected.rows.length > 0, 'the CLI scored no rows: the fixture is empty?');
    assert.equal(
      shown.length,
      Math.min(expected.rows.length, MAX_ROWS_SHOWN),
      `the page shows ${shown.length} rows, the CLI scored ${expected.rows.length}`,
    );

    // Same probability for every account (ids may repeat in a file: compare sorted lists per id).
    const byId = (list) => {
      const m = new Map();
      for (const { id, p } of list) m.set(id, [...(m.get(id) || []), p]);
      for (const v of m.values()) v.sort((a, b) => b - a);
      return m;
    };
    const page_ = byId(shown);
    const cli_ = byId(expected.rows.map((r) => ({ id: r.account_id ?? '', p: r.churn_probability })));
    let maxDiff = 0;
    for (const [id, ps] of page_) {
      const want = cli_.get(id);
      assert.ok(want, `account '${id}' is on the page but not in the CLI's output`);
      ps.forEach((p, i) => {
        assert.ok(Number.isFinite(p), `account '${id}': data-probability is not a number`);
        maxDiff = Math.max(maxDiff, Math.abs(p - want[i]));
        assert.ok(
          Math.abs(p - want[i]) <= TOLERANCE,
          `account '${id}': page probability ${p} differs from CLI ${want[i]} by ${Math.abs(p - want[i])}`,
        );
      });
    }
    t.diagnostic(`${shown.length} rows compared; largest |page - CLI| probability difference: ${maxDiff}`);
    if (expected.rows.length <= MAX_ROWS_SHOWN) {
      assert.deepEqual([...page_.keys()].sort(), [...cli_.keys()].sort(), 'page and CLI have different account ids');
    }

    // Highest risk first.
    for (let i = 1; i < shown.length; i++) {
      assert.ok(
        shown[i - 1].p >= shown[i].p,
        `rows out of order at position ${i}: ${shown[i - 1].id} (${shown[i - 1].p}) before ${shown[i].id} (${shown[i].p})`,
      );
    }

    const summary = await page.textContent('[data-testid=summary]');
    const scored = String(expected.summary.accounts_scored);
    assert.ok(summary.includes(scored), `the summary does not mention ${scored} accounts scored: ${summary}`);
    assert.ok(await page.isVisible('[data-testid=summary]'), 'the summary is not visible');
  });

  test('"Try with sample data" scores the bundled sample without a request', async () => {
    const state = await scoring(page, () => page.click('[data-testid=sample-button]'));
    assert.equal(state, 'scored', `the sample did not score: ${await page.textContent('[data-testid=issues]')}`);
    const shown = await shownRows(page);
    assert.ok(shown.length > 0, 'the sample produced no rows');
    assert.ok((await page.textContent('[data-testid=summary]')).includes('sample-accounts.csv'));
  });

  test('changing the as-of date re-scores the current file', async () => {
    const beforeRows = await shownRows(page);
    const state = await scoring(page, async () => {
      await page.fill('[data-testid=as-of]', '2026-09-30');
      await page.dispatchEvent('[data-testid=as-of]', 'change');
    });
    assert.equal(state, 'scored');
    assert.ok((await page.textContent('[data-testid=summary]')).includes('2026-09-30'), 'summary does not show the new date');
    const afterRows = await shownRows(page);
    assert.equal(afterRows.length, beforeRows.length);
    await scoring(page, async () => {
      await page.fill('[data-testid=as-of]', AS_OF);
      await page.dispatchEvent('[data-testid=as-of]', 'change');
    });
  });

  test('a broken file shows one clear error and the page keeps working', async () => {
    const broken = path.join(tmp, 'broken-export.csv');
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 256;
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]).copy(junk);
    await writeFile(broken, junk);

    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', broken));
    assert.equal(state, 'error', 'a binary file was not reported as an error');
    const errors = await page.$$eval('[data-testid=issues] li[data-kind=error]', (lis) => lis.map((li) => li.textContent));
    assert.equal(errors.length, 1, `expected exactly one error in the issues list, got ${JSON.stringify(errors)}`);
    assert.ok(errors[0].includes('broken-export.csv'), `the error does not name the file: ${errors[0]}`);
    assert.equal(await page.locator('[data-testid=result-row]').count(), 0, 'old results are still shown after an error');

    const again = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', FIXTURE));
    assert.equal(again, 'scored', 'the page did not recover after a broken file');
    assert.ok((await shownRows(page)).length > 0);
    assert.equal(await page.locator('[data-testid=issues] li[data-kind=error]').count(), 0, 'the old error is still shown');
  });

  test('account names are shown as text, never as HTML', async () => {
    const evil = path.join(tmp, 'evil.csv');
    const src = await readFile(path.join(ROOT, 'www', 'sample-accounts.csv'), 'utf8');
    const lines = src.split(/\r?\n/);
    // The sample's second column is the company name, and no sample name contains a comma.
    const cells = lines[1].split(',');
    cells[1] = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    lines[1] = cells.join(',');
    await writeFile(evil, lines.join('\n'));
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', evil));
    assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));
    assert.equal(await page.locator('[data-testid=results] img, [data-testid=results] script').count(), 0);
    const names = await page.$$eval('.account-name', (tds) => tds.map((td) => td.textContent));
    assert.ok(names.includes(cells[1]), 'the name with markup is not shown literally');
  });

  test('no request, page error, console error or CSP violation after load', async () => {
    await page.waitForTimeout(200); // let anything late show up
    assert.deepEqual(requests, [], `the page made requests after it loaded:\n${requests.join('\n')}`);
    assert.deepEqual(problems, [], `the page reported errors:\n${problems.join('\n')}`);
    const csp = await page.evaluate(() => document.body.dataset.cspViolations || '0');
    assert.equal(csp, '0', `${csp} Content-Security-Policy violation(s)`);
  });
});

// End-to-end: the page scores a CRM export in the browser exactly as the CLI does, through
// the whole consultant's flow (mapping, portfolio, table, detail, what-if, export, report,
// custom model), with the network cut after load and no request of any kind.
//
// Run: node --test tests/e2e/
// Needs: www/pkg built (wasm-bindgen), target/release/churn-audit built, /usr/bin/chromium.
// Env: E2E_FIXTURE (account file), CHURN_AUDIT_BIN (CLI), CHROMIUM_PATH.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, allRows, checkBuilt, fixturePath, launchBrowser, openReadyPage, scoring, startServer, setAsOf, tearDown } from './harness.mjs';
import { AS_OF, TOLERANCE, byId, cliJson, cliScore } from './cli.mjs';

const FIXTURE = fixturePath();

function assertSameScores(shown, expected, what) {
  assert.equal(shown.length, expected.rows.length, `${what}: the page lists ${shown.length} rows, the CLI scored ${expected.rows.length}`);
  const page = byId(shown);
  const cli = byId(expected.rows.map((r) => ({ id: r.account_id ?? '', p: r.churn_probability })));
  assert.deepEqual([...page.keys()].sort(), [...cli.keys()].sort(), `${what}: different account ids`);
  let maxDiff = 0;
  for (const [id, ps] of page) {
    ps.forEach((p, i) => {
      const d = Math.abs(p - cli.get(id)[i]);
      maxDiff = Math.max(maxDiff, d);
      assert.ok(d <= TOLERANCE, `${what}: account '${id}': page ${p} vs CLI ${cli.get(id)[i]}`);
    });
  }
  return maxDiff;
}

async function download(page, testid) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  return { name: dl.suggestedFilename(), text: await readFile(await dl.path(), 'utf8') };
}

describe('churn-audit page', { timeout: 90_000 }, () => {
  let server;
  let browser;
  let context;
  let page;
  let problems;
  let tmp;
  const requests = [];
  let cli; // CLI result for FIXTURE, started in parallel with the browser

  before(async () => {
    checkBuilt();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-e2e-'));
    cli = cliJson(FIXTURE);
    cli.catch(() => {}); // reported by the test that awaits it
    server = await startServer();
    browser = await launchBrowser();
    ({ context, page, problems } = await openReadyPage(browser, server.url));
    // From here on, every request fails the run, and the network is cut: the page must be
    // fully self-contained and work offline.
    context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    context.on('websocket', (ws) => requests.push(`WEBSOCKET ${ws.url()}`));
    await context.setOffline(true);
    await setAsOf(page, AS_OF);
  });

  after(() => tearDown({ browser, server, tmp }));

  test(`scores ${path.relative(ROOT, FIXTURE)} exactly like the CLI: every row and the summary figures`, async (t) => {
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', FIXTURE));
    assert.equal(state, 'scored', `the page did not score the fixture; issues: ${await page.textContent('[data-testid=issues]')}`);
    const expected = await cli;
    const shown = await allRows(page);
    const maxDiff = assertSameScores(shown, expected, 'fixture');
    t.diagnostic(`${shown.length} rows compared; largest |page - CLI| difference: ${maxDiff}`);
    for (let i = 1; i < shown.length; i++) assert.ok(shown[i - 1].p >= shown[i].p, `rows out of order at ${i}`);

    const summary = await page.textContent('[data-testid=summary]');
    assert.ok(summary.includes(String(expected.summary.accounts_scored)), `summary lacks the account count: ${summary}`);
    const figures = await page.$eval('[data-testid=summary]', (s) => ({ churners: Number(s.dataset.expectedChurners), revenue: Number(s.dataset.revenueAtRisk) }));
    assert.ok(Math.abs(figures.churners - expected.summary.expected_churners) <= 1e-9, 'expected churners differ from the CLI');
    assert.ok(Math.abs(figures.revenue - expected.summary.revenue_at_risk) <= 1e-6, 'revenue at risk differs from the CLI');
    const tiers = await page.$$eval('[data-testid=summary] [data-testid=tier-card]', (cards) => cards.map((c) => [c.dataset.tier, Number(c.dataset.accounts)]));
    assert.deepEqual(tiers, expected.summary.tiers.map((x) => [x.name, x.accounts]));
    for (const chart of ['histogram', 'drivers']) assert.equal(await page.locator(`[data-testid=${chart}] svg`).count(), 1, `${chart} chart missing`);
    assert.equal(await page.$eval('[data-testid=histogram] svg title', (n) => n.textContent.includes('Histogram')), true);

    // The column table is built when it is opened (not while the file is read), and
    // shows every column with the use the engine made of it.
    assert.equal(await page.locator('[data-testid=map-select]').count(), 0, 'the closed column table was built');
    await page.click('[data-testid=mapping-details] summary');
    await page.waitForSelector('[data-testid=map-select]');
    const choices = await page.$$eval('[data-testid=map-select]', (all) => all.map((s) => [s.dataset.header, s.value]));
    assert.deepEqual(choices, expected.columns.map((c) => [c.header, c.feature || 'ignore']));
    await page.click('[data-testid=mapping-details] summary');
  });

  test('sorting, tier and segment filters and search work on the whole list', async () => {
    const expected = await cli;
    await page.click('[data-testid=sort-account_name]');
    const byName = await allRows(page);
    const names = byName.map((r) => r.name);
    assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'not sorted by name');
    await page.click('[data-testid=sort-churn_probability]'); // back to highest risk first
    await page.click('[data-testid=sort-churn_probability]');
    const ascending = await allRows(page);
    assert.ok(ascending[0].p <= ascending[ascending.length - 1].p, 'second click did not reverse the order');
    await page.click('[data-testid=sort-churn_probability]');

    const high = expected.summary.tiers[0];
    await page.selectOption('[data-testid=tier-filter]', high.name);
    const onlyHigh = await allRows(page);
    assert.equal(onlyHigh.length, high.accounts);
    assert.ok(onlyHigh.every((r) => r.tier === high.name));
    await page.selectOption('[data-testid=tier-filter]', '');

    const segments = [...new Set(expected.rows.map((r) => r.segment).filter(Boolean))];
    if (segments.length) {
      await page.selectOption('[data-testid=segment-filter]', segments[0]);
      const seg = await allRows(page);
      assert.equal(seg.length, expected.rows.filter((r) => r.segment === segments[0]).length);
      await page.selectOption('[data-testid=segment-filter]', '');
    }

    const target = expected.rows[0];
    await page.fill('[data-testid=search]', target.account_name.slice(0, 5).toLowerCase());
    await page.waitForFunction(() => document.querySelector('[data-testid=results-note]').textContent.includes(' of '));
    const found = await allRows(page);
    assert.ok(found.some((r) => r.id === target.account_id), 'search did not find the account');
    assert.ok(found.length < expected.rows.length);
    await page.fill('[data-testid=search]', '');
    await page.waitForFunction((n) => document.querySelector('[data-testid=results-note]').dataset.count === String(n), expected.rows.length);
  });

  test('account detail: waterfall, next best action and a what-if the CLI confirms', async () => {
    const first = (await allRows(page))[0];
    await page.click(`[data-testid=result-row][data-row="${first.row}"] [data-testid=open-detail]`);
    await page.waitForSelector('dialog[data-testid=detail][open]');
    assert.equal(Number(await page.getAttribute('[data-testid=detail-figures]', 'data-probability')), first.p, 'detail probability differs from the row');
    assert.equal(await page.locator('[data-testid=waterfall] svg').count(), 1);
    const contributions = await page.$$eval('[data-testid=contributions] tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.contribution)));
    assert.ok(contributions.length > 0);

    // Next best action: "Try it" gives the probability the action announced.
    const actions = await page.locator('[data-testid=action]').count();
    if (actions) {
      const announced = Number(await page.getAttribute('[data-testid=action] >> nth=0', 'data-probability'));
      assert.match(await page.textContent('[data-testid=action] >> nth=0'), /: \d+% to \d+%/);
      await page.click('[data-testid=action] >> nth=0 >> button');
      await page.waitForFunction(() => document.querySelector('[data-testid=whatif-result]').dataset.probability !== undefined);
      assert.equal(Number(await page.getAttribute('[data-testid=whatif-result]', 'data-probability')), announced);
      await page.click('[data-testid=whatif-reset]');
    }

    // What-if: 14 days since the last engagement, checked against the CLI scoring the edited row.
    const lever = '[data-testid=whatif-days_since_last_engagement]';
    if ((await page.locator(lever).count()) === 0) return; // a model without that lever
    await page.fill(lever, '14');
    await page.waitForFunction(() => document.querySelector('[data-testid=whatif-result]').dataset.probability !== undefined);
    const whatIf = Number(await page.getAttribute('[data-testid=whatif-result]', 'data-probability'));
    const lines = (await readFile(FIXTURE, 'utf8')).split(/\r?\n/);
    const expected = await cli;
    const line = expected.rows.find((r) => r.account_id === first.id).line;
    // A column named exactly like the feature wins over the date column (see src/features/matching.rs).
    const edited = path.join(tmp, 'edited-row.csv');
    await writeFile(edited, `${lines[0]},days_since_last_engagement\n${lines[line - 1]},14\n`);
    const cliEdited = await cliJson(edited);
    assert.ok(Math.abs(cliEdited.rows[0].churn_probability - whatIf) <= TOLERANCE, `what-if ${whatIf} vs CLI ${cliEdited.rows[0].churn_probability}`);
    await page.click('[data-testid=detail-close]');
  });

  test('export: the scored CSV is byte for byte the CLI\'s, and the Excel file adds a BOM', async () => {
    const csv = await download(page, 'export-csv');
    assert.equal(csv.text, await cliScore(FIXTURE, { format: 'csv' }));
    assert.match(csv.name, /-churn-audit\.csv$/);
    const excel = await download(page, 'export-excel');
    assert.equal(excel.text, `\ufeff${csv.text}`);
  });

  test('the printable report has the summary, charts, top accounts, model card and the file\'s SHA-256', async () => {
    const sha = createHash('sha256').update(await readFile(FIXTURE)).digest('hex');
    // The page hashes the file after showing the summary.
    await page.waitForFunction((hex) => document.querySelector('[data-testid=report]').textContent.includes(hex), sha);
    await page.emulateMedia({ media: 'print' });
    try {
      assert.ok(await page.isVisible('[data-testid=report]'), 'report not shown in print');
      assert.ok(!(await page.isVisible('[data-testid=results]')), 'the interactive table is printed');
      const text = await page.textContent('[data-testid=report]');
      assert.ok(text.includes(sha), 'report lacks the file SHA-256');
      const version = await page.evaluate(() => document.querySelector('[data-testid=model-info]').textContent);
      assert.ok(text.includes('Model card') && version.length > 0);
      assert.ok((await page.locator('[data-testid=report] svg').count()) >= 2, 'charts missing from the report');
      assert.ok((await page.locator('[data-testid=report-row]').count()) > 0);
      const pdf = await page.pdf({ format: 'A4' });
      assert.ok(pdf.length > 10_000, 'the PDF is empty');
    } finally {
      await page.emulateMedia({ media: 'screen' });
    }
  });

  test('a renamed column is mapped by hand, and the mapping is remembered', async () => {
    const text = await readFile(FIXTURE, 'utf8');
    const [header, ...rest] = text.split('\n');
    const cols = header.split(',');
    const idCol = cols[0];
    const escCol = cols.find((c) => /escalation/i.test(c));
    const renamed = path.join(tmp, 'renamed.csv');
    const newHeader = cols.map((c) => (c === idCol ? 'Kundennummer' : c === escCol ? 'Zendesk backlog' : c)).join(',');
    await writeFile(renamed, [newHeader, ...rest].join('\n'));

    let state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', renamed));
    assert.equal(state, 'mapping', 'a file without an id column should stop at the mapping step');
    assert.match(await page.textContent('[data-testid=mapping-problem]'), /no account id column/);
    state = await scoring(page, () => page.selectOption('select[data-header="Kundennummer"]', 'account_id'));
    assert.equal(state, 'scored');
    if (escCol) {
      assert.match(await page.textContent('[data-testid=missing-features]'), /escalation/i);
      state = await scoring(page, () => page.selectOption('select[data-header="Zendesk backlog"]', 'open_escalations'));
      assert.equal(state, 'scored');
    }
    assertSameScores(await allRows(page), await cli, 'renamed file');

    // Same headers again: the saved mapping is applied and the file scores at once.
    state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', renamed));
    assert.equal(state, 'scored', 'the remembered mapping was not applied');
    await scoring(page, () => page.click('[data-testid=mapping-reset]'));
  });

  test('formula-like cells are neutralised in the export and markup is shown as text', async () => {
    const evil = path.join(tmp, 'evil.csv');
    const src = await readFile(path.join(ROOT, 'www', 'sample-accounts.csv'), 'utf8');
    const lines = src.split(/\r?\n/);
    const a = lines[1].split(',');
    a[1] = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    lines[1] = a.join(',');
    const b = lines[2].split(',');
    b[0] = '-42';
    b[1] = '=1+2';
    lines[2] = b.join(',');
    await writeFile(evil, lines.join('\n'));
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', evil));
    assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));
    assert.equal(await page.locator('[data-testid=results] img, [data-testid=results] script').count(), 0);
    const names = (await allRows(page)).map((r) => r.name);
    assert.ok(names.includes(a[1]), 'the name with markup is not shown literally');

    const csv = await download(page, 'export-csv');
    assert.equal(csv.text, await cliScore(evil, { format: 'csv' }));
    const row = csv.text.split('\n').find((l) => l.startsWith("'-42,"));
    assert.ok(row, `the id -42 is not neutralised:\n${csv.text.slice(0, 400)}`);
    const cells = row.split(',');
    assert.equal(cells[1], "'=1+2");
    assert.ok(Number.isFinite(Number(cells[2])) && !cells[2].startsWith("'"), 'the probability is no longer a number');
  });

  test('a model trained elsewhere: its card, adjustable tiers, and the CLI agrees', async () => {
    const base = JSON.parse(await readFile(path.join(ROOT, 'models', 'default.json'), 'utf8'));
    base.name = 'e2e-custom';
    base.intercept += 0.5;
    const file = path.join(tmp, 'custom-model.json');
    await writeFile(file, JSON.stringify(base));
    await page.setInputFiles('[data-testid=model-input]', file);
    await page.waitForFunction(() => document.querySelector('[data-testid=model-card]').textContent.includes('e2e-custom'));
    await page.waitForFunction(() => document.body.dataset.state === 'scored'); // the current file, re-scored
    let state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', FIXTURE));
    assert.equal(state, 'scored');
    const expected = await cliJson(FIXTURE, { model: file });
    assertSameScores(await allRows(page), expected, 'custom model');

    // Tier thresholds: the top tier from 70%.
    state = await scoring(page, async () => {
      await page.fill('[data-testid=tier-threshold-0]', '70');
      await page.click('[data-testid=tiers-apply]');
    });
    assert.equal(state, 'scored');
    const top = await page.$eval('[data-testid=summary] [data-testid=tier-card]', (c) => Number(c.dataset.accounts));
    assert.equal(top, expected.rows.filter((r) => r.churn_probability >= 0.7).length);

    await scoring(page, () => page.click('[data-testid=model-default]'));
    assert.ok(!(await page.textContent('[data-testid=model-card]')).includes('e2e-custom'));
    // A broken model file is refused in words.
    const broken = path.join(tmp, 'broken-model.json');
    await writeFile(broken, '{"format": "something else"}');
    await page.setInputFiles('[data-testid=model-input]', broken);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').dataset.kind === 'error');
    assert.match(await page.textContent('[data-testid=status]'), /not a model this page can use/);
  });

  test('"Try with sample data" scores the bundled sample without a request', async () => {
    const state = await scoring(page, () => page.click('[data-testid=sample-button]'));
    assert.equal(state, 'scored', `the sample did not score: ${await page.textContent('[data-testid=issues]')}`);
    assert.ok((await allRows(page)).length > 0, 'the sample produced no rows');
    assert.ok((await page.textContent('[data-testid=summary]')).includes('sample-accounts.csv'));
  });

  test('changing the as-of date re-scores the current file', async () => {
    const state = await scoring(page, async () => {
      await setAsOf(page, '2026-09-30');
    });
    assert.equal(state, 'scored');
    assert.ok((await page.textContent('[data-testid=summary]')).includes('2026-09-30'), 'summary does not show the new date');
    await scoring(page, async () => {
      await setAsOf(page, AS_OF);
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
    assert.equal(errors.length, 1, `expected exactly one error, got ${JSON.stringify(errors)}`);
    assert.ok(errors[0].includes('broken-export.csv'), `the error does not name the file: ${errors[0]}`);
    assert.match(errors[0], /save it as CSV|not a CSV/i);
    assert.equal(await page.locator('[data-testid=result-row]').count(), 0, 'old results are still shown after an error');
    const again = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', FIXTURE));
    assert.equal(again, 'scored', 'the page did not recover after a broken file');
    assert.equal(await page.locator('[data-testid=issues] li[data-kind=error]').count(), 0, 'the old error is still shown');
  });

  test('100,000 accounts: scored, and the table stays virtual and quick to sort and filter', async (t) => {
    // The sample has one record per line (the fixtures hold quoted line breaks).
    const text = await readFile(path.join(ROOT, 'www', 'sample-accounts.csv'), 'utf8');
    const [header, ...data] = text.split(/\r?\n/).filter((l) => l.trim());
    const out = [header];
    for (let i = 0; out.length <= 100_000; i++) {
      const line = data[i % data.length];
      const comma = line.indexOf(',');
      out.push(`BIG-${i}${line.slice(comma)}`);
    }
    const big = path.join(tmp, 'big.csv');
    await writeFile(big, out.join('\n'));
    const t0 = Date.now();
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', big), 60_000);
    assert.equal(state, 'scored');
    t.diagnostic(`100k rows scored and shown in ${Date.now() - t0} ms`);
    const summary100k = await page.textContent('[data-testid=stat-accounts]');
    assert.equal(summary100k, '100000', summary100k);
    assert.ok((await page.locator('[data-testid=result-row]').count()) < 200, 'the table is not virtualised');
    const t1 = Date.now();
    await page.click('[data-testid=sort-account_name]');
    await page.waitForFunction(() => document.querySelector('th[data-key=account_name]').hasAttribute('aria-sort'));
    const sortMs = Date.now() - t1;
    t.diagnostic(`sorting 100k rows by name: ${sortMs} ms`);
    // Speed is a benchmark's figure (make bench), never a timed assertion: printed above.
    await page.$eval('[data-testid=results-viewport]', (vp) => {
      vp.scrollTop = vp.scrollHeight;
    });
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=result-row]')].some((r) => r.getAttribute('aria-rowindex') === '100001'));
    await page.click('[data-testid=sort-churn_probability]');
  });

  test('no request, page error, console error or CSP violation after load', async () => {
    await page.waitForTimeout(200); // let anything late show up
    assert.deepEqual(requests, [], `the page made requests after it loaded:\n${requests.join('\n')}`);
    assert.deepEqual(problems, [], `the page reported errors:\n${problems.join('\n')}`);
    const csp = await page.evaluate(() => document.body.dataset.cspViolations || '0');
    assert.equal(csp, '0', `${csp} Content-Security-Policy violation(s)`);
  });
});

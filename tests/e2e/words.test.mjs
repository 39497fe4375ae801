// End-to-end: what a consultant reads and keeps. Row warnings grouped by kind with counts
// (counted by hand on a fixture with known blemishes), errors that name the real problem,
// the file's currency, the table's export following its filters and order with the
// segment, and the session (model, tier thresholds, column mapping) surviving a reload.
//
// Run: node --test tests/e2e/words.test.mjs (after make cli wasm; CHURN_AUDIT_BIN).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, allRows, checkBuilt, launchBrowser, openReadyPage, scoring, setAsOf, startServer, tearDown } from './harness.mjs';
import { AS_OF, cliScore } from './cli.mjs';

const BLEMISHED = path.join(ROOT, 'tests', 'fixtures', 'accounts-blemished.csv');

async function download(page, testid) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  return { name: dl.suggestedFilename(), text: await readFile(await dl.path(), 'utf8') };
}

const errorText = (page) => page.$$eval('[data-testid=issues] li[data-kind=error]', (lis) => lis.map((li) => li.textContent).join('\n'));

describe('words a consultant reads, and a session kept', { timeout: 120_000 }, () => {
  let server;
  let browser;
  let context;
  let page;
  let tmp;

  before(async () => {
    checkBuilt();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-words-'));
    server = await startServer();
    browser = await launchBrowser();
    ({ context, page } = await openReadyPage(browser, server.url));
    await setAsOf(page, AS_OF);
  });

  after(() => tearDown({ browser, server, tmp }));

  test('row warnings are grouped by kind and column, with the counts made by hand', async () => {
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', BLEMISHED));
    assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));
    const groups = await page.$$eval('[data-testid=issue-group]', (lis) => lis.map((li) => [li.dataset.group, li.dataset.column || null, Number(li.dataset.count)]));
    // tests/fixtures/accounts-blemished.csv, as of 2026-01-15, counted by hand (the same
    // counts as src/score/groups.rs's test).
    assert.deepEqual(groups, [
      ['unreadable', 'renewal_date', 2],
      ['outside_range', 'logins_30d', 2],
      ['empty', 'contract_value', 1],
      ['empty', 'nps', 1],
      ['unreadable', 'contract_value', 1],
      ['no_account_id', null, 1],
      ['missing_fields', null, 1],
      ['empty', 'logins_30d', 1],
      ['outside_range', 'renewal_date', 1],
      ['outside_range', 'nps', 1],
    ]);
    const first = await page.textContent('[data-testid=issue-group] >> nth=0');
    assert.equal(first, "2 accounts: 'renewal_date' is not a date (line 3 'TBD', line 4 'soon'); imputed 183");
    // No line per cell: one item per group, plus the file's warnings and the closing note.
    assert.equal(await page.locator('[data-testid=issues] li[data-kind=row-warning]').count(), 0);
  });

  test("a '|'-separated file and a header with no rows say so", async () => {
    const pipe = path.join(tmp, 'pipe.csv');
    await writeFile(pipe, 'account_id|nps|logins_30d\nA1|5|3\n');
    let state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', pipe));
    assert.equal(state, 'error');
    assert.match(await errorText(page), /pipe\.csv: its columns are separated by '\|' \('account_id', 'nps', 'logins_30d'\)/);
    const headerOnly = path.join(tmp, 'header-only.csv');
    await writeFile(headerOnly, 'Client,Score,Owner\n');
    state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', headerOnly));
    assert.equal(state, 'error');
    assert.match(await errorText(page), /header-only\.csv: the file has column headers but no account rows below them/);
  });

  test('the currency comes from the file, or is chosen, and money is written with it', async () => {
    const euro = path.join(tmp, 'euro.csv');
    await writeFile(euro, 'account_id;Contract value;nps\nA;€ 1.200,00;3\nB;€ 45.300,00;9\nC;€ 7.000,00;6\n');
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', euro));
    assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));
    assert.equal(await page.getAttribute('[data-testid=currency]', 'data-currency'), 'EUR');
    assert.match(await page.textContent('[data-testid=stat-revenue]'), /€/);
    await page.selectOption('[data-testid=currency]', 'GBP');
    await page.waitForFunction(() => document.querySelector('[data-testid=stat-revenue]').textContent.includes('£'));
    await page.selectOption('[data-testid=currency]', '');
    await page.waitForFunction(() => document.querySelector('[data-testid=stat-revenue]').textContent.includes('€'));
  });

  test("the table's export follows its filters and order and carries the segment", async () => {
    const sample = path.join(ROOT, 'www', 'sample-accounts.csv');
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', sample));
    assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));
    await page.selectOption('[data-testid=segment-filter]', { index: 1 });
    const segment = await page.$eval('[data-testid=segment-filter]', (s) => s.value);
    await page.click('[data-testid=sort-account_name]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=results]').dataset.busy);
    const shown = await allRows(page);
    assert.ok(shown.length > 1 && shown.length < 42, `the filter left ${shown.length} rows`);
    const names = shown.map((r) => r.name);
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)), 'the table is not sorted by name');
    const csv = (await download(page, 'export-view')).text.replace(/^\uFEFF/, '');
    const lines = csv.trimEnd().split('\n');
    const cli = (await cliScore(sample, { format: 'csv' })).trimEnd().split('\n');
    assert.equal(lines[0], `${cli[0]},segment`);
    assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]), shown.map((r) => r.id), 'the export is not the table, in its order');
    const cliById = new Map(cli.slice(1).map((l) => [l.split(',')[0], l]));
    for (const line of lines.slice(1)) {
      assert.ok(line.endsWith(`,${segment}`), `no segment on ${line}`);
      assert.equal(line.slice(0, -(segment.length + 1)), cliById.get(line.split(',')[0]), 'a row differs from the CLI');
    }
  });

  test('a reload keeps the model, the tier thresholds and the column mapping', async () => {
    // A model loaded from a file...
    const model = JSON.parse(await readFile(path.join(ROOT, 'models', 'default.json'), 'utf8'));
    model.name = 'e2e-session-model';
    const modelFile = path.join(tmp, 'session-model.json');
    await writeFile(modelFile, JSON.stringify(model));
    await page.setInputFiles('[data-testid=model-input]', modelFile);
    await page.waitForFunction(() => document.body.dataset.model === 'custom' && !['reading', 'inspecting', 'scoring'].includes(document.body.dataset.state));
    // ...tier thresholds chosen...
    await page.fill('[data-testid=tier-threshold-0]', '44');
    await page.fill('[data-testid=tier-threshold-1]', '12.5');
    await page.click('[data-testid=tiers-apply]');
    await page.waitForFunction(() => document.querySelector('[data-testid=model-info]').textContent.includes('High from 44%'));
    // ...and a column mapped by hand (the id under a header no alias knows).
    const renamed = path.join(tmp, 'renamed.csv');
    await writeFile(renamed, 'Kunde,nps,logins_30d\nK1,3,2\nK2,9,40\n');
    let state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', renamed));
    assert.equal(state, 'mapping');
    state = await scoring(page, () => page.selectOption('[data-testid=map-select] >> nth=0', 'account_id'));
    assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));

    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('body[data-engine=ready]', { state: 'attached', timeout: 20_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.session), 'restored');
    assert.equal(await page.evaluate(() => document.body.dataset.model), 'custom');
    const info = await page.textContent('[data-testid=model-info]');
    assert.match(info, /e2e-session-model/);
    assert.match(info, /High from 44%, Medium from 12\.5%/);
    assert.equal(await page.inputValue('[data-testid=tier-threshold-1]'), '12.5');
    await setAsOf(page, AS_OF);
    state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', renamed));
    assert.equal(state, 'scored', 'the mapping made before the reload was not applied');

    // Back to the bundled model: the next reload starts with it.
    await page.click('[data-testid=model-default]');
    await page.waitForFunction(() => document.body.dataset.model === 'bundled');
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('body[data-engine=ready]', { state: 'attached', timeout: 20_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.session), 'new');
    await context.clearCookies();
  });
});

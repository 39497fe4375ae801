// End-to-end: a workbook in the page. The HubSpot workbook (tests/fixtures/workbooks,
// written by openpyxl, with title rows above the header, an #N/A cell and a second sheet)
// is chosen through the real file input; the page must show exactly the probabilities
// the CLI gives for the same workbook, say that title rows were skipped and name the
// error cell, offer the Excel export, and fetch nothing but the workbook engine, from
// its own site, once a workbook is chosen. A hostile workbook is refused in words and
// the tab keeps working.
//
// Run: node --test tests/e2e/workbook.test.mjs
// Needs: www/pkg and www/pkg-workbook built (make wasm-workbook), the CLI, /usr/bin/chromium.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, WWW, allRows, checkBuilt, launchBrowser, openReadyPage, scoring, setAsOf, startServer, tearDown } from './harness.mjs';
import { AS_OF, byId, cliJson } from './cli.mjs';

const BOOK = path.join(ROOT, 'tests', 'fixtures', 'workbooks', 'hubspot.xlsx');
const XLS = path.join(ROOT, 'tests', 'fixtures', 'workbooks', 'hubspot.xls');
const BOMB = path.join(ROOT, 'tests', 'fixtures', 'workbooks', 'hostile', 'bomb.ods');

describe('workbooks in the page', { timeout: 180_000 }, () => {
  let server;
  let browser;
  let context;
  let page;
  let problems;
  const requests = [];

  before(async () => {
    checkBuilt();
    for (const f of ['churn_audit_workbook.js', 'churn_audit_workbook_bg.wasm']) {
      if (!existsSync(path.join(WWW, 'pkg-workbook', f))) throw new Error(`www/pkg-workbook/${f} is missing: build the workbook engine with 'make wasm-workbook'.`);
    }
    server = await startServer();
    browser = await launchBrowser();
    ({ context, page, problems } = await openReadyPage(browser, server.url));
    context.on('request', (r) => requests.push({ method: r.method(), url: r.url(), post: r.postData() }));
    context.on('websocket', (ws) => requests.push({ method: 'WEBSOCKET', url: ws.url() }));
    await setAsOf(page, AS_OF);
  });

  after(() => tearDown({ browser, server }));

  test('the file picker accepts workbooks, and nothing is fetched before one is chosen', async () => {
    const accept = await page.getAttribute('[data-testid=file-input]', 'accept');
    for (const ext of ['.xlsx', '.xlsm', '.xlsb', '.xls', '.ods']) assert.ok(accept.split(',').includes(ext), `accept="${accept}" lacks ${ext}`);
    await page.waitForTimeout(200);
    assert.deepEqual(requests, [], 'the page fetched something before a workbook was chosen');
  });

  test('a workbook scores exactly as the CLI scores it, and the page says what it skipped', async () => {
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', BOOK), 60_000);
    assert.equal(state, 'scored', await page.textContent('[data-testid=status]'));
    const ref = await cliJson(BOOK);
    const shown = await allRows(page);
    assert.equal(shown.length, ref.rows.length);
    const mine = byId(shown.map((r) => ({ id: r.id, p: Number(r.raw) })));
    const theirs = byId(ref.rows.map((r) => ({ id: r.account_id, p: r.churn_probability })));
    assert.deepEqual([...mine.entries()].sort(), [...theirs.entries()].sort());
    const issues = await page.textContent('[data-testid=issues]');
    assert.match(issues, /rows 1 to 3 above the header .* were skipped; the header is row 4/);
    assert.match(issues, /sheet 'Accounts', row 5, column 'NPS' \(P\): the cell holds the error #N\/A/);
    // The report names the workbook's own bytes.
    const sha = (await import('node:crypto')).createHash('sha256').update(await readFile(BOOK)).digest('hex');
    await page.waitForFunction((s) => document.querySelector('[data-testid=report-sha256]')?.textContent === s, sha, { timeout: 10_000 });
    assert.equal(await page.isVisible('[data-testid=sheet-row]'), false, 'one sheet holds a table: no picker');
  });

  test('the Excel export downloads an .xlsx file', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-xlsx]')]);
    assert.match(download.suggestedFilename(), /^hubspot-churn-audit\.xlsx$/);
    const bytes = await readFile(await download.path());
    assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
  });

  test('an .xls workbook scores too, and a hostile workbook is refused without killing the tab', async () => {
    assert.equal(await scoring(page, () => page.setInputFiles('[data-testid=file-input]', XLS), 60_000), 'scored');
    const ref = await cliJson(XLS);
    assert.equal((await allRows(page)).length, ref.rows.length);
    assert.equal(await scoring(page, () => page.setInputFiles('[data-testid=file-input]', BOMB), 60_000), 'error');
    assert.match(await page.textContent('[data-testid=issues]'), /bomb\.ods: the sheet spans about \d+ cells, over the/);
    assert.equal(await scoring(page, () => page.setInputFiles('[data-testid=file-input]', BOOK), 60_000), 'scored');
  });

  test('nothing was requested but the workbook code and engine, from this site', async (t) => {
    const urls = requests.map((r) => `${r.method} ${r.url}`);
    t.diagnostic(`requests after load: ${urls.map((u) => u.replace(server.url, '/')).join(', ')}`);
    const allowed = (r) =>
      r.method === 'GET' && !r.post && (r.url === `${server.url}workbook.js` || r.url === `${server.url}workbook-worker.js` || r.url.startsWith(`${server.url}pkg-workbook/`));
    assert.deepEqual(urls.filter((_, i) => !allowed(requests[i])), [], 'requests other than loading the workbook code and engine');
    assert.ok(requests.some((r) => r.url.endsWith('.wasm')), 'the workbook engine was never fetched');
    assert.deepEqual(problems, []);
  });
});

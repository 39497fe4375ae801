// `make bench-workbook-page BOOK=FILE.xlsx`: how long the page takes to read a workbook
// history, in headless Chromium. The workbook is chosen in the training section RUNS
// times; the page measures each read itself (data-train-read-ms: from the file chosen to
// the sheet's text ready for the training engine, the workbook engine's fetch and start
// included in the first run only). Prints each run and the median. Evidence, not a test.
// A 100,000-account book: churn-audit simulate --accounts 100000 --seed 1 --out FILE.xlsx
// (or tests/fixtures/workbooks/make.py --big-history 100000 FILE.xlsx, with openpyxl).
//
// Env: BOOK (required), RUNS (3), CHROMIUM_PATH.
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WWW, launchBrowser, openReadyPage, startServer } from '../tests/e2e/harness.mjs';

const BOOK = process.env.BOOK ? path.resolve(process.env.BOOK) : '';
const RUNS = Number(process.env.RUNS || 3);
if (!BOOK || !existsSync(BOOK)) throw new Error('Set BOOK to a workbook (churn-audit simulate --accounts 100000 --seed 1 --out FILE.xlsx writes one).');
if (!existsSync(path.join(WWW, 'pkg-workbook', 'churn_audit_workbook_bg.wasm'))) throw new Error("The workbook engine is not built: run 'make wasm-workbook'.");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const secs = (ms) => (ms / 1000).toFixed(2);

const server = await startServer();
const browser = await launchBrowser();
const times = [];
let status = '';
try {
  const { page } = await openReadyPage(browser, server.url);
  for (let i = 0; i < RUNS; i++) {
    const before = await page.evaluate(() => document.body.dataset.trainRun || '0');
    await page.setInputFiles('[data-testid=train-file]', BOOK);
    // The read is followed by the preview; the run counter moves when the preview ends.
    const done = (prev) => (document.body.dataset.trainRun || '0') !== prev && !document.querySelector('[data-testid=train]').hasAttribute('aria-busy');
    await page.waitForFunction(done, before, { timeout: 600_000 });
    status = await page.textContent('[data-testid=train-status]');
    if ((await page.evaluate(() => document.body.dataset.train)) === 'error') throw new Error(`the page failed: ${status}`);
    times.push(Number(await page.evaluate(() => document.body.dataset.trainReadMs)));
  }
} finally {
  await browser.close().catch(() => {});
  await server.stop();
}
console.log(`${path.basename(BOOK)}: ${(statSync(BOOK).size / 1e6).toFixed(1)} MB; ${os.cpus().length} cores; the page says: ${status}`);
console.log(`read in the page: median ${secs(median(times))} s (runs: ${times.map(secs).join(', ')} s; the first includes starting the workbook engine)`);

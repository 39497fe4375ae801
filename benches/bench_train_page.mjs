// `make bench-train-page`: training in the page (headless Chromium, the wasm training
// engine in its worker) against `churn-audit train` on the same simulated history, in
// the same run. Prints the median of RUNS runs of each; the page's time is measured by
// the page from the click on "Train the model" to the result shown (the engine already
// loaded, as it is once the history has been previewed). Evidence, not a test: the
// target is 50k accounts in under 15 s on a 2-core machine.
//
// Env: ACCOUNTS (50000), RUNS (3), SEED (1), CHURN_AUDIT_BIN, CHROMIUM_PATH.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, WWW, launchBrowser, openReadyPage, startServer } from '../tests/e2e/harness.mjs';

const ACCOUNTS = Number(process.env.ACCOUNTS || 50_000);
const RUNS = Number(process.env.RUNS || 3);
const SEED = String(process.env.SEED || 1);
const AS_OF = '2026-06-30';
const targetDir = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const CLI = path.resolve(ROOT, process.env.CHURN_AUDIT_BIN || path.join(targetDir, 'release', 'churn-audit'));

const run = promisify(execFile);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const secs = (ms) => (ms / 1000).toFixed(2);

if (!existsSync(CLI)) throw new Error(`CLI not found at ${CLI}: run 'make cli' (or set CHURN_AUDIT_BIN).`);
if (!existsSync(path.join(WWW, 'pkg-train', 'churn_audit_train_bg.wasm'))) throw new Error("The training engine is not built: run 'make wasm-train'.");

const tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-bench-train-'));
const data = path.join(tmp, 'history.csv');
const cliModel = path.join(tmp, 'cli-model.json');
try {
  await run(CLI, ['simulate', '--accounts', String(ACCOUNTS), '--seed', '20260630', '--as-of', AS_OF, '--out', data]);
  const header = (await readFile(data, 'utf8')).split('\n', 1)[0].split(',');
  console.log(`history: ${ACCOUNTS} accounts x ${header.length} columns (simulated), seed ${SEED}, ${RUNS} runs each; ${os.cpus().length} cores`);

  const cliTimes = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run(CLI, ['train', '--data', data, '--label', 'churned', '--seed', SEED, '--as-of', AS_OF, '--out', cliModel]);
    cliTimes.push(performance.now() - t0);
  }

  const server = await startServer();
  const browser = await launchBrowser();
  const pageTimes = [];
  let pageModel = null;
  try {
    const { page } = await openReadyPage(browser, server.url);
    const finished = async (action) => {
      const before = await page.evaluate(() => document.body.dataset.trainRun || '0');
      await action();
      const done = (prev) => (document.body.dataset.trainRun || '0') !== prev && !document.querySelector('[data-testid=train]').hasAttribute('aria-busy');
      await page.waitForFunction(done, before, { timeout: 600_000 });
      const state = await page.evaluate(() => document.body.dataset.train);
      if (state === 'error') throw new Error(`the page failed: ${await page.textContent('[data-testid=train-status]')}`);
    };
    await finished(() => page.setInputFiles('[data-testid=train-file]', data));
    for (const [id, value] of [['train-seed', SEED], ['train-as-of', AS_OF]]) {
      await finished(async () => {
        await page.fill(`[data-testid=${id}]`, value);
        await page.dispatchEvent(`[data-testid=${id}]`, 'change');
      });
    }
    for (let i = 0; i < RUNS; i++) {
      await finished(() => page.click('[data-testid=train-start]'));
      pageTimes.push(Number(await page.evaluate(() => document.body.dataset.trainMs)));
    }
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=train-download]')]);
    pageModel = await readFile(await dl.path(), 'utf8');
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
  }

  const same = pageModel === (await readFile(cliModel, 'utf8'));
  console.log(`page (wasm, Chromium): median ${secs(median(pageTimes))} s  (runs: ${pageTimes.map(secs).join(', ')} s)`);
  console.log(`CLI (native):          median ${secs(median(cliTimes))} s  (runs: ${cliTimes.map(secs).join(', ')} s; process wall time)`);
  console.log(`page / CLI: ${(median(pageTimes) / median(cliTimes)).toFixed(2)}x; target: page under 15 s -> ${median(pageTimes) < 15_000 ? 'met' : 'NOT met'}`);
  console.log(`model files byte-identical: ${same}`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}

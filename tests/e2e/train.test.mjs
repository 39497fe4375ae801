// End-to-end: "train on your own history" in the page. A simulated history (the CLI's
// `simulate`, with a `churned` label) is previewed, trained on in headless Chromium with
// progress, and the model is used to score a list and downloaded. The reference is the
// CLI: `churn-audit train` on the same file with the same seed and as-of date must give
// the same model file (every number to 1e-9, every other field equal), and `score
// --model` the same probabilities. Bad histories are explained in words; training can be
// cancelled; the training engine is loaded only when this flow is used. A workbook
// history (tests/fixtures/workbooks/training-history.xlsx, written by openpyxl) is read by
// the workbook engine and trains to the model its CSV twin gives, and to `churn-audit
// train` on the same workbook byte for byte.
//
// Run: node --test tests/e2e/train.test.mjs
// Needs: www/pkg and www/pkg-train built (make wasm-train), the CLI (cargo build --release), /usr/bin/chromium.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, WWW, allRows, checkBuilt, launchBrowser, openReadyPage, scoring, startServer, setAsOf, tearDown } from './harness.mjs';
import { AS_OF, CLI, byId, cliJson } from './cli.mjs';

const SEED = '7';
const HISTORY_ACCOUNTS = 3000;
const MODEL_TOLERANCE = 1e-9;
const BOOKS = path.join(ROOT, 'tests', 'fixtures', 'workbooks');
const BOOK = path.join(BOOKS, 'training-history.xlsx');
const BOOK_TWIN = path.join(BOOKS, 'training-history.csv');
const BOOK_AS_OF = '2026-06-30'; // the date the fixture was simulated as of (make.py)

async function cli(...args) {
  if (!existsSync(CLI)) throw new Error(`CLI not found at ${CLI}: build it with 'cargo build --release' or set CHURN_AUDIT_BIN.`);
  try {
    return await promisify(execFile)(CLI, args, { maxBuffer: 256 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`churn-audit ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

/**
 * Every difference between two parsed model files: numbers further apart than
 * `tolerance` (relative above 1), and any other value that is not equal. Returns
 * { diffs: [path: why], maxNumberDiff }.
 */
function compareModels(page, ref, tolerance) {
  const diffs = [];
  let maxNumberDiff = 0;
  const walk = (a, b, at) => {
    if (typeof a === 'number' && typeof b === 'number') {
      const d = Math.abs(a - b);
      maxNumberDiff = Math.max(maxNumberDiff, d);
      if (d > tolerance * Math.max(1, Math.abs(b))) diffs.push(`${at}: page ${a} vs CLI ${b}`);
    } else if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) diffs.push(`${at}: ${a.length} items in the page's file, ${b.length} in the CLI's`);
      else a.forEach((x, i) => walk(x, b[i], `${at}[${i}]`));
    } else if (a && b && typeof a === 'object' && typeof b === 'object') {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) walk(a[k], b[k], at ? `${at}.${k}` : k);
    } else if (a !== b) {
      diffs.push(`${at}: page ${JSON.stringify(a)} vs CLI ${JSON.stringify(b)}`);
    }
  };
  walk(page, ref, '');
  return { diffs, maxNumberDiff };
}

describe('training on a history in the page', { timeout: 240_000 }, () => {
  let server;
  let browser;
  let context;
  let page;
  let problems;
  let tmp;
  let history;
  let bigHistory;
  let accounts;
  let cliModelPath;
  let cliModelText;
  const requests = [];

  const trainState = () => page.evaluate(() => document.body.dataset.train);
  /** Performs `action` and waits until the preview or training it starts has finished. */
  async function run(action, timeout = 60_000) {
    const before = await page.evaluate(() => document.body.dataset.trainRun || '0');
    await action();
    // Finished = the run counter moved and nothing is under way any more (a click that
    // waited for a preview to end must not count that preview as its own run).
    const done = (prev) => (document.body.dataset.trainRun || '0') !== prev && !document.querySelector('[data-testid=train]').hasAttribute('aria-busy');
    await page.waitForFunction(done, before, { timeout }).catch(async (err) => {
      const status = await page.textContent('[data-testid=train-status]').catch(() => '?');
      throw new Error(`nothing finished within ${timeout} ms; the flow is '${await trainState()}' and says "${status}"`, { cause: err });
    });
  }

  /** Picks a history file and waits for its preview. */
  const chooseHistory = (file) => run(() => page.setInputFiles('[data-testid=train-file]', file));

  /** Sets a training option and waits for the preview it triggers. */
  const setOption = (testid, value) =>
    run(async () => {
      await page.fill(`[data-testid=${testid}]`, value);
      await page.dispatchEvent(`[data-testid=${testid}]`, 'change');
    });

  before(async () => {
    checkBuilt();
    for (const f of ['churn_audit_train.js', 'churn_audit_train_bg.wasm']) {
      if (!existsSync(path.join(WWW, 'pkg-train', f))) throw new Error(`www/pkg-train/${f} is missing: build the training engine with 'make wasm-train'.`);
    }
    tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-train-e2e-'));
    history = path.join(tmp, 'history.csv');
    bigHistory = path.join(tmp, 'big-history.csv');
    accounts = path.join(tmp, 'accounts.csv');
    cliModelPath = path.join(tmp, 'cli-model.json');
    await cli('simulate', '--accounts', String(HISTORY_ACCOUNTS), '--seed', '11', '--as-of', AS_OF, '--out', history);
    await cli('simulate', '--accounts', '20000', '--seed', '13', '--as-of', AS_OF, '--out', bigHistory);
    await cli('simulate', '--accounts', '400', '--seed', '12', '--as-of', AS_OF, '--out', accounts);
    await cli('train', '--data', history, '--label', 'churned', '--seed', SEED, '--as-of', AS_OF, '--out', cliModelPath);
    cliModelText = await readFile(cliModelPath, 'utf8');

    server = await startServer();
    browser = await launchBrowser();
    ({ context, page, problems } = await openReadyPage(browser, server.url));
    // From here on every request is recorded: only the training engine may be fetched,
    // and only once the training flow is used.
    context.on('request', (r) => requests.push({ method: r.method(), url: r.url(), post: r.postData() }));
    context.on('websocket', (ws) => requests.push({ method: 'WEBSOCKET', url: ws.url() }));
    await setAsOf(page, AS_OF);
  });

  after(() => tearDown({ browser, server, tmp }));

  test('the section is there, labelled, and the training engine is not loaded before it is used', async () => {
    assert.equal(await page.isVisible('[data-testid=train]'), true, 'the training section is hidden');
    assert.equal(await trainState(), 'idle');
    await page.waitForTimeout(300);
    assert.deepEqual(requests, [], 'the page fetched something before the training flow was used');
    // Every control of the section has a name a screen reader can announce.
    const unnamed = await page.$$eval('#train input, #train select, #train button', (nodes) =>
      nodes.filter((n) => !(n.labels && n.labels.length) && !n.textContent.trim() && !n.getAttribute('aria-label')).map((n) => n.id),
    );
    assert.deepEqual(unnamed, [], 'controls without a label');
  });

  test('a history is previewed: the label column is suggested and every column shows its kind and use', async () => {
    await chooseHistory(history);
    assert.equal(await trainState(), 'previewed', await page.textContent('[data-testid=train-status]'));
    assert.equal(await page.inputValue('[data-testid=train-label]'), 'churned');
    assert.match(await page.textContent('[data-testid=train-label] option:checked'), /churned \(suggested\)/);
    const columns = await page.$$eval('[data-testid=train-column]', (rows) => Object.fromEntries(rows.map((r) => [r.dataset.header, { role: r.dataset.role, kind: r.dataset.kind }])));
    assert.deepEqual(columns.churned, { role: 'label', kind: 'churn label' });
    assert.equal(columns.account_id.role, 'id');
    assert.equal(columns.account_name.role, 'name');
    assert.equal(columns.segment.role, 'segment');
    assert.deepEqual(columns.contract_value, { role: 'feature', kind: 'number' });
    assert.deepEqual(columns.last_engagement_date, { role: 'feature', kind: 'date' });
    assert.deepEqual(columns.is_reference, { role: 'feature', kind: 'yes/no' });
    assert.match(await page.textContent('[data-testid=train-counts]'), /3,?000 accounts: [\d,]+ churned, [\d,]+ retained/);
    assert.equal(await page.isDisabled('[data-testid=train-start]'), false);
  });

  test('training runs in a worker with progress, then shows the metrics and the model card', async () => {
    await setOption('train-seed', SEED);
    await setOption('train-as-of', AS_OF);
    // Collect the progress bar's values while training runs.
    await page.evaluate(() => {
      window.trainProgress = [];
      const bar = document.querySelector('[data-testid=train-progress]');
      new MutationObserver(() => window.trainProgress.push(bar.value)).observe(bar, { attributes: true });
      const status = document.querySelector('[data-testid=train-status]');
      window.trainStages = [];
      new MutationObserver(() => window.trainStages.push(status.textContent)).observe(status, { childList: true, characterData: true, subtree: true });
    });
    await run(() => page.click('[data-testid=train-start]'));
    assert.equal(await trainState(), 'trained', await page.textContent('[data-testid=train-status]'));
    const progress = await page.evaluate(() => window.trainProgress);
    const stages = await page.evaluate(() => window.trainStages);
    assert.ok(progress.some((v) => v > 0 && v < 1), `no intermediate progress was shown: ${progress}`);
    assert.ok(stages.some((s) => s.startsWith('Choosing how strongly to smooth')), `stages shown: ${stages.join(' | ')}`);

    const cliModel = JSON.parse(cliModelText);
    const metrics = await page.$$eval('[data-testid=train-metric]', (rows) => rows.map((r) => Number(r.dataset.auc)));
    assert.equal(metrics.length, 2, 'held-out and cross-validated metrics expected');
    assert.ok(Math.abs(metrics[0] - cliModel.metrics.held_out.auc) <= MODEL_TOLERANCE, `held-out AUC ${metrics[0]} vs CLI ${cliModel.metrics.held_out.auc}`);
    const card = await page.textContent('[data-testid=train-card]');
    assert.ok(card.includes('Model card: churn-audit model (history.csv)'), card.slice(0, 200));
    assert.ok(card.includes('Strongest drivers'));
    const { stdout: cliCard } = await cli('card', '--model', cliModelPath);
    const driversLine = cliCard.split('\n').find((l) => l.startsWith('| Days since last two-way engagement'));
    assert.ok(driversLine, 'the CLI card has no engagement row');
    assert.ok(card.includes(driversLine.split('|')[3].trim()), 'the page card does not show the CLI card\'s swing for engagement');
  });

  test('the downloaded model equals `churn-audit train` with the same data and seed', async (t) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=train-download]')]);
    assert.equal(dl.suggestedFilename(), 'churn-model-history.json');
    const text = await readFile(await dl.path(), 'utf8');
    const { diffs, maxNumberDiff } = compareModels(JSON.parse(text), JSON.parse(cliModelText), MODEL_TOLERANCE);
    // No field is expected to differ: the provenance records the file's base name, the
    // as-of date (not the clock) and the tool's version, which are the same on both sides.
    assert.deepEqual(diffs, [], `the page's model differs from the CLI's:\n${diffs.slice(0, 20).join('\n')}`);
    t.diagnostic(`largest number difference page vs CLI: ${maxNumberDiff}; byte-identical file: ${text === cliModelText}`);
  });

  test('the new model scores a list at once, exactly as `churn-audit score --model` does', async (t) => {
    await page.click('[data-testid=train-use]');
    await page.waitForSelector('body[data-model=custom]', { state: 'attached', timeout: 20_000 });
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', accounts));
    assert.equal(state, 'scored', `the page did not score the list; issues: ${await page.textContent('[data-testid=issues]')}`);
    const expected = await cliJson(accounts, { model: cliModelPath });
    const shown = await allRows(page);
    assert.equal(shown.length, expected.rows.length);
    const cliById = byId(expected.rows.map((r) => ({ id: r.account_id, p: r.churn_probability })));
    let maxDiff = 0;
    for (const [id, ps] of byId(shown)) {
      ps.forEach((p, i) => {
        const d = Math.abs(p - cliById.get(id)[i]);
        maxDiff = Math.max(maxDiff, d);
        assert.ok(d <= MODEL_TOLERANCE, `account ${id}: page ${p} vs CLI ${cliById.get(id)[i]}`);
      });
    }
    t.diagnostic(`${shown.length} accounts; largest |page - CLI| probability difference: ${maxDiff}`);
    assert.match(await page.textContent('[data-testid=model-card]'), /history\.csv/);
  });

  test('a workbook history trains to the model of its CSV twin, and of the CLI on either', async (t) => {
    assert.equal(await page.getAttribute('[data-testid=train-file]', 'accept'), '.csv,.tsv,.txt,text/csv,.xlsx,.xlsm,.xlsb,.xls,.ods');
    /** Trains on `file` (seed SEED, as of BOOK_AS_OF) and returns the downloaded model's text. */
    const trainOn = async (file) => {
      await chooseHistory(file);
      await setOption('train-seed', SEED);
      await setOption('train-as-of', BOOK_AS_OF);
      assert.equal(await trainState(), 'previewed', await page.textContent('[data-testid=train-status]'));
      await run(() => page.click('[data-testid=train-start]'));
      assert.equal(await trainState(), 'trained', await page.textContent('[data-testid=train-status]'));
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=train-download]')]);
      assert.equal(dl.suggestedFilename(), 'churn-model-training-history.json');
      return readFile(await dl.path(), 'utf8');
    };

    // The workbook: the sheet with the account id column is read, the reader's notes are
    // shown with the training warnings, and the other sheet holding a table can be picked.
    await chooseHistory(BOOK);
    assert.equal(await trainState(), 'previewed', await page.textContent('[data-testid=train-status]'));
    assert.equal(await page.inputValue('[data-testid=train-label]'), 'churned');
    const warnings = await page.textContent('[data-testid=train-warnings]');
    assert.match(warnings, /sheet 'History': rows 1 to 3 above the header .* were skipped; the header is row 4/);
    assert.match(warnings, /sheet 'History', row 12, column 'nps' \(P\): the cell holds the error #N\/A; read as missing/);
    assert.equal(await page.isVisible('[data-testid=train-sheet-row]'), true, 'two sheets hold tables: the picker is shown');
    assert.deepEqual(await page.$$eval('[data-testid=train-sheet] option', (o) => o.map((x) => x.value)), ['History', 'Current accounts']);
    await run(() => page.selectOption('[data-testid=train-sheet]', 'Current accounts'));
    assert.match(await page.textContent('[data-testid=train-counts]'), /^50 accounts\.$/);
    await run(() => page.selectOption('[data-testid=train-sheet]', 'History'));
    assert.match(await page.textContent('[data-testid=train-counts]'), /2,?000 accounts: /);

    const fromBook = await trainOn(BOOK);
    assert.match(await page.textContent('[data-testid=train-card]'), /training-history\.xlsx, sheet 'History'/);
    const fromTwin = await trainOn(BOOK_TWIN);
    assert.equal(await page.isVisible('[data-testid=train-sheet-row]'), false, 'a CSV file has no sheets');

    // The CLI on the twin and on the workbook; the page must give each file's model exactly.
    const cliTwin = path.join(tmp, 'cli-twin-model.json');
    const cliBook = path.join(tmp, 'cli-book-model.json');
    for (const [data, out] of [[BOOK_TWIN, cliTwin], [BOOK, cliBook]]) {
      await cli('train', '--data', data, '--label', 'churned', '--seed', SEED, '--as-of', BOOK_AS_OF, '--out', out);
    }
    for (const [mine, ref, what] of [[fromTwin, cliTwin, 'the CSV twin'], [fromBook, cliBook, 'the workbook']]) {
      const { diffs } = compareModels(JSON.parse(mine), JSON.parse(await readFile(ref, 'utf8')), MODEL_TOLERANCE);
      assert.deepEqual(diffs, [], `the page's model of ${what} differs from the CLI's:\n${diffs.slice(0, 20).join('\n')}`);
    }
    // Workbook against twin: only what names the file read may differ (its name, and the
    // SHA-256 of the text read); everything learned is the same.
    const learned = (text) => {
      const m = JSON.parse(text);
      for (const k of ['name', 'description']) delete m[k];
      delete m.provenance.data_file;
      delete m.provenance.data_sha256;
      return m;
    };
    const { diffs, maxNumberDiff } = compareModels(learned(fromBook), learned(fromTwin), 0);
    assert.deepEqual(diffs, [], `the workbook's model differs from its twin's:\n${diffs.slice(0, 20).join('\n')}`);
    t.diagnostic(`workbook vs twin: largest number difference ${maxNumberDiff}; workbook read in ${await page.evaluate(() => document.body.dataset.trainReadMs)} ms`);
    await setOption('train-as-of', AS_OF);
  });

  test('a file the workbook reader refuses is explained, and the flow goes on', async () => {
    await chooseHistory(path.join(BOOKS, 'hostile', 'truncated.xlsx'));
    assert.equal(await trainState(), 'error');
    assert.match(await page.textContent('[data-testid=train-status]'), /truncated\.xlsx/);
    assert.equal(await page.isHidden('[data-testid=train-setup]'), true, 'the previous history can still be trained on');
    assert.equal(await page.isHidden('[data-testid=train-sheet-row]'), true);
  });

  test('training can be cancelled, and trains again afterwards', async () => {
    await chooseHistory(bigHistory);
    await setOption('train-seed', SEED);
    await page.click('[data-testid=train-start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=train-progress]').value > 0, null, { timeout: 30_000 });
    await page.click('[data-testid=train-cancel]');
    assert.equal(await trainState(), 'cancelled');
    assert.match(await page.textContent('[data-testid=train-status]'), /Training cancelled/);
    assert.equal(await page.isHidden('[data-testid=train-progress]'), true);
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'train-start', 'focus did not return to the train button');
    // A fresh engine starts for the next request.
    await chooseHistory(history);
    await setOption('train-seed', SEED);
    await run(() => page.click('[data-testid=train-start]'));
    assert.equal(await trainState(), 'trained', await page.textContent('[data-testid=train-status]'));
  });

  test('bad histories are explained in plain words, before any training', async () => {
    const header = 'account_id,logins_30d,open_escalations,churned\n';
    const rows = (n, label) => Array.from({ length: n }, (_, i) => `A-${i},${i % 17},${i % 3},${label(i)}`).join('\n') + '\n';
    const cases = [
      ['one-class.csv', header + rows(60, () => 'no'), /only one class: all 60 labelled accounts in column 'churned' are marked retained \(none churned\)\. A model learns what churn looks like by comparing accounts that left with accounts that stayed/],
      ['no-labels.csv', header + rows(30, (i) => (i % 2 ? 'maybe' : '')), /no account has a churn label: column 'churned' holds values such as 'maybe', which do not say whether an account churned/],
      ['no-columns.csv', 'account_id,notes,churned\n' + Array.from({ length: 40 }, (_, i) => `A-${i},,${i % 2 ? 'yes' : 'no'}`).join('\n') + '\n', /no usable column to learn from: 'notes' \(it has no value in the training rows\)/],
      ['tiny.csv', header + 'A,1,0,yes\nB,2,1,no\nC,3,0,no\n', /too few examples to learn from: 1 churned and 2 retained/],
      ['header-only.csv', header, /the file has a header row but no accounts below it/],
    ];
    for (const [name, text, expected] of cases) {
      const file = path.join(tmp, name);
      await writeFile(file, text);
      await chooseHistory(file);
      const problem = await page.textContent('[data-testid=train-problem]');
      assert.match(problem, expected, `${name}: the explanation shown is "${problem}"`);
      assert.equal(await page.isVisible('[data-testid=train-problem]'), true, `${name}: the explanation is hidden`);
      assert.equal(await page.isDisabled('[data-testid=train-start]'), true, `${name}: training can be started`);
      assert.doesNotMatch(problem, /linfa|panic|unwrap|RuntimeError|undefined/i, `${name}: engineer's words in "${problem}"`);
    }
    // Some labels missing: training goes ahead and says how many rows it left out.
    const some = path.join(tmp, 'some-missing.csv');
    await writeFile(some, header + rows(300, (i) => (i % 10 === 0 ? '' : i % 4 === 0 ? 'yes' : 'no')));
    await chooseHistory(some);
    assert.equal(await page.isVisible('[data-testid=train-problem]'), false);
    assert.match(await page.textContent('[data-testid=train-warnings]'), /30 row\(s\) have no churn label in 'churned'.*will be left out of training/);
  });

  test('the keyboard reaches every training control, with a visible focus ring', async () => {
    await page.focus('[data-testid=train-file]');
    const stops = [];
    // The date field takes a stop per part; each input has a checkbox (can an action change it?).
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const a = document.activeElement;
        const cs = getComputedStyle(a);
        return { testid: a.dataset.testid || a.tagName, ring: (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || (cs.boxShadow && cs.boxShadow !== 'none') };
      });
      stops.push(f.testid);
      assert.ok(f.ring, `${f.testid} has focus but no visible focus ring`);
      if (f.testid === 'train-start') break; // the last control of the page while nothing is trained
    }
    for (const id of ['train-label', 'train-seed', 'train-as-of', 'train-value', 'train-actionable', 'train-start']) assert.ok(stops.includes(id), `Tab skipped ${id}: ${stops.join(' ')}`);
  });

  test('nothing but the training flow and the two engines was requested after load, and no page error', async (t) => {
    const urls = requests.map((r) => `${r.method} ${r.url}`);
    t.diagnostic(`requests after load: ${urls.map((u) => u.replace(server.url, '/')).join(', ')}`);
    // The workbook reader (workbook.js) is part of the page's start-up load; its worker
    // and engine are fetched once a workbook history is chosen.
    const engines = ['train-ui.js', 'train-worker.js', 'workbook-worker.js'].map((f) => `${server.url}${f}`);
    const allowed = (r) =>
      r.method === 'GET' && !r.post && (engines.includes(r.url) || r.url.startsWith(`${server.url}pkg-train/`) || r.url.startsWith(`${server.url}pkg-workbook/`));
    assert.deepEqual(urls.filter((_, i) => !allowed(requests[i])), [], 'requests other than loading the training flow and engines');
    assert.ok(requests.some((r) => r.url.endsWith('churn_audit_train_bg.wasm')), 'the training engine was never fetched');
    assert.ok(requests.some((r) => r.url.endsWith('churn_audit_workbook_bg.wasm')), 'the workbook engine was never fetched');
    assert.deepEqual(problems, [], `the page reported errors:\n${problems.join('\n')}`);
  });
});

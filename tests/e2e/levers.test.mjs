// End-to-end: a model trained in the page on a client-shaped table with category columns
// (a Telco-like history: Contract, InternetService, PaymentMethod, yes/no columns,
// tenure and charges) has a working what-if for every input and ranked next-best
// actions; revenue at risk is hidden when training is told of no value column and
// present (the CLI's figure) with the suggested one. An action's probability is checked
// against the independent Python scorer (tests/reference/score_reference.py) on the list
// with that one cell changed.
//
// Run: node --test tests/e2e/levers.test.mjs
// Needs: www/pkg and www/pkg-train built (make wasm wasm-train), the CLI, /usr/bin/chromium, python3.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, WWW, checkBuilt, launchBrowser, openReadyPage, scoring, setAsOf, startServer, tearDown } from './harness.mjs';
import { AS_OF, cliJson } from './cli.mjs';

const SHOTS = process.env.LEVERS_SHOTS || '';

/** A small deterministic generator (xorshift32), so the table is the same every run. */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** A Telco-like table of `n` customers, with a Churn column when `label`. */
function telco(n, seed, label) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const head = ['customerID', 'gender', 'SeniorCitizen', 'Partner', 'tenure', 'Contract', 'InternetService', 'TechSupport', 'PaperlessBilling', 'PaymentMethod', 'MonthlyCharges', 'TotalCharges'];
  const lines = [[...head, ...(label ? ['Churn'] : [])].join(',')];
  for (let i = 0; i < n; i++) {
    const contract = pick(['Month-to-month', 'Month-to-month', 'One year', 'Two year']);
    const internet = pick(['Fiber optic', 'DSL', 'No']);
    const payment = pick(['Electronic check', 'Mailed check', 'Bank transfer (automatic)', 'Credit card (automatic)']);
    const tech = internet === 'No' ? 'No internet service' : pick(['Yes', 'No']);
    const tenure = Math.floor(r() * 72) + 1;
    const charges = Math.round((20 + r() * 95) * 100) / 100;
    const z =
      -1.2 +
      { 'Month-to-month': 1.6, 'One year': 0, 'Two year': -1.2 }[contract] +
      { 'Fiber optic': 0.7, DSL: 0, No: -0.6 }[internet] +
      (payment === 'Electronic check' ? 0.6 : 0) +
      (tech === 'No' ? 0.4 : 0) -
      0.035 * (tenure - 30) +
      0.008 * (charges - 65);
    const churned = r() < 1 / (1 + Math.exp(-z));
    const row = [
      `${7000 + i}-TLC${seed}`,
      pick(['Female', 'Male']),
      r() < 0.16 ? 'Yes' : 'No',
      pick(['Yes', 'No']),
      tenure,
      contract,
      internet,
      tech,
      pick(['Yes', 'No']),
      `"${payment}"`,
      charges.toFixed(2),
      (charges * tenure).toFixed(2),
    ];
    if (label) row.push(churned ? 'Yes' : 'No');
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The independent scorer's probability per account id for `data` with `model`. */
async function reference(model, data) {
  const script = path.join(ROOT, 'tests', 'reference', 'score_reference.py');
  const { stdout } = await promisify(execFile)('python3', [script, model, data, AS_OF], { maxBuffer: 64 * 1024 * 1024 });
  return new Map(stdout.trim().split('\n').map((l) => [l.slice(0, l.lastIndexOf(',')), Number(l.slice(l.lastIndexOf(',') + 1))]));
}

describe('levers of a model trained in the page on a table with categories', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;
  let problems;
  let tmp;
  let history;
  let accounts;

  async function run(action, timeout = 90_000) {
    const before = await page.evaluate(() => document.body.dataset.trainRun || '0');
    await action();
    const done = (prev) => (document.body.dataset.trainRun || '0') !== prev && !document.querySelector('[data-testid=train]').hasAttribute('aria-busy');
    await page.waitForFunction(done, before, { timeout });
  }

  /** Trains on the history with the value column `value` ('' for none), uses the model, scores the list; returns the downloaded model's path. */
  async function trainAndScore(value, name) {
    await page.selectOption('[data-testid=train-value]', value);
    await run(() => page.click('[data-testid=train-start]'));
    assert.equal(await page.evaluate(() => document.body.dataset.train), 'trained', await page.textContent('[data-testid=train-status]'));
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=train-download]')]);
    const model = path.join(tmp, name);
    await writeFile(model, await readFile(await dl.path()));
    await page.click('[data-testid=train-use]');
    await page.waitForFunction(() => document.body.dataset.model === 'custom', null, { timeout: 20_000 });
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', accounts), 30_000);
    assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));
    return model;
  }

  before(async () => {
    checkBuilt();
    if (!existsSync(path.join(WWW, 'pkg-train', 'churn_audit_train_bg.wasm'))) throw new Error("www/pkg-train is missing: build it with 'make wasm-train'.");
    tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-levers-e2e-'));
    history = path.join(tmp, 'telco-history.csv');
    accounts = path.join(tmp, 'telco-accounts.csv');
    await writeFile(history, telco(2500, 7, true));
    await writeFile(accounts, telco(300, 8, false));
    server = await startServer();
    browser = await launchBrowser();
    ({ page, problems } = await openReadyPage(browser, server.url, { viewport: { width: 1280, height: 1000 } }));
    await setAsOf(page, AS_OF);
  });

  after(() => tearDown({ browser, server, tmp }));

  test('the preview suggests the value column and marks category inputs actionable, not who the client is', async () => {
    await run(() => page.setInputFiles('[data-testid=train-file]', history));
    assert.equal(await page.inputValue('[data-testid=train-label]'), 'Churn');
    assert.equal(await page.inputValue('[data-testid=train-value]'), 'MonthlyCharges');
    assert.match(await page.textContent('[data-testid=train-value] option:checked'), /MonthlyCharges \(suggested\)/);
    const marks = await page.$$eval('[data-testid=train-actionable]', (boxes) => Object.fromEntries(boxes.map((b) => [b.dataset.header, b.checked])));
    for (const h of ['Contract', 'InternetService', 'PaymentMethod', 'TechSupport', 'PaperlessBilling']) assert.equal(marks[h], true, `${h} should be actionable`);
    for (const h of ['gender', 'SeniorCitizen', 'Partner', 'tenure', 'MonthlyCharges', 'TotalCharges']) assert.equal(marks[h], false, `${h} should not be actionable`);
  });

  test('without a value column, revenue at risk is hidden, not shown as 0', async () => {
    // Partner is ticked as well: the choice reaches the model file.
    await page.check('[data-testid=train-actionable][data-header=Partner]');
    const model = await trainAndScore('', 'no-value.json');
    const m = JSON.parse(await readFile(model, 'utf8'));
    assert.equal(m.value_feature, null);
    assert.equal(m.features.find((f) => f.name === 'partner').actionable, 'any');
    assert.equal(m.features.find((f) => f.name === 'gender').actionable, 'no');
    assert.equal(await page.evaluate(() => document.body.dataset.revenue), 'hidden');
    assert.equal(await page.isVisible('[data-testid=stat-revenue]'), false, 'the revenue figure is shown');
    assert.equal(await page.isVisible('[data-testid=sort-revenue_at_risk]'), false, 'the revenue column is shown');
    assert.equal(await page.locator('.tier-revenue:visible').count(), 0);
  });

  test('the what-if edits every input, and the actions rank category changes the independent scorer confirms', async () => {
    const model = path.join(tmp, 'no-value.json');
    const m = JSON.parse(await readFile(model, 'utf8'));
    // The account most at risk (the table is sorted by probability, highest first).
    await page.click('[data-testid=open-detail] >> nth=0');
    await page.waitForSelector('dialog[data-testid=detail][open]');
    const fields = await page.$$eval('#whatif-fields [data-feature]', (xs) => xs.map((x) => ({ feature: x.dataset.feature, tag: x.tagName, kind: x.dataset.kind })));
    assert.deepEqual(fields.map((f) => f.feature).sort(), m.features.map((f) => f.name).sort(), 'a what-if field per input');
    const contract = fields.find((f) => f.feature === 'contract');
    assert.equal(contract.tag, 'SELECT');
    const levels = await page.$$eval('[data-testid=whatif-contract] option', (os) => os.map((o) => o.textContent));
    for (const l of ['Month-to-month', 'One year', 'Two year']) assert.ok(levels.includes(l), `level ${l} missing: ${levels}`);

    const actions = await page.$$eval('[data-testid=action]', (xs) => xs.map((x) => ({ feature: x.dataset.feature, value: Number(x.dataset.value), p: Number(x.dataset.probability), text: x.textContent })));
    assert.ok(actions.length > 0, 'no action offered');
    const before = Number(await page.getAttribute('[data-testid=detail-figures]', 'data-probability'));
    for (let i = 0; i < actions.length; i++) {
      assert.ok(actions[i].p < before, `action ${actions[i].text} does not lower the risk`);
      if (i) assert.ok(actions[i].p >= actions[i - 1].p, 'actions are not ranked by the drop');
      const spec = m.features.find((f) => f.name === actions[i].feature);
      assert.notEqual(spec.actionable, 'no', `${spec.name} is not actionable`);
    }
    assert.ok(actions.some((a) => m.features.find((f) => f.name === a.feature).kind === 'categorical'), 'no category action');
    assert.match(actions[0].text, /: \d+% to \d+%/);

    // "Try it": the what-if gives the announced probability.
    await page.click('[data-testid=action] >> nth=0 >> button');
    await page.waitForFunction(() => document.querySelector('[data-testid=whatif-result]').dataset.probability !== undefined);
    assert.equal(Number(await page.getAttribute('[data-testid=whatif-result]', 'data-probability')), actions[0].p);
    if (SHOTS) await page.locator('dialog[open]').screenshot({ path: path.join(SHOTS, 'detail-trained-telco.png') });

    // The independent scorer on the list with that one cell changed.
    const id = (await page.textContent('#detail-heading')).match(/\(([^)]+)\)$/)[1];
    const spec = m.features.find((f) => f.name === actions[0].feature);
    const header = [spec.name, ...(spec.aliases || [])];
    const text = await readFile(accounts, 'utf8');
    const lines = text.trimEnd().split('\n');
    const cols = lines[0].split(',');
    const col = cols.findIndex((h) => header.some((a) => a.replace(/[^a-z0-9]/gi, '').toLowerCase() === h.replace(/[^a-z0-9]/gi, '').toLowerCase()));
    assert.ok(col >= 0, `no column for ${spec.name}`);
    const row = lines.findIndex((l) => l.startsWith(`${id},`));
    // Split on commas outside quotes (the payment method is quoted).
    const cells = lines[row].match(/("[^"]*"|[^,]*)(,|$)/g).map((c) => c.replace(/,$/, ''));
    cells[col] = spec.kind === 'categorical' ? spec.basis.levels[actions[0].value] : spec.kind === 'boolean' ? (actions[0].value ? 'Yes' : 'No') : String(actions[0].value);
    lines[row] = cells.slice(0, cols.length).join(',');
    const edited = path.join(tmp, 'edited.csv');
    await writeFile(edited, `${lines.join('\n')}\n`);
    const ref = await reference(model, edited);
    assert.ok(Math.abs(ref.get(id) - actions[0].p) <= 1e-12, `${id}: reference ${ref.get(id)}, page ${actions[0].p}`);

    // The waterfall: every step is an odds multiplier, sorted by size, from the typical
    // account to this one.
    const steps = await page.$$eval('[data-testid=contributions] tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.contribution)));
    for (let i = 1; i < steps.length; i++) assert.ok(Math.abs(steps[i]) <= Math.abs(steps[i - 1]) + 1e-15, 'steps are not sorted by size');
    const values = await page.$$eval('[data-testid=waterfall] text.bar-value', (ts) => ts.map((t) => t.textContent));
    assert.match(values[0], /%$/);
    assert.match(values[values.length - 1], /%$/);
    assert.ok(values.slice(1, -1).every((v) => /^odds ×\d/.test(v)), values.join(' | '));
    await page.click('[data-testid=detail-close]');
  });

  test('with the suggested value column, revenue at risk is shown and is the CLI\'s', async () => {
    await page.selectOption('[data-testid=train-value]', 'MonthlyCharges');
    const model = await trainAndScore('MonthlyCharges', 'value.json');
    assert.equal(await page.evaluate(() => document.body.dataset.revenue), 'shown');
    assert.equal(await page.isVisible('[data-testid=stat-revenue]'), true);
    const expected = await cliJson(accounts, { model });
    assert.equal(expected.value_input, 'monthly_charges');
    const shown = Number(await page.getAttribute('[data-testid=summary]', 'data-revenue-at-risk'));
    assert.ok(shown > 0 && Math.abs(shown - expected.summary.revenue_at_risk) <= 1e-6, `page ${shown} vs CLI ${expected.summary.revenue_at_risk}`);
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});

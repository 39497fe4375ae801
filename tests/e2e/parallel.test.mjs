// End-to-end: a big file is scored by two web workers at once (the second half in the
// partner worker, joined in the first) with exactly the CLI's result; a file whose
// middle line feed sits inside a quoted field is read on by the first worker, again
// with exactly the CLI's result. A page on a four-core machine reads with four workers,
// again with the CLI's result. A 2 GB file is refused at once with a clear message (or,
// where memory allows, scored), and the tab carries on.
//
// Run: node --test tests/e2e/
// Needs: www/pkg built (wasm-bindgen), target/release/churn-audit built, /usr/bin/chromium.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkBuilt, launchBrowser, openReadyPage, scoring, setAsOf, startServer, tearDown } from './harness.mjs';
import { AS_OF, CLI, cliJson, cliScore } from './cli.mjs';
import { FIRST_SHARE } from '../../www/engine-core.js';

// engine-core.js reads files of at least this many bytes with two workers.
const MIN_PARALLEL_BYTES = 16 << 20;

async function download(page, testid) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  return readFile(await dl.path(), 'utf8');
}

/** The share of a file before the page's `k`th cut for `workers` workers (engine-core.js). */
const shareOf = (k, workers) => (FIRST_SHARE + k - 1) / (FIRST_SHARE + workers - 1);

/** Where the page cuts a file: just after the first line feed at or after the share. */
function cutOf(bytes, k, workers) {
  return bytes.indexOf(10, Math.floor(bytes.length * shareOf(k, workers))) + 1;
}

/** Waits for the file's SHA-256, which the page computes after the summary is shown. */
async function fingerprinted(page) {
  await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector('[data-testid=report-sha256]')?.textContent || ''), null, {
    timeout: 60_000,
  });
}

describe('several workers', { timeout: 360_000 }, () => {
  let server;
  let browser;
  let page;
  let problems;
  let tmp;
  let big;
  let quoted;
  const requests = [];

  before(async () => {
    checkBuilt();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-parallel-'));
    big = path.join(tmp, 'big.csv');
    await promisify(execFile)(CLI, ['simulate', '--accounts', '200000', '--seed', '11', '--as-of', AS_OF, '--out', big]);
    // The same list with two accounts whose quoted names run over many lines, placed so
    // that the cut for two workers falls inside one and the middle cut for four inside
    // the other (the file is ASCII: string offsets are byte offsets).
    const text = await readFile(big, 'utf8');
    const name = Array.from({ length: 40 }, (_, i) => `Line ${i} of a long, quoted name`).join('\n');
    const rowAt = (at, id) => {
      const row = text.slice(at, text.indexOf('\n', at)).split(',');
      row[0] = id;
      row[1] = `"${name}"`;
      return `${row.join(',')}\n`;
    };
    const length = rowAt(0, 'QUOTED-1').length;
    const total = text.length + 2 * length;
    // The two cuts (the one for two workers and the middle one for four), in file order,
    // each with the account whose name it should fall in. Where each account goes, as a
    // row start in the list before either is added (the later one comes after the first).
    const cuts = [
      { workers: 2, k: 1, id: 'QUOTED-1' },
      { workers: 4, k: 2, id: 'QUOTED-2' },
    ].sort((a, b) => shareOf(a.k, a.workers) - shareOf(b.k, b.workers));
    const [first, second] = cuts;
    first.at = text.indexOf('\n', Math.floor(total * shareOf(first.k, first.workers) - length / 2)) + 1;
    second.at = text.indexOf('\n', Math.floor(total * shareOf(second.k, second.workers) - length / 2) - length) + 1;
    assert.ok(first.at + length < second.at, 'the two quoted names overlap');
    quoted = path.join(tmp, 'quoted.csv');
    const parts = [text.slice(0, first.at), rowAt(first.at, first.id), text.slice(first.at, second.at), rowAt(second.at, second.id), text.slice(second.at)];
    await writeFile(quoted, parts.join(''));
    const q = await readFile(quoted);
    // In the new file the later account starts one quoted row further on.
    for (const { workers, k, at } of [first, { ...second, at: second.at + length }]) {
      const cut = cutOf(q, k, workers);
      assert.ok(cut > at && cut < at + length, `the cut ${cut} for ${workers} workers is not inside the quoted name at ${at}`);
    }
    for (const f of [big, quoted]) assert.ok((await stat(f)).size >= MIN_PARALLEL_BYTES, `${f} is too small to be split`);

    server = await startServer();
    browser = await launchBrowser();
    ({ page, problems } = await openReadyPage(browser, server.url));
    page.context().on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    await setAsOf(page, AS_OF);
  });

  after(() => tearDown({ browser, server, tmp }));

  test('a 20 MB file: both workers, the CLI\'s summary and export byte for byte', async (t) => {
    const cli = cliJson(big);
    // The summary as it first appears: before the partner's rows are joined (the page is
    // still scoring, the table is being prepared), with the whole file's figures.
    await page.evaluate(() => {
      const summary = document.querySelector('[data-testid=summary]');
      const seen = new MutationObserver(() => {
        if (summary.hidden) return;
        window.firstSummary = {
          state: document.body.dataset.state,
          accounts: document.querySelector('[data-testid=stat-accounts]').textContent,
          churners: Number(summary.dataset.expectedChurners),
          status: document.querySelector('[data-testid=status]').textContent,
        };
        seen.disconnect();
      });
      seen.observe(summary, { attributes: true, attributeFilter: ['hidden'] });
    });
    const t0 = Date.now();
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', big), 120_000);
    assert.equal(state, 'scored', await page.textContent('[data-testid=status]'));
    const first = await page.evaluate(() => window.firstSummary);
    t.diagnostic(`200,000 accounts (${((await stat(big)).size / 1e6).toFixed(1)} MB) scored and shown in ${Date.now() - t0} ms`);
    assert.equal(await page.evaluate(() => document.body.dataset.workers), '2', 'the second worker was not used');
    const expected = await cli;
    assert.equal(await page.textContent('[data-testid=stat-accounts]'), String(expected.summary.accounts_scored));
    const churners = Number(await page.evaluate(() => document.querySelector('[data-testid=summary]').dataset.expectedChurners));
    assert.equal(churners, expected.summary.expected_churners);
    const accounts = String(expected.summary.accounts_scored);
    assert.match(first.status, /preparing the table/, 'the summary came with the table, not before it');
    assert.deepEqual({ ...first, status: undefined }, { state: 'scoring', accounts, churners, status: undefined }, 'the summary shown first');
    assert.equal(await download(page, 'export-csv'), await cliScore(big, { format: 'csv' }));
    // The file's SHA-256 (a second pass after the summary) before the next file.
    await fingerprinted(page);
    assert.equal(await page.textContent('[data-testid=report-sha256]'), expected.file_sha256);
  });

  test('the same file for another date: the partner does not use the reading it prepared for the first', async () => {
    // The partner planned its part while the file was inspected, for the date then; a new
    // date scores the file again without inspecting it.
    const other = '2026-04-01';
    const state = await scoring(page, () => setAsOf(page, other), 120_000);
    assert.equal(state, 'scored', await page.textContent('[data-testid=status]'));
    assert.equal(await page.evaluate(() => document.body.dataset.workers), '2', 'the second worker was not used');
    const csv = await download(page, 'export-csv');
    assert.equal(csv, await cliScore(big, { format: 'csv', asOf: other }));
    assert.notEqual(csv, await cliScore(big, { format: 'csv' }), 'the date changes no figure: the test proves nothing');
    assert.equal(await scoring(page, () => setAsOf(page, AS_OF), 120_000), 'scored');
    await fingerprinted(page); // before the next file (a request still running restarts the workers)
  });

  test('a cut inside a quoted field: the first worker reads on, same result as the CLI', async () => {
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', quoted), 120_000);
    assert.equal(state, 'scored', await page.textContent('[data-testid=status]'));
    assert.equal(await page.evaluate(() => document.body.dataset.workers), '1', 'a part cut inside a quoted field was joined');
    const csv = await download(page, 'export-csv');
    assert.ok(csv.includes('QUOTED-1,"Line 0 of a long, quoted name\nLine 1'), 'the quoted account is missing');
    assert.equal(csv, await cliScore(quoted, { format: 'csv' }));
  });

  test('four cores: four workers, the CLI\'s export byte for byte, also with a cut in a quoted field', async () => {
    const opened = await openReadyPage(browser, server.url, { cores: 4 });
    opened.context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    const four = opened.page;
    await setAsOf(four, AS_OF);
    try {
      for (const [file, workers] of [
        [big, '4'],
        [quoted, null],
      ]) {
        const state = await scoring(four, () => four.setInputFiles('[data-testid=file-input]', file), 120_000);
        assert.equal(state, 'scored', await four.textContent('[data-testid=status]'));
        const used = await four.evaluate(() => document.body.dataset.workers);
        if (workers) assert.equal(used, workers, `${path.basename(file)}: not every worker was used`);
        else assert.ok(Number(used) < 4, `${path.basename(file)}: a part cut inside a quoted field was joined`);
        assert.equal(await download(four, 'export-csv'), await cliScore(file, { format: 'csv' }), path.basename(file));
      }
      assert.deepEqual(opened.problems, []);
    } finally {
      await opened.context.close();
    }
  });

  test('a 2 GB file: refused with a clear message, or scored; the tab carries on', async (t) => {
    // 20.8 MB of accounts written 100 times over (ids repeat, which the page allows).
    const huge = path.join(tmp, 'huge.csv');
    const text = await readFile(big);
    const rows = text.subarray(text.indexOf(10) + 1);
    const out = await open(huge, 'w');
    try {
      await out.write(text);
      while ((await out.stat()).size < 2e9) await out.write(rows);
    } finally {
      await out.close();
    }
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', huge), 300_000);
    if (state === 'error') {
      const errors = await page.$$eval('[data-testid=issues] li[data-kind=error]', (lis) => lis.map((li) => li.textContent));
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.ok(errors[0].includes('huge.csv'), `the error does not name the file: ${errors[0]}`);
      assert.match(errors[0], /memory/i);
      t.diagnostic(`refused: ${errors[0]}`);
    } else {
      assert.equal(state, 'scored', await page.textContent('[data-testid=status]'));
    }
    const again = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', quoted), 120_000);
    assert.equal(again, 'scored', 'the page did not carry on after the 2 GB file');
  });

  test('nothing was fetched after load and nothing went wrong', () => {
    assert.deepEqual(requests, []);
    assert.deepEqual(problems, []);
  });
});

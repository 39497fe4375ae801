// `make bench`: how fast and how small the tool is, measured in one run on this machine.
//
// 1. Generates a canonical account history once (churn-audit simulate, fixed seed) into
//    target/bench/ and reuses it while the generator parameters stay the same.
// 2. Serves www/ and the baseline page (benches/browser/papaparse.html, PapaParse from
//    node_modules, the bundled model) from one loopback server, and in headless Chromium
//    times "file chosen to summary shown" for our page, for the PapaParse + JS baseline and
//    for the usual PapaParse route (papaparse.js, `?route=usual`), BENCH_RUNS times each,
//    alternating, a fresh browser per run, while sampling the JS heap of the page and of
//    every worker it starts (and reading the renderer process's peak resident memory,
//    which also counts wasm memory, from /proc).
// 3. Times the native CLI (churn-audit score) on the same file: to the scored CSV, and to
//    the summary alone (--format summary), alternating.
// 4. Gzips (level 9) the wasm and every file the page loads.
// It prints a table of targets with PASS/MISS and writes it to target/bench/report.md (raw
// figures in target/bench/results.json). It is a measurement, not a test: it exits 0 when
// targets are missed and non-zero only when it cannot measure at all.
//
// Env: BENCH_RUNS (5), BENCH_TIMEOUT_S per page run (180), BENCH_CLI_RUNS (3),
// BENCH_PAGE_BUDGET_S (300): a page gets no further run once another would take its runs
// past this total, so a slow page costs minutes, not a quarter of an hour (at least one run
// each); BENCH_ROWS (1000000), BENCH_HEAP_MS heap sampling interval (100), BENCH_PAPA_WORKER=1
// (PapaParse worker mode instead of the main thread), CHROMIUM_PATH, CHURN_AUDIT_BIN.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../tests/e2e/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HERE = path.join(ROOT, 'benches', 'browser');
const WWW = path.join(ROOT, 'www');
const OUT_DIR = path.join(ROOT, 'target', 'bench');
const CLI = path.resolve(ROOT, process.env.CHURN_AUDIT_BIN || 'target/release/churn-audit');
const PAPA_DIR = path.join(ROOT, 'node_modules', 'papaparse');
const MODEL = path.join(ROOT, 'models', 'default.json');

const intEnv = (name, dflt, min = 1) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer >= ${min} (got '${v}')`);
  return n;
};
const TARGET_ROWS = 1_000_000; // the row count the targets are stated for
const ROWS = intEnv('BENCH_ROWS', TARGET_ROWS);
const RUNS = intEnv('BENCH_RUNS', 5);
const CLI_RUNS = intEnv('BENCH_CLI_RUNS', 3);
const TIMEOUT_MS = intEnv('BENCH_TIMEOUT_S', 180) * 1000;
const HEAP_MS = intEnv('BENCH_HEAP_MS', 100, 10);
const PAGE_BUDGET_MS = intEnv('BENCH_PAGE_BUDGET_S', 300) * 1000;
const PAPA_WORKER = process.env.BENCH_PAPA_WORKER === '1';
// The simulator's parameters: a fixed seed and as-of date make the same file every time.
const GEN = { generator: 'churn-audit simulate', accounts: ROWS, seed: 1, as_of: '2026-06-30' };
const LOAD_TIMEOUT_MS = 60_000;

const TARGETS = {
  seconds: 1.0,
  ratio: 10,
  cliRowsPerSec: 2_000_000,
  wasmKB: 150,
  pageKB: 250,
  heapBytesPerRow: 64,
};

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}
const note = (s) => console.error(`bench: ${s}`);

// --- figures ------------------------------------------------------------------------------
const KB = 1024;
const MB = 1024 * 1024;
const kb = (b) => `${(b / KB).toFixed(1)} KB`;
const mb = (b) => `${(b / MB).toFixed(1)} MB`;
const secs = (ms) => (ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`);
const int = (n) => Math.round(n).toLocaleString('en-US');
function stats(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
}

// --- 1. the account file ------------------------------------------------------------------
async function countRows(file) {
  // Data rows = line breaks after the header; a missing final newline still counts a row.
  let newlines = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) newlines++;
    last = chunk[chunk.length - 1];
  }
  return newlines - 1 + (last === 0x0a ? 0 : 1);
}

async function accountFile() {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `accounts-${ROWS}.csv`);
  const paramsFile = path.join(OUT_DIR, `accounts-${ROWS}.params.json`);
  const want = JSON.stringify(GEN);
  let reused = false;
  if (existsSync(file) && existsSync(paramsFile)) {
    try {
      const saved = JSON.parse(readFileSync(paramsFile, 'utf8'));
      reused = JSON.stringify(saved.params) === want && saved.bytes === statSync(file).size;
    } catch {
      reused = false;
    }
  }
  if (!reused) {
    note(`generating ${int(ROWS)} accounts into ${path.relative(ROOT, file)} (churn-audit simulate, seed ${GEN.seed})…`);
    const tmp = `${file}.partial`;
    const r = spawnSync(CLI, ['simulate', '--accounts', String(ROWS), '--seed', String(GEN.seed), '--as-of', GEN.as_of, '--out', tmp], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (r.status !== 0) fail(`churn-audit simulate failed (${r.error?.message || `exit ${r.status}`}): ${String(r.stderr || '').trim()}`);
    renameSync(tmp, file);
    writeFileSync(paramsFile, JSON.stringify({ params: GEN, bytes: statSync(file).size }, null, 2) + '\n');
  }
  const bytes = statSync(file).size;
  const rows = await countRows(file);
  if (rows !== ROWS) note(`the file has ${int(rows)} data rows, not ${int(ROWS)}`);
  return { file, bytes, rows, reused };
}

// --- 2. one static server for www/ and the baseline page ------------------------------------
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The file on disk for a URL path, or null; never outside its root. */
function resolvePath(urlPath) {
  const fixed = { '/bench/papaparse.min.js': path.join(PAPA_DIR, 'papaparse.min.js'), '/bench/model.json': MODEL };
  if (fixed[urlPath]) return fixed[urlPath];
  const [root, rest] = urlPath.startsWith('/bench/') ? [HERE, urlPath.slice('/bench/'.length)] : [WWW, urlPath.slice(1)];
  const file = path.resolve(root, rest.endsWith('/') || rest === '' ? `${rest}index.html` : rest);
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

function startServer() {
  const served = []; // URL paths, in order, for listing what a page loads
  const server = http.createServer((req, res) => {
    let urlPath;
    try {
      urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = resolvePath(urlPath);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    served.push(urlPath);
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Cache-Control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, served, stop: () => new Promise((r) => server.close(r)) });
    });
  });
}

// --- heap sampling: the page and each of its workers, through CDP --------------------------
/**
 * Samples Runtime.getHeapUsage on the page and on every worker it starts (workers are
 * reached through Target.setAutoAttach on the page's session, non-flattened, so their
 * commands go through Target.sendMessageToTarget; Playwright keeps its own flattened
 * sessions). V8 answers a busy worker between wasm calls and loop iterations, but the
 * page's own thread only between tasks, so a page-side peak inside one long task can be
 * missed. Reports the peak of the sum of the latest sample of each live target.
 */
async function heapSampler(context, page) {
  const cdp = await context.newCDPSession(page);
  const latest = new Map(); // 'page' | sessionId -> { used, backing }
  const workers = new Map(); // sessionId -> url
  const inflight = new Set();
  const pending = new Map();
  let seq = 0;
  let peak = { used: 0, page: 0, workers: 0, withBuffers: 0 };
  let stopped = false;

  const update = (key, r) => {
    if (!r || typeof r.usedSize !== 'number') return;
    latest.set(key, { used: r.usedSize, backing: r.backingStorageSize || 0 });
    let used = 0;
    let withBuffers = 0;
    for (const v of latest.values()) {
      used += v.used;
      withBuffers += v.used + v.backing;
    }
    if (used > peak.used) {
      const p = latest.get('page')?.used || 0;
      peak = { ...peak, used, page: p, workers: used - p };
    }
    if (withBuffers > peak.withBuffers) peak.withBuffers = withBuffers;
  };
  cdp.on('Target.attachedToTarget', (e) => {
    if (/worker/.test(e.targetInfo.type)) workers.set(e.sessionId, e.targetInfo.url);
  });
  cdp.on('Target.detachedFromTarget', (e) => {
    workers.delete(e.sessionId);
    latest.delete(e.sessionId); // a terminated worker's heap is gone
  });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    let m;
    try {
      m = JSON.parse(e.message);
    } catch {
      return;
    }
    const done = pending.get(m.id);
    if (done) {
      pending.delete(m.id);
      done(m.result);
    }
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });

  const ask = (key, send) => {
    if (inflight.has(key) || stopped) return Promise.resolve();
    inflight.add(key);
    return send()
      .then((r) => update(key, r))
      .catch(() => {})
      .finally(() => inflight.delete(key));
  };
  const askWorker = (sessionId) =>
    ask(sessionId, () => {
      const id = ++seq;
      const answer = new Promise((resolve) => pending.set(id, resolve));
      return cdp
        .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) })
        .then(() => answer);
    });
  const sample = () =>
    Promise.all([ask('page', () => cdp.send('Runtime.getHeapUsage')), ...[...workers.keys()].map(askWorker)]);
  const timer = setInterval(sample, HEAP_MS);
  return {
    workerCount: () => workers.size,
    /** One last sample (bounded in time), then stop; returns the peaks in bytes. */
    async stop() {
      await Promise.race([sample(), new Promise((r) => setTimeout(r, 2000))]);
      stopped = true;
      clearInterval(timer);
      for (const done of pending.values()) done(undefined);
      await cdp.detach().catch(() => {});
      return peak;
    },
  };
}

// --- renderer memory from /proc: what the JS heap leaves out (wasm memory, DOM, buffers) ---
/** Pids of Chromium renderer processes descended from this process (Linux only). */
function rendererPids() {
  const parent = new Map();
  const renderers = [];
  let entries = [];
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const d of entries) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('--type=renderer')) renderers.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return renderers.filter((pid) => {
    for (let p = parent.get(pid), hops = 0; p && hops < 64; p = parent.get(p), hops++) if (p === process.pid) return true;
    return false;
  });
}
/** The largest `field` (VmRSS, VmHWM) over our renderer processes, in bytes, or null. */
function rendererMemory(field) {
  let best = null;
  for (const pid of rendererPids()) {
    try {
      const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
      if (m) best = Math.max(best ?? 0, Number(m[1]) * 1024);
    } catch {
      // gone
    }
  }
  return best;
}

// --- the timing probe, injected into each page before its scripts run ----------------------
/**
 * Records performance.now() when the file input fires (capture phase, before the page's
 * own listener), then watches the DOM: done when the summary is not hidden and its
 * accounts figure equals the file's row count (or the page says data-state=scored), and
 * the first animation frame after that has started, i.e. when it is on screen. A page that
 * ends in data-state=error or =mapping is reported with its status line.
 */
function probe({ rows }) {
  if (window.top !== window) return;
  const bench = (window.__bench = { t0: null });
  const digits = (s) => Number(String(s || '').replace(/[^0-9]/g, '') || NaN);
  const text = (sel) => (document.querySelector(sel)?.textContent || '').trim().replace(/\s+/g, ' ');
  let observer = null;
  let finished = false;
  const finish = (kind, extra) => {
    if (finished) return;
    finished = true;
    observer?.disconnect();
    const msDom = performance.now() - bench.t0;
    requestAnimationFrame(() => {
      const msFrame = performance.now() - bench.t0;
      window.__benchDone({ kind, msDom, msFrame, ...extra() });
    });
  };
  const check = () => {
    const state = document.body?.dataset.state;
    if (state === 'error' || state === 'mapping') {
      finish('error', () => ({ status: `${state}: ${text('[data-testid=status]')} ${text('[data-testid=issues]')}`.slice(0, 300) }));
      return;
    }
    const summary = document.querySelector('[data-testid=summary]');
    const accounts = document.querySelector('[data-testid=stat-accounts]');
    if (!summary || !accounts || summary.closest('[hidden]')) return;
    const n = digits(accounts.textContent);
    if (!(n > 0) || (n !== rows && state !== 'scored')) return; // empty, or a partial count
    finish('done', () => ({
      accounts: digits(accounts.textContent),
      churners: Number(summary.dataset.expectedChurners ?? NaN),
      // How many workers read the file (our page: 2 on two cores for a big file).
      readers: document.body.dataset.workers ?? null,
      visible: summary.checkVisibility ? summary.checkVisibility({ checkVisibilityCSS: true }) : true,
    }));
  };
  const onPick = (e) => {
    const t = e.target;
    if (bench.t0 !== null || !(t instanceof HTMLInputElement) || t.type !== 'file' || t.dataset.testid !== 'file-input') return;
    bench.t0 = performance.now();
    observer = new MutationObserver(check);
    observer.observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
    check();
  };
  addEventListener('input', onPick, true);
  addEventListener('change', onPick, true);
}

// --- one timed run of one page -------------------------------------------------------------
async function timedRun(url, data) {
  // A browser of its own per run: nothing cached or left over from the previous run, and
  // its renderer processes are the only ones whose memory we read.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
  const problems = [];
  let rssBefore = null;
  try {
    const page = await context.newPage();
    let settle;
    const outcome = new Promise((r) => (settle = r));
    page.on('crash', () => settle({ kind: 'crash' }));
    page.on('pageerror', (err) => problems.push(err.message));
    await page.exposeFunction('__benchDone', (r) => settle(r));
    await page.addInitScript(probe, { rows: data.rows });
    const heap = await heapSampler(context, page);
    let result;
    let wall0 = performance.now();
    try {
      await page.goto(url, { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
      await page.waitForSelector('[data-testid=file-input]:not([disabled])', { state: 'attached', timeout: LOAD_TIMEOUT_MS });
      // Dates are counted up to the file's as-of date on both pages, so their figures agree.
      if (await page.$('[data-testid=as-of]:not([disabled])')) {
        await page.fill('[data-testid=as-of]', GEN.as_of);
        await page.dispatchEvent('[data-testid=as-of]', 'change');
      }
      await page.waitForTimeout(300); // let start-up work finish before the clock starts
      rssBefore = rendererMemory('VmRSS');
      const timer = setTimeout(() => settle({ kind: 'timeout' }), TIMEOUT_MS);
      wall0 = performance.now();
      await Promise.race([page.setInputFiles('[data-testid=file-input]', data.file), outcome]);
      result = await outcome;
      clearTimeout(timer);
      result.wallMs = performance.now() - wall0;
      if (result.kind === 'done') {
        // Our page shows the summary before the table is ready: the run ends (and the
        // heap is sampled) when the page is done, and tells how many workers read the file.
        await page
          .waitForFunction(() => ['scored', 'error'].includes(document.body.dataset.state), null, { timeout: TIMEOUT_MS })
          .catch(() => {});
        result.readers = await page.evaluate(() => document.body.dataset.workers ?? null).catch(() => result.readers);
      }
      if (result.kind === 'timeout' || result.kind === 'crash') {
        result.status = await Promise.race([
          page.textContent('[data-testid=status]').catch(() => null),
          new Promise((r) => setTimeout(() => r(null), 2000)),
        ]);
      }
    } catch (err) {
      const message = err.message.split('\n')[0];
      result = { kind: /crash/i.test(message) ? 'crash' : 'error', status: message, wallMs: performance.now() - wall0 };
    }
    result.rss = { before: rssBefore, peak: rendererMemory('VmHWM') };
    result.workers = heap.workerCount();
    result.heap = await heap.stop();
    if (problems.length) result.problems = problems.slice(0, 3);
    return result;
  } finally {
    // A crashed or still-busy page can make close() wait: do not let it hold the run.
    await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 15_000))]);
  }
}

const describeRun = (r) =>
  r.kind === 'done'
    ? `${secs(r.msFrame)}, peak JS heap ${mb(r.heap.used)}`
    : r.kind === 'timeout'
      ? `timeout after ${TIMEOUT_MS / 1000} s (status: ${r.status ?? '?'}), peak JS heap so far ${mb(r.heap.used)}`
      : r.kind === 'crash'
        ? `the page crashed (out of memory?) after ${secs(r.wallMs)}, peak JS heap seen ${mb(r.heap.used)}`
        : `failed: ${r.status}`;

// --- 4. sizes -------------------------------------------------------------------------------
async function pageFiles(server) {
  // Everything the page fetches until it is ready (the worker's module and wasm included),
  // read from the server's own log so worker requests are counted too.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const page = await context.newPage();
    server.served.length = 0;
    await page.goto(server.url, { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    await page.waitForSelector('[data-testid=file-input]:not([disabled])', { state: 'attached', timeout: LOAD_TIMEOUT_MS });
    await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
    const seen = [...new Set(server.served)];
    return { files: seen.map((p) => resolvePath(p === '/' ? '/index.html' : p)).filter(Boolean), version: browser.version() };
  } finally {
    await browser.close().catch(() => {});
  }
}
const gz = (file) => {
  const raw = readFileSync(file);
  return { file: path.relative(ROOT, file), raw: raw.length, gz: gzipSync(raw, { level: 9 }).length };
};

// --- 3. the native CLI ----------------------------------------------------------------------
// Each run scores the file twice, alternating: to the scored CSV (the target's measure: a
// row of text per account, reasons and warnings included) and to the summary alone
// (`--format summary`, what the page's timing covers: file to figures). Every run writes
// a new file, as the first one does: the previous output is removed first, untimed
// (truncating the last run's 240 MB cost the next run ~45 ms, and its pages' writeback to
// disk ran into it).
function timeCli(data) {
  const out = path.join(os.tmpdir(), `churn-audit-bench-${process.pid}.csv`);
  const times = [];
  const summaryTimes = [];
  let error = null;
  const once = (extra) => {
    rmSync(out, { force: true });
    const t0 = process.hrtime.bigint();
    const r = spawnSync(CLI, ['score', '--data', data.file, '--out', out, '--as-of', GEN.as_of, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) {
      error = `churn-audit score ${extra.join(' ')} failed (${r.error?.message || `exit ${r.status}`}): ${String(r.stderr || '').trim().split('\n')[0]}`;
      return null;
    }
    return ms;
  };
  try {
    for (let i = 0; i < CLI_RUNS; i++) {
      const ms = once([]);
      if (ms === null) break;
      times.push(ms);
      const summaryMs = once(['--format', 'summary']);
      if (summaryMs === null) break;
      summaryTimes.push(summaryMs);
      note(`CLI run ${i + 1}/${CLI_RUNS}: ${secs(ms)} (summary alone: ${secs(summaryMs)})`);
    }
  } finally {
    rmSync(out, { force: true });
  }
  return { times, summaryTimes, error };
}

// --- main -----------------------------------------------------------------------------------
async function main() {
  for (const [what, p, fix] of [
    ['the CLI', CLI, 'make cli'],
    ["the page's engine", path.join(WWW, 'pkg', 'churn_audit_bg.wasm'), 'make wasm'],
    ['PapaParse', path.join(PAPA_DIR, 'papaparse.min.js'), 'make setup-test (npm ci)'],
    ['Chromium', CHROMIUM, 'make setup-test, or set CHROMIUM_PATH'],
  ]) {
    if (!existsSync(p)) fail(`${what} is missing (${p}); run: ${fix}`);
  }
  const started = new Date();
  const data = await accountFile();
  note(`${path.relative(ROOT, data.file)}: ${int(data.rows)} rows, ${mb(data.bytes)}${data.reused ? ' (reused)' : ''}`);

  const server = await startServer();
  const pages = [
    { key: 'ours', label: 'our page (wasm)', url: server.url, runs: [] },
    {
      key: 'papa',
      label: `PapaParse ${JSON.parse(readFileSync(path.join(PAPA_DIR, 'package.json'), 'utf8')).version} + JS (${PAPA_WORKER ? 'worker mode' : 'main thread'})`,
      url: `${server.url}bench/papaparse.html${PAPA_WORKER ? '?worker=1' : ''}`,
      runs: [],
    },
    {
      key: 'usual',
      label: 'PapaParse + JS, the usual route (header objects, dynamic typing)',
      url: `${server.url}bench/papaparse.html?route=usual`,
      runs: [],
    },
  ];
  let sizes;
  let chromiumVersion;
  try {
    try {
      const probeBrowser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      chromiumVersion = probeBrowser.version();
      await probeBrowser.close();
    } catch (err) {
      fail(`Chromium would not start: ${err.message.split('\n')[0]}`);
    }
    try {
      const { files } = await pageFiles(server);
      const wasm = readdirSync(path.join(WWW, 'pkg'))
        .filter((f) => f.endsWith('.wasm'))
        .map((f) => gz(path.join(WWW, 'pkg', f)));
      sizes = { wasm, page: files.map(gz) };
    } catch (err) {
      sizes = { error: err.message.split('\n')[0] };
      note(`could not list the files the page loads: ${sizes.error}`);
    }

    // Alternating runs share the machine's noise (other builds, thermal state) fairly; a
    // page that times out, crashes or fails is not run again, since it would only repeat
    // the same figure at the same cost.
    for (let i = 0; i < RUNS; i++) {
      for (const p of pages) {
        if (p.stopped) continue;
        const spent = p.runs.reduce((a, r) => a + r.wallMs, 0);
        if (p.runs.length && spent + spent / p.runs.length > PAGE_BUDGET_MS) {
          p.stopped = true;
          note(`${p.label}: ${p.runs.length} run(s) took ${secs(spent)}; another would pass BENCH_PAGE_BUDGET_S, so no more runs`);
          continue;
        }
        let r;
        try {
          r = await timedRun(p.url, data);
        } catch (err) {
          r = { kind: 'error', status: err.message.split('\n')[0], wallMs: 0, heap: { used: 0, page: 0, workers: 0, withBuffers: 0 } };
        }
        p.runs.push(r);
        note(`run ${i + 1}/${RUNS} ${p.label}: ${describeRun(r)}`);
        if (r.kind !== 'done') {
          p.stopped = true;
          if (i + 1 < RUNS) note(`${p.label}: remaining runs skipped`);
        }
      }
    }
  } finally {
    await server.stop();
  }
  const cli = timeCli(data);

  const report = buildReport({ started, data, sizes, pages, cli, chromiumVersion });
  writeFileSync(path.join(OUT_DIR, 'report.md'), report.text);
  writeFileSync(path.join(OUT_DIR, 'results.json'), JSON.stringify(report.raw, null, 2) + '\n');
  console.log(report.text);
  console.log(`(written to ${path.relative(ROOT, path.join(OUT_DIR, 'report.md'))} and results.json)`);
}

function buildReport({ started, data, sizes, pages, cli, chromiumVersion }) {
  const L = [];
  const line = (s = '') => L.push(s);
  const summarise = (p) => {
    const ok = p.runs.filter((r) => r.kind === 'done');
    return {
      ok,
      failed: p.runs.filter((r) => r.kind !== 'done'),
      time: stats(ok.map((r) => r.msFrame)),
      heap: stats(p.runs.map((r) => r.heap.used)),
      rss: stats(p.runs.filter((r) => r.rss?.peak).map((r) => r.rss.peak)),
      rssBefore: stats(p.runs.filter((r) => r.rss?.before).map((r) => r.rss.before)),
    };
  };
  const [ours, papa, usual] = pages.map(summarise);
  const failure = (s) => (s.failed.length ? describeRun(s.failed[0]) : 'no run');
  // The same, short enough for the targets table.
  const short = (s) => {
    const r = s.failed[0];
    if (!r) return 'no run';
    if (r.kind === 'timeout') return `timeout (> ${TIMEOUT_MS / 1000} s)`;
    if (r.kind === 'crash') return `crashed after ${secs(r.wallMs)}`;
    return `failed: ${String(r.status).slice(0, 80)}`;
  };

  line(`# churn-audit benchmark`);
  line();
  line(
    `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC; ${os.cpus().length} cores (${os.cpus()[0]?.model?.trim() || '?'}), ` +
      `load average ${os.loadavg()[0].toFixed(2)} at the end; headless Chromium ${chromiumVersion}; Node ${process.version}.`,
  );
  line(
    `File: ${path.relative(ROOT, data.file)}, ${int(data.rows)} rows, ${mb(data.bytes)} (${int(data.bytes)} bytes), ` +
      `from \`churn-audit simulate --accounts ${GEN.accounts} --seed ${GEN.seed} --as-of ${GEN.as_of}\`${data.reused ? ' (reused)' : ''}.`,
  );
  if (data.rows !== TARGET_ROWS) line(`**The targets are stated for ${int(TARGET_ROWS)} rows; this run used ${int(data.rows)}.**`);
  line();
  line(`## File chosen to summary shown (up to ${RUNS} runs each, alternating, fresh browser per run)`);
  line();
  line('| Page | Median | Min | Max | Runs done | Peak JS heap (page + workers) | Renderer peak RSS (before file) |');
  line('|---|---|---|---|---|---|---|');
  for (const [p, s] of [
    [pages[0], ours],
    [pages[1], papa],
    [pages[2], usual],
  ]) {
    const t = s.time;
    line(
      `| ${p.label} | ${t ? secs(t.median) : '—'} | ${t ? secs(t.min) : '—'} | ${t ? secs(t.max) : '—'} | ${s.ok.length}/${p.runs.length}` +
        `${s.failed.length ? ` (${failure(s)})` : ''} | ${s.heap ? mb(s.heap.median) : '—'} | ` +
        `${s.rss ? `${mb(s.rss.median)} (${s.rssBefore ? mb(s.rssBefore.median) : '?'})` : '—'} |`,
    );
  }
  const ratio = ours.time && papa.time ? papa.time.median / ours.time.median : null;
  line();
  line(
    ratio !== null
      ? `PapaParse / ours (medians): **${ratio.toFixed(2)}×** (${ratio >= 1 ? 'ours is faster' : 'PapaParse is faster'}).`
      : `PapaParse / ours: not available (${!ours.time ? 'our page' : 'the PapaParse page'} finished no run).`,
  );
  const usualRatio = ours.time && usual.time ? usual.time.median / ours.time.median : null;
  if (usualRatio !== null) {
    line(
      `The usual route / ours (medians): **${usualRatio.toFixed(2)}×**. The target's verdict below is taken against the tuned PapaParse page, the stricter baseline; ` +
        'the usual route is how the issue measured PapaParse (an object per row, typed cells).',
    );
  }
  const churn = (s) => (s.ok.length && Number.isFinite(s.ok[0].churners) ? s.ok[0].churners : null);
  if (churn(ours) !== null && churn(papa) !== null) {
    line(
      `Cross-check: expected churners ${churn(ours).toFixed(1)} (ours) vs ${churn(papa).toFixed(1)} (PapaParse page, same model coefficients)` +
        `${churn(usual) !== null ? ` vs ${churn(usual).toFixed(1)} (the usual route)` : ''}.`,
    );
  }
  const first = pages[0].runs[0];
  if (first) {
    line(
      `Our page's JS heap at its peak (first run): page ${mb(first.heap.page)} + workers ${mb(first.heap.workers)} ` +
        `(${first.workers} worker(s) attached at the end; the file was read by ${first.readers ?? '?'}); max over runs ${mb(ours.heap.max)}; ` +
        `peak with ArrayBuffer backing stores added ${mb(first.heap.withBuffers)}.`,
    );
  }
  line(
    'Timing: from the file input\'s change event (performance.now() in the page) to the first animation frame after the summary is shown with the full account count. ' +
      `JS heap: V8's used heap (Runtime.getHeapUsage, sampled every ${HEAP_MS} ms on the page and each worker; garbage not yet collected counts, ` +
      'ArrayBuffers and wasm memory do not). Renderer RSS: the page\'s renderer process (its workers included) from /proc, VmHWM, which does count wasm memory. Medians over runs.',
  );
  line();

  line(`## Native CLI`);
  line();
  const cliT = stats(cli.times);
  const rowsPerSec = cliT ? data.rows / (cliT.median / 1000) : null;
  if (cliT) {
    line(
      `\`churn-audit score --data ${path.relative(ROOT, data.file)} --out <tmp> --as-of ${GEN.as_of}\`, ${cliT.n} run${cliT.n === 1 ? '' : 's'}: median ${secs(cliT.median)} ` +
        `(min ${secs(cliT.min)}, max ${secs(cliT.max)}), **${int(rowsPerSec)} rows/s**.`,
    );
  }
  const sumT = stats(cli.summaryTimes);
  const summaryRowsPerSec = sumT ? data.rows / (sumT.median / 1000) : null;
  if (sumT) {
    line(
      `The same with \`--format summary\` (file to figures, no row's text: what the page's timing covers), ${sumT.n} run${sumT.n === 1 ? '' : 's'}, alternating: ` +
        `median ${secs(sumT.median)} (min ${secs(sumT.min)}, max ${secs(sumT.max)}), **${int(summaryRowsPerSec)} rows/s**. The target's verdict below is taken on the scored CSV.`,
    );
  }
  if (cli.error) line(`CLI: ${cli.error}`);
  line();

  line(`## Sizes (gzip -9, 1 KB = 1024 bytes)`);
  line();
  let wasmGz = null;
  let pageGz = null;
  if (sizes.error) {
    line(`Could not list the page's files: ${sizes.error}`);
  } else {
    line('| File | Raw | gzip -9 |');
    line('|---|---|---|');
    for (const f of sizes.page) line(`| ${f.file} | ${kb(f.raw)} | ${kb(f.gz)} |`);
    pageGz = sizes.page.reduce((a, f) => a + f.gz, 0);
    wasmGz = sizes.wasm.reduce((a, f) => a + f.gz, 0);
    line(`| **whole page (${sizes.page.length} files, each gzipped)** | ${kb(sizes.page.reduce((a, f) => a + f.raw, 0))} | **${kb(pageGz)}** |`);
    line();
    line(`Scoring wasm: ${sizes.wasm.map((f) => `${f.file} ${kb(f.raw)} raw, **${kb(f.gz)}** gzipped`).join('; ')}.`);
  }
  line();

  const budget = data.bytes + TARGETS.heapBytesPerRow * data.rows;
  const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'PASS' : 'MISS');
  const oursTime = ours.time ? secs(ours.time.median) : short(ours);
  // A timed-out page still bounds the ratio: it took longer than the timeout.
  const timedOut = !ours.time && ours.failed[0]?.kind === 'timeout';
  const ratioText =
    ratio !== null ? `${ratio.toFixed(2)}×${usualRatio !== null ? ` (the usual route: ${usualRatio.toFixed(2)}×)` : ''}` : timedOut && papa.time ? `< ${(papa.time.median / TIMEOUT_MS).toFixed(2)}× (ours timed out)` : `n/a (${short(ours.time ? papa : ours)})`;
  const rows = [
    [`${int(data.rows)} rows file-to-summary in headless Chromium`, `< ${TARGETS.seconds.toFixed(1)} s`, oursTime, ours.time ? ours.time.median < TARGETS.seconds * 1000 : false],
    ['Faster than PapaParse + JS, same run', `≥ ${TARGETS.ratio}×`, ratioText, ratio !== null ? ratio >= TARGETS.ratio : false],
    [
      'Native CLI (the scored CSV)',
      `≥ ${int(TARGETS.cliRowsPerSec)} rows/s`,
      rowsPerSec !== null ? `${int(rowsPerSec)} rows/s${summaryRowsPerSec !== null ? ` (summary alone: ${int(summaryRowsPerSec)} rows/s)` : ''}` : cli.error || 'n/a',
      rowsPerSec !== null ? rowsPerSec >= TARGETS.cliRowsPerSec : false,
    ],
    ['Scoring wasm, gzipped', `< ${TARGETS.wasmKB} KB`, wasmGz !== null ? kb(wasmGz) : 'n/a', wasmGz !== null ? wasmGz < TARGETS.wasmKB * KB : null],
    ['Whole page, gzipped', `< ${TARGETS.pageKB} KB`, pageGz !== null ? kb(pageGz) : 'n/a', pageGz !== null ? pageGz < TARGETS.pageKB * KB : null],
    [
      'Peak JS heap (page + workers)',
      `< file + ${TARGETS.heapBytesPerRow} B/row = ${mb(budget)}`,
      ours.heap ? `${mb(ours.heap.median)}${ours.ok.length ? '' : ' (run did not finish)'}` : 'n/a',
      ours.heap ? ours.heap.median < budget && ours.ok.length > 0 : null,
    ],
  ];
  line(`## Targets`);
  line();
  line('| Target | Goal | Measured | Result |');
  line('|---|---|---|---|');
  for (const [what, goal, got, ok] of rows) line(`| ${what} | ${goal} | ${got} | ${verdict(ok)} |`);
  line();
  line(`${rows.filter((r) => r[3] === true).length} of ${rows.length} targets met.`);

  const raw = {
    started: started.toISOString(),
    generator: GEN,
    file: { path: path.relative(ROOT, data.file), bytes: data.bytes, rows: data.rows },
    chromium: chromiumVersion,
    cores: os.cpus().length,
    runs: Object.fromEntries(pages.map((p) => [p.key, p.runs])),
    cli: { ms: cli.times, error: cli.error, rowsPerSec, summaryMs: cli.summaryTimes, summaryRowsPerSec },
    sizes,
    targets: rows.map(([what, goal, got, ok]) => ({ what, goal, measured: got, pass: ok })),
  };
  return { text: L.join('\n') + '\n', raw };
}

main().catch((err) => fail(err.stack || String(err)));

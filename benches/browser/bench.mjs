// `make bench`: how fast and how small the tool is, measured in one run on this machine,
// against a base commit built beside it (the A/B), a floor page and PapaParse pages.
//
// 1. Generates a canonical account history once (churn-audit simulate, fixed seed; the
//    base's CLI when there is a base, so the file stays the same while the current tree
//    changes) into target/bench/ and reuses it while the generator stays the same.
// 2. Serves www/ and the bench's own pages (benches/browser/: the floor page, the PapaParse
//    page with PapaParse from node_modules and the bundled model) from one loopback server,
//    and the base's www/ (BENCH_BASE_DIR, built by benches/browser/base.sh) from another.
//    In headless Chromium it times "file chosen to summary shown" for the base page, our
//    page, the floor page (floor.html: reads every byte, counts line feeds), the tuned
//    PapaParse + JS page and the usual PapaParse route (papaparse.html, `?route=usual`),
//    BENCH_RUNS rounds in that order (base, ours, base, ours, ...), a fresh browser per
//    run, while sampling the JS heap of the page and of every worker it starts (and
//    reading the renderer process's peak resident memory, which also counts wasm memory,
//    from /proc).
// 3. Times the base's CLI and the current one (churn-audit score) on the same file,
//    alternating: to the scored CSV, and to the summary alone (--format summary).
// 4. Loads each page once more with its service worker allowed, as a first visit does,
//    and gzips (level 9) every file the server sent it until it was ready.
// 5. A workbook and its CSV twin: `churn-audit simulate` (current CLI) writes the same
//    BENCH_WB_ROWS accounts as an .xlsx and as a CSV; each goes through our page (file
//    chosen to summary shown, in a fresh page: as its first file, which for the workbook
//    includes fetching and starting the workbook engine, and after a 10-account file of
//    the same kind, so warm)
//    and the current CLI (score --format summary, and to the scored CSV), BENCH_WB_RUNS
//    times, alternating; printed as "xlsx vs its CSV twin" with ratios. When it cannot run
//    (no workbook engine, a CLI without .xlsx output) it says why and the rest stands.
// It prints the A/B table (medians, min/max, current/base, "within 10%" or "SLOWER by
// N%"), the other pages against ours, the sizes and the budgets (PASS/MISS), and writes
// them to target/bench/report.md (raw figures in target/bench/results.json). It is a
// measurement, not a test: it exits 0 whatever the verdicts, and non-zero only when it
// cannot measure at all.
//
// Env: BENCH_BASE_DIR (the built base worktree; without it there is no A/B),
// BENCH_BASE_BIN (its CLI, default BENCH_BASE_DIR/target/release/churn-audit),
// BENCH_RUNS (5), BENCH_PAPA_RUNS (3: the PapaParse pages run in the first rounds only),
// BENCH_TIMEOUT_S per page run (180), BENCH_CLI_RUNS (5),
// BENCH_PAGE_BUDGET_S (300): a page gets no further run once another would take its runs
// past this total, so a slow page costs minutes, not a quarter of an hour (at least one run
// each); BENCH_ROWS (1000000), BENCH_HEAP_MS heap sampling interval (100), BENCH_PAPA_WORKER=1
// (PapaParse worker mode instead of the main thread), CHROMIUM_PATH, CHURN_AUDIT_BIN,
// BENCH_WB_RUNS (3; 0 leaves the workbook section out), BENCH_WB_ROWS (100000).
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
const BASE_DIR = process.env.BENCH_BASE_DIR ? path.resolve(ROOT, process.env.BENCH_BASE_DIR) : null;
const BASE_CLI = BASE_DIR && path.resolve(ROOT, process.env.BENCH_BASE_BIN || path.join(BASE_DIR, 'target', 'release', 'churn-audit'));
const PAPA_DIR = path.join(ROOT, 'node_modules', 'papaparse');
const MODEL = path.join(ROOT, 'models', 'default.json');

const intEnv = (name, dflt, min = 1) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer >= ${min} (got '${v}')`);
  return n;
};
const STATED_ROWS = 1_000_000; // the row count the comparison is stated for
const ROWS = intEnv('BENCH_ROWS', STATED_ROWS);
const RUNS = intEnv('BENCH_RUNS', 5);
const CLI_RUNS = intEnv('BENCH_CLI_RUNS', 5);
// The PapaParse pages are references, not part of the A/B, and the slowest: fewer rounds.
const PAPA_RUNS = Math.min(RUNS, intEnv('BENCH_PAPA_RUNS', 3));
const TIMEOUT_MS = intEnv('BENCH_TIMEOUT_S', 180) * 1000;
const HEAP_MS = intEnv('BENCH_HEAP_MS', 100, 10);
const PAGE_BUDGET_MS = intEnv('BENCH_PAGE_BUDGET_S', 300) * 1000;
const PAPA_WORKER = process.env.BENCH_PAPA_WORKER === '1';
const WB_RUNS = intEnv('BENCH_WB_RUNS', 3, 0);
/** The workbook section's warm-up file (a page's first file of its kind): 10 accounts. */
const WARMUP_ROWS = 10;
const WB_ROWS = intEnv('BENCH_WB_ROWS', 100_000, WARMUP_ROWS + 1);
// The simulator's parameters: a fixed seed and as-of date make the same file every time.
const GEN = { accounts: ROWS, seed: 1, as_of: '2026-06-30' };
const LOAD_TIMEOUT_MS = 60_000;

/** The A/B verdict's threshold: current/base medians up to this are "within 10%". */
const AB_TOLERANCE = 1.1;
/** Budgets, printed PASS/MISS (gzip -9, 1 KB = 1024 bytes). */
const BUDGETS = {
  wasmKB: 250,
  startKB: 350,
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
/** "within 10%" when current/base is at most AB_TOLERANCE, else "SLOWER by N%". */
function abVerdict(ratio) {
  if (ratio === null) return 'n/a';
  return ratio <= AB_TOLERANCE ? 'within 10%' : `SLOWER by ${Math.round((ratio - 1) * 100)}%`;
}

/** The short hash and subject of the commit checked out in `dir`, or null. */
function commitOf(dir) {
  const r = spawnSync('git', ['-C', dir, 'log', '-1', '--format=%h%x00%s'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const [hash, subject] = r.stdout.trim().split('\0');
  return { hash, subject };
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

/** The account file, made by the CLI `bin` (named `generator` in its parameters). */
async function accountFile(bin, generator) {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `accounts-${ROWS}.csv`);
  const paramsFile = path.join(OUT_DIR, `accounts-${ROWS}.params.json`);
  const params = { generator, ...GEN };
  const want = JSON.stringify(params);
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
    note(`generating ${int(ROWS)} accounts into ${path.relative(ROOT, file)} (${generator}, seed ${GEN.seed})…`);
    const tmp = `${file}.partial`;
    const r = spawnSync(bin, ['simulate', '--accounts', String(ROWS), '--seed', String(GEN.seed), '--as-of', GEN.as_of, '--out', tmp], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (r.status !== 0) fail(`churn-audit simulate failed (${r.error?.message || `exit ${r.status}`}): ${String(r.stderr || '').trim()}`);
    renameSync(tmp, file);
    writeFileSync(paramsFile, JSON.stringify({ params, bytes: statSync(file).size }, null, 2) + '\n');
  }
  const bytes = statSync(file).size;
  const rows = await countRows(file);
  if (rows !== ROWS) note(`the file has ${int(rows)} data rows, not ${int(ROWS)}`);
  return { file, bytes, rows, reused, generator };
}

// --- 2. static servers: www/ and the bench's pages; the base's www/ -------------------------
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

/**
 * The file on disk for a URL path, or null; never outside its root. `www` answers the
 * page's paths; with `benchPages`, /bench/ answers the bench's own pages (and PapaParse
 * and the model under fixed names).
 */
function resolvePath(urlPath, www, benchPages) {
  if (urlPath === '/') urlPath = '/index.html';
  let root = www;
  let rest = urlPath.slice(1);
  if (benchPages && urlPath.startsWith('/bench/')) {
    const fixed = { '/bench/papaparse.min.js': path.join(PAPA_DIR, 'papaparse.min.js'), '/bench/model.json': MODEL };
    if (fixed[urlPath]) return fixed[urlPath];
    [root, rest] = [HERE, urlPath.slice('/bench/'.length)];
  }
  const file = path.resolve(root, rest.endsWith('/') || rest === '' ? `${rest}index.html` : rest);
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

/** A loopback server for `www` (and the bench's pages when `benchPages`). */
function startServer(www, benchPages) {
  const served = []; // the files sent, in order, for listing what a page loads
  const server = http.createServer((req, res) => {
    let urlPath;
    try {
      urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = resolvePath(urlPath, www, benchPages);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    served.push(file);
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
      resolve({ url: `http://127.0.0.1:${port}/`, www, served, stop: () => new Promise((r) => server.close(r)) });
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
  // The workbook section times a second file in the same page: the next pick starts anew.
  bench.again = () => {
    observer?.disconnect();
    [bench.t0, finished] = [null, false];
  };
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
/**
 * What a first visit to the page served by `server` loads: every file the server sends
 * from the page's opening until it says it is ready and the network is idle, the worker's
 * module and wasm included, and with service workers allowed, so the offline copy's files
 * (fetched by sw.js while the page starts) count too. Each file is counted once, gzipped
 * at level 9, as a server would send it compressed. The server's own log is read, so
 * worker and service-worker requests are all seen.
 */
async function startupSizes(server) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    server.served.length = 0;
    await page.goto(server.url, { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    await page.waitForSelector('[data-testid=file-input]:not([disabled])', { state: 'attached', timeout: LOAD_TIMEOUT_MS });
    await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
    const files = [...new Set(server.served)].map((f) => gz(f, server.www));
    const pkg = path.join(server.www, 'pkg');
    const wasm = readdirSync(pkg)
      .filter((f) => f.endsWith('.wasm'))
      .map((f) => gz(path.join(pkg, f), server.www));
    return { files, wasm, startGz: files.reduce((a, f) => a + f.gz, 0), wasmGz: wasm.reduce((a, f) => a + f.gz, 0) };
  } finally {
    await browser.close().catch(() => {});
  }
}
const gz = (file, www) => {
  const raw = readFileSync(file);
  return { file: path.join('www', path.relative(www, file)), raw: raw.length, gz: gzipSync(raw, { level: 9 }).length };
};

// --- 3. the native CLI ----------------------------------------------------------------------
// Each round scores the file with each side's CLI in turn (base, current), to the scored
// CSV (a row of text per account, reasons and warnings included), then again to the
// summary alone (`--format summary`, what the page's timing covers: file to figures).
// Every run writes a new file, as the first one does: the previous output is removed
// first, untimed (truncating the last run's 240 MB cost the next run ~45 ms, and its
// pages' writeback to disk ran into it). A side whose run fails gets no more runs of that
// kind.
const CLI_MEASURES = [
  ['csv', []],
  ['summary', ['--format', 'summary']],
];
function timeCli(data, sides) {
  const out = path.join(os.tmpdir(), `churn-audit-bench-${process.pid}.csv`);
  const results = Object.fromEntries(sides.map((s) => [s.key, { csv: [], summary: [], errors: [] }]));
  const failed = new Set();
  const once = (side, extra) => {
    rmSync(out, { force: true });
    const t0 = process.hrtime.bigint();
    const r = spawnSync(side.bin, ['score', '--data', data.file, '--out', out, '--as-of', GEN.as_of, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status === 0) return ms;
    results[side.key].errors.push(
      `${side.label}: churn-audit score ${extra.join(' ')} failed (${r.error?.message || `exit ${r.status}`}): ${String(r.stderr || '').trim().split('\n')[0]}`,
    );
    return null;
  };
  try {
    for (let i = 0; i < CLI_RUNS; i++) {
      const said = [];
      for (const [measure, extra] of CLI_MEASURES) {
        for (const side of sides) {
          if (failed.has(`${side.key}/${measure}`)) continue;
          const ms = once(side, extra);
          if (ms === null) failed.add(`${side.key}/${measure}`);
          else {
            results[side.key][measure].push(ms);
            said.push(`${side.key} ${measure} ${secs(ms)}`);
          }
        }
      }
      note(`CLI round ${i + 1}/${CLI_RUNS}: ${said.join(', ') || 'every run failed'}`);
    }
  } finally {
    rmSync(out, { force: true });
  }
  return results;
}

// --- 5. a workbook and its CSV twin ---------------------------------------------------------
/**
 * The same WB_ROWS accounts as an .xlsx and as a CSV (the current CLI's simulator, fixed
 * seed), each through our page and the current CLI. Returns the figures, or
 * { skipped: why } when it cannot run; it never ends the bench.
 */
async function workbookSection() {
  if (WB_RUNS === 0) return { skipped: 'BENCH_WB_RUNS=0' };
  if (!existsSync(path.join(WWW, 'pkg-workbook', 'churn_audit_workbook_bg.wasm'))) {
    return { skipped: "the workbook engine is not built (www/pkg-workbook; run 'make wasm-workbook')" };
  }
  try {
    const files = {};
    const small = {};
    for (const [kind, rows] of [
      ['xlsx', WB_ROWS],
      ['csv', WB_ROWS],
      ['xlsx', WARMUP_ROWS],
      ['csv', WARMUP_ROWS],
    ]) {
      const file = path.join(OUT_DIR, `workbook-${rows}.${kind}`);
      const tmp = `${file}.partial.${kind}`;
      const args = ['simulate', '--accounts', String(rows), '--seed', String(GEN.seed), '--as-of', GEN.as_of, '--out', tmp];
      const r = spawnSync(CLI, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) return { skipped: `churn-audit simulate --out FILE.${kind} failed (${r.error?.message || `exit ${r.status}`}): ${String(r.stderr || '').trim().split('\n')[0]}` };
      const head = readFileSync(tmp).subarray(0, 2).toString('latin1');
      if (kind === 'xlsx' && head !== 'PK') {
        rmSync(tmp, { force: true });
        return { skipped: 'this CLI writes no workbook for --out FILE.xlsx (a CLI from before simulate wrote .xlsx?)' };
      }
      renameSync(tmp, file);
      if (rows === WARMUP_ROWS) small[kind] = file;
      else files[kind] = { file, bytes: statSync(file).size };
    }
    note(`workbook section: ${int(WB_ROWS)} accounts, ${mb(files.xlsx.bytes)} .xlsx and ${mb(files.csv.bytes)} CSV twin; ${WB_RUNS} run(s) each`);
    const page = { xlsx: { first: [], warm: [], errors: [] }, csv: { first: [], warm: [], errors: [] } };
    const server = await startServer(WWW, false);
    try {
      for (let i = 0; i < WB_RUNS; i++) {
        for (const kind of ['xlsx', 'csv']) {
          const said = [];
          for (const [measure, warmup] of [
            ['first', null],
            ['warm', small[kind]],
          ]) {
            if (page[kind].errors.length) continue;
            const r = await workbookPageRun(server.url, files[kind].file, warmup);
            if (r.error) page[kind].errors.push(`${measure === 'warm' ? 'after a small file: ' : ''}${r.error}`);
            else page[kind][measure].push(r.ms);
            said.push(`${measure === 'warm' ? 'after a small file' : 'first file'} ${r.error ? `failed: ${r.error}` : secs(r.ms)}`);
          }
          note(`workbook run ${i + 1}/${WB_RUNS} page ${kind}: ${said.join(', ')}`);
        }
      }
    } finally {
      await server.stop();
    }
    const cli = workbookCli(files);
    return { rows: WB_ROWS, runs: WB_RUNS, files: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, { path: path.relative(ROOT, f.file), bytes: f.bytes }])), page, cli };
  } catch (err) {
    return { skipped: `it failed: ${err.message.split('\n')[0]}` };
  }
}

/**
 * One fresh browser, our page, and `file` chosen, timed as the A/B times a page (change
 * event to the first frame after the summary shows every account). With `warmup`, that
 * small file is chosen and scored first, untimed, so the engines it needs are started
 * (then the summary's count is blanked, so the probe waits for the new one). Returns
 * { ms } or { error }.
 */
async function workbookPageRun(url, file, warmup) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
    const page = await context.newPage();
    let settle = () => {};
    page.on('crash', () => settle({ kind: 'crash', status: 'the page crashed' }));
    await page.exposeFunction('__benchDone', (r) => settle(r));
    await page.addInitScript(probe, { rows: WB_ROWS });
    await page.goto(url, { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    await page.waitForSelector('[data-testid=file-input]:not([disabled])', { state: 'attached', timeout: LOAD_TIMEOUT_MS });
    await page.fill('[data-testid=as-of]', GEN.as_of);
    await page.dispatchEvent('[data-testid=as-of]', 'change');
    await page.waitForTimeout(300);
    const pick = async (file) => {
      const outcome = new Promise((r) => (settle = r));
      const timer = setTimeout(() => settle({ kind: 'timeout', status: `no summary after ${TIMEOUT_MS / 1000} s` }), TIMEOUT_MS);
      await Promise.race([page.setInputFiles('[data-testid=file-input]', file), outcome]);
      const r = await outcome;
      clearTimeout(timer);
      if (r.kind !== 'done') throw new Error(`${r.kind}: ${r.status ?? '?'}`);
      await page.waitForFunction(() => ['scored', 'error'].includes(document.body.dataset.state), null, { timeout: TIMEOUT_MS });
      return r.msFrame;
    };
    if (warmup) {
      await pick(warmup);
      if ((await page.evaluate(() => document.body.dataset.state)) !== 'scored') throw new Error('the small file was not scored');
      await page.evaluate(() => {
        window.__bench.again();
        document.querySelector('[data-testid=stat-accounts]').textContent = '';
      });
    }
    return { ms: await pick(file) };
  } catch (err) {
    return { error: err.message.split('\n')[0] };
  } finally {
    await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 15_000))]);
  }
}

/** The current CLI on each file, alternating: --format summary, then to the scored CSV. */
function workbookCli(files) {
  const out = path.join(os.tmpdir(), `churn-audit-bench-wb-${process.pid}.out`);
  const results = { xlsx: { summary: [], csv: [], errors: [] }, csv: { summary: [], csv: [], errors: [] } };
  try {
    for (let i = 0; i < WB_RUNS; i++) {
      for (const [measure, extra] of [...CLI_MEASURES].reverse()) {
        for (const kind of ['xlsx', 'csv']) {
          const res = results[kind];
          if (res.errors.length) continue;
          rmSync(out, { force: true });
          const t0 = process.hrtime.bigint();
          const r = spawnSync(CLI, ['score', '--data', files[kind].file, '--out', out, '--as-of', GEN.as_of, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (r.status === 0) res[measure].push(ms);
          else res.errors.push(`score ${extra.join(' ')} failed (${r.error?.message || `exit ${r.status}`}): ${String(r.stderr || '').trim().split('\n')[0]}`);
        }
      }
    }
  } finally {
    rmSync(out, { force: true });
  }
  return results;
}

/** The report's workbook section. */
function workbookReport(wb, line) {
  line();
  line(`## A workbook: ${int(wb.rows ?? WB_ROWS)} accounts as .xlsx vs its CSV twin`);
  line();
  if (wb.skipped) {
    line(`Not measured: ${wb.skipped}.`);
    return;
  }
  const cell = (t) => (t ? `${secs(t.median)} (${secs(t.min)} – ${secs(t.max)})` : '—');
  const ratio = (a, b) => (a && b ? `${(a.median / b.median).toFixed(2)}×` : 'n/a');
  const rows = [
    ['Page: first file in a fresh page (for the .xlsx, the workbook engine is fetched and started then)', 'page', 'first'],
    [`Page: after a ${WARMUP_ROWS}-account file of the same kind (engines warm)`, 'page', 'warm'],
    ['CLI: score --format summary', 'cli', 'summary'],
    ['CLI: score to the scored CSV', 'cli', 'csv'],
  ];
  line(`File size: .xlsx ${mb(wb.files.xlsx.bytes)}, CSV ${mb(wb.files.csv.bytes)} (${(wb.files.xlsx.bytes / wb.files.csv.bytes).toFixed(2)}×); both from the current CLI's \`simulate --accounts ${wb.rows} --seed ${GEN.seed} --as-of ${GEN.as_of}\`.`);
  line();
  line(`| Measure (median of ${wb.runs}, min – max) | .xlsx | CSV twin | xlsx / CSV |`);
  line('|---|---|---|---|');
  for (const [what, where, measure] of rows) {
    const [x, c] = ['xlsx', 'csv'].map((k) => stats(wb[where][k][measure]));
    line(`| ${what} | ${cell(x)} | ${cell(c)} | ${ratio(x, c)} |`);
  }
  line();
  const first = stats(wb.page.xlsx.first);
  const warm = stats(wb.page.xlsx.warm);
  if (first && warm) {
    const load = first.median - warm.median;
    const spread = Math.max(first.max - first.min, warm.max - warm.min);
    line(
      `The workbook engine's first load, first file minus warm (medians of the .xlsx): ${secs(load)}` +
        (Math.abs(load) <= spread ? `, within the runs' spread (${secs(spread)}): too small to tell apart from noise here.` : '.'),
    );
  }
  for (const where of ['page', 'cli']) for (const k of ['xlsx', 'csv']) for (const e of wb[where][k].errors.slice(0, 1)) line(`${where === 'page' ? 'Page' : 'CLI'}, ${k}: ${e}`);
  line('Page times as in the A/B (change event to the first frame after the summary shows every account), a fresh browser per run. The .xlsx is read by the workbook engine into text, then scored as the CSV is.');
}

// --- main -----------------------------------------------------------------------------------
async function main() {
  const needs = [
    ['the CLI', CLI, 'make cli'],
    ["the page's engine", path.join(WWW, 'pkg', 'churn_audit_bg.wasm'), 'make wasm'],
    ['PapaParse', path.join(PAPA_DIR, 'papaparse.min.js'), 'make setup-test (npm ci)'],
    ['Chromium', CHROMIUM, 'make setup-test, or set CHROMIUM_PATH'],
  ];
  if (BASE_DIR) {
    needs.push(
      ["the base's CLI", BASE_CLI, 'make bench (benches/browser/base.sh builds the base)'],
      ["the base's page engine", path.join(BASE_DIR, 'www', 'pkg', 'churn_audit_bg.wasm'), 'make bench (benches/browser/base.sh builds the base)'],
    );
  }
  for (const [what, p, fix] of needs) {
    if (!existsSync(p)) fail(`${what} is missing (${p}); run: ${fix}`);
  }
  const started = new Date();
  const current = commitOf(ROOT);
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout?.trim() !== '';
  const base = BASE_DIR ? { dir: BASE_DIR, commit: commitOf(BASE_DIR) || { hash: '?', subject: '?' } } : null;
  if (!base) note('BENCH_BASE_DIR is not set: no A/B against a base (make bench sets it)');
  // The base's CLI makes the file when there is one: the file then stays the same while
  // the current tree (its simulator included) changes.
  const data = await accountFile(base ? BASE_CLI : CLI, `churn-audit simulate of ${base ? `the base ${base.commit.hash}` : 'the current tree'}`);
  note(`${path.relative(ROOT, data.file)}: ${int(data.rows)} rows, ${mb(data.bytes)}${data.reused ? ' (reused)' : ''}`);

  const server = await startServer(WWW, true);
  const baseServer = base ? await startServer(path.join(base.dir, 'www'), false) : null;
  const papaVersion = JSON.parse(readFileSync(path.join(PAPA_DIR, 'package.json'), 'utf8')).version;
  const pages = [
    base && { key: 'base', label: `base page (${base.commit.hash})`, url: baseServer.url },
    { key: 'ours', label: 'our page (current tree)', url: server.url },
    { key: 'floor', label: 'floor page: read every byte, count line feeds', url: `${server.url}bench/floor.html` },
    {
      key: 'papa',
      label: `PapaParse ${papaVersion} + JS, tuned (${PAPA_WORKER ? 'worker mode' : 'main thread'})`,
      url: `${server.url}bench/papaparse.html${PAPA_WORKER ? '?worker=1' : ''}`,
      rounds: PAPA_RUNS,
    },
    {
      key: 'usual',
      label: 'PapaParse + JS, the usual route (header objects, dynamic typing)',
      url: `${server.url}bench/papaparse.html?route=usual`,
      rounds: PAPA_RUNS,
    },
  ]
    .filter(Boolean)
    .map((p) => ({ rounds: RUNS, ...p, runs: [] }));
  const sizes = {};
  let chromiumVersion;
  try {
    try {
      const probeBrowser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      chromiumVersion = probeBrowser.version();
      await probeBrowser.close();
    } catch (err) {
      fail(`Chromium would not start: ${err.message.split('\n')[0]}`);
    }
    for (const [key, srv] of [
      ['ours', server],
      ['base', baseServer],
    ]) {
      if (!srv) continue;
      try {
        sizes[key] = await startupSizes(srv);
      } catch (err) {
        sizes[key] = { error: err.message.split('\n')[0] };
        note(`could not list the files the ${key === 'base' ? "base's " : ''}page loads: ${sizes[key].error}`);
      }
    }

    // Rounds of one run of each page, base and ours side by side: alternating runs share
    // the machine's noise (other builds, thermal state) fairly. A page that times out,
    // crashes or fails is not run again, since it would only repeat the same figure at the
    // same cost.
    for (let i = 0; i < RUNS; i++) {
      for (const p of pages) {
        if (p.stopped || i >= p.rounds) continue;
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
        note(`run ${i + 1}/${p.rounds} ${p.label}: ${describeRun(r)}`);
        if (r.kind !== 'done') {
          p.stopped = true;
          if (i + 1 < p.rounds) note(`${p.label}: remaining runs skipped`);
        }
      }
    }
  } finally {
    await server.stop();
    await baseServer?.stop();
  }
  const cliSides = [base && { key: 'base', label: `base CLI (${base.commit.hash})`, bin: BASE_CLI }, { key: 'ours', label: 'current CLI', bin: CLI }].filter(Boolean);
  const cli = timeCli(data, cliSides);
  const workbook = await workbookSection();

  const report = buildReport({ started, data, sizes, pages, cli, workbook, chromiumVersion, base, current: { ...current, dirty } });
  writeFileSync(path.join(OUT_DIR, 'report.md'), report.text);
  writeFileSync(path.join(OUT_DIR, 'results.json'), JSON.stringify(report.raw, null, 2) + '\n');
  console.log(report.text);
  console.log(`(written to ${path.relative(ROOT, path.join(OUT_DIR, 'report.md'))} and results.json)`);
}

function buildReport({ started, data, sizes, pages, cli, workbook, chromiumVersion, base, current }) {
  const L = [];
  const line = (s = '') => L.push(s);
  const summarise = (p) => {
    const ok = p.runs.filter((r) => r.kind === 'done');
    return {
      ...p,
      ok,
      failed: p.runs.filter((r) => r.kind !== 'done'),
      time: stats(ok.map((r) => r.msFrame)),
      heap: stats(p.runs.map((r) => r.heap.used)),
      rss: stats(p.runs.filter((r) => r.rss?.peak).map((r) => r.rss.peak)),
      rssBefore: stats(p.runs.filter((r) => r.rss?.before).map((r) => r.rss.before)),
    };
  };
  const all = pages.map(summarise);
  const page = Object.fromEntries(all.map((s) => [s.key, s]));
  const ours = page.ours;
  const failure = (s) => (s.failed.length ? describeRun(s.failed[0]) : 'no run');
  /** Median of `a` over median of `b`, or null when either has no figure. */
  const over = (a, b) => (a && b ? a.median / b.median : null);
  const range = (t) => (t ? `${secs(t.min)} – ${secs(t.max)}` : '—');
  const x = (r) => (r === null ? 'n/a' : `${r.toFixed(2)}×`);

  line(`# churn-audit benchmark`);
  line();
  line(
    `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC; ${os.cpus().length} cores (${os.cpus()[0]?.model?.trim() || '?'}), ` +
      `load average ${os.loadavg()[0].toFixed(2)} at the end; headless Chromium ${chromiumVersion}; Node ${process.version}.`,
  );
  line(
    `File: ${path.relative(ROOT, data.file)}, ${int(data.rows)} rows, ${mb(data.bytes)} (${int(data.bytes)} bytes), ` +
      `from \`churn-audit simulate --accounts ${GEN.accounts} --seed ${GEN.seed} --as-of ${GEN.as_of}\` (${data.generator})${data.reused ? ', reused' : ''}.`,
  );
  if (data.rows !== STATED_ROWS) line(`**The comparison is stated for ${int(STATED_ROWS)} rows; this run used ${int(data.rows)}.**`);
  line(
    `Current: ${current.hash ?? '?'}${current.dirty ? ' with uncommitted changes' : ''} (${current.subject ?? '?'}). ` +
      (base ? `Base: ${base.commit.hash} (${base.commit.subject}), built in ${path.relative(ROOT, base.dir)}.` : 'Base: none (BENCH_BASE_DIR not set).'),
  );
  line();

  // --- the A/B table
  const cliStats = (key, measure) => (cli[key] ? stats(cli[key][measure]) : null);
  const ab = [
    ['page', `Page: ${int(data.rows)} rows, file to summary`, page.base?.time ?? null, ours.time],
    ['CLI scored CSV', 'CLI: score to the scored CSV', cliStats('base', 'csv'), cliStats('ours', 'csv')],
    ['CLI summary', 'CLI: score --format summary', cliStats('base', 'summary'), cliStats('ours', 'summary')],
  ].map(([name, what, b, c]) => ({ name, what, base: b, current: c, ratio: over(c, b) }));
  line(`## A/B: the current tree against the base (${RUNS} page rounds, ${CLI_RUNS} CLI rounds, base and current alternating)`);
  line();
  if (!base) line('No base (BENCH_BASE_DIR not set; `make bench` builds one): the current figures alone.\n');
  line('| Measure | Base median | Base min – max | Current median | Current min – max | Current / base | Verdict |');
  line('|---|---|---|---|---|---|---|');
  for (const r of ab) {
    line(
      `| ${r.what} | ${r.base ? secs(r.base.median) : '—'} | ${range(r.base)} | ${r.current ? secs(r.current.median) : '—'} | ${range(r.current)} | ` +
        `${r.ratio === null ? 'n/a' : r.ratio.toFixed(3)} | ${r.ratio === null ? 'n/a' : `**${abVerdict(r.ratio)}**`} |`,
    );
  }
  line();
  line(
    `Verdict: current/base of the medians; up to ${AB_TOLERANCE.toFixed(2)} is "within 10%". Printed, not asserted. ` +
      'Noise on a shared machine can move a median by several percent: rerun with more rounds (BENCH_RUNS, BENCH_CLI_RUNS) before trusting a verdict near the line.',
  );
  const rate = (t) => (t ? `${int(data.rows / (t.median / 1000))} rows/s` : 'n/a');
  line(`CLI rows per second (medians): current ${rate(ab[1].current)} to the scored CSV, ${rate(ab[2].current)} summary alone; base ${rate(ab[1].base)}, ${rate(ab[2].base)}.`);
  for (const k of Object.keys(cli)) for (const e of cli[k].errors.slice(0, 2)) line(`CLI: ${e}`);
  for (const s of [page.base, ours]) if (s && s.failed.length) line(`${s.label}: ${failure(s)}`);
  line();

  // --- every page, against ours
  line(`## Our page against the floor and PapaParse (same run, up to ${RUNS} runs each, ${PAPA_RUNS} for PapaParse, fresh browser per run)`);
  line();
  line('| Page | Median | Min | Max | Runs done | Median / ours | Peak JS heap (page + workers) | Renderer peak RSS (before file) |');
  line('|---|---|---|---|---|---|---|---|');
  for (const s of all) {
    const t = s.time;
    line(
      `| ${s.label} | ${t ? secs(t.median) : '—'} | ${t ? secs(t.min) : '—'} | ${t ? secs(t.max) : '—'} | ${s.ok.length}/${s.runs.length}` +
        `${s.failed.length ? ` (${failure(s)})` : ''} | ${s.key === 'ours' ? '1' : x(over(t, ours.time))} | ${s.heap ? mb(s.heap.median) : '—'} | ` +
        `${s.rss ? `${mb(s.rss.median)} (${s.rssBefore ? mb(s.rssBefore.median) : '?'})` : '—'} |`,
    );
  }
  line();
  const floorRatio = over(ours.time, page.floor.time);
  line(
    floorRatio !== null
      ? `Ours / floor: **${floorRatio.toFixed(2)}×**: the floor only reads the file (${secs(page.floor.time.median)}); what ours takes above it is parsing, scoring and showing.`
      : 'Ours / floor: n/a (one of the two finished no run).',
  );
  const papaRatio = over(page.papa.time, ours.time);
  const usualRatio = over(page.usual.time, ours.time);
  line(
    `PapaParse / ours (medians): tuned page **${x(papaRatio)}**, the usual route **${x(usualRatio)}** ` +
      '(the tuned page: arrays of strings in 10 MB chunks, the model\'s linear score by hand; the usual route: an object per row, typed cells).',
  );
  const churn = (s) => (s && s.ok.length && Number.isFinite(s.ok[0].churners) ? s.ok[0].churners.toFixed(1) : null);
  const checks = [
    ['ours', ours],
    ['base', page.base],
    ['PapaParse tuned', page.papa],
    ['the usual route', page.usual],
  ].filter(([, s]) => churn(s) !== null);
  if (checks.length > 1) line(`Cross-check, expected churners: ${checks.map(([n, s]) => `${churn(s)} (${n})`).join(', ')}.`);
  const first = ours.runs[0];
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

  // --- sizes
  line(`## What the page loads at start-up (gzip -9, 1 KB = 1024 bytes)`);
  line();
  const cur = sizes.ours;
  if (!cur || cur.error) {
    line(`Could not list the page's files: ${cur?.error ?? 'no figure'}`);
  } else {
    line('| File | Raw | gzip -9 |');
    line('|---|---|---|');
    for (const f of cur.files) line(`| ${f.file} | ${kb(f.raw)} | ${kb(f.gz)} |`);
    line(`| **start-up, ${cur.files.length} files, each gzipped** | ${kb(cur.files.reduce((a, f) => a + f.raw, 0))} | **${kb(cur.startGz)}** |`);
    line();
    line(
      'Every file the server sent a first visit until the page was ready and the network idle, service worker allowed (it fetches the offline copy\'s files then), each counted once. ' +
        `Scoring wasm: ${cur.wasm.map((f) => `${f.file} ${kb(f.raw)} raw, **${kb(f.gz)}** gzipped`).join('; ')}.`,
    );
  }
  const bs = sizes.base;
  if (bs && !bs.error) {
    line(
      `Base: start-up ${kb(bs.startGz)} gzipped (${bs.files.length} files), scoring wasm ${kb(bs.wasmGz)} gzipped` +
        `${cur && !cur.error ? `; current minus base: start-up ${cur.startGz >= bs.startGz ? '+' : '−'}${kb(Math.abs(cur.startGz - bs.startGz))}, wasm ${cur.wasmGz >= bs.wasmGz ? '+' : '−'}${kb(Math.abs(cur.wasmGz - bs.wasmGz))}` : ''}.`,
    );
  } else if (bs) line(`Base: could not list its files: ${bs.error}`);
  line();

  // --- budgets
  const heapLimit = data.bytes + BUDGETS.heapBytesPerRow * data.rows;
  const ok = cur && !cur.error;
  const budgets = [
    ['Scoring wasm, gzipped', `≤ ${BUDGETS.wasmKB} KB`, ok ? kb(cur.wasmGz) : 'n/a', ok ? cur.wasmGz <= BUDGETS.wasmKB * KB : null],
    ['Everything the page loads at start-up, gzipped', `≤ ${BUDGETS.startKB} KB`, ok ? kb(cur.startGz) : 'n/a', ok ? cur.startGz <= BUDGETS.startKB * KB : null],
    [
      'Peak JS heap of our page (page + workers)',
      `< file + ${BUDGETS.heapBytesPerRow} B/row = ${mb(heapLimit)}`,
      ours.heap ? `${mb(ours.heap.median)}${ours.ok.length ? '' : ' (run did not finish)'}` : 'n/a',
      ours.heap ? ours.heap.median < heapLimit && ours.ok.length > 0 : null,
    ],
  ];
  const verdict = (v) => (v === null ? 'n/a' : v ? 'PASS' : 'MISS');
  line(`## Budgets`);
  line();
  line('| Budget | Limit | Measured | Result |');
  line('|---|---|---|---|');
  for (const [what, limit, got, v] of budgets) line(`| ${what} | ${limit} | ${got} | ${verdict(v)} |`);
  line();
  line(`${budgets.filter((b) => b[3] === true).length} of ${budgets.length} budgets met. A/B: ${ab.map((r) => `${r.name} ${abVerdict(r.ratio)}`).join('; ')}.`);
  workbookReport(workbook, line);

  const raw = {
    started: started.toISOString(),
    generator: { generator: data.generator, ...GEN },
    file: { path: path.relative(ROOT, data.file), bytes: data.bytes, rows: data.rows },
    current,
    base: base ? { dir: path.relative(ROOT, base.dir), ...base.commit } : null,
    chromium: chromiumVersion,
    cores: os.cpus().length,
    runs: Object.fromEntries(pages.map((p) => [p.key, p.runs])),
    cli,
    ab: ab.map((r) => ({ what: r.what, base: r.base, current: r.current, ratio: r.ratio, verdict: abVerdict(r.ratio) })),
    sizes,
    budgets: budgets.map(([what, limit, measured, pass]) => ({ what, limit, measured, pass })),
    workbook,
  };
  return { text: L.join('\n') + '\n', raw };
}

main().catch((err) => fail(err.stack || String(err)));

// Shared helpers for the browser tests: a static server for www/ and a Chromium launcher.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rm } from 'node:fs/promises';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WWW = path.join(ROOT, 'www');

/** The account file the tests score: $E2E_FIXTURE, else the HubSpot fixture, else the sample. */
export function fixturePath() {
  if (process.env.E2E_FIXTURE) return path.resolve(ROOT, process.env.E2E_FIXTURE);
  const hubspot = path.join(ROOT, 'tests', 'fixtures', 'accounts-hubspot.csv');
  return existsSync(hubspot) ? hubspot : path.join(WWW, 'sample-accounts.csv');
}

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails early, with the command to run, when the page's engine has not been built. */
export function checkBuilt() {
  const pkg = path.join(WWW, 'pkg', 'churn_audit.js');
  const wasm = path.join(WWW, 'pkg', 'churn_audit_bg.wasm');
  const build = path.join(WWW, 'pkg', 'build.js');
  if (!existsSync(pkg) || !existsSync(wasm) || !existsSync(build)) {
    throw new Error(
      `The WebAssembly engine is not built (${path.relative(ROOT, pkg)}, its .wasm or build.js is missing). Build it with:\n` +
        '  make wasm   (cargo build for wasm32, wasm-bindgen into www/pkg, and www/pkg/build.js)',
    );
  }
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH).`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function answers(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(1000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts `python3 -m http.server` on a free loopback port serving `dir` (www/).
 * Returns { url, stop, log, served }; stop() always ends the process (and is safe to call
 * twice); served() lists the requests answered so far ("GET /path"), including those the
 * browser makes for a service worker, which the browser's request events do not show.
 */
export async function startServer(dir = WWW) {
  const port = await freePort();
  const proc = spawn('python3', ['-m', 'http.server', '--bind', '127.0.0.1', String(port), '-d', dir], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  let partial = '';
  const served = []; // "GET /path" for every request answered (the log has one line each)
  proc.stderr.on('data', (d) => {
    log = (log + d).slice(-4000);
    const lines = (partial + d).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const m = /"([A-Z]+ \S+) HTTP\//.exec(line);
      if (m) served.push(m[1]);
    }
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
  };
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 10_000;
  while (!(await answers(url))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`python3 -m http.server did not answer on ${url}.\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop, log: () => log, served: () => [...served] };
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Opens the page in a fresh context and waits until the engine says it is ready. The
 * page's service worker is allowed, as in a user's browser: the page is ready only once
 * its offline copy is in place, so "no request after load" covers the worker too.
 */
export async function openReadyPage(browser, url, { viewport = { width: 1280, height: 900 }, serviceWorkers = 'allow', cores = null } = {}) {
  const context = await browser.newContext({ viewport, serviceWorkers });
  // A page that believes the machine has `cores` cores (the page starts a worker per core).
  if (cores !== null) {
    await context.addInitScript((n) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n }), cores);
  }
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('crash', () => problems.push('the page crashed'));
  await page.goto(url, { waitUntil: 'load' });
  try {
    await page.waitForSelector('body[data-engine=ready]', { state: 'attached', timeout: 20_000 });
  } catch (err) {
    const status = await page.textContent('[data-testid=status]').catch(() => '?');
    throw new Error(`the engine never became ready; status says: "${status}"; ${problems.join('; ') || 'no page errors'}`, {
      cause: err,
    });
  }
  return { context, page, problems };
}

/**
 * Performs `action` and waits for the page to finish the scoring run it starts
 * (body[data-run] changes). Returns the resulting data-state ('scored' or 'error').
 */
export async function scoring(page, action, timeout = 20_000) {
  const before = await page.evaluate(() => document.body.dataset.run || '0');
  await action();
  try {
    // A run has finished, and no newer one (a second change event, say) is under way.
    await page.waitForFunction(
      (prev) => (document.body.dataset.run || '0') !== prev && !['reading', 'inspecting', 'scoring'].includes(document.body.dataset.state),
      before,
      { timeout },
    );
  } catch (err) {
    const status = await page.textContent('[data-testid=status]').catch(() => '?');
    throw new Error(`no scoring run finished within ${timeout} ms; status says: "${status}"`, { cause: err });
  }
  return page.evaluate(() => document.body.dataset.state);
}

/** The result rows as shown: [{ id, p }] in page order. */
export function shownRows(page) {
  return page.$$eval('[data-testid=result-row]', (rows) =>
    rows.map((r) => ({ id: r.dataset.accountId, p: Number(r.dataset.probability), raw: r.dataset.probability })),
  );
}

/**
 * Every row of the virtualised results table, in table order: scrolls the viewport from
 * top to bottom collecting the rendered rows. Returns [{ row, id, p, raw, tier, name }].
 */
export async function allRows(page) {
  return page.evaluate(async () => {
    const vp = document.querySelector('[data-testid=results-viewport]');
    const seen = new Map();
    const order = [];
    const collect = () => {
      for (const tr of document.querySelectorAll('[data-testid=result-row]')) {
        const key = Number(tr.getAttribute('aria-rowindex'));
        if (seen.has(key)) continue;
        seen.set(key, {
          row: Number(tr.dataset.row),
          id: tr.dataset.accountId,
          p: Number(tr.dataset.probability),
          raw: tr.dataset.probability,
          tier: tr.querySelector('.tier-name')?.textContent,
          name: tr.querySelector('.account-name')?.textContent,
        });
        order.push(key);
      }
    };
    const table = document.querySelector('[data-testid=results]');
    // Rows come from the engine asynchronously: wait until the view and its rows are in.
    const frame = async () => {
      do await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      while (table.dataset.busy || table.dataset.pending);
    };
    vp.scrollTop = 0;
    await frame();
    collect();
    while (vp.scrollTop + vp.clientHeight < vp.scrollHeight - 1) {
      vp.scrollTop += Math.max(40, vp.clientHeight - 80);
      await frame();
      collect();
    }
    vp.scrollTop = 0;
    await frame();
    return order.sort((a, b) => a - b).map((k) => seen.get(k));
  });
}

/** Sets the page's as-of date as a person would; the change re-scores the current file. */
export async function setAsOf(page, date) {
  await page.fill('[data-testid=as-of]', date);
  await page.dispatchEvent('[data-testid=as-of]', 'change');
}

/** Closes the browser, stops the server and removes the temporary folder (any may be unset). */
export async function tearDown({ browser, server, tmp }) {
  await browser?.close().catch(() => {});
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
}

// End-to-end: the served page keeps an offline copy of itself (www/sw.js). After one
// visit, reloading with the network cut still opens the page and scores the sample
// exactly like the CLI; the service worker's own fetches happen while the page loads,
// never after it says it is ready.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WWW, allRows, checkBuilt, launchBrowser, openReadyPage, scoring, startServer } from './harness.mjs';
import { AS_OF, TOLERANCE, byId, cliJson } from './cli.mjs';

const SAMPLE = path.join(WWW, 'sample-accounts.csv');

/** Records every request of `context` from now on; returns the list (live). */
function record(context) {
  const seen = [];
  context.on('request', (r) => seen.push(`${r.method()} ${r.url()}${r.serviceWorker() ? ' (service worker)' : ''}`));
  return seen;
}

async function waitReady(page) {
  await page.waitForSelector('body[data-engine=ready]', { state: 'attached', timeout: 20_000 });
}

describe('offline reload of the served page', { timeout: 90_000 }, () => {
  let server;
  let browser;
  let context;
  let page;
  let problems;

  before(async () => {
    checkBuilt();
    server = await startServer();
    browser = await launchBrowser();
    ({ context, page, problems } = await openReadyPage(browser, server.url));
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  test('the first visit installs the offline copy before the page is ready, under the build\'s name', async () => {
    const requests = record(context);
    assert.equal(await page.evaluate(() => document.body.dataset.offline), 'ready');
    const state = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return { active: registration.active?.state, keys: await caches.keys(), controlled: Boolean(navigator.serviceWorker.controller) };
    });
    assert.equal(state.active, 'activated');
    assert.ok(state.controlled, 'the page is not controlled by its service worker');
    const build = /CHURN_AUDIT_BUILD = "([0-9a-f]+)"/.exec(await readFile(path.join(WWW, 'pkg', 'build.js'), 'utf8'))?.[1];
    assert.ok(build, 'www/pkg/build.js names no build');
    assert.deepEqual(state.keys, [`churn-audit-${build}`], 'one cache, named after this build');
    const served = server.served().length;
    await page.waitForTimeout(2500);
    assert.deepEqual(requests, [], `requests after the page was ready:\n${requests.join('\n')}`);
    assert.deepEqual(server.served().slice(served), [], 'the server answered requests after the page was ready');
  });

  test('a later visit checks for a newer build while it loads; after that only the browser\'s own check may come', async () => {
    const beforeReload = server.served().length;
    await page.reload({ waitUntil: 'load' });
    await waitReady(page);
    assert.equal(await page.evaluate(() => document.body.dataset.offline), 'ready');
    const duringLoad = server.served().slice(beforeReload);
    // Everything but the worker's script comes from the offline copy.
    assert.deepEqual([...new Set(duringLoad)].sort(), ['GET /pkg/build.js', 'GET /sw.js'], 'the page did not check for a newer build while it loaded');
    const requests = record(context);
    const afterReady = server.served().length;
    await page.waitForTimeout(3000);
    assert.deepEqual(requests, [], `requests after the page was ready:\n${requests.join('\n')}`);
    // The browser re-checks the worker's script by itself once the page's network has been
    // quiet for a moment (the service-worker standard's update on navigation): two small
    // same-origin requests that carry nothing of the user's. Nothing else may come.
    const late = server.served().slice(afterReady);
    assert.ok(late.every((r) => r === 'GET /sw.js' || r === 'GET /pkg/build.js'), `requests after the page was ready:\n${late.join('\n')}`);
  });

  test('with the network cut, a reload opens the page and scores the sample like the CLI', async () => {
    await context.setOffline(true);
    const responses = [];
    page.on('response', (r) => responses.push({ url: r.url(), sw: r.fromServiceWorker(), status: r.status() }));
    await page.reload({ waitUntil: 'load' });
    await waitReady(page);
    for (const r of responses) {
      assert.ok(r.sw && r.status === 200, `${r.url} was not answered by the offline copy (status ${r.status})`);
    }
    assert.ok(responses.some((r) => r.url.endsWith('.wasm')), 'the engine was not loaded on the reload');

    await page.fill('[data-testid=as-of]', AS_OF);
    await page.dispatchEvent('[data-testid=as-of]', 'change');
    const state = await scoring(page, () => page.click('[data-testid=sample-button]'));
    assert.equal(state, 'scored', `the sample did not score offline: ${await page.textContent('[data-testid=issues]')}`);
    const expected = await cliJson(SAMPLE);
    const shown = byId(await allRows(page));
    const cli = byId(expected.rows.map((r) => ({ id: r.account_id ?? '', p: r.churn_probability })));
    assert.deepEqual([...shown.keys()].sort(), [...cli.keys()].sort());
    for (const [id, ps] of shown) ps.forEach((p, i) => assert.ok(Math.abs(p - cli.get(id)[i]) <= TOLERANCE, `${id}: page ${p} vs CLI ${cli.get(id)[i]}`));
    assert.deepEqual(problems, [], `the page reported errors:\n${problems.join('\n')}`);
    assert.equal(await page.evaluate(() => document.body.dataset.cspViolations || '0'), '0');
  });
});

describe('a new build replaces the offline copy', { timeout: 90_000 }, () => {
  let server;
  let browser;
  let tmp;

  before(async () => {
    checkBuilt();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-offline-'));
    await cp(WWW, tmp, { recursive: true });
    server = await startServer(tmp);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('the next load installs the new files under the new build\'s name and drops the old cache', async () => {
    const { context, page, problems } = await openReadyPage(browser, server.url);
    const keys = () => page.evaluate(() => caches.keys());
    const old = await keys();
    assert.equal(old.length, 1);
    // What `make wasm` does for a new build: other files, another build name.
    const marker = '// a newer build';
    await appendFile(path.join(tmp, 'app.js'), `\n${marker}\n`);
    await writeFile(path.join(tmp, 'pkg', 'build.js'), 'self.CHURN_AUDIT_BUILD = "0123456789abcdef";\n');

    let loads = 0;
    page.on('load', () => (loads += 1));
    await page.reload({ waitUntil: 'load' });
    // The page finds the new build while it starts, installs it, and loads it at once.
    await page.waitForFunction(() => document.body.dataset.engine === 'ready' && document.body.dataset.offline === 'ready', null, { timeout: 20_000 });
    assert.equal(loads, 2, 'the page did not load the new build right after installing it');
    assert.deepEqual(await keys(), ['churn-audit-0123456789abcdef'], 'the old cache was not replaced');
    const cached = await page.evaluate(async () => (await (await caches.match('app.js')).text()).slice(-40));
    assert.ok(cached.includes(marker), 'the new cache holds the old app.js');

    // The next load, offline, runs the new build's files.
    await context.setOffline(true);
    await page.reload({ waitUntil: 'load' });
    await waitReady(page);
    const served = await page.evaluate(async () => (await (await fetch('app.js')).text()).slice(-40));
    assert.ok(served.includes(marker), 'the reload did not get the new app.js');
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});

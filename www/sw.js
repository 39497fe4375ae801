// The page's offline copy: once the page has been opened over http(s), reloading it works
// with the network cut. The service worker keeps this build's files (the app shell: the
// page, its scripts and style, the engine and the sample) in one cache and answers the
// page's requests from it.
//
// Updates: `make wasm` writes pkg/build.js with a hash of every shell file. A new build
// therefore changes what this script imports, the browser installs the new worker, which
// caches the new files under a new name, takes over, and deletes the old cache. The page
// waits for that during its start-up (app.js, registerOfflineCopy), so these fetches
// happen while it loads, never after.
//
// A file the page loads at start-up must be listed in SHELL to work offline. The worker
// only ever fetches the page's own files from the page's own origin.
/* global importScripts */
importScripts('pkg/build.js'); // sets self.CHURN_AUDIT_BUILD

const PREFIX = 'churn-audit-';
const CACHE = `${PREFIX}${self.CHURN_AUDIT_BUILD || 'unversioned'}`;
const SHELL = [
  './',
  'index.html',
  'app.js',
  'card.js',
  'charts.js',
  'detail.js',
  'engine.js',
  'engine-core.js',
  'format.js',
  'issues.js',
  'mapping.js',
  'model.js',
  'report.js',
  'run.js',
  'state.js',
  'summary.js',
  'table.js',
  'ui.js',
  'worker.js',
  'workbook.js',
  'workbook-ui.js',
  'style.css',
  'train.js',
  'train.css',
  'sample-accounts.csv',
  'pkg/churn_audit.js',
  'pkg/churn_audit_bg.wasm',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // 'no-cache' revalidates with the server, so the copy is this build's files and
      // never older ones from the HTTP cache.
      await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'no-cache' })));
      // The page has everything it needs in memory once it has started (it makes no
      // request after that), so the new build can take over at once.
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const hit =
        (await cache.match(request, { ignoreSearch: true })) ||
        (request.mode === 'navigate' ? await cache.match('./') : undefined);
      return hit || fetch(request);
    })(),
  );
});

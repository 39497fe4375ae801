// The scoring worker: loads the WebAssembly engine once, then answers the page's
// requests through engine-core.js, one at a time and in order (a file streaming in is
// awaited between chunks, and nothing else may touch the engine meanwhile). Every
// request gets exactly one reply, after any number of progress messages.
import init, { Engine, FileDigest } from './pkg/churn_audit.js';
import { createHandler, messageOf } from './engine-core.js';

let handle = null;
let startError = null;

const ready = (async () => {
  await init();
  handle = createHandler(Engine, FileDigest);
  self.postMessage({ type: 'ready', id: 0, payload: await handle({ type: 'info' }) });
})().catch((err) => {
  startError = `The scoring engine could not start: ${messageOf(err)}`;
  self.postMessage({ type: 'fatal', message: startError });
});

let queue = Promise.resolve();

async function answer(msg) {
  await ready;
  if (startError !== null) {
    self.postMessage({ type: 'error', id: msg.id, message: startError });
    return;
  }
  try {
    const progress = (done, total, rows) => self.postMessage({ type: 'progress', id: msg.id, done, total, rows });
    self.postMessage({ type: 'reply', id: msg.id, payload: await handle(msg, progress) });
  } catch (err) {
    self.postMessage({ type: 'error', id: msg.id, message: messageOf(err) });
  }
}

self.addEventListener('message', (event) => {
  const msg = event.data || {};
  queue = queue.then(() => answer(msg));
});

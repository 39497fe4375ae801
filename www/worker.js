// The scoring worker: loads the WebAssembly engine once, then answers the page's
// requests through engine-core.js. Every message gets exactly one reply.
import init, { Engine } from './pkg/churn_audit.js';
import { createHandler, messageOf } from './engine-core.js';

let handle = null;
let startError = null;

const ready = (async () => {
  await init();
  handle = createHandler(Engine);
  self.postMessage({ type: 'ready', id: 0, payload: handle({ type: 'info' }) });
})().catch((err) => {
  startError = `The scoring engine could not start: ${messageOf(err)}`;
  self.postMessage({ type: 'fatal', message: startError });
});

self.addEventListener('message', async (event) => {
  const msg = event.data || {};
  await ready;
  if (startError !== null) {
    self.postMessage({ type: 'error', id: msg.id, message: startError });
    return;
  }
  try {
    self.postMessage({ type: 'reply', id: msg.id, payload: handle(msg) });
  } catch (err) {
    self.postMessage({ type: 'error', id: msg.id, message: messageOf(err) });
  }
});

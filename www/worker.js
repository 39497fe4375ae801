// The scoring worker: loads the WebAssembly engine once, then answers the page's
// requests through engine-core.js, one at a time and in order (a file streaming in is
// awaited between chunks, and nothing else may touch the engine meanwhile). Every
// request gets exactly one reply, after any number of progress messages.
//
// The page may start more copies as partners (one per further core): each gets a
// MessagePort to the first worker ('serve') and scores a later part of big files there
// ('scorePart'); the first worker gets the other ends ('partner'). All copies load at
// page start, so no request is made later.
import init, { Engine, FileDigest } from './pkg/churn_audit.js';
import { createHandler, messageOf } from './engine-core.js';

let handle = null;
let startError = null;
/** Callers of the partner workers (on the first worker only). */
const partners = [];

const ready = (async () => {
  await init();
  handle = createHandler(Engine, FileDigest, () => partners);
  self.postMessage({ type: 'ready', id: 0, payload: await handle({ type: 'info' }) });
})().catch((err) => {
  startError = `The scoring engine could not start: ${messageOf(err)}`;
  self.postMessage({ type: 'fatal', message: startError });
});

let queue = Promise.resolve();

/** Answers one request through `post`; a part's bytes are transferred, not copied. */
async function answer(msg, post) {
  await ready;
  if (startError !== null) {
    post({ type: 'error', id: msg.id, message: startError });
    return;
  }
  try {
    // A partner's progress may carry a piece of its rows (transferred, not copied); the
    // first worker's, the file's figures before the rows are joined (a preview).
    const progress = (done, total, rows, piece, preview) =>
      post({ type: 'progress', id: msg.id, done, total, rows, piece, preview }, piece ? [piece.buffer] : []);
    const payload = await handle(msg, progress);
    post({ type: 'reply', id: msg.id, payload }, payload instanceof Uint8Array ? [payload.buffer] : []);
  } catch (err) {
    post({ type: 'error', id: msg.id, message: messageOf(err) });
  }
}

/** The first worker's side of the channel: requests to the partner, by id. */
function callerOver(port) {
  const waiting = new Map();
  let next = 1;
  port.onmessage = (event) => {
    const msg = event.data || {};
    const w = waiting.get(msg.id);
    if (!w) return;
    if (msg.type === 'progress') {
      w.onProgress(msg.done, msg.total, msg.rows, msg.piece);
      return;
    }
    waiting.delete(msg.id);
    if (msg.type === 'reply') w.resolve(msg.payload);
    else w.reject(new Error(msg.message));
  };
  return {
    call(type, fields, onProgress = () => {}) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject, onProgress });
        port.postMessage({ type, id, ...fields });
      });
    },
  };
}

self.addEventListener('message', (event) => {
  const msg = event.data || {};
  if (msg.type === 'partner' && msg.port) {
    partners.push(callerOver(msg.port));
  } else if (msg.type === 'serve' && msg.port) {
    const port = msg.port;
    port.onmessage = (e) => {
      const request = e.data || {};
      queue = queue.then(() => answer(request, (m, transfer = []) => port.postMessage(m, transfer)));
    };
  } else {
    queue = queue.then(() => answer(msg, (m, transfer = []) => self.postMessage(m, transfer)));
  }
});

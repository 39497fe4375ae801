// The page's side of the scoring engine: the module worker (worker.js) that owns the
// wasm engine and the scored rows, its partner workers (one per further core, for the
// later parts of big files), or in the single-file build the engine on the page itself.
// engine-core.js is the other side: the requests' handlers.
import { createHandler, messageOf } from './engine-core.js';
import { state } from './state.js';
import { body, setStatus } from './ui.js';

export const EMBED = globalThis.CHURN_AUDIT_EMBED || null; // set by the single-file build

// One request at a time is enough for this page; replies are matched by id so a stale
// reply (after a cancel) is ignored.
let worker = null;
/** The other scoring workers, which score later parts of big files (one per extra core). */
let partnerWorkers = [];
/**
 * Scoring workers at most: each holds an engine in memory, and a part's rows are
 * joined by the first one, so beyond a few the joining outweighs the reading.
 */
const MAX_WORKERS = 4;
let inPage = null; // the single-file build's handler
let seq = 0;
const pending = new Map();

let inPageQueue = Promise.resolve();

/**
 * Sends a request to the engine; `onProgress(done, total, rows, preview)` follows a file
 * streaming in (`preview`: the file's figures before its rows are all joined, once).
 */
export function call(type, fields = {}, transfer = [], onProgress = null) {
  const id = ++seq;
  if (inPage) {
    // One request at a time, as in the worker; a pause lets the page paint first.
    const run = inPageQueue.then(
      () =>
        new Promise((resolve, reject) => {
          setTimeout(() => {
            inPage({ type, id, ...fields }, (done, total, rows, _piece, preview) => onProgress?.(done, total, rows, preview)).then(resolve, (err) => reject(new Error(messageOf(err))));
          }, 20);
        }),
    );
    inPageQueue = run.catch(() => {});
    return run;
  }
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ type, id, ...fields }, transfer);
  });
}

/**
 * Starts the scoring worker and, for each further core (up to MAX_WORKERS in all), a
 * partner joined to it by a MessageChannel; resolves with the engine's info once all
 * are ready (so none fetches anything later). A partner that cannot start is left out.
 */
export async function startWorker() {
  const cores = Math.min(navigator.hardwareConcurrency || 1, MAX_WORKERS);
  const partners = Array.from({ length: Math.max(cores - 1, 0) }, startPartner);
  const [info, ...started] = await Promise.all([startMainWorker(), ...partners]);
  partnerWorkers = started.filter(Boolean);
  for (const partner of partnerWorkers) {
    const channel = new MessageChannel();
    worker.postMessage({ type: 'partner', port: channel.port1 }, [channel.port1]);
    partner.postMessage({ type: 'serve', port: channel.port2 }, [channel.port2]);
  }
  return info;
}

/** A partner worker, once its engine is ready (null when it cannot start). */
function startPartner() {
  const w = new Worker('worker.js', { type: 'module' });
  return new Promise((resolve) => {
    const fail = () => {
      w.terminate();
      resolve(null);
    };
    w.addEventListener('message', (event) => {
      const type = (event.data || {}).type;
      if (type === 'ready') resolve(w);
      else if (type === 'fatal') fail();
    });
    w.addEventListener('error', fail);
  });
}

function startMainWorker() {
  return new Promise((resolve, reject) => {
    worker = new Worker('worker.js', { type: 'module' });
    let started = false;
    worker.addEventListener('message', (event) => {
      const msg = event.data || {};
      if (msg.type === 'ready') {
        started = true;
        resolve(msg.payload);
      } else if (msg.type === 'fatal') {
        reject(new Error(msg.message));
      } else if (msg.type === 'progress') {
        pending.get(msg.id)?.onProgress?.(msg.done, msg.total, msg.rows, msg.preview);
      } else {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.type === 'reply') p.resolve(msg.payload);
        else p.reject(new Error(msg.message));
      }
    });
    worker.addEventListener('error', (event) => {
      const detail = event.message ? ` (${event.message})` : '';
      if (!started) {
        reject(new Error(`The scoring engine could not be loaded${detail}.`));
      } else {
        for (const p of pending.values()) p.reject(new Error(`The scoring engine stopped${detail}.`));
        pending.clear();
      }
    });
  });
}

export async function startInPage() {
  const raw = atob(EMBED.wasm);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  // eslint-disable-next-line no-undef
  await wasm_bindgen({ module_or_path: bytes });
  // eslint-disable-next-line no-undef
  inPage = createHandler(wasm_bindgen.Engine, wasm_bindgen.FileDigest);
  return inPage({ type: 'info' }, () => {});
}

/** Stops whatever the worker is doing and starts a fresh one with the same model. */
export async function restartWorker() {
  worker.terminate();
  for (const partner of partnerWorkers) partner.terminate();
  partnerWorkers = [];
  for (const p of pending.values()) p.reject(new Error('cancelled'));
  pending.clear();
  try {
    await startWorker();
    if (state.customModelText) await call('loadModel', { text: state.customModelText });
    if (state.customThresholds) await call('setTiers', { thresholds: state.customThresholds });
  } catch (err) {
    body.dataset.engine = 'failed';
    setStatus(`The scoring engine could not restart (${messageOf(err)}). Reload the page.`, 'error');
  }
}

/** Whether the page scores in a worker (not in the single-file build) that has started. */
export function hasWorker() {
  return worker !== null;
}

/** Whether the worker has a request in hand, which a new file interrupts. */
export function isWorking() {
  return pending.size > 0 && worker !== null;
}

/** Whether the engine runs on the page itself (the single-file build): a run cannot be cancelled. */
export function runsInPage() {
  return inPage !== null;
}

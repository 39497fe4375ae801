// The scoring worker: loads the WebAssembly engine once, then scores files on request.
// It never lets an exception escape: every message gets exactly one reply.
import init, { Engine } from './pkg/churn_audit.js';

let engine = null;
let startError = null;

/** The text of anything thrown, for showing to a person. */
function messageOf(err) {
  if (err instanceof Error) return err.message || String(err);
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** Turns any Map produced by the bindings into a plain object, recursively. */
function plain(value) {
  if (value instanceof Map) {
    const out = {};
    for (const [k, v] of value) out[k] = plain(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value)) out[k] = plain(value[k]);
    return out;
  }
  return value;
}

const ready = (async () => {
  await init();
  engine = new Engine();
  self.postMessage({ type: 'ready', model: plain(engine.model_info()) });
})().catch((err) => {
  startError = `The scoring engine could not start: ${messageOf(err)}`;
  self.postMessage({ type: 'fatal', message: startError });
});

self.addEventListener('message', async (event) => {
  const msg = event.data || {};
  const id = msg.id;
  await ready;
  if (startError !== null) {
    self.postMessage({ type: 'error', id, message: startError });
    return;
  }
  if (msg.type !== 'score') {
    self.postMessage({ type: 'error', id, message: `Unknown request '${String(msg.type)}'.` });
    return;
  }
  try {
    const bytes = new Uint8Array(msg.bytes);
    const result = plain(engine.score(bytes, String(msg.name), String(msg.asOf)));
    self.postMessage({ type: 'result', id, result });
  } catch (err) {
    let message = messageOf(err);
    if (err instanceof WebAssembly.RuntimeError) {
      // A trap (a bug or running out of memory) may leave the engine in a bad state:
      // start a fresh one from the already-loaded module so the next file still works.
      message = `The scoring engine failed on ${msg.name} (${message}). Please report this; other files can still be scored.`;
      try {
        engine = new Engine();
      } catch {
        // Keep the old one; the next request will report its own error.
      }
    }
    self.postMessage({ type: 'error', id, message });
  }
});

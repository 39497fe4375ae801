// The training worker: loads the training engine (www/pkg-train, a wasm module separate
// from the scoring engine) when the page first needs it, then answers `preview` and
// `train` requests. Training reports progress as it goes; cancelling terminates this
// worker (the only way to stop wasm mid-run), and the page starts a fresh one.
import init, { preview_history, train_history } from './pkg-train/churn_audit_train.js';

const messageOf = (err) => (err instanceof Error ? err.message || String(err) : String(err));

let startError = null;
const ready = init().then(
  () => self.postMessage({ type: 'ready' }),
  (err) => {
    startError = `The training engine could not start: ${messageOf(err)}`;
    self.postMessage({ type: 'fatal', message: startError });
  },
);

const handlers = {
  preview: (m) => preview_history(new Uint8Array(m.bytes), String(m.name), String(m.label || ''), String(m.seed), String(m.asOf), m.exclude || [], m.choices ?? null),
  train: (m) => {
    const started = performance.now();
    const result = train_history(new Uint8Array(m.bytes), String(m.name), String(m.label), String(m.seed), String(m.asOf), m.exclude || [], m.choices ?? null, (p) =>
      self.postMessage({ type: 'progress', id: m.id, stage: p.stage, done: p.done }),
    );
    return { ...result, ms: performance.now() - started };
  },
};

self.addEventListener('message', async (event) => {
  const msg = event.data || {};
  await ready;
  if (startError !== null) {
    self.postMessage({ type: 'error', id: msg.id, message: startError });
    return;
  }
  const fn = handlers[msg.type];
  try {
    if (!fn) throw new Error(`Unknown request '${String(msg.type)}'.`);
    self.postMessage({ type: 'reply', id: msg.id, payload: fn(msg) });
  } catch (err) {
    const trap = err instanceof WebAssembly.RuntimeError;
    self.postMessage({
      type: 'error',
      id: msg.id,
      trap,
      message: trap ? `The training engine failed (${messageOf(err)}). Please report this; try again or with another file.` : messageOf(err),
    });
  }
});

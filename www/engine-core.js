// The engine's message handler, shared by the worker (served page) and the single-file
// build (which runs it on the page itself). It only forwards requests to the wasm
// Engine and returns its answers: every number comes from the Rust library.

/** The text of anything thrown, for showing to a person. */
export function messageOf(err) {
  if (err instanceof Error) return err.message || String(err);
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** Turns any Map produced by the bindings into a plain object, recursively. */
export function plain(value) {
  if (value instanceof Map) {
    const out = {};
    for (const [k, v] of value) out[k] = plain(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out = {};
    for (const k of Object.keys(value)) out[k] = plain(value[k]);
    return out;
  }
  return value;
}

/**
 * Makes the request handler around the wasm `Engine` class. `handle(msg)` returns the
 * reply's payload or throws an Error whose message is meant for people.
 */
export function createHandler(Engine) {
  let engine = new Engine();
  let bundled = true;
  const handlers = {
    info: () => ({ model: plain(engine.model_info()), bundled }),
    inspect: (m) => plain(engine.inspect(new Uint8Array(m.bytes), String(m.name), m.mapping || null)),
    score: (m) => {
      const result = plain(engine.score(new Uint8Array(m.bytes), String(m.name), String(m.asOf), m.mapping || null));
      return result;
    },
    explain: (m) => plain(engine.explain(m.row)),
    whatif: (m) => plain(engine.what_if(m.row, m.features, Float64Array.from(m.values))),
    export: (m) => engine.export_csv(Boolean(m.excel)),
    loadModel: (m) => {
      const next = Engine.from_json(String(m.text));
      engine.free();
      engine = next;
      bundled = false;
      return { model: plain(engine.model_info()), bundled };
    },
    defaultModel: () => {
      const next = new Engine();
      engine.free();
      engine = next;
      bundled = true;
      return { model: plain(engine.model_info()), bundled };
    },
    setTiers: (m) => ({ model: plain(engine.set_tiers(Float64Array.from(m.thresholds))), bundled }),
  };
  return function handle(msg) {
    const fn = handlers[msg.type];
    if (!fn) throw new Error(`Unknown request '${String(msg.type)}'.`);
    try {
      return fn(msg);
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) {
        // A trap (a bug or running out of memory) may leave the engine in a bad state:
        // start a fresh one from the already-loaded module so the next file still works.
        try {
          engine = new Engine();
          bundled = true;
        } catch {
          // Keep the old one; the next request reports its own error.
        }
        throw new Error(`The scoring engine failed (${messageOf(err)}). Please report this; other files can still be scored.`);
      }
      throw new Error(messageOf(err));
    }
  };
}

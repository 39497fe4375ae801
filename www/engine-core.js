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

/** Bytes at the start of a file that decide how it is read (the engine's HEAD_BYTES). */
export const HEAD_BYTES = 4 << 20;
/** Bytes read from disk and handed to the engine at a time. */
const CHUNK_BYTES = 4 << 20;

/** The bytes of a Blob (or a File) from `start` to `end`. */
async function bytesOf(blob, start, end) {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

/**
 * Makes the request handler around the wasm `Engine` class. `handle(msg, progress)`
 * returns (a promise of) the reply's payload or throws an Error whose message is meant
 * for people; `progress(done, total, rows)` is called while a file streams in.
 */
export function createHandler(Engine, FileDigest) {
  let engine = new Engine();
  let bundled = true;
  const handlers = {
    info: () => ({ model: plain(engine.model_info()), bundled }),
    // Only the head of a file is needed to match its columns.
    inspect: async (m) => {
      const head = await bytesOf(m.blob, 0, HEAD_BYTES);
      const inspection = plain(engine.inspect(head, String(m.name), m.mapping || null));
      return { ...inspection, partial: m.blob.size > HEAD_BYTES };
    },
    // The file streams from disk into the engine in chunks: memory holds the results,
    // never the whole file.
    scoreFile: async (m, progress) => {
      const blob = m.blob;
      engine.begin(String(m.name), blob.size, String(m.asOf), m.mapping || null);
      let rows = 0;
      let next = bytesOf(blob, 0, CHUNK_BYTES);
      for (let at = 0; at < blob.size; at += CHUNK_BYTES) {
        const chunk = await next;
        // Read the next chunk while this one is scored.
        if (at + CHUNK_BYTES < blob.size) next = bytesOf(blob, at + CHUNK_BYTES, at + 2 * CHUNK_BYTES);
        rows = engine.push(chunk);
        progress(Math.min(at + CHUNK_BYTES, blob.size), blob.size, rows);
      }
      return plain(engine.finish());
    },
    // The file's SHA-256 for the report, in a second pass after the summary is shown.
    digest: async (m) => {
      const digest = new FileDigest();
      try {
        for (let at = 0; at < m.blob.size; at += CHUNK_BYTES) digest.update(await bytesOf(m.blob, at, at + CHUNK_BYTES));
        return digest.finish();
      } finally {
        digest.free();
      }
    },
    view: (m) => engine.view(m.query || null),
    rows: (m) => plain(engine.rows(Uint32Array.from(m.rows))).map(([row, data]) => ({ row, ...data })),
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
  const failed = (err) => {
    if (err instanceof WebAssembly.RuntimeError) {
      // A trap (a bug or running out of memory) may leave the engine in a bad state:
      // start a fresh one from the already-loaded module so the next file still works.
      try {
        engine = new Engine();
        bundled = true;
      } catch {
        // Keep the old one; the next request reports its own error.
      }
      return new Error(`The scoring engine failed (${messageOf(err)}). Please report this; other files can still be scored.`);
    }
    return new Error(messageOf(err));
  };
  return async function handle(msg, progress = () => {}) {
    const fn = handlers[msg.type];
    if (!fn) throw new Error(`Unknown request '${String(msg.type)}'.`);
    try {
      return await fn(msg, progress);
    } catch (err) {
      throw failed(err);
    }
  };
}

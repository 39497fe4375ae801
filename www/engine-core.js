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

/** Files smaller than this are read by one worker: a second one costs a head. */
export const MIN_PARALLEL_BYTES = 4 * HEAD_BYTES;
/**
 * Files larger than this are read by one worker too: joining a part briefly holds it
 * twice more in the first worker's memory, which a file near the memory limit lacks
 * (it is then scored, or refused with a clear message, by one worker).
 */
export const MAX_PARALLEL_BYTES = 512 << 20;

/**
 * Pushes bytes `from`..`to` of `blob` into `engine` chunk by chunk (the next chunk is
 * read from disk while one is scored); `progress(bytesDone, rows)` after each.
 */
async function stream(engine, blob, from, to, progress) {
  let next = bytesOf(blob, from, Math.min(from + CHUNK_BYTES, to));
  for (let at = from; at < to; at += CHUNK_BYTES) {
    const chunk = await next;
    if (at + CHUNK_BYTES < to) next = bytesOf(blob, at + CHUNK_BYTES, Math.min(at + 2 * CHUNK_BYTES, to));
    const rows = engine.push(chunk);
    progress(Math.min(at + CHUNK_BYTES, to) - from, rows);
  }
}

/**
 * The partner hands its rows on in pieces of at least this many while it reads: the
 * copying overlaps the reading, and the partner holds one piece, not half the file.
 */
const PIECE_ROWS = 1 << 15;

/** Joins the partner's pieces in order, letting each go once it is in the engine. */
function joinPieces(engine, pieces) {
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    pieces[i] = null;
    if (!engine.join_piece(piece)) return false;
  }
  return true;
}

/**
 * Where a second worker starts reading a big file: just after the first line feed past
 * its middle; null for small files (or no line feed there). The engine checks that the
 * cut is a record's end, and reads on itself when it is not (a quoted line break).
 */
async function cutPoint(blob) {
  if (blob.size < MIN_PARALLEL_BYTES || blob.size > MAX_PARALLEL_BYTES) return null;
  const middle = Math.floor(blob.size / 2);
  const window = await bytesOf(blob, middle, middle + (1 << 16));
  const lf = window.indexOf(10);
  return lf < 0 || middle + lf + 1 >= blob.size ? null : middle + lf + 1;
}

/**
 * Makes the request handler around the wasm `Engine` class. `handle(msg, progress)`
 * returns (a promise of) the reply's payload or throws an Error whose message is meant
 * for people; `progress(done, total, rows)` is called while a file streams in.
 * `partner()` gives the second worker's `call(type, fields, onProgress)`, or null: with
 * one, a big file's second half is scored there at the same time and joined here.
 */
export function createHandler(Engine, FileDigest, partner = () => null) {
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
    // never the whole file. A big file's second half goes to the partner worker.
    scoreFile: async (m, progress) => {
      const blob = m.blob;
      const [name, asOf, mapping] = [String(m.name), String(m.asOf), m.mapping || null];
      engine.begin(name, blob.size, asOf, mapping);
      const other = partner();
      const start = other ? await cutPoint(blob) : null;
      const done = { own: 0, ownRows: 0, theirs: 0, theirRows: 0 };
      const pieces = [];
      const report = () => progress(done.own + done.theirs, blob.size, done.ownRows + done.theirRows);
      const part =
        start === null
          ? null
          : other
              .call('scorePart', { blob, name, asOf, mapping, model: engine.model_json(), start }, (bytes, _total, rows, piece) => {
                if (piece) pieces.push(piece);
                done.theirs = bytes;
                done.theirRows = rows;
                report();
              })
              .catch(() => null);
      const own = (from) => (bytes, rows) => {
        done.own = from + bytes;
        done.ownRows = rows;
        report();
      };
      await stream(engine, blob, 0, start ?? blob.size, own(0));
      let joined = false;
      if (start !== null) {
        if (engine.end_part()) {
          const bytes = await part;
          try {
            joined = bytes instanceof Uint8Array && joinPieces(engine, pieces) && engine.join(bytes);
          } catch {
            joined = false;
          }
          if (!joined) engine.reopen();
        }
        if (!joined) {
          // The cut fell inside a quoted field (or the part failed): read on here.
          Object.assign(done, { theirs: 0, theirRows: 0 });
          await stream(engine, blob, start, blob.size, own(start));
        }
      }
      // How many workers read the file (shown as a data attribute, for tests).
      return { ...plain(engine.finish()), workers: joined ? 2 : 1 };
    },
    // In the partner worker: scores bytes `start`.. of the file with the first worker's
    // model, hands its rows on in pieces with the progress messages, and returns the rest
    // of the part as bytes (null when the file cannot be read in parts).
    scorePart: async (m, progress) => {
      const blob = m.blob;
      const part = Engine.from_json(String(m.model));
      try {
        const head = await bytesOf(blob, 0, HEAD_BYTES);
        const size = blob.size - m.start;
        if (!part.begin_part(String(m.name), head, size, String(m.asOf), m.mapping || null)) return null;
        let handed = 0;
        await stream(part, blob, m.start, blob.size, (bytes, rows) => {
          const piece = rows - handed >= PIECE_ROWS ? part.take_piece() : undefined;
          if (piece) handed = rows;
          progress(bytes, size, rows, piece);
        });
        return part.finish_part();
      } finally {
        part.free();
      }
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

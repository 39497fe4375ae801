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

/**
 * An answer of the engine (plain objects and arrays, from serde-wasm-bindgen) with every
 * number that is not finite made null, as in the JSON the command line writes: a total
 * too large for a float (revenue at risk) shows as "no figure", never as Infinity.
 */
export function plain(value) {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const k of Object.keys(value)) value[k] = plain(value[k]);
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

/** Files smaller than this are read by one worker: another one costs a head. */
export const MIN_PARALLEL_BYTES = 4 * HEAD_BYTES;
/**
 * Files larger than this are read by one worker too: the later parts' rows wait in the
 * page's memory, as pieces, until the first worker has read its own part, on top of the
 * first worker's memory, which a file near the memory limit lacks (it is then scored,
 * or refused with a clear message, by one worker).
 */
export const MAX_PARALLEL_BYTES = 512 << 20;

/**
 * Bytes `from`..`to` of `blob` in chunks of `size` bytes (the last one shorter), through
 * the Blob's stream: the browser reads ahead while a chunk is scored, and it costs much
 * less processor time than a `slice().arrayBuffer()` per chunk (100 MB here: ~0.35 s of
 * the two cores instead of ~0.6 s, time the engines then have). A chunk is only valid
 * until the next one is asked for (its memory is read into again).
 */
export async function* chunksOf(blob, from, to, size) {
  if (from >= to) return;
  const reader = blob.slice(from, to).stream().getReader();
  const buffer = new Uint8Array(Math.min(size, to - from));
  let filled = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // The stream's pieces are of any size: copied into the buffer, which is handed on
      // whenever it is full.
      for (let used = 0; used < value.length; ) {
        const n = Math.min(value.length - used, buffer.length - filled);
        buffer.set(value.subarray(used, used + n), filled);
        filled += n;
        used += n;
        if (filled === buffer.length) {
          yield buffer;
          filled = 0;
        }
      }
    }
    if (filled > 0) yield buffer.subarray(0, filled);
  } finally {
    // A reader left early (a part read ahead for nothing) stops the browser's reading.
    reader.cancel().catch(() => {});
  }
}

/**
 * Pushes bytes `from`..`to` of `blob` into `engine` chunk by chunk; `progress(bytesDone,
 * rows)` after each. `head`, the file's first bytes already read, is used for them.
 * False when `stopped()` turned true between two chunks (the rest is not read).
 */
async function stream(engine, blob, from, to, progress, head = null, stopped = () => false) {
  let at = from;
  if (from === 0 && head) {
    const first = head.subarray(0, Math.min(head.length, to));
    at = first.length;
    progress(at - from, engine.push(first));
  }
  for await (const chunk of chunksOf(blob, at, to, CHUNK_BYTES)) {
    if (stopped()) return false;
    at += chunk.length;
    progress(at - from, engine.push(chunk));
  }
  return true;
}

/** Resolves after the tasks already queued (messages that arrived) have run. */
let nextTask = () => {
  const channel = new MessageChannel();
  const waiting = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  nextTask = () => new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
  return nextTask();
};

/**
 * The partner hands its rows on in pieces of at least this many while it reads: the
 * copying overlaps the reading, and the partner holds one piece, not half the file.
 */
const PIECE_ROWS = 1 << 15;

/**
 * A later part of a file, scored by the partner worker `caller` (`fields` as for
 * 'scorePart'). Its pieces queue up as they arrive; `joinInto(engine, first)` joins them
 * in order as soon as the engine has read everything before the part, while the partner
 * still reads (except on its last chunk), then the part's own bytes; true when the part
 * is joined. `first()` runs before each round of joining. `lastBytes()` is the part's
 * own bytes once the partner is done (null when it has no part), undefined before.
 * `onProgress(bytes, rows)` follows the partner's reading.
 */
function partnerPart(caller, fields, onProgress) {
  const pieces = [];
  let wake = () => {};
  let last; // the part's own bytes once the partner is done (null: no part)
  let read = 0; // the part's bytes the partner has read
  // On its last chunk the partner is about to end: a piece joined now (several ms of
  // copying) would only delay noticing the end, and with it the summary.
  const ending = () => last === undefined && fields.end - fields.start - read <= CHUNK_BYTES;
  caller
    .call('scorePart', fields, (bytes, _total, rows, piece) => {
      read = bytes;
      if (piece) {
        pieces.push(piece);
        wake();
      }
      onProgress(bytes, rows);
    })
    .catch(() => null)
    .then((bytes) => {
      last = bytes ?? null;
      wake();
    });
  return {
    start: fields.start,
    lastBytes: () => last,
    async joinInto(engine, first = () => {}) {
      for (let next = 0; ; ) {
        first();
        if (next < pieces.length && !ending()) {
          const piece = pieces[next];
          pieces[next++] = null; // let each go once it is in the engine
          if (!engine.join_piece(piece)) return false;
          // Lets the messages that came meanwhile in: the partner's end, for `first`,
          // need not wait for every piece queued before it.
          await nextTask();
          continue;
        }
        if (last !== undefined) return last instanceof Uint8Array && engine.join(last);
        await new Promise((resolve) => (wake = resolve));
      }
    },
  };
}

/**
 * The first worker's share of a file, against 1 for each partner. The first worker
 * keeps every row, so it writes them to fresh memory (the partners hand theirs on and
 * reuse theirs), and it has scored the head's rows; a partner starts about when the
 * first worker does (it reads and plans the head itself while the first worker inspects
 * it, then reads its part ahead). These about cancel out: measured here on 1M rows,
 * median of 8 alternating runs twice, 1.02 was 4-6% sooner to the summary than 0.93
 * (and than 0.97); with the part read ahead, 6 runs ended the two parts a median 8 ms
 * apart. Which worker ends first varies from run to run, by up to 0.3 s on a loaded
 * machine. (Not exactly 1: the browser test tests/e2e/parallel.test.mjs puts a quoted
 * name at the two-worker cut and another at the four-worker middle cut, which 1 would
 * make the same place.)
 */
export const FIRST_SHARE = 1.02;

/**
 * Where the later parts of a big file read by `workers` workers start: just after the
 * first line feed past each share (see FIRST_SHARE), beyond the head, in increasing order
 * (fewer for lines that never end; none for small files). The engine checks that each cut
 * is a record's end, and reads on itself when it is not (a quoted line break).
 */
async function cutPoints(blob, workers) {
  const cuts = [];
  if (!readInParts(blob.size)) return cuts;
  for (let k = 1; k < workers; k++) {
    const share = (FIRST_SHARE + k - 1) / (FIRST_SHARE + workers - 1);
    const from = Math.max(Math.floor(blob.size * share), HEAD_BYTES);
    const window = await bytesOf(blob, from, from + (1 << 16));
    const lf = window.indexOf(10);
    const cut = from + lf + 1;
    if (lf >= 0 && cut < blob.size && cut > (cuts.at(-1) ?? 0)) cuts.push(cut);
  }
  return cuts;
}

/** Whether a file of `size` bytes is read by several workers (see `cutPoints`). */
function readInParts(size) {
  return size >= MIN_PARALLEL_BYTES && size <= MAX_PARALLEL_BYTES;
}

/** What scoring a file depends on besides its bytes: name, date and column choices. */
function scoreKey(m) {
  const mapping = m.mapping && Object.keys(m.mapping).length ? m.mapping : null;
  return JSON.stringify([String(m.name), String(m.asOf), mapping]);
}

/**
 * What a partner's reading of a later part depends on, before its own bytes: the file's
 * head (by the first worker's id for it), name, date, column choices and model. No column
 * choices and an empty set of them read a file the same way.
 */
function partKey(m) {
  return JSON.stringify([m.headId ?? null, scoreKey(m), String(m.model)]);
}

/** What a part read ahead must match to be used: `partKey`, and where the part is. */
function aheadKey(m) {
  return JSON.stringify([partKey(m), Number(m.start), Number(m.end)]);
}

/**
 * Makes the request handler around the wasm `Engine` class. `handle(msg, progress)`
 * returns (a promise of) the reply's payload or throws an Error whose message is meant
 * for people; `progress(done, total, rows)` is called while a file streams in.
 * `partners()` gives the other workers' `call(type, fields, onProgress)`s: a big file's
 * later parts are scored there at the same time and joined here, in order.
 */
export function createHandler(Engine, FileDigest, partners = () => []) {
  let engine = new Engine();
  // The browser compiles WebAssembly at full speed only after some use: the engine runs
  // its code once on a small made-up list now (tens of ms), not on the first real file.
  engine.warm_up();
  let bundled = true;
  // The last table view, by its query: the page asks for the same one twice when a file
  // is scored (the table and the printable report), and sorting a million rows takes
  // tens of milliseconds. Any request that may change the results forgets it.
  let lastView = null;
  // The head read for the last inspection, by the id the page hands back when it scores
  // the same file: it is the file's first chunk, and the partners' head, without reading
  // the file again.
  let lastHead = null;
  let heads = 0;
  // In a partner: the later part of the file last inspected by the first worker, its
  // head already read and planned while the first worker inspected it (~0.1 s that would
  // otherwise delay the partner's first byte), by the request fields it was made for.
  let prepared = null;
  // In a partner: the engine made from the first worker's model for the last part, kept
  // for the next part with the same model (making one from a model takes ~10 ms).
  let spare = null;
  const partEngine = (model) => {
    const kept = spare?.model === model ? spare.engine : null;
    if (!kept) spare?.engine.free();
    spare = null;
    return kept ?? Engine.from_json(model);
  };
  const keepEngine = (model, part) => {
    spare?.engine.free();
    spare = { model, engine: part };
  };
  const dropPrepared = () => {
    if (prepared?.part) keepEngine(prepared.model, prepared.part);
    prepared = null;
  };
  // In a partner: the part being read ahead of its 'scorePart' (see 'prepare'): `key`
  // (`aheadKey`), `events` (its progress so far, until `emit` hands it on), `done`.
  let ahead = null;
  /**
   * Reads the part `m` describes (a 'scorePart''s fields) with the prepared engine;
   * `progress(bytes, size, rows, piece)` as it goes. The rest of the part as bytes (see
   * 'scorePart'), or undefined when `stopped()` turned true before its end.
   */
  const readPart = async (m, progress, stopped = () => false) => {
    const blob = m.blob;
    const end = Math.min(Number(m.end ?? blob.size), blob.size);
    const size = end - m.start;
    // Planned while the file was inspected, or now when that was for other fields.
    if (prepared?.key !== partKey(m)) await handlers.prepare({ ...m, start: undefined });
    let part = prepared.part;
    prepared = null;
    if (!part) return null; // the file cannot be read in parts
    const model = String(m.model);
    try {
      let handed = 0;
      const whole = await stream(
        part,
        blob,
        m.start,
        end,
        (bytes, rows) => {
          const piece = rows - handed >= PIECE_ROWS ? part.take_piece() : undefined;
          if (piece) handed = rows;
          progress(bytes, size, rows, piece);
        },
        null,
        stopped,
      );
      if (!whole) return undefined;
      if (end < blob.size && !part.end_part()) return null;
      return part.finish_part();
    } catch (err) {
      // Not kept: a trap may have left it broken.
      part?.free();
      part = null;
      throw err;
    } finally {
      if (part) keepEngine(model, part);
    }
  };
  /** Starts reading the part `m` describes ahead of its 'scorePart' (see `ahead`). */
  const readAhead = (m) => {
    const kept = { key: aheadKey(m), events: [], stop: false };
    kept.emit = (...event) => kept.events.push(event);
    kept.done = readPart(m, (...event) => kept.emit(...event), () => kept.stop).then(
      (bytes) => ({ bytes }),
      (error) => ({ error }),
    );
    return kept;
  };
  /** Stops the part read ahead, if any, and waits until its engine is free again. */
  const stopAhead = async () => {
    const kept = ahead;
    ahead = null;
    if (!kept) return;
    kept.stop = true;
    await kept.done;
  };
  const keepsView = new Set(['info', 'inspect', 'view', 'rows', 'explain', 'whatif', 'export', 'digest', 'prepare']);
  const handlers = {
    info: () => ({ model: plain(engine.model_info()), bundled }),
    // Only the head of a file is needed to match its columns.
    inspect: async (m) => {
      const id = ++heads;
      const others = partners();
      // Where the partners' parts would start, found while the head is read and inspected.
      const cuts = others.length ? cutPoints(m.blob, others.length + 1).catch(() => null) : null;
      // A file big enough to be read in parts: once the cuts are known, the partners read
      // and plan its head and start reading their parts, at the same time as this worker
      // inspects the head, with the fields 'scorePart' will likely bring (if not, they
      // stop and start again then).
      if (others.length && readInParts(m.blob.size) && m.asOf) {
        const fields = { blob: m.blob, name: String(m.name), asOf: String(m.asOf), mapping: m.mapping || null, model: engine.model_json(), headId: id };
        cuts.then((found) => {
          for (const [i, partner] of others.entries()) {
            const start = found?.[i];
            const part = start === undefined ? {} : { start, end: found[i + 1] ?? m.blob.size };
            partner.call('prepare', { ...fields, ...part }).catch(() => {});
          }
        });
      }
      const head = await bytesOf(m.blob, 0, HEAD_BYTES);
      lastHead = { id, bytes: head, cuts, key: null };
      let inspection;
      if (m.asOf && m.blob.size >= HEAD_BYTES) {
        // The head is read once for the inspection and for scoring with the same fields
        // (a twentieth of a second for a 4 MB head): the engine keeps it read.
        inspection = engine.inspect_head(head, String(m.name), m.blob.size, String(m.asOf), m.mapping || null);
        lastHead.key = scoreKey(m);
      } else inspection = engine.inspect(head, String(m.name), m.mapping || null);
      return { ...plain(inspection), partial: m.blob.size > HEAD_BYTES, headId: id };
    },
    // The file streams from disk into the engine in chunks: memory holds the results,
    // never the whole file. A big file's later parts go to the partner workers.
    scoreFile: async (m, progress) => {
      const blob = m.blob;
      const [name, asOf, mapping] = [String(m.name), String(m.asOf), m.mapping || null];
      const inspected = m.headId !== undefined && lastHead?.id === m.headId ? lastHead : null;
      // Scored as inspected: the engine has read the head already.
      const resumed = inspected?.key === scoreKey(m) && engine.begin_inspected();
      if (!resumed) engine.begin(name, blob.size, asOf, mapping);
      const others = partners();
      const cuts = others.length ? ((await inspected?.cuts) ?? (await cutPoints(blob, others.length + 1))) : [];
      // Bytes and rows read so far by each worker (this one first).
      const done = cuts.map(() => ({ bytes: 0, rows: 0 })).concat({ bytes: 0, rows: 0 });
      const sum = (key) => done.reduce((n, d) => n + d[key], 0);
      const report = () => progress(sum('bytes'), blob.size, sum('rows'));
      const model = cuts.length ? engine.model_json() : null;
      const head = inspected?.bytes ?? null;
      const headId = inspected ? m.headId : undefined;
      const parts = cuts.map((start, i) => {
        const fields = { blob, name, asOf, mapping, model, head, headId, start, end: cuts[i + 1] ?? blob.size };
        return partnerPart(others[i], fields, (bytes, rows) => {
          Object.assign(done[i + 1], { bytes, rows });
          report();
        });
      });
      const own = (from) => (bytes, rows) => {
        Object.assign(done[0], { bytes: from + bytes, rows });
        report();
      };
      const from = resumed ? Math.min(HEAD_BYTES, blob.size) : 0;
      await stream(engine, blob, from, cuts[0] ?? blob.size, own(from), head);
      // Joins each part in turn; from the first that cannot be joined (its cut fell
      // inside a quoted field, or it failed) on, this worker reads the file itself.
      // (A joined part that ended at a record's end leaves the engine open for the next.)
      let readFrom = null;
      let joined = 0;
      const open = parts.length > 0 && engine.end_part();
      // The file's figures as soon as every partner is done, from the sums at the end of
      // their parts: the page shows the summary while this worker still joins their rows
      // (a tenth of a second and more for a million rows). Parts before `from` are joined.
      let previewed = false;
      const preview = (from) => {
        const lasts = parts.slice(from).map((p) => p.lastBytes());
        if (previewed || lasts.some((b) => b === undefined)) return;
        previewed = true;
        if (!lasts.every((b) => b instanceof Uint8Array)) return;
        const overview = engine.preview(lasts);
        if (overview !== undefined) progress(sum('bytes'), blob.size, sum('rows'), undefined, plain(overview));
      };
      for (const [i, part] of parts.entries()) {
        let ok = false;
        if (open) {
          try {
            ok = await part.joinInto(engine, () => preview(i));
          } catch {
            ok = false;
          }
          if (!ok) engine.reopen();
        }
        if (!ok) {
          readFrom = part.start;
          break;
        }
        joined += 1;
      }
      if (readFrom !== null) {
        for (const d of done.slice(1)) Object.assign(d, { bytes: 0, rows: 0 });
        await stream(engine, blob, readFrom, blob.size, own(readFrom));
      }
      // How many workers read the file (shown as a data attribute, for tests).
      return { ...plain(engine.finish()), workers: 1 + joined };
    },
    // In a partner worker: scores bytes `start`..`end` of the file with the first
    // worker's model, hands its rows on in pieces with the progress messages, and returns
    // the rest of the part as bytes (null when the file cannot be read in parts, or the
    // part does not end at a record's end). A part read ahead for the same fields (see
    // 'prepare') goes on where it is: what it read so far is handed on first.
    scorePart: async (m, progress) => {
      const kept = ahead; // read for these fields (any other was stopped before this)
      ahead = null;
      if (!kept) return readPart(m, progress);
      for (const event of kept.events) progress(...event);
      kept.emit = progress;
      const outcome = await kept.done;
      if ('error' in outcome) throw outcome.error;
      return outcome.bytes;
    },
    // In a partner: reads (unless given) and plans the head of a file the first worker
    // is inspecting, for the 'scorePart' that follows with the same fields (see `partKey`).
    // Given where the part starts and ends, it starts reading it too (~0.1 s before the
    // first worker, which inspects the head meanwhile, can ask for it): the reading goes
    // on after the reply, its progress kept for that 'scorePart'.
    prepare: async (m) => {
      dropPrepared();
      const head = m.head instanceof Uint8Array ? m.head : await bytesOf(m.blob, 0, HEAD_BYTES);
      const model = String(m.model);
      const part = partEngine(model);
      let ok;
      try {
        ok = part.begin_part(String(m.name), head, m.blob.size, String(m.asOf), m.mapping || null);
      } catch (err) {
        part.free();
        throw err;
      }
      if (!ok) keepEngine(model, part);
      prepared = { key: partKey(m), model, part: ok ? part : null };
      if (ok && m.start !== undefined) ahead = readAhead(m);
      return ok;
    },
    // The file's SHA-256 for the report, in a second pass after the summary is shown.
    digest: async (m) => {
      const digest = new FileDigest();
      try {
        for await (const chunk of chunksOf(m.blob, 0, m.blob.size, CHUNK_BYTES)) digest.update(chunk);
        return digest.finish();
      } finally {
        digest.free();
      }
    },
    view: (m) => {
      const key = JSON.stringify(m.query || null);
      if (lastView?.key !== key) lastView = { key, rows: engine.view(m.query || null) };
      return lastView.rows.slice();
    },
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
    // Forgotten before and after: a view asked for while a file is scored is not kept.
    const changes = !keepsView.has(msg.type);
    if (changes) lastView = null;
    try {
      // A part read ahead stops for any request but the 'scorePart' it was read for,
      // which takes it over (it reads into the prepared engine).
      if (ahead && !(msg.type === 'scorePart' && ahead.key === aheadKey(msg))) await stopAhead();
      return await fn(msg, progress);
    } catch (err) {
      throw failed(err);
    } finally {
      if (changes) lastView = null;
    }
  };
}

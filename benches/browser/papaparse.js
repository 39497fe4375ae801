// The benchmark's JavaScript baseline: what a web tool would usually write to score an
// account list without our engine. PapaParse (npm) reads the chosen File in chunks
// (`chunk` callback, Papa.LocalChunkSize = 10 MB) on the main thread, which is how most
// web tools call it; `?worker=1` switches to PapaParse's worker mode for comparison.
// `?route=usual` is the route a web tool usually takes instead, and the one the benchmark's
// ~12 s figure for PapaParse came from: the documented call `Papa.parse(file, { header:
// true, dynamicTyping: true, complete })`, an object per row with typed cells (numbers,
// booleans, Date objects, null for empty cells), then the same loop over those objects.
//
// Per row it computes the bundled model's logistic score on the canonical columns, looked
// up by their canonical header names (no alias matching, no encoding or locale sniffing):
// each numeric/boolean feature is parsed with Number() (yes/true -> 1, no/false -> 0),
// ISO dates (renewal_date, last_engagement_date) become days to/since the as-of date,
// missing or unreadable cells take the model's imputation value, then the value is clipped
// to the training range, log1p-transformed where the model says so, expanded into the
// hinge basis and dotted with the centred coefficients (plus the missing-value term):
// p = 1 / (1 + exp(-(intercept + sum))). It keeps every probability (a Float64Array, as a
// results table needs) and shows the row count, expected churners (sum of p), revenue at
// risk (sum of p * contract_value) and accounts per tier. That is the model's full linear
// score, so the figures should agree with the real page's to rounding; it does less work
// than the real page (no per-row reasons, warnings or header matching).
/* global Papa */

const $ = (id) => document.getElementById(id);
const ui = {
  file: $('file-input'),
  asOf: $('as-of'),
  status: $('status'),
  summary: $('summary'),
  accounts: $('stat-accounts'),
  churners: $('stat-churners'),
  revenue: $('stat-revenue'),
  tiers: $('stat-tiers'),
};
const query = new URLSearchParams(location.search);
const useWorker = query.get('worker') === '1';
const usualRoute = query.get('route') === 'usual';
const routeName = usualRoute ? 'the usual route: header objects, dynamic typing' : useWorker ? 'PapaParse worker mode' : 'main thread';
const DAY_MS = 86_400_000;
let model = null;

/** One model feature, prepared for the inner loop. */
function prepare(f, header) {
  const names = [f.name, ...(f.date_direction ? f.date_aliases || [] : [])];
  let col = -1;
  let isDate = false;
  for (const n of names) {
    col = header.indexOf(n);
    if (col >= 0) {
      isDate = n !== f.name;
      break;
    }
  }
  const knots = f.basis && f.basis.type === 'hinge' ? f.basis.knots : [];
  return {
    col,
    isDate,
    since: f.date_direction === 'since',
    isBool: f.kind === 'boolean',
    impute: f.impute,
    lo: f.range[0],
    hi: f.range[1],
    log1p: f.transform === 'log1p',
    knots,
    w: f.coefficients,
    c: f.centers,
    missW: f.missing ? f.missing.coefficient : 0,
    missC: f.missing ? f.missing.center : 0,
  };
}

function readCell(cell, f, asOfMs) {
  if (typeof cell !== 'string') return typedCell(cell, f, asOfMs);
  if (cell === '') return NaN;
  if (f.isBool) {
    const s = cell.trim().toLowerCase();
    return s === 'yes' || s === 'true' || s === '1' ? 1 : s === 'no' || s === 'false' || s === '0' ? 0 : NaN;
  }
  if (f.isDate) return days(Date.parse(cell), f, asOfMs);
  return Number(cell);
}

/** Days from the as-of date to time `t` (ms), counted the way feature `f` counts them. */
function days(t, f, asOfMs) {
  return Number.isNaN(t) ? NaN : f.since ? (asOfMs - t) / DAY_MS : (t - asOfMs) / DAY_MS;
}

/** A cell PapaParse typed (the usual route): a number, boolean, Date, null or undefined. */
function typedCell(cell, f, asOfMs) {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (cell instanceof Date) return days(cell.getTime(), f, asOfMs);
  return NaN;
}

function contribution(f, x) {
  const missing = Number.isNaN(x);
  let v = missing ? f.impute : x;
  v = v < f.lo ? f.lo : v > f.hi ? f.hi : v;
  const t = f.log1p ? Math.log1p(v) : v;
  let s = f.w[0] * (t - f.c[0]);
  for (let k = 0; k < f.knots.length; k++) {
    const h = t - f.knots[k];
    s += f.w[k + 1] * ((h > 0 ? h : 0) - f.c[k + 1]);
  }
  return s + f.missW * ((missing ? 1 : 0) - f.missC);
}

function score(file) {
  const started = performance.now();
  const asOfMs = Date.parse(ui.asOf.value || new Date().toISOString().slice(0, 10));
  const tiers = [...model.tiers].sort((a, b) => b.min_probability - a.min_probability);
  const tierCounts = new Array(tiers.length).fill(0);
  let feats = null;
  let valueCol = -1;
  let probs = new Float64Array(1 << 16);
  let rows = 0;
  let churners = 0;
  let revenue = 0;
  // One account: `r` is its cells, an array in header order, or an object keyed by the
  // header names `names` (the usual route).
  const account = (r, names) => {
    let logit = model.intercept;
    for (let k = 0; k < feats.length; k++) {
      const f = feats[k];
      logit += contribution(f, f.col >= 0 ? readCell(r[names === null ? f.col : names[f.col]], f, asOfMs) : NaN);
    }
    const p = 1 / (1 + Math.exp(-logit));
    if (rows === probs.length) {
      const grown = new Float64Array(probs.length * 2);
      grown.set(probs);
      probs = grown;
    }
    probs[rows++] = p;
    churners += p;
    const value = valueCol >= 0 ? Number(r[names === null ? valueCol : names[valueCol]]) : NaN;
    if (Number.isFinite(value)) revenue += p * value;
    let t = 0;
    while (t < tiers.length - 1 && p < tiers[t].min_probability) t++;
    tierCounts[t]++;
  };
  const useHeader = (fields) => {
    const header = fields.map((h) => String(h).trim());
    feats = model.features.map((f) => prepare(f, header));
    valueCol = header.indexOf(model.value_feature);
    return header;
  };
  const complete = () => {
    ui.accounts.textContent = String(rows);
    ui.churners.textContent = churners.toFixed(1);
    ui.revenue.textContent = Math.round(revenue).toLocaleString('en-US');
    ui.tiers.textContent = tiers.map((t, k) => `${t.name} ${tierCounts[k]}`).join(', ');
    ui.summary.dataset.expectedChurners = String(churners);
    ui.summary.dataset.revenueAtRisk = String(revenue);
    ui.summary.hidden = false;
    ui.status.textContent = `Scored ${rows} rows in ${Math.round(performance.now() - started)} ms (${routeName}).`;
    document.body.dataset.state = 'scored';
  };
  const error = (err) => {
    ui.status.textContent = `PapaParse failed: ${err && err.message ? err.message : err}`;
    document.body.dataset.state = 'error';
  };
  ui.status.textContent = `Scoring ${file.name}…`;
  document.body.dataset.state = 'scoring';
  if (usualRoute) {
    Papa.parse(file, {
      header: true,
      dynamicTyping: true,
      skipEmptyLines: true,
      complete(results) {
        // Cells by the (untrimmed) header names the objects carry.
        const names = results.meta.fields;
        useHeader(names);
        for (const r of results.data) account(r, names);
        complete();
      },
      error,
    });
    return;
  }
  Papa.parse(file, {
    worker: useWorker,
    skipEmptyLines: true,
    chunk(results) {
      const data = results.data;
      let i = 0;
      if (feats === null) {
        useHeader(data[0]);
        i = 1;
      }
      for (; i < data.length; i++) {
        account(data[i], null);
      }
    },
    complete,
    error,
  });
}

ui.file.addEventListener('change', () => {
  const file = ui.file.files && ui.file.files[0];
  if (file) score(file);
});

fetch('model.json')
  .then((r) => {
    if (!r.ok) throw new Error(`model.json: HTTP ${r.status}`);
    return r.json();
  })
  .then((m) => {
    model = m;
    ui.file.disabled = false;
    document.body.dataset.engine = 'ready';
    ui.status.textContent = `Ready (${routeName}).`;
  })
  .catch((err) => {
    ui.status.textContent = `The model could not be loaded: ${err.message}`;
    document.body.dataset.state = 'error';
  });

// churn-audit page: the main thread reads files and renders; every number comes from the
// WebAssembly engine (in worker.js, or on the page itself in the single-file build).
// Nothing the user picks is sent anywhere: after start-up the page makes no network
// request at all (the sample file is fetched during start-up).
//
// Every piece of data from a file is put in the page with textContent, never as HTML.
import { createHandler, messageOf } from './engine-core.js';

const MAX_ISSUES_SHOWN = 500;
const PROGRESS_MS = 200; // the least time between two moves of the progress bar
const ROW_WARNINGS_SENT = 500; // the engine's OVERVIEW_WARNINGS
const ROW_HEIGHT = 40; // px; fixed so the table can be virtualised (see style.css)
const REPORT_TOP_ACCOUNTS = 25;
// The sample's dates were written as of this day; it is scored as of it so it keeps a
// realistic mix of risk however old the sample gets (the date stays editable).
const SAMPLE_AS_OF = '2026-01-15';
const SAMPLE_NAME = 'sample-accounts.csv';
const MAPPING_KEY = 'churn-audit:mapping:';
const EMBED = globalThis.CHURN_AUDIT_EMBED || null; // set by the single-file build

const body = document.body;
const SVG_NS = 'http://www.w3.org/2000/svg';

// --- Content-Security-Policy violations are counted where a test can see them. ---------
let cspViolations = 0;
document.addEventListener('securitypolicyviolation', (event) => {
  cspViolations += 1;
  body.dataset.cspViolations = String(cspViolations);
  console.error(`Content-Security-Policy violation: ${event.violatedDirective} blocked ${event.blockedURI || '(inline)'}`);
});

const $ = (id) => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page is missing #${id}`);
  return node;
};

// --- Formatting -----------------------------------------------------------------------
const moneyFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const countFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const churnersFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const thresholdFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const money = (v) => (isNum(v) ? moneyFormat.format(v) : '—');
const percent = (v) => (isNum(v) ? percentFormat.format(v) : '—');
const count = (v) => (isNum(v) ? countFormat.format(v) : '—');

const DELIMITERS = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '\\t': 'tab', '|': 'pipe' };
const HOW = {
  id: 'account ID',
  name: 'account name',
  segment: 'segment',
  exact: 'matched by its name',
  alias: 'matched by a known alternative name',
  date: 'a date, counted in days up to the as-of date',
  manual: 'your choice',
};

function todayLocal() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Creates an element with optional class and text (always via textContent). */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

const ui = {
  fileInput: $('file-input'),
  dropZone: $('drop-zone'),
  sampleButton: $('sample-button'),
  asOf: $('as-of'),
  status: $('status'),
  progressRow: $('progress-row'),
  progress: $('progress'),
  cancel: $('cancel-button'),
  mapping: $('mapping'),
  mappingIntro: $('mapping-intro'),
  mappingProblem: $('mapping-problem'),
  mappingBody: $('mapping-body'),
  mappingDetails: $('mapping-details'),
  mappingMissing: $('mapping-missing'),
  mappingScore: $('mapping-score'),
  mappingReset: $('mapping-reset'),
  summary: $('summary'),
  summaryFile: $('summary-file'),
  statAccounts: $('stat-accounts'),
  statWarnings: $('stat-warnings'),
  statChurners: $('stat-churners'),
  statRevenue: $('stat-revenue'),
  tierCards: $('tier-cards'),
  histogram: $('histogram'),
  drivers: $('drivers'),
  segments: $('segments'),
  segmentsFigure: $('segments-figure'),
  issues: $('issues'),
  issuesEmpty: $('issues-empty'),
  results: $('results'),
  resultsNote: $('results-note'),
  resultsBody: $('results-body'),
  resultsTable: $('results-table'),
  viewport: $('viewport'),
  search: $('search'),
  tierFilter: $('tier-filter'),
  segmentFilter: $('segment-filter'),
  exportSection: $('export'),
  exportCsv: $('export-csv'),
  exportExcel: $('export-excel'),
  exportXlsx: $('export-xlsx'),
  sheetRow: $('sheet-row'),
  printReport: $('print-report'),
  modelCard: $('model-card'),
  modelInput: $('model-input'),
  modelDefault: $('model-default'),
  tiersForm: $('tiers-form'),
  tiersFields: $('tiers-fields'),
  tiersApply: $('tiers-apply'),
  modelInfo: $('model-info'),
  detail: $('detail'),
  detailHeading: $('detail-heading'),
  detailClose: $('detail-close'),
  detailFigures: $('detail-figures'),
  waterfall: $('waterfall'),
  contribBody: $('contrib-body'),
  actions: $('actions'),
  whatifFields: $('whatif-fields'),
  whatifResult: $('whatif-result'),
  whatifReset: $('whatif-reset'),
  detailWarnings: $('detail-warnings'),
  report: $('report'),
};

function setStatus(text, kind = '') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

function busy(on, cancellable = false) {
  ui.progressRow.hidden = !on;
  ui.cancel.hidden = !cancellable;
  body.toggleAttribute('aria-busy', on);
}

// --- The engine bridge ------------------------------------------------------------------
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
let customModelText = null; // re-applied when a cancelled worker is replaced
let customThresholds = null;

let inPageQueue = Promise.resolve();

/**
 * Sends a request to the engine; `onProgress(done, total, rows, preview)` follows a file
 * streaming in (`preview`: the file's figures before its rows are all joined, once).
 */
function call(type, fields = {}, transfer = [], onProgress = null) {
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
async function startWorker() {
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

async function startInPage() {
  const raw = atob(EMBED.wasm);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  // eslint-disable-next-line no-undef
  await wasm_bindgen({ module_or_path: bytes });
  // eslint-disable-next-line no-undef
  inPage = createHandler(wasm_bindgen.Engine, wasm_bindgen.FileDigest);
  return inPage({ type: 'info' }, () => {});
}

/** Cancelling = terminating the worker (the only way to stop wasm mid-run) and starting a fresh one. */
async function cancelRun() {
  if (!worker) return;
  runToken += 1;
  busy(false);
  setStatus('Cancelled. Choose a file to start again.', '');
  finishRun('cancelled');
  await restartWorker();
}

/** Stops whatever the worker is doing and starts a fresh one with the same model. */
async function restartWorker() {
  worker.terminate();
  for (const partner of partnerWorkers) partner.terminate();
  partnerWorkers = [];
  for (const p of pending.values()) p.reject(new Error('cancelled'));
  pending.clear();
  try {
    await startWorker();
    if (customModelText) await call('loadModel', { text: customModelText });
    if (customThresholds) await call('setTiers', { thresholds: customThresholds });
  } catch (err) {
    body.dataset.engine = 'failed';
    setStatus(`The scoring engine could not restart (${messageOf(err)}). Reload the page.`, 'error');
  }
}

// --- The model ----------------------------------------------------------------------------
let model = null;
let tierRank = new Map(); // tier name -> { cls, index }
let featureLabel = new Map();

function learnModel(info) {
  model = info.model || {};
  const tiers = Array.isArray(model.tiers) ? model.tiers : [];
  tierRank = new Map();
  tiers.forEach((tier, i) => {
    const n = tiers.length;
    let cls;
    if (i === 0 && n > 1) cls = 'risk-high';
    else if (i === n - 1) cls = 'risk-low';
    else cls = i / (n - 1) < 0.5 ? 'risk-upper' : 'risk-mid';
    tierRank.set(tier.name, { cls, index: i });
  });
  featureLabel = new Map((model.features || []).map((f) => [f.name, f.label || f.name]));
  ui.modelInfo.textContent = `Model: ${model.version || model.name}${info.bundled ? ' (bundled)' : ' (loaded from your file)'} · ${featureLabel.size} inputs · tiers: ${tiers
    .map((t) => `${t.name} from ${thresholdFormat.format(t.min_probability ?? 0)}`)
    .join(', ')}.`;
  renderModelCard(ui.modelCard, model, info.bundled);
  renderTierFields(tiers);
}

function tierChip(name) {
  const chip = el('span', `tier-chip ${tierRank.get(name)?.cls || 'risk-unknown'}`);
  const swatch = el('span', 'tier-swatch');
  swatch.setAttribute('aria-hidden', 'true');
  chip.append(swatch, el('span', 'tier-name', name ?? '—'));
  return chip;
}

/** Appends a card text (a list of styled spans, see src/card.rs) to `node`. */
function appendSpans(node, spans) {
  for (const span of spans || []) {
    if (span.style === 'code') node.append(el('code', '', span.text));
    else if (span.style === 'strong') node.append(el('strong', '', span.text));
    else node.append(document.createTextNode(String(span.text ?? '')));
  }
  return node;
}

/** One block of a card section: a paragraph, a list or a table, as the CLI's markdown has it. */
function cardBlock(block) {
  if (block.type === 'paragraph') return appendSpans(el('p'), block.text);
  if (block.type === 'list') {
    const ul = el('ul');
    for (const item of block.items || []) ul.append(appendSpans(el('li'), item));
    return ul;
  }
  const columns = block.columns || [];
  const table = el('table', 'card-table');
  const head = el('tr');
  for (const c of columns) {
    const th = el('th', c.numeric ? 'num' : '', c.title);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const row of block.rows || []) {
    const tr = el('tr');
    row.forEach((cell, i) => tr.append(el('td', columns[i]?.numeric ? 'num' : '', cell)));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  const wrap = el('div', 'table-wrap');
  wrap.append(table);
  return wrap;
}

// The card is the one `churn-audit card` prints (src/card.rs builds both): the same
// sections with the same figures, laid out here instead of as markdown.
function renderModelCard(target, card, bundled) {
  const frag = document.createDocumentFragment();
  frag.append(el('h3', '', `Model card: ${card.name}${bundled === false ? ' (your model)' : ''}`));
  if (card.description) frag.append(el('p', 'card-description', card.description));
  for (const section of card.sections || []) {
    const part = el('div', 'card-section');
    part.dataset.testid = 'card-section';
    part.append(el('h4', '', section.title));
    for (const block of section.blocks || []) part.append(cardBlock(block));
    frag.append(part);
  }
  target.replaceChildren(frag);
}

function renderTierFields(tiers) {
  const fields = tiers.map((t, i) => {
    const wrap = el('div', 'field');
    const id = `tier-threshold-${i}`;
    const label = el('label', '', `${t.name} from (%)`);
    label.htmlFor = id;
    const input = el('input');
    input.type = 'number';
    input.id = id;
    input.min = '0';
    input.max = '100';
    input.step = '0.1';
    input.dataset.testid = `tier-threshold-${i}`;
    input.value = String(Math.round(t.min_probability * 1000) / 10);
    if (i === tiers.length - 1) {
      input.disabled = true; // the lowest tier always starts at 0
      input.title = 'The lowest tier always starts at 0%.';
    }
    wrap.append(label, input);
    return wrap;
  });
  ui.tiersFields.replaceChildren(...fields);
}

// --- The current file and its run ----------------------------------------------------------
let current = null; // { blob: Blob (a File or the sample), name, sample: boolean, headId: the last inspection's }
let inspection = null;
let userMapping = {}; // header -> target, the user's overrides only
let result = null;
let completedRuns = 0;
let readToken = 0;
let sampleBytes = null;

function finishRun(state) {
  completedRuns += 1;
  body.dataset.state = state;
  body.dataset.run = String(completedRuns);
  busy(false);
}

function headerKey(columns) {
  return MAPPING_KEY + (model?.name || '') + '\u0001' + columns.map((c) => c.header).join('\u0001');
}

function loadSavedMapping(headers) {
  try {
    const text = localStorage.getItem(MAPPING_KEY + (model?.name || '') + '\u0001' + headers.join('\u0001'));
    const saved = text ? JSON.parse(text) : null;
    return saved && typeof saved === 'object' ? saved : {};
  } catch {
    return {}; // storage blocked (file:// in some browsers, private mode): just don't remember
  }
}

function saveMapping() {
  if (!inspection) return;
  try {
    const key = headerKey(inspection.columns);
    if (Object.keys(userMapping).length) localStorage.setItem(key, JSON.stringify(userMapping));
    else localStorage.removeItem(key);
  } catch {
    // Not remembering is fine.
  }
}

function showIssues(errorMessage, fileWarnings, rowWarnings, rowsWithWarnings = 0) {
  const items = [];
  if (errorMessage) {
    const li = el('li', 'issue issue-error', errorMessage);
    li.dataset.kind = 'error';
    items.push(li);
  } else {
    let total = 0;
    const push = (text, kind) => {
      total += 1;
      if (items.length < MAX_ISSUES_SHOWN) {
        const li = el('li', `issue issue-${kind}`, text);
        li.dataset.kind = kind;
        items.push(li);
      }
    };
    for (const w of fileWarnings || []) push(w, 'file-warning');
    for (const w of rowWarnings || []) push(w, 'row-warning');
    // The engine sends the first row warnings only; the scored CSV lists them all.
    const complete = (rowWarnings || []).length < ROW_WARNINGS_SENT;
    if (total > items.length || !complete) {
      const shown = items.length;
      const more = el('li', 'issue issue-more', `Only the first ${count(shown)} warnings are listed here; ${count(rowsWithWarnings)} rows have warnings in all, each listed in the scored CSV.`);
      more.dataset.kind = 'more';
      items.push(more);
    }
  }
  ui.issues.replaceChildren(...items);
  ui.issuesEmpty.hidden = items.length > 0;
}

function clearResults() {
  result = null;
  ui.summary.hidden = true;
  ui.results.hidden = true;
  ui.exportSection.hidden = true;
  ui.resultsBody.replaceChildren();
  ui.report.replaceChildren();
  view = new Uint32Array(0);
}

/** A person-friendly version of an engine error. */
function friendly(message, name) {
  if (/cancelled/.test(message)) return message;
  return message.startsWith(name) || message.includes(name) ? message : `${name}: ${message}`;
}

// Each file read or scoring run takes a new token; a run that finds a newer token after an
// await was superseded (a new file, a second change event) and leaves the page alone.
let runToken = 0;

async function readAndInspect(blob, name, asOfOverride, sample = false) {
  const token = ++runToken;
  const file = { blob, name, sample };
  current = file;
  if (asOfOverride) ui.asOf.value = asOfOverride;
  body.dataset.state = 'inspecting';
  busy(true, !inPage);
  setStatus(`Reading the columns of ${name}…`);
  try {
    inspection = await call('inspect', { blob, name, mapping: null, asOf: ui.asOf.value });
    // Scoring this file reads its head from the inspection instead of the disk.
    file.headId = inspection.headId;
  } catch (err) {
    if (token !== runToken) return;
    clearResults();
    ui.mapping.hidden = true;
    showIssues(friendly(messageOf(err), name));
    setStatus(`${name} could not be read. See Issues below.`, 'error');
    finishRun('error');
    return;
  }
  if (token !== runToken) return;
  userMapping = loadSavedMapping(inspection.columns.map((c) => c.header));
  if (Object.keys(userMapping).length) {
    inspection = await inspectWith(userMapping);
    if (token !== runToken) return;
  }
  if (inspection.problem) {
    renderMapping();
    stopForMapping();
    ui.mapping.scrollIntoView({ block: 'start' });
    return;
  }
  // The request goes out first: the workers read while the page lists the columns.
  const scored = scoreCurrent();
  renderMapping();
  await scored;
}

async function inspectWith(mapping) {
  const file = current;
  const ins = await call('inspect', { blob: file.blob, name: file.name, mapping, asOf: ui.asOf.value });
  file.headId = ins.headId;
  return ins;
}

async function scoreCurrent() {
  if (!current) return;
  const asOf = ui.asOf.value;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
    setStatus('Choose the date up to which dates are counted, then the file is scored again.', 'error');
    return;
  }
  const token = ++runToken;
  body.dataset.state = 'scoring';
  busy(true, !inPage);
  setStatus(`Scoring ${current.name}…`);
  ui.results.setAttribute('aria-busy', 'true');
  const { blob, name } = current;
  ui.progress.removeAttribute('value');
  const started = performance.now();
  // The bar and the count move at most every PROGRESS_MS: each move is a frame of the
  // page (style, layout, paint) on the same cores that score the file, and the workers
  // report every few milliseconds on a big file.
  let latest = null;
  let timer = 0;
  let shownAt = -Infinity;
  let previewed = false;
  const show = () => {
    timer = 0;
    if (token !== runToken || !latest || previewed) return;
    const [done, total, rows] = latest;
    shownAt = performance.now();
    ui.progress.max = total;
    ui.progress.value = done;
    const seconds = (shownAt - started) / 1000;
    if (seconds > 0.3) setStatus(`Scoring ${name}: ${count(rows)} accounts so far (${Math.floor((100 * done) / total)}% of the file)…`);
  };
  const onProgress = (done, total, rows, preview) => {
    if (token !== runToken || previewed) return;
    if (preview) {
      // Every account is scored: the summary now, the table once the rows are joined.
      clearTimeout(timer);
      previewed = true;
      ui.progress.max = total;
      ui.progress.value = total;
      renderSummary(preview);
      setStatus(`Scored ${count(preview.summary.accounts_scored)} accounts from ${name}; preparing the table…`);
      return;
    }
    latest = [done, total, rows];
    if (!timer) timer = setTimeout(show, Math.max(0, shownAt + PROGRESS_MS - performance.now()));
  };
  try {
    const r = await call('scoreFile', { blob, name, asOf, mapping: userMapping, headId: current.headId }, [], onProgress);
    clearTimeout(timer);
    if (token !== runToken) return;
    await onResult(r, token);
  } catch (err) {
    clearTimeout(timer);
    const message = messageOf(err);
    if (message === 'cancelled' || token !== runToken) return;
    clearResults();
    showIssues(friendly(message, name));
    setStatus(`Could not score ${name}. See Issues below.`, 'error');
    finishRun('error');
  } finally {
    ui.results.removeAttribute('aria-busy');
  }
}

// The file's SHA-256, computed after the summary is shown (printing waits for it).
let fingerprint = Promise.resolve();

async function fingerprintOf(r, token) {
  try {
    // A workbook's report names the workbook's bytes, not the text made of its sheet.
    const sha = await call('digest', { blob: workbookOf.get(current.blob)?.file ?? current.blob });
    if (token !== runToken) return;
    r.file_sha256 = sha;
    renderFileLine(r);
    const cell = ui.report.querySelector('[data-testid=report-sha256]');
    if (cell) cell.textContent = sha;
  } catch {
    // Cancelled or superseded: the next run computes its own.
  }
}

async function onResult(r, token) {
  const notes = workbookOf.get(current?.blob)?.notes;
  if (notes?.length) r.file_warnings = [...notes, ...(r.file_warnings || [])];
  result = r;
  body.dataset.workers = String(r.workers ?? 1);
  prepareRows(r);
  renderSummary(r);
  renderFilters(r);
  showIssues(null, r.file_warnings, r.row_warnings, r.summary.rows_with_warnings);
  await applyView();
  await buildReport(r);
  if (token !== runToken) return;
  fingerprint = fingerprintOf(r, token);
  ui.results.hidden = false;
  ui.exportSection.hidden = false;
  const n = r.summary.accounts_scored;
  const withWarnings = r.summary?.rows_with_warnings ?? 0;
  const sampleNote =
    current && current.sample && r.as_of === SAMPLE_AS_OF
      ? ` The sample describes accounts as of ${SAMPLE_AS_OF}, so dates are counted up to that day.`
      : '';
  setStatus(
    `Scored ${count(n)} accounts from ${r.file}${withWarnings ? `; ${count(withWarnings)} rows have warnings (see Issues)` : ''}.${sampleNote}`,
    'ok',
  );
  finishRun('scored');
}

// --- Step 2: the column mapping ------------------------------------------------------------
function targetLabel(name) {
  const t = (inspection?.targets || []).find((x) => x.name === name);
  return t ? t.label : name;
}

function renderMapping() {
  const ins = inspection;
  ui.mapping.hidden = false;
  const matched = ins.columns.filter((c) => c.feature).length;
  ui.mappingIntro.textContent = `${ins.partial ? `At least ${count(ins.rows)}` : count(ins.rows)} rows and ${ins.columns.length} columns; ${matched} columns are used. Change any "Used as" choice to fix a match; your choices are remembered on this device for files with the same columns, and the file is scored again at once.`;
  ui.mappingProblem.hidden = !ins.problem;
  if (ins.problem) ui.mappingDetails.open = true;
  ui.mappingProblem.textContent = ins.problem || '';
  // The table, a choice list per column, is built when it is shown: laid out while a
  // big file is read (in a closed section) it took 60-90 ms of a processor both workers
  // need.
  mappingRowsOf = null;
  if (ui.mappingDetails.open) renderMappingRows();
  else ui.mappingBody.replaceChildren();
  const missing = ins.missing_features || [];
  const frag = document.createDocumentFragment();
  if (missing.length) {
    frag.append(el('p', '', `${missing.length} model inputs have no column, so every account gets a typical value for them (and the row says so). If your file has one of them under another name, choose it above:`));
    const ul = el('ul', 'missing-list');
    for (const f of missing) ul.append(el('li', '', targetLabel(f)));
    frag.append(ul);
  } else {
    frag.append(el('p', '', 'Every model input was found in the file.'));
  }
  ui.mappingMissing.replaceChildren(frag);
}

/** The inspection the mapping table shows (null: not built for the current one). */
let mappingRowsOf = null;

/** Builds the mapping table's rows for the current inspection, unless they are built. */
function renderMappingRows() {
  const ins = inspection;
  if (!ins || mappingRowsOf === ins) return;
  mappingRowsOf = ins;
  const groups = new Map();
  for (const t of ins.targets) {
    const role = ['id', 'name', 'segment'].includes(t.role) ? 'Account' : t.role.charAt(0).toUpperCase() + t.role.slice(1);
    if (!groups.has(role)) groups.set(role, []);
    groups.get(role).push(t);
  }
  const rows = ins.columns.map((c, i) => {
    const tr = el('tr');
    const id = `map-${i}`;
    const th = el('th', '');
    th.scope = 'row';
    const label = el('label', '', c.header || `(column ${i + 1} has no header)`);
    label.htmlFor = id;
    th.append(label);
    const ex = el('td', 'examples', (ins.examples[i] || []).join(' · '));
    const td = el('td');
    const select = el('select');
    select.id = id;
    select.dataset.testid = 'map-select';
    select.dataset.header = c.header;
    select.append(new Option('Not used', 'ignore'));
    for (const [role, targets] of groups) {
      const og = el('optgroup');
      og.label = role;
      for (const t of targets) og.append(new Option(t.takes_dates ? `${t.label} (number of days, or a date)` : t.label, t.name));
      select.append(og);
    }
    select.value = c.feature || 'ignore';
    const how = el('span', 'how', c.feature ? HOW[c.how] || '' : '');
    td.append(select, how);
    tr.append(th, ex, td);
    if (c.how === 'manual') tr.classList.add('manual');
    return tr;
  });
  ui.mappingBody.replaceChildren(...rows);
}

async function onMappingChange(header, target) {
  userMapping = { ...userMapping, [header]: target };
  // One column per input: a header that held this input loses it.
  if (target !== 'ignore') {
    for (const c of inspection.columns) {
      if (c.header !== header && c.feature === target) userMapping[c.header] = 'ignore';
    }
  }
  saveMapping();
  inspection = await inspectWith(userMapping);
  renderMapping();
  if (inspection.problem) {
    stopForMapping();
  } else {
    await scoreCurrent();
  }
}

// --- Step 3: the portfolio -----------------------------------------------------------------
function renderFileLine(r) {
  const delim = DELIMITERS[r.delimiter] || `'${r.delimiter}'`;
  ui.summaryFile.textContent = `${count(r.summary.accounts_scored)} accounts scored from ${r.file} (${r.encoding}, ${delim}-separated), dates counted up to ${r.as_of}. File SHA-256: ${r.file_sha256 || 'being computed…'}.`;
}

function renderSummary(r) {
  const s = r.summary;
  renderFileLine(r);
  ui.statAccounts.textContent = String(s.accounts_scored);
  ui.statWarnings.textContent = count(s.rows_with_warnings);
  ui.statChurners.textContent = churnersFormat.format(s.expected_churners);
  ui.statRevenue.textContent = money(s.revenue_at_risk);
  ui.summary.dataset.expectedChurners = String(s.expected_churners);
  ui.summary.dataset.revenueAtRisk = String(s.revenue_at_risk);
  ui.tierCards.replaceChildren(...tierCards(s));
  ui.histogram.replaceChildren(histogramChart(r));
  ui.drivers.replaceChildren(driversChart(r));
  const segs = r.portfolio.segments || [];
  ui.segmentsFigure.hidden = segs.length === 0;
  ui.segments.replaceChildren(segs.length ? segmentsChart(r) : el('span'));
  ui.summary.hidden = false;
}

function tierCards(s) {
  return s.tiers.map((t) => {
    const card = el('div', `tier-card ${tierRank.get(t.name)?.cls || ''}`);
    card.dataset.testid = 'tier-card';
    card.dataset.tier = t.name;
    card.dataset.accounts = String(t.accounts);
    card.append(tierChip(t.name), el('p', 'tier-count', `${count(t.accounts)} accounts`), el('p', 'tier-revenue', `${money(t.revenue_at_risk)} at risk`));
    return card;
  });
}

function chartBox(width, height, label) {
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart-svg' });
  root.append(svg('title', {}, label));
  return root;
}

function histogramChart(r) {
  const bins = r.portfolio.histogram;
  const W = 560;
  const H = 220;
  const left = 40;
  const bottom = 30;
  const top = 24;
  const max = Math.max(1, ...bins.map((b) => b.accounts));
  const bw = (W - left - 10) / bins.length;
  const tiers = model.tiers || [];
  const label = `Histogram of churn probability: ${bins.map((b) => `${Math.round(b.from * 100)} to ${Math.round(b.to * 100)}%: ${b.accounts}`).join('; ')}`;
  const root = chartBox(W, H, label);
  const y = (v) => H - bottom - (v / max) * (H - bottom - top);
  root.append(svg('line', { x1: left, y1: H - bottom, x2: W - 10, y2: H - bottom, class: 'axis' }));
  bins.forEach((b, i) => {
    const mid = (b.from + b.to) / 2;
    const tier = tiers.find((t) => mid >= t.min_probability) || tiers[tiers.length - 1];
    const rect = svg('rect', {
      x: left + i * bw + 1,
      y: y(b.accounts),
      width: Math.max(1, bw - 2),
      height: H - bottom - y(b.accounts),
      class: `bar ${tierRank.get(tier?.name)?.cls || ''}`,
    });
    rect.append(svg('title', {}, `${Math.round(b.from * 100)}–${Math.round(b.to * 100)}%: ${b.accounts} accounts`));
    root.append(rect);
    if (b.accounts > 0) root.append(svg('text', { x: left + i * bw + bw / 2, y: y(b.accounts) - 3, class: 'bar-value', 'text-anchor': 'middle' }, b.accounts));
  });
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    root.append(svg('text', { x: left + p * (W - left - 10), y: H - bottom + 16, 'text-anchor': 'middle', class: 'tick' }, `${p * 100}%`));
  }
  root.append(svg('text', { x: 4, y: top - 8, class: 'tick' }, 'accounts'));
  // Tier boundaries as labelled dashed lines, so tiers read without colour.
  for (const t of tiers) {
    if (t.min_probability <= 0) continue;
    const x = left + t.min_probability * (W - left - 10);
    root.append(svg('line', { x1: x, y1: top - 4, x2: x, y2: H - bottom, class: 'threshold' }));
    root.append(svg('text', { x: x + 3, y: top + 4, class: 'threshold-label' }, `${t.name} ≥ ${thresholdFormat.format(t.min_probability)}`));
  }
  return root;
}

function hbarChart(items, { label, valueText }) {
  const W = 560;
  const rowH = 26;
  const labelW = 170;
  const H = Math.max(rowH, items.length * rowH) + 8;
  const max = Math.max(1e-12, ...items.map((d) => d.value));
  const root = chartBox(W, H, label);
  items.forEach((d, i) => {
    const yy = 4 + i * rowH;
    const w = (d.value / max) * (W - labelW - 190);
    const name = String(d.label);
    root.append(svg('text', { x: labelW - 6, y: yy + 16, 'text-anchor': 'end', class: 'bar-label' }, name.length > 26 ? `${name.slice(0, 25)}…` : name));
    root.append(svg('rect', { x: labelW, y: yy + 4, width: Math.max(1, w), height: rowH - 9, class: 'bar bar-plain' }));
    root.append(svg('text', { x: labelW + w + 6, y: yy + 16, class: 'bar-value' }, valueText(d)));
  });
  return root;
}

function driversChart(r) {
  const drivers = r.portfolio.drivers || [];
  if (!drivers.length) return el('p', 'muted', 'No input raises any account above the typical risk.');
  const total = drivers.reduce((a, d) => a + d.log_odds_added, 0);
  const items = drivers.map((d) => ({ label: d.label, value: d.log_odds_added, accounts: d.accounts_raised }));
  const wrap = el('div');
  wrap.append(
    hbarChart(items, {
      label: `Share of added risk by data source: ${items.map((d) => `${d.label} ${thresholdFormat.format(d.value / total)}`).join(', ')}`,
      valueText: (d) => `${thresholdFormat.format(d.value / total)} · ${count(d.accounts)} accounts`,
    }),
  );
  const top = (r.portfolio.feature_drivers || []).slice(0, 3).map((f) => f.label);
  if (top.length) wrap.append(el('p', 'chart-note', `Strongest single inputs: ${top.join(', ')}. Shares are of the log-odds that inputs add above the typical account, summed over accounts.`));
  return wrap;
}

function segmentsChart(r) {
  const segs = r.portfolio.segments.slice(0, 12);
  const items = segs.map((s) => ({ label: s.segment, value: s.revenue_at_risk, accounts: s.accounts, churners: s.expected_churners }));
  return hbarChart(items, {
    label: `Revenue at risk by segment: ${items.map((d) => `${d.label} ${money(d.value)}`).join(', ')}`,
    valueText: (d) => `${money(d.value)} · ${count(d.accounts)} accounts`,
  });
}

// --- Step 4: the virtualised accounts table -------------------------------------------------
// The rows live in the engine, column by column; the page holds the order of the rows it
// shows (row indices) and the few rows on screen, fetched as the table scrolls.
let rowCount = 0;
let view = new Uint32Array(0);
const rowCache = new Map(); // row index -> the row as the engine describes it
let viewToken = 0;
let sortKey = 'churn_probability';
let sortDesc = true;

function prepareRows(r) {
  rowCount = r.summary.accounts_scored;
  rowCache.clear();
}

function renderFilters(r) {
  const keepTier = ui.tierFilter.value;
  const keepSeg = ui.segmentFilter.value;
  ui.tierFilter.replaceChildren(new Option('All tiers', ''), ...r.summary.tiers.map((t) => new Option(`${t.name} (${count(t.accounts)})`, t.name)));
  ui.tierFilter.value = r.summary.tiers.some((t) => t.name === keepTier) ? keepTier : '';
  const segs = r.portfolio.segments || [];
  ui.segmentFilter.replaceChildren(new Option('All segments', ''), ...segs.map((s) => new Option(`${s.segment} (${count(s.accounts)})`, s.segment)));
  ui.segmentFilter.value = segs.some((s) => s.segment === keepSeg) ? keepSeg : '';
  ui.segmentFilter.disabled = segs.length === 0;
}

/** Fetches the rows not yet cached among `indices`. */
async function fetchRows(indices) {
  const missing = indices.filter((i) => !rowCache.has(i));
  if (!missing.length) return;
  const got = await call('rows', { rows: missing });
  for (const row of got) rowCache.set(row.row, row);
  // Keep the cache to what a few screens need.
  if (rowCache.size > 4000) {
    const keep = new Set(indices);
    for (const k of rowCache.keys()) if (!keep.has(k)) rowCache.delete(k);
  }
}

async function applyView() {
  if (!result) return;
  const token = ++viewToken;
  ui.resultsTable.dataset.busy = 'true';
  const query = { sort: sortKey, descending: sortDesc, tier: ui.tierFilter.value, segment: ui.segmentFilter.value, search: ui.search.value.trim() };
  let next;
  try {
    next = await call('view', { query });
    await fetchRows(Array.from(next.subarray(0, 80)));
  } catch (err) {
    if (messageOf(err) !== 'cancelled') setStatus(`The table could not be updated: ${messageOf(err)}`, 'error');
    return;
  }
  if (token !== viewToken) return; // a newer view was asked for meanwhile
  view = next;
  for (const th of ui.resultsTable.querySelectorAll('th[data-key]')) {
    if (th.dataset.key === sortKey) th.setAttribute('aria-sort', sortDesc ? 'descending' : 'ascending');
    else th.removeAttribute('aria-sort');
  }
  ui.resultsTable.setAttribute('aria-rowcount', String(view.length + 1));
  const filtered = view.length !== rowCount;
  ui.resultsNote.textContent = filtered ? `${count(view.length)} of ${count(rowCount)} accounts match.` : `All ${count(rowCount)} accounts. Choose a name for the account's details.`;
  ui.resultsNote.dataset.count = String(view.length);
  ui.viewport.scrollTop = 0;
  renderWindow();
  delete ui.resultsTable.dataset.busy;
}

function spacer(height) {
  const tr = el('tr', 'spacer');
  tr.setAttribute('aria-hidden', 'true');
  const td = el('td');
  td.colSpan = 7;
  tr.append(td);
  tr.style.height = `${height}px`;
  return tr;
}

let lastWindow = '';
function renderWindow(force = true) {
  const total = view.length;
  const visible = Math.ceil((ui.viewport.clientHeight || 600) / ROW_HEIGHT) + 1;
  const overscan = 8;
  const first = Math.max(0, Math.floor(ui.viewport.scrollTop / ROW_HEIGHT) - overscan);
  const last = Math.min(total, first + visible + overscan * 2);
  const key = `${first}:${last}:${total}`;
  if (!force && key === lastWindow) return;
  lastWindow = key;
  const frag = document.createDocumentFragment();
  frag.append(spacer(first * ROW_HEIGHT));
  const wanted = [];
  for (let v = first; v < last; v++) {
    const i = view[v];
    if (rowCache.has(i)) frag.append(rowElement(i, v));
    else {
      wanted.push(i);
      frag.append(pendingRow(v));
    }
  }
  frag.append(spacer((total - last) * ROW_HEIGHT));
  ui.resultsBody.replaceChildren(frag);
  if (wanted.length) {
    ui.resultsTable.dataset.pending = 'true';
    const shown = view;
    fetchRows(wanted)
      .then(() => {
        if (shown === view) renderWindow(true);
      })
      .catch(() => {});
  } else delete ui.resultsTable.dataset.pending;
}

/** A row whose data is on its way from the engine. */
function pendingRow(position) {
  const tr = el('tr', 'pending-row');
  tr.setAttribute('aria-rowindex', String(position + 2));
  tr.setAttribute('aria-busy', 'true');
  const td = el('td', 'muted', '…');
  td.colSpan = 7;
  tr.append(td);
  return tr;
}

function rowElement(i, position) {
  const r = rowCache.get(i);
  const tr = el('tr');
  tr.dataset.testid = 'result-row';
  tr.dataset.accountId = r.account_id ?? '';
  tr.dataset.probability = String(r.churn_probability);
  tr.dataset.row = String(i);
  tr.dataset.line = String(r.line ?? '');
  tr.setAttribute('aria-rowindex', String(position + 2));
  const id = el('td', 'account-id', r.account_id ?? '');
  const nameCell = el('td', 'account-name');
  const open = el('button', 'link', r.account_name || r.account_id || `line ${r.line}`);
  open.type = 'button';
  open.dataset.testid = 'open-detail';
  open.setAttribute('aria-label', `Details for ${r.account_name || r.account_id}`);
  nameCell.append(open);
  const seg = el('td', 'segment', r.segment ?? '');
  const p = el('td', 'num', percent(r.churn_probability));
  const tier = el('td');
  tier.append(tierChip(r.risk_tier));
  const revenue = el('td', 'num', money(r.revenue_at_risk));
  const reasonText = (r.top_reasons || [])[0] || '';
  const warnings = (r.warnings || []).length;
  const reasons = el('td', 'reasons', reasonText);
  if (warnings) {
    tr.dataset.warnings = String(warnings);
    reasons.append(el('span', 'row-warning', ` ⚠ ${warnings}`));
  }
  reasons.title = [...(r.top_reasons || []), ...(r.warnings || [])].join('\n');
  tr.append(id, nameCell, seg, p, tier, revenue, reasons);
  return tr;
}

// --- Account detail, what-if and next best actions -----------------------------------------
let detailRow = -1;
let detailData = null;
let whatifTimer = 0;

async function openDetail(row) {
  let e;
  try {
    e = await call('explain', { row });
  } catch (err) {
    setStatus(`The account's details could not be computed: ${messageOf(err)}`, 'error');
    return;
  }
  detailRow = row;
  detailData = e;
  const r = rowCache.get(row);
  ui.detailHeading.textContent = `${e.account_name || e.account_id} (${e.account_id || `line ${e.line}`})`;
  ui.detailFigures.replaceChildren(
    el('span', '', `Churn probability ${percent(e.probability)} · `),
    tierChip(e.risk_tier),
    el('span', '', ` · revenue at risk ${money(r?.revenue_at_risk)}${e.segment ? ` · segment ${e.segment}` : ''}`),
  );
  ui.detailFigures.dataset.probability = String(e.probability);
  ui.waterfall.replaceChildren(waterfallChart(e));
  ui.contribBody.replaceChildren(
    ...e.steps.map((s) => {
      const tr = el('tr');
      tr.dataset.feature = s.feature;
      tr.dataset.contribution = String(s.contribution);
      const eff = Math.exp(s.contribution);
      const effect = Math.abs(s.contribution) < 1e-9 ? 'none' : `×${eff.toFixed(2)} ${s.contribution > 0 ? '(raises risk)' : '(lowers risk)'}`;
      tr.append(el('td', '', s.label), el('td', '', `${s.shown}${s.clipped ? ' (outside training range)' : ''}`), el('td', '', s.portfolio_typical || '—'), el('td', 'num', effect));
      return tr;
    }),
  );
  ui.actions.replaceChildren(
    ...(e.actions.length
      ? e.actions.slice(0, 5).map((a) => {
          const li = el('li', '', `${a.text} `);
          li.dataset.testid = 'action';
          li.dataset.feature = a.feature;
          li.dataset.probability = String(a.probability_after);
          const b = el('button', 'small', 'Try it');
          b.type = 'button';
          b.addEventListener('click', () => {
            const input = ui.whatifFields.querySelector(`[data-feature="${CSS.escape(a.feature)}"]`);
            if (input) {
              input.value = String(a.value);
              runWhatIf();
              input.focus();
            }
          });
          li.append(b);
          return li;
        })
      : [el('li', 'muted', 'None of the levers would lower this account\'s risk.')]),
  );
  ui.whatifFields.replaceChildren(
    ...e.levers.map((l) => {
      const wrap = el('div', 'field');
      const id = `whatif-${l.feature}`;
      const label = el('label', '', `${l.label}${l.unit && l.unit !== '%' ? ` (${l.unit})` : l.unit === '%' ? ' (%)' : ''}`);
      label.htmlFor = id;
      let input;
      if (l.boolean) {
        input = el('select');
        input.append(new Option('yes', '1'), new Option('no', '0'), new Option('not recorded', ''));
        input.value = l.value === null ? '' : String(l.value >= 0.5 ? 1 : 0);
      } else {
        input = el('input');
        input.type = 'number';
        input.step = 'any';
        input.value = l.value === null ? '' : String(l.value);
        input.placeholder = `not recorded (${l.imputed} used)`;
      }
      input.id = id;
      input.dataset.testid = `whatif-${l.feature}`;
      input.dataset.feature = l.feature;
      input.dataset.original = input.value;
      wrap.append(label, input);
      return wrap;
    }),
  );
  ui.whatifResult.textContent = 'Change a value to see the new probability.';
  delete ui.whatifResult.dataset.probability;
  ui.detailWarnings.replaceChildren(...((r?.warnings || []).length ? r.warnings.map((w) => el('li', '', w)) : [el('li', 'muted', 'None.')]));
  if (!ui.detail.open) ui.detail.showModal();
  ui.detail.dataset.row = String(row);
  body.dataset.detail = 'open';
}

async function runWhatIf() {
  if (detailRow < 0) return;
  const features = [];
  const values = [];
  for (const input of ui.whatifFields.querySelectorAll('[data-feature]')) {
    if (input.value === input.dataset.original) continue;
    features.push(input.dataset.feature);
    const v = input.value === '' ? NaN : Number(input.value);
    values.push(v);
  }
  if (!features.length) {
    ui.whatifResult.textContent = 'Change a value to see the new probability.';
    delete ui.whatifResult.dataset.probability;
    return;
  }
  try {
    const w = await call('whatif', { row: detailRow, features, values });
    ui.whatifResult.replaceChildren(el('span', '', `New churn probability ${percent(w.probability)} (was ${percent(w.probability_before)}), tier `), tierChip(w.risk_tier));
    ui.whatifResult.dataset.probability = String(w.probability);
  } catch (err) {
    ui.whatifResult.textContent = `That value cannot be scored: ${messageOf(err)}`;
  }
}

// Chart labels are measured in the page's own font so that long ones wrap onto more
// lines instead of being cut (SVG text does not wrap by itself).
let measureContext = null;
function textWidth(text, px) {
  measureContext ??= document.createElement('canvas').getContext('2d');
  if (!measureContext) return text.length * px * 0.65; // a generous average glyph width
  measureContext.font = `${px}px ${getComputedStyle(body).fontFamily}`;
  return measureContext.measureText(text).width;
}

/** `text` broken into lines no wider than `width` at `px`: at spaces, inside a word only when it is wider than a line. */
function wrapText(text, width, px) {
  const lines = [];
  let line = '';
  for (const word of String(text).split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (textWidth(candidate, px) <= width) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    line = '';
    let rest = word;
    while (textWidth(rest, px) > width && rest.length > 1) {
      let n = rest.length - 1;
      while (n > 1 && textWidth(rest.slice(0, n), px) > width) n -= 1;
      lines.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    line = rest;
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

function waterfallChart(e) {
  const steps = e.steps.filter((s) => Math.abs(s.contribution) >= 1e-9);
  const W = 700;
  const labelW = 270;
  const labelPx = 12; // .bar-label's font size in style.css
  const lineH = 14;
  const plotW = W - labelW - 70;
  const x = (p) => labelW + p * plotW;
  const rows = [
    { label: 'Typical account', from: 0, to: e.base_probability, cls: 'bar bar-base', value: percent(e.base_probability) },
  ];
  let prev = e.base_probability;
  for (const s of steps) {
    const next = s.probability_after;
    const pts = (next - prev) * 100;
    rows.push({
      label: `${s.label}: ${s.shown}`,
      from: prev,
      to: next,
      cls: s.contribution > 0 ? 'bar bar-up' : 'bar bar-down',
      value: `${pts >= 0 ? '+' : '−'}${Math.abs(pts).toFixed(1)} pts`,
      feature: s.feature,
    });
    prev = next;
  }
  rows.push({ label: 'This account', from: 0, to: e.probability, cls: 'bar bar-total', value: percent(e.probability) });
  // Each row is as tall as its label's lines; the bar sits in the middle of the row.
  let yy = 4;
  for (const r of rows) {
    r.lines = wrapText(r.label, labelW - 12, labelPx);
    r.y = yy;
    r.h = Math.max(24, r.lines.length * lineH + 10);
    yy += r.h;
  }
  const axisY = yy + 4;
  const H = axisY + 22;
  const root = chartBox(W, H, `Waterfall from the typical account's ${percent(e.base_probability)} to this account's ${percent(e.probability)}: ${steps.map((s) => `${s.label} ${s.contribution > 0 ? 'raises' : 'lowers'}`).join(', ')}`);
  for (const r of rows) {
    const mid = r.y + r.h / 2;
    const text = svg('text', { x: labelW - 6, y: mid - ((r.lines.length - 1) * lineH) / 2 + 4, 'text-anchor': 'end', class: 'bar-label' });
    if (r.feature) text.dataset.feature = r.feature;
    r.lines.forEach((line, i) => text.append(svg('tspan', { x: labelW - 6, dy: i === 0 ? 0 : lineH }, line)));
    root.append(text);
    const a = Math.min(r.from, r.to);
    const b = Math.max(r.from, r.to);
    root.append(svg('rect', { x: x(a), y: mid - 8, width: Math.max(1.5, x(b) - x(a)), height: 16, class: r.cls }));
    root.append(svg('text', { x: x(b) + 4, y: mid + 4, class: 'bar-value' }, r.value));
  }
  root.append(svg('line', { x1: x(0), y1: axisY, x2: x(1), y2: axisY, class: 'axis' }));
  for (const p of [0, 0.25, 0.5, 0.75, 1]) root.append(svg('text', { x: x(p), y: axisY + 16, 'text-anchor': 'middle', class: 'tick' }, `${p * 100}%`));
  return root;
}

// --- Step 5: export and report --------------------------------------------------------------
function download(text, name) {
  const blob = new Blob([text], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function exportCsv(excel) {
  try {
    const text = await call('export', { excel });
    const base = (result?.file || 'accounts').replace(/\.[^.]*$/, '');
    download(text, `${base}-churn-audit${excel ? '-excel' : ''}.csv`);
    setStatus(`Saved ${base}-churn-audit${excel ? '-excel' : ''}.csv to your downloads.`, 'ok');
  } catch (err) {
    setStatus(`The export could not be made: ${messageOf(err)}`, 'error');
  }
}

async function buildReport(r) {
  // The accounts most at risk, straight from the engine (the table may be filtered).
  // The table's query when it shows every account by risk, so the view is sorted once.
  const query = { sort: 'churn_probability', descending: true, tier: '', segment: '', search: '' };
  const top = (await call('view', { query })).subarray(0, REPORT_TOP_ACCOUNTS);
  const topRows = await call('rows', { rows: Array.from(top) });
  const s = r.summary;
  const frag = document.createDocumentFragment();
  frag.append(el('h1', '', 'Churn-risk audit'));
  const meta = el('dl', 'facts');
  const add = (k, v) => meta.append(el('dt', '', k), el('dd', '', v));
  add('Account file', r.file);
  add('File SHA-256', r.file_sha256 || 'being computed…');
  meta.lastChild.dataset.testid = 'report-sha256';
  add('Dates counted up to', r.as_of);
  add('Model', model.version || r.model);
  add('Report made', new Date().toISOString().slice(0, 10));
  add('Privacy', 'Scored in the browser on this device; the file was not uploaded anywhere.');
  frag.append(meta);
  frag.append(el('h2', '', 'Summary'));
  const stats = el('dl', 'stats');
  for (const [k, v] of [
    ['Accounts scored', count(s.accounts_scored)],
    ['Expected churners', churnersFormat.format(s.expected_churners)],
    ['Revenue at risk', money(s.revenue_at_risk)],
    ['Rows with warnings', count(s.rows_with_warnings)],
  ]) {
    const d = el('div', 'stat');
    d.append(el('dt', '', k), el('dd', '', v));
    stats.append(d);
  }
  frag.append(stats);
  const tiers = el('div', 'tier-cards');
  tiers.append(...tierCards(s));
  frag.append(tiers);
  frag.append(el('h2', '', 'Risk distribution'), histogramChart(r));
  frag.append(el('h2', '', 'What drives risk up'), driversChart(r));
  if ((r.portfolio.segments || []).length) frag.append(el('h2', '', 'Revenue at risk by segment'), segmentsChart(r));
  frag.append(el('h2', '', `The ${topRows.length} accounts most at risk`));
  const table = el('table', 'report-accounts');
  const head = el('tr');
  for (const h of ['Account', 'Churn probability', 'Tier', 'Revenue at risk', 'Reasons']) head.append(el('th', '', h));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const x of topRows) {
    const tr = el('tr');
    tr.dataset.testid = 'report-row';
    const reasons = el('td');
    const ul = el('ul');
    for (const reason of x.top_reasons || []) ul.append(el('li', '', reason));
    reasons.append(ul);
    const tier = el('td');
    tier.append(tierChip(x.risk_tier));
    tr.append(el('td', '', `${x.account_name} (${x.account_id})`), el('td', 'num', percent(x.churn_probability)), tier, el('td', 'num', money(x.revenue_at_risk)), reasons);
    tbody.append(tr);
  }
  table.append(thead, tbody);
  frag.append(table);
  if ((r.file_warnings || []).length || s.rows_with_warnings) {
    frag.append(el('h2', '', 'Data quality'));
    const ul = el('ul');
    for (const w of r.file_warnings || []) ul.append(el('li', '', w));
    ul.append(el('li', '', `${count(s.rows_with_warnings)} rows have warnings (listed in the scored CSV).`));
    frag.append(ul);
  }
  frag.append(el('h2', '', 'Model card'));
  const card = el('div', 'report-card');
  renderModelCard(card, model, undefined);
  frag.append(card);
  frag.append(el('p', 'report-foot', 'Probabilities are model estimates to guide attention, not certainties: review the reasons with the account team before acting.'));
  ui.report.replaceChildren(frag);
}

// --- Controls -----------------------------------------------------------------------------
function setControlsEnabled(on) {
  for (const c of [ui.fileInput, ui.asOf, ui.modelInput, ui.modelDefault, ui.tiersApply]) c.disabled = !on;
  ui.sampleButton.disabled = !on || !sampleBytes;
}

async function useFile(file) {
  if (!file) return;
  const token = ++readToken;
  body.dataset.state = 'reading';
  busy(true);
  setStatus(`Reading ${file.name}…`);
  if (pending.size && worker) await restartWorker(); // a newer file replaces a run in progress
  if (token !== readToken) return; // a newer file was picked meanwhile
  if (await isWorkbookFile(file)) {
    if (token === readToken) await useWorkbook(file, '');
    return;
  }
  ui.sheetRow.hidden = true;
  await readAndInspect(file, file.name);
}

// --- Workbooks (www/workbook.js and its engine, loaded on first use) --------------------
const WORKBOOK_NAME = /\.(xlsx|xlsm|xlsb|xls|ods|xltx|xltm)$/i;
/** The text made of a workbook's sheet (a Blob) -> { file: the workbook, notes }. */
const workbookOf = new WeakMap();
let workbookCode = null;
function loadWorkbookCode() {
  workbookCode ??= import('./workbook.js').catch((err) => {
    workbookCode = null;
    throw err;
  });
  return workbookCode;
}

/** A workbook's name, or a zip or OLE file's first bytes (a workbook renamed .csv). */
async function isWorkbookFile(file) {
  if (WORKBOOK_NAME.test(file.name || '')) return true;
  const b = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  return (b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5)) || (b[0] === 0xd0 && b[1] === 0xcf && b[2] === 0x11 && b[3] === 0xe0);
}

/** Reads the sheet `sheet` ('' for the default) of the workbook `file`, then scores it as a CSV file. */
async function useWorkbook(file, sheet) {
  const token = readToken;
  body.dataset.state = 'reading';
  busy(true);
  setStatus(`Reading the workbook ${file.name}…`);
  let table;
  try {
    const code = await loadWorkbookCode();
    table = await code.readWorkbook(file, sheet);
    if (token !== readToken) return;
    code.showSheetPicker(ui.sheetRow, table, (name) => {
      readToken += 1;
      useWorkbook(file, name);
    });
  } catch (err) {
    if (token !== readToken) return;
    clearResults();
    ui.mapping.hidden = true;
    showIssues(friendly(messageOf(err), file.name));
    setStatus(`${file.name} could not be read. See Issues below.`, 'error');
    finishRun('error');
    return;
  }
  workbookOf.set(table.csv, { file, notes: table.notes });
  await readAndInspect(table.csv, table.label);
}

/** The scored table as an .xlsx file, made by the workbook engine from the scored CSV. */
async function exportXlsx() {
  try {
    setStatus('Making the Excel file…');
    const csv = await call('export', { excel: false });
    await fingerprint; // the facts sheet names the file's SHA-256
    const facts = {
      file: String(result.file),
      file_sha256: String(result.file_sha256 || ''),
      model: String(model.version || result.model),
      as_of: String(result.as_of),
      accounts: result.summary.accounts_scored,
    };
    const bytes = await (await loadWorkbookCode()).excelExport(csv, facts);
    const name = `${(result?.file || 'accounts').replace(/\.[^.]*$/, '')}-churn-audit.xlsx`;
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }));
    const a = el('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setStatus(`Saved ${name} to your downloads.`, 'ok');
  } catch (err) {
    setStatus(`The Excel file could not be made: ${messageOf(err)}`, 'error');
  }
}

async function useModel(file) {
  let text;
  try {
    text = await file.text();
  } catch (err) {
    setStatus(`The model file could not be read (${messageOf(err)}).`, 'error');
    return;
  }
  await useModelText(text, file);
}

/** Loads a model file's text into the scoring engine; `file` only needs a name. */
async function useModelText(text, file) {
  try {
    const info = await call('loadModel', { text });
    customModelText = text;
    customThresholds = null;
    learnModel(info);
    setStatus(`Using the model ${info.model.name} from ${file.name}.`, 'ok');
    body.dataset.model = 'custom';
    if (current) await readAndInspect(current.blob, current.name, undefined, current.sample);
  } catch (err) {
    setStatus(`${file.name} is not a model this page can use: ${messageOf(err)}`, 'error');
    showIssues(`${file.name}: ${messageOf(err)}`);
  }
}

function wireControls() {
  ui.fileInput.addEventListener('change', () => {
    const file = ui.fileInput.files && ui.fileInput.files[0];
    if (file) useFile(file);
    ui.fileInput.value = ''; // picking the same file again still triggers a change
  });
  ui.sampleButton.addEventListener('click', () => {
    if (!sampleBytes) return;
    readToken += 1;
    readAndInspect(new Blob([sampleBytes]), SAMPLE_NAME, SAMPLE_AS_OF, true);
  });
  ui.asOf.addEventListener('change', () => scoreCurrent());
  ui.cancel.addEventListener('click', () => cancelRun());

  ui.mappingDetails.addEventListener('toggle', () => {
    if (ui.mappingDetails.open) renderMappingRows();
  });
  ui.mappingBody.addEventListener('change', (e) => {
    const select = e.target.closest('select[data-header]');
    if (select) onMappingChange(select.dataset.header, select.value);
  });
  ui.mappingScore.addEventListener('click', async () => {
    if (!current) return;
    inspection = await inspectWith(userMapping);
    renderMapping();
    if (inspection.problem) {
      showIssues(inspection.problem);
      setStatus('Some columns still need your help: see step 2.', 'error');
      finishRun('mapping');
    } else await scoreCurrent();
  });
  ui.mappingReset.addEventListener('click', async () => {
    if (!current) return;
    userMapping = {};
    saveMapping();
    await readAndInspect(current.blob, current.name, undefined, current.sample);
  });

  for (const b of ui.resultsTable.querySelectorAll('button.sort')) {
    b.addEventListener('click', () => {
      const key = b.closest('th').dataset.key;
      if (key === sortKey) sortDesc = !sortDesc;
      else {
        sortKey = key;
        sortDesc = key === 'churn_probability' || key === 'revenue_at_risk' || key === 'risk_tier';
      }
      applyView();
    });
  }
  let searchTimer = 0;
  ui.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(applyView, 120);
  });
  ui.tierFilter.addEventListener('change', applyView);
  ui.segmentFilter.addEventListener('change', applyView);
  let frame = 0;
  ui.viewport.addEventListener('scroll', () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderWindow(false);
    });
  });
  window.addEventListener('resize', () => renderWindow(false));
  ui.resultsBody.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-testid=open-detail]');
    if (b) openDetail(Number(b.closest('tr').dataset.row));
  });

  ui.detailClose.addEventListener('click', () => ui.detail.close());
  ui.detail.addEventListener('close', () => {
    detailRow = -1;
    body.dataset.detail = 'closed';
  });
  ui.whatifFields.addEventListener('input', () => {
    clearTimeout(whatifTimer);
    whatifTimer = setTimeout(runWhatIf, 120);
  });
  ui.whatifFields.addEventListener('change', () => {
    clearTimeout(whatifTimer);
    runWhatIf();
  });
  ui.whatifReset.addEventListener('click', () => {
    for (const input of ui.whatifFields.querySelectorAll('[data-feature]')) input.value = input.dataset.original;
    runWhatIf();
  });

  ui.exportCsv.addEventListener('click', () => exportCsv(false));
  ui.exportExcel.addEventListener('click', () => exportCsv(true));
  ui.exportXlsx.addEventListener('click', () => exportXlsx());
  ui.printReport.addEventListener('click', async () => {
    await fingerprint;
    window.print();
  });

  ui.modelInput.addEventListener('change', () => {
    const file = ui.modelInput.files && ui.modelInput.files[0];
    if (file) useModel(file);
    ui.modelInput.value = '';
  });
  // A model trained in the page (train.js) is used like a chosen model file.
  document.addEventListener('churn-audit:use-model', (e) => {
    if (body.dataset.engine === 'ready' && e.detail) useModelText(String(e.detail.text), { name: String(e.detail.name) });
  });
  ui.modelDefault.addEventListener('click', async () => {
    const info = await call('defaultModel');
    customModelText = null;
    customThresholds = null;
    learnModel(info);
    body.dataset.model = 'bundled';
    setStatus('Using the bundled model.', 'ok');
    if (current) await readAndInspect(current.blob, current.name, undefined, current.sample);
  });
  ui.tiersForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const inputs = [...ui.tiersFields.querySelectorAll('input')];
    const thresholds = inputs.map((i) => Number(i.value) / 100);
    if (thresholds.some((t) => !Number.isFinite(t))) {
      setStatus('Each tier threshold must be a number between 0 and 100.', 'error');
      return;
    }
    try {
      const info = await call('setTiers', { thresholds });
      customThresholds = thresholds;
      learnModel(info);
      setStatus('New tier thresholds applied.', 'ok');
      if (current && result) await scoreCurrent();
    } catch (err) {
      setStatus(`These thresholds cannot be used: each tier must start below the one above it, between 0% and 100% (${messageOf(err)}).`, 'error');
    }
  });

  // Drag and drop: the zone highlights while a file is dragged over the page, and a file
  // dropped anywhere on the page is used (the browser would otherwise open it).
  let dragDepth = 0;
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
  window.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth += 1;
    ui.dropZone.classList.add('dragging');
  });
  window.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = body.dataset.engine === 'ready' ? 'copy' : 'none';
  });
  window.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) ui.dropZone.classList.remove('dragging');
  });
  window.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    ui.dropZone.classList.remove('dragging');
    if (body.dataset.engine !== 'ready') return;
    if (e.target instanceof Element && e.target.closest('[data-drop-target=own]')) return; // e.g. the training history zone
    const files = e.dataTransfer.files;
    if (files && files.length) useFile(files[0]);
  });
}

// --- Offline copy -------------------------------------------------------------------------
const OFFLINE_WAIT_MS = 15_000;
const UPDATE_RELOAD_KEY = 'churn-audit:reloaded-for-update';

/** Resolves when `worker` is activated (or has been replaced), or after `ms`. */
function settled(worker, ms) {
  return new Promise((resolve) => {
    const done = () => {
      if (worker.state === 'activated' || worker.state === 'redundant') resolve();
    };
    worker.addEventListener('statechange', done);
    setTimeout(resolve, ms);
    done();
  });
}

/**
 * Registers the service worker (sw.js) that keeps this build's files for reloading the
 * page offline, and waits until it holds them: its fetches (and the check for a newer
 * build on a later visit) happen while the page starts, never after it says it is ready.
 * Only for the served page: the single-file build, opened from disk, needs no copy.
 * Returns 'ready' when the offline copy is in place, 'updated' when a newer build has
 * just replaced the copy this page was loaded from, else 'unavailable'.
 */
async function registerOfflineCopy() {
  if (EMBED || !('serviceWorker' in navigator) || !/^https?:$/.test(location.protocol)) return 'unavailable';
  try {
    const registration = await navigator.serviceWorker.register('sw.js', { updateViaCache: 'none' });
    const hadCopy = Boolean(registration.active);
    if (hadCopy) {
      // Offline, the check fails and the copy in place serves the next reload.
      await registration.update().catch(() => {});
    }
    const pending = registration.installing || registration.waiting;
    if (pending) await settled(pending, OFFLINE_WAIT_MS);
    if (hadCopy && pending?.state === 'activated') return 'updated';
    return registration.active ? 'ready' : 'unavailable';
  } catch {
    // Storage turned off, or a browser without service workers: the page works online.
    return 'unavailable';
  }
}

/**
 * Reloads the page when a newer build has just replaced the offline copy: this page runs
 * the old build's files while the worker now serves the new build's, and the two must not
 * mix (a cancelled run restarts the engine from the worker). Once in a row only, should a
 * server change its files on every load. Returns true when the page is reloading.
 */
function reloadForUpdate(updated) {
  try {
    if (!updated || sessionStorage.getItem(UPDATE_RELOAD_KEY)) {
      sessionStorage.removeItem(UPDATE_RELOAD_KEY);
      return false;
    }
    sessionStorage.setItem(UPDATE_RELOAD_KEY, '1');
  } catch {
    return false; // storage turned off: keep this build until the next load
  }
  location.reload();
  return true;
}

// --- Start-up -----------------------------------------------------------------------------
async function start() {
  body.dataset.engine = 'loading';
  body.dataset.mode = EMBED ? 'single-file' : 'served';
  ui.asOf.value = todayLocal();
  wireControls();
  busy(true);

  // The sample is fetched now, during start-up, so that using it later is not a request.
  const sample = EMBED
    ? Promise.resolve(new TextEncoder().encode(EMBED.sample))
    : fetch('sample-accounts.csv')
        .then((res) => (res.ok ? res.arrayBuffer() : null))
        .then((buf) => (buf ? new Uint8Array(buf) : null))
        .catch(() => null);

  let info;
  try {
    [info, sampleBytes] = await Promise.all([EMBED ? startInPage() : startWorker(), sample]);
  } catch (err) {
    body.dataset.engine = 'failed';
    busy(false);
    setStatus(`${messageOf(err)} Reload the page to try again.`, 'error');
    return;
  }
  // After the engine and the sample: this page has then fetched all of its files, so a
  // newer build installed meanwhile cannot mix its files into this one.
  body.dataset.offline = await registerOfflineCopy();
  if (reloadForUpdate(body.dataset.offline === 'updated')) return;
  learnModel(info);
  setControlsEnabled(true);
  busy(false);
  body.dataset.engine = 'ready';
  setStatus('Ready. Choose or drop an account file, or try the sample data.', 'ok');
}

start();

/** Stops a run at the mapping step because the columns need the user's help. */
function stopForMapping() {
  clearResults();
  showIssues(inspection.problem);
  setStatus('Some columns need your help before scoring: see step 2.', 'error');
  finishRun('mapping');
}

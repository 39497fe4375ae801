// "Train a model on your own history": the page's training flow, imported by train.js
// when someone first picks or drops a history. The training engine (train-worker.js +
// pkg-train/, a wasm module separate from the scoring engine) starts with the first
// request, so the scoring page carries neither. Every number and every explanation comes
// from the Rust library (src/train/), the same code as `churn-audit train`. The trained
// model is handed to the scoring engine through one event, `churn-audit:use-model`
// (app.js listens for it).
//
// A workbook history (.xlsx, .xlsm, .xlsb, .xls, .ods) is first read by the workbook
// engine (workbook.js, the same reader as the scoring flow and `churn-audit train
// --data book.xlsx`) into the text the training engine reads, under the same name the
// CLI gives it ("book.xlsx, sheet 'History'"), so the page and `churn-audit train` on
// the same workbook give the same model file.
//
// Body attributes for tests and the benchmark: data-train = idle | loading | previewed |
// training | trained | cancelled | error; data-train-run counts finished previews and
// trainings (it changes when one ends); data-train-ms = the last training's duration;
// data-train-read-ms = the last workbook's reading (file chosen to text ready).

import { isWorkbookFile, readWorkbook, showSheetPicker } from './workbook.js';

const body = document.body;
const $ = (id) => document.getElementById(id);

const ui = {
  section: $('train'),
  file: $('train-file'),
  sheetRow: $('train-sheet-row'),
  sheet: $('train-sheet'),
  setup: $('train-setup'),
  label: $('train-label'),
  seed: $('train-seed'),
  asOf: $('train-as-of'),
  value: $('train-value'),
  counts: $('train-counts'),
  problem: $('train-problem'),
  warnings: $('train-warnings'),
  columns: $('train-columns'),
  start: $('train-start'),
  progressRow: $('train-progress-row'),
  progress: $('train-progress'),
  cancel: $('train-cancel'),
  status: $('train-status'),
  result: $('train-result'),
  metrics: $('train-metrics'),
  resultWarnings: $('train-result-warnings'),
  use: $('train-use'),
  download: $('train-download'),
  card: $('train-card'),
};

const fmt3 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3, minimumFractionDigits: 3 });
const fmt2 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, minimumFractionDigits: 2 });
const pct = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const countFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function setState(state) {
  body.dataset.train = state;
}

function finished() {
  body.dataset.trainRun = String(Number(body.dataset.trainRun || 0) + 1);
}

function setStatus(text, kind = '') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

const messageOf = (err) => (err instanceof Error ? err.message || String(err) : String(err));

// --- The engine bridge: one worker, started on first use, terminated to cancel ---------
let worker = null;
let workerReady = null;
let seq = 0;
const pending = new Map();

function startWorker() {
  worker = new Worker('train-worker.js', { type: 'module' });
  workerReady = new Promise((resolve, reject) => {
    worker.addEventListener('message', (event) => {
      const msg = event.data || {};
      if (msg.type === 'ready') return resolve();
      if (msg.type === 'fatal') return reject(new Error(msg.message));
      const p = pending.get(msg.id);
      if (!p) return;
      if (msg.type === 'progress') {
        p.onProgress?.(msg);
        return;
      }
      pending.delete(msg.id);
      if (msg.type === 'reply') p.resolve(msg.payload);
      else {
        if (msg.trap) stopWorker(); // a trapped engine may be broken: start afresh next time
        p.reject(new Error(msg.message));
      }
    });
    worker.addEventListener('error', (event) => {
      const detail = event.message ? ` (${event.message})` : '';
      const err = new Error(`The training engine could not be loaded or stopped${detail}.`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      stopWorker();
    });
  });
  workerReady.catch(() => stopWorker());
  return workerReady;
}

function stopWorker() {
  if (worker) worker.terminate();
  worker = null;
  workerReady = null;
}

async function call(type, fields, onProgress) {
  if (!worker) startWorker();
  await workerReady;
  const id = ++seq;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    // The bytes are copied, not transferred: the page keeps them for the next request.
    worker.postMessage({ type, id, ...fields });
  });
}

// --- State ----------------------------------------------------------------------------------
// name: what messages and the model's provenance call it (for a workbook, the file and
// its sheet, as the CLI says); file: the chosen file's name, for the download's name;
// notes: what the workbook reader did (title rows skipped, error cells), shown with the
// training warnings.
let history = null; // { bytes: Uint8Array, name, file, notes }
let readToken = 0;
let preview = null;
let trained = null; // { model_json, metrics, card, warnings, name, file }
let previewToken = 0;
// The user's choices of actionable inputs (header -> true/false) and value column
// ('' for none), kept across previews of the same history; `null`: the defaults
// (the engine's, from each input's kind and name, and its suggested value column).
let actionableChoice = null;
let valueChoice = null;

/** What training is told beyond the label, seed and date (`--actionable`, `--value`). */
function choices() {
  const features = (preview?.columns || []).filter((c) => c.role === 'feature');
  const actionable = actionableChoice
    ? features.filter((c) => actionableChoice[c.header] ?? c.actionable !== 'no').map((c) => (c.actionable && c.actionable !== 'no' ? `${c.header}:${c.actionable}` : c.header))
    : null;
  const value = valueChoice ?? preview?.suggested_value ?? '';
  return { actionable, value: value || null };
}

function options() {
  return {
    label: ui.label.value,
    seed: ui.seed.value.trim(),
    asOf: ui.asOf.value,
  };
}

function optionsProblem() {
  const { seed, asOf } = options();
  if (!/^\d{1,20}$/.test(seed)) return 'The random seed must be a whole number such as 42.';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) return 'Choose the date up to which dates in the history are counted.';
  return null;
}

function busy(on) {
  ui.progressRow.hidden = !on;
  ui.section.toggleAttribute('aria-busy', on);
  for (const c of [ui.file, ui.sheet, ui.label, ui.seed, ui.asOf, ui.value, ui.start]) c.disabled = on;
  for (const c of ui.columns.querySelectorAll('input')) c.disabled = on;
  if (on) {
    ui.progress.removeAttribute('value');
  }
}

// --- Step 1: the history ------------------------------------------------------------------
/** A text history's bytes, as they are. */
async function readText(file) {
  try {
    return { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name, file: file.name, notes: [] };
  } catch (err) {
    throw new Error(`${file.name}: the browser could not read the file (${messageOf(err)}). Check that it is not open in another program and try again.`);
  }
}

/** A workbook's sheet `sheet` ('' for the default) as text, by the workbook engine. */
async function readBook(file, sheet) {
  setState('loading');
  busy(true);
  ui.cancel.hidden = true;
  setStatus(`Reading the workbook ${file.name}…`);
  const started = performance.now();
  try {
    const table = await readWorkbook(file, sheet);
    const bytes = new Uint8Array(await table.csv.arrayBuffer());
    body.dataset.trainReadMs = String(Math.round(performance.now() - started));
    return { bytes, name: table.label, file: file.name, notes: table.notes || [], table };
  } finally {
    busy(false);
    ui.cancel.hidden = false;
  }
}

/**
 * Reads a chosen or dropped history (a workbook: its sheet `sheet`, '' for the one with
 * an account id column) and previews it.
 */
export async function useHistory(file, sheet = '') {
  if (!file) return;
  const token = ++readToken;
  let next;
  try {
    next = (await isWorkbookFile(file)) ? await readBook(file, sheet) : await readText(file);
  } catch (err) {
    if (token !== readToken) return;
    // Nothing of the previous history may be trained on under this file's error.
    history = null;
    preview = null;
    ui.setup.hidden = true;
    ui.sheetRow.hidden = true;
    setState('error');
    setStatus(messageOf(err), 'error');
    finished();
    return;
  }
  if (token !== readToken) return; // another file or sheet was chosen meanwhile
  // Several sheets holding tables: the user may train on another one, as when scoring.
  if (next.table) showSheetPicker(ui.sheetRow, next.table, (name) => useHistory(file, name));
  else ui.sheetRow.hidden = true;
  history = { bytes: next.bytes, name: next.name, file: next.file, notes: next.notes };
  trained = null;
  actionableChoice = null;
  valueChoice = null;
  ui.result.hidden = true;
  ui.label.replaceChildren();
  ui.label.value = '';
  await refreshPreview(true);
}

/** Asks the engine what training would make of the history with the chosen options. */
async function refreshPreview(first = false) {
  if (!history) return;
  const problem = optionsProblem();
  if (problem) {
    ui.problem.textContent = problem;
    ui.problem.hidden = false;
    ui.start.disabled = true;
    finished();
    return;
  }
  const token = ++previewToken;
  const loading = !worker;
  setState(loading ? 'loading' : body.dataset.train);
  busy(true);
  ui.cancel.hidden = true;
  setStatus(loading ? 'Loading the training engine (this happens once)…' : `Reading ${history.name}…`);
  try {
    const opts = options();
    const p = await call('preview', { bytes: history.bytes, name: history.name, label: first ? '' : opts.label, seed: opts.seed, asOf: opts.asOf });
    if (token !== previewToken) return;
    preview = p;
    renderPreview(p);
    setState('previewed');
    setStatus(
      p.problem
        ? 'This history cannot be trained on yet: see the explanation below.'
        : `${history.name}: ${countFmt.format(p.rows)} accounts read. Check the columns, then train.`,
      p.problem ? 'error' : 'ok',
    );
  } catch (err) {
    if (token !== previewToken) return;
    preview = null;
    ui.setup.hidden = true;
    setState('error');
    setStatus(`${messageOf(err)}`, 'error');
  } finally {
    if (token === previewToken) {
      busy(false);
      ui.cancel.hidden = false;
      ui.start.disabled = !preview || Boolean(preview.problem);
      finished();
    }
  }
}

const ROLE_TEXT = {
  label: 'Churn label (what is predicted)',
  id: 'Account ID (not used to predict)',
  name: 'Account name (not used to predict)',
  segment: 'Segment (not used to predict)',
  feature: 'Used to predict',
  left_out: 'Left out',
};

function renderPreview(p) {
  ui.setup.hidden = false;
  // The label choices: every column, the suggested one marked.
  if (ui.label.options.length !== p.headers.length || [...ui.label.options].some((o, i) => o.value !== p.headers[i])) {
    ui.label.replaceChildren();
    if (!p.label) ui.label.append(new Option('Choose a column…', ''));
    for (const h of p.headers) {
      const text = h === p.suggested_label ? `${h} (suggested)` : h;
      ui.label.append(new Option(text, h));
    }
  }
  ui.label.value = p.label || '';

  ui.counts.textContent = p.label
    ? `${countFmt.format(p.rows)} accounts: ${countFmt.format(p.churned)} churned, ${countFmt.format(p.retained)} retained` +
      (p.unlabelled ? `, ${countFmt.format(p.unlabelled)} without a label` : '') +
      '.'
    : `${countFmt.format(p.rows)} accounts.`;
  ui.problem.hidden = !p.problem;
  ui.problem.textContent = p.problem || '';
  const warnings = [...(history?.notes || []), ...(p.warnings || [])];
  ui.warnings.replaceChildren(...warnings.map((w) => el('li', 'issue issue-file-warning', w)));

  const rows = p.columns.map((c) => {
    const tr = el('tr');
    tr.dataset.testid = 'train-column';
    tr.dataset.header = c.header;
    tr.dataset.role = c.role;
    tr.dataset.kind = c.kind || '';
    const th = el('th', '', c.header);
    th.scope = 'row';
    const used = el('td');
    used.append(el('span', '', ROLE_TEXT[c.role] || c.role));
    if (c.note) used.append(el('span', 'how', c.note));
    tr.append(th, el('td', 'examples', c.examples.join(', ')), el('td', '', c.kind || '—'), used);
    const action = el('td');
    if (c.role === 'feature') {
      // Ticked: next-best actions may change this input (the engine's default from its
      // kind and name until the user chooses).
      const box = el('input');
      box.type = 'checkbox';
      box.dataset.testid = 'train-actionable';
      box.dataset.header = c.header;
      box.checked = actionableChoice?.[c.header] ?? c.actionable !== 'no';
      box.setAttribute('aria-label', `Next-best actions may change ${c.header}`);
      box.addEventListener('change', () => {
        actionableChoice = actionableChoice || {};
        actionableChoice[c.header] = box.checked;
      });
      const label = el('label', 'how');
      label.append(box, document.createTextNode(c.actionable && c.actionable !== 'no' && c.actionable !== 'any' ? ` yes (${c.actionable})` : ' yes'));
      action.append(label);
    }
    tr.append(action);
    if (c.role === 'left_out') tr.classList.add('left-out');
    return tr;
  });
  ui.columns.replaceChildren(...rows);

  // The value column: numeric inputs, the suggested one chosen until the user chooses.
  ui.value.replaceChildren(new Option('None: do not show revenue at risk', ''));
  for (const c of p.columns.filter((c) => c.role === 'feature' && c.numeric)) {
    ui.value.append(new Option(c.header === p.suggested_value ? `${c.header} (suggested)` : c.header, c.header));
  }
  const wanted = valueChoice ?? p.suggested_value ?? '';
  ui.value.value = [...ui.value.options].some((o) => o.value === wanted) ? wanted : '';
}

// --- Step 2: training -------------------------------------------------------------------
async function startTraining() {
  if (!history || !preview || preview.problem) return;
  const problem = optionsProblem();
  if (problem) {
    setStatus(problem, 'error');
    return;
  }
  const opts = options();
  setState('training');
  busy(true);
  ui.result.hidden = true;
  setStatus(`Training on ${history.name}…`);
  const started = performance.now();
  try {
    const r = await call('train', { bytes: history.bytes, name: history.name, label: opts.label, seed: opts.seed, asOf: opts.asOf, choices: choices() }, (msg) => {
      ui.progress.value = msg.done;
      setStatus(`${msg.stage}… (${pct.format(msg.done)})`);
    });
    const ms = performance.now() - started;
    trained = { ...r, name: history.name, file: history.file };
    body.dataset.trainMs = String(Math.round(ms));
    renderResult(trained);
    setState('trained');
    setStatus(`Trained on ${history.name} in ${fmt2.format(ms / 1000)} s. Use the model to score a list, or download it.`, 'ok');
  } catch (err) {
    if (messageOf(err) === 'cancelled') return;
    setState('error');
    setStatus(messageOf(err), 'error');
  } finally {
    if (body.dataset.train !== 'cancelled') {
      busy(false);
      finished();
    }
  }
}

function cancelTraining() {
  stopWorker();
  for (const p of pending.values()) p.reject(new Error('cancelled'));
  pending.clear();
  busy(false);
  setState('cancelled');
  setStatus('Training cancelled. Nothing was changed; you can train again.', '');
  finished();
  ui.start.focus();
}

// --- Step 3: the result -------------------------------------------------------------------
function renderResult(t) {
  const metrics = t.metrics || {};
  const sets = [
    ['Held-out accounts (never seen in training)', metrics.held_out],
    ['Cross-validation (training accounts)', metrics.cross_validated],
  ].filter(([, m]) => m);
  const table = el('table', 'train-metrics-table');
  table.append(el('caption', '', 'How well the model ranks and predicts churn'));
  const head = el('tr');
  for (const h of ['Measured on', 'Accounts', 'AUC', 'PR-AUC', 'Brier score', 'Log loss', 'Top-decile lift']) {
    const th = el('th', '', h);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const [name, m] of sets) {
    const tr = el('tr');
    tr.dataset.testid = 'train-metric';
    tr.dataset.auc = String(m.auc);
    const th = el('th', '', name);
    th.scope = 'row';
    const num = (v, f) => el('td', 'num', typeof v === 'number' && Number.isFinite(v) ? f.format(v) : '—');
    tr.append(th, num(m.rows, countFmt), num(m.auc, fmt3), num(m.pr_auc, fmt3), num(m.brier, fmt3), num(m.log_loss, fmt3), num(m.lift_top_decile, fmt2));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  const note = el(
    'p',
    'help',
    'AUC is the chance that a churner is ranked above an account that stayed (0.5 is a coin toss, 1 is perfect); lift is how much more often the top 10% of scores churn than accounts overall.',
  );
  ui.metrics.replaceChildren(table, note);
  ui.resultWarnings.replaceChildren(...(t.warnings || []).map((w) => el('li', 'issue issue-file-warning', w)));
  renderMarkdown(ui.card, t.card);
  ui.result.hidden = false;
}

/** Renders the model card's small markdown subset (headings, tables, lists, paragraphs). */
function renderMarkdown(target, md) {
  const out = document.createDocumentFragment();
  const inline = (text) => {
    const frag = document.createDocumentFragment();
    // **bold** and `code`; everything else is text (never parsed as HTML).
    for (const part of text.split(/(\*\*[^*]+\*\*|`[^`]+`)/)) {
      if (!part) continue;
      if (part.startsWith('**') && part.endsWith('**')) frag.append(el('strong', '', part.slice(2, -2)));
      else if (part.startsWith('`') && part.endsWith('`')) frag.append(el('code', '', part.slice(1, -1)));
      else frag.append(document.createTextNode(part));
    }
    return frag;
  };
  const cells = (line) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      // The card's "# title" sits under this section's h3: shift every level down.
      out.append(el(`h${Math.min(6, heading[1].length + 3)}`, '', heading[2]));
    } else if (line.startsWith('|')) {
      const table = el('table', 'card-md-table');
      const header = cells(line);
      const align = lines[i + 1] && /^\|[\s:|-]+\|?$/.test(lines[i + 1]) ? cells(lines[++i]).map((a) => (a.endsWith(':') ? 'num' : '')) : [];
      const hr = el('tr');
      for (const h of header) {
        const th = el('th', '', h);
        th.scope = 'col';
        hr.append(th);
      }
      const thead = el('thead');
      thead.append(hr);
      const tbody = el('tbody');
      while (lines[i + 1] && lines[i + 1].startsWith('|')) {
        const tr = el('tr');
        cells(lines[++i]).forEach((c, k) => {
          const td = el('td', align[k] || '');
          td.append(inline(c));
          tr.append(td);
        });
        tbody.append(tr);
      }
      table.append(thead, tbody);
      const wrap = el('div', 'table-wrap');
      wrap.append(table);
      out.append(wrap);
    } else if (/^\s*-\s/.test(line)) {
      const ul = el('ul');
      i -= 1;
      while (lines[i + 1] && /^\s*-\s/.test(lines[i + 1])) {
        const li = el('li');
        li.append(inline(lines[++i].replace(/^\s*-\s/, '')));
        ul.append(li);
      }
      out.append(ul);
    } else {
      const p = el('p');
      p.append(inline(line));
      out.append(p);
    }
  }
  target.replaceChildren(out);
}

function modelFileName() {
  const base = (trained?.file || 'history').replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '-');
  return `churn-model-${base}.json`;
}

function downloadModel() {
  if (!trained) return;
  const blob = new Blob([trained.model_json], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = modelFileName();
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function useModel() {
  if (!trained) return;
  document.dispatchEvent(new CustomEvent('churn-audit:use-model', { detail: { text: trained.model_json, name: modelFileName() } }));
  setStatus('The scoring engine now uses this model: choose an account list in step 1 to score it.', 'ok');
}

// --- Wiring -----------------------------------------------------------------------------------
function todayLocal() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function wire() {
  ui.asOf.value = todayLocal();
  ui.label.addEventListener('change', () => refreshPreview());
  ui.seed.addEventListener('change', () => refreshPreview());
  ui.asOf.addEventListener('change', () => refreshPreview());
  ui.value.addEventListener('change', () => {
    valueChoice = ui.value.value;
  });
  ui.start.addEventListener('click', () => startTraining());
  ui.cancel.addEventListener('click', () => cancelTraining());
  ui.use.addEventListener('click', () => useModel());
  ui.download.addEventListener('click', () => downloadModel());
}

wire();

// churn-audit page: the main thread only reads files and renders; scoring happens in
// worker.js (WebAssembly). Nothing the user picks is sent anywhere: after start-up the
// page makes no network request at all (the sample file is fetched during start-up).
//
// Every piece of data from a file is put in the page with textContent, never as HTML.

const MAX_ROWS_SHOWN = 1000;
const MAX_ISSUES_SHOWN = 500;
// The sample's dates were written as of this day; it is scored as of it so it keeps a
// realistic mix of risk however old the sample gets (the date stays editable).
const SAMPLE_AS_OF = '2026-01-15';

const body = document.body;

// --- Content-Security-Policy violations are counted where a test can see them. ---------
let cspViolations = 0;
document.addEventListener('securitypolicyviolation', (event) => {
  cspViolations += 1;
  body.dataset.cspViolations = String(cspViolations);
  console.error(`Content-Security-Policy violation: ${event.violatedDirective} blocked ${event.blockedURI || '(inline)'}`);
});

const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el;
};

const ui = {
  fileInput: $('file-input'),
  dropZone: $('drop-zone'),
  sampleButton: $('sample-button'),
  asOf: $('as-of'),
  status: $('status'),
  summary: $('summary'),
  summaryFile: $('summary-file'),
  statAccounts: $('stat-accounts'),
  statWarnings: $('stat-warnings'),
  statChurners: $('stat-churners'),
  statRevenue: $('stat-revenue'),
  tierBody: $('tier-body'),
  columnsFormat: $('columns-format'),
  columnsBody: $('columns-body'),
  missingIntro: $('missing-intro'),
  missingList: $('missing-list'),
  issues: $('issues'),
  issuesEmpty: $('issues-empty'),
  results: $('results'),
  resultsNote: $('results-note'),
  resultsBody: $('results-body'),
  modelInfo: $('model-info'),
};

// --- Formatting -----------------------------------------------------------------------
const moneyFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const countFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const churnersFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const thresholdFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

const money = (v) => (typeof v === 'number' && Number.isFinite(v) ? moneyFormat.format(v) : '—');
const percent = (v) => (typeof v === 'number' && Number.isFinite(v) ? percentFormat.format(v) : '—');

// The engine writes a tab as the two characters \t; a real tab is accepted too.
const DELIMITERS = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '\\t': 'tab', '|': 'pipe' };
const HOW = {
  id: 'account ID',
  name: 'account name',
  segment: 'segment',
  exact: 'matched by its name',
  alias: 'matched by a known alternative name',
  date: 'date, counted in days up to the as-of date',
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

function setStatus(text, kind = '') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

// --- The model: tier ranks (for colours) and feature labels --------------------------
let model = null;
let tierRank = new Map(); // tier name -> css class
let featureLabel = new Map(); // feature name -> label

function learnModel(info) {
  model = info || {};
  const tiers = Array.isArray(model.tiers) ? [...model.tiers] : [];
  tiers.sort((a, b) => (b.min_probability ?? 0) - (a.min_probability ?? 0));
  tierRank = new Map();
  tiers.forEach((tier, i) => {
    const n = tiers.length;
    let cls;
    if (i === 0 && n > 1) cls = 'risk-high';
    else if (i === n - 1) cls = 'risk-low';
    else cls = i / (n - 1) < 0.5 ? 'risk-upper' : 'risk-mid';
    tierRank.set(tier.name, cls);
  });
  featureLabel = new Map();
  for (const f of Array.isArray(model.features) ? model.features : []) {
    featureLabel.set(f.name, f.label || f.name);
  }
  const parts = [];
  if (model.name) parts.push(`Model: ${model.name}${model.version !== undefined ? ` (version ${model.version})` : ''}`);
  if (model.trained_at) parts.push(`trained ${model.trained_at}`);
  if (featureLabel.size) parts.push(`${featureLabel.size} inputs`);
  if (tiers.length) {
    parts.push(`tiers: ${tiers.map((t) => `${t.name} from ${thresholdFormat.format(t.min_probability ?? 0)}`).join(', ')}`);
  }
  ui.modelInfo.textContent = parts.length ? `${parts.join(' · ')}.` : '';
}

function tierChip(name) {
  const chip = el('span', `tier-chip ${tierRank.get(name) || 'risk-unknown'}`);
  const swatch = el('span', 'tier-swatch');
  swatch.setAttribute('aria-hidden', 'true');
  chip.append(swatch, el('span', 'tier-name', name ?? '—'));
  return chip;
}

// --- Rendering ------------------------------------------------------------------------
function clearResults() {
  ui.summary.hidden = true;
  ui.results.hidden = true;
  ui.tierBody.replaceChildren();
  ui.columnsBody.replaceChildren();
  ui.missingList.replaceChildren();
  ui.resultsBody.replaceChildren();
  ui.resultsNote.textContent = '';
}

function showIssues(errorMessage, fileWarnings, rows) {
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
    for (const row of rows || []) for (const w of row.warnings || []) push(w, 'row-warning');
    if (total > items.length) {
      const more = el('li', 'issue issue-more', `…and ${countFormat.format(total - items.length)} more.`);
      more.dataset.kind = 'more';
      items.push(more);
    }
  }
  ui.issues.replaceChildren(...items);
  ui.issuesEmpty.hidden = items.length > 0;
}

function renderSummary(result) {
  const s = result.summary || {};
  const scored = Number(s.accounts_scored ?? (result.rows || []).length);
  const delim = DELIMITERS[result.delimiter] || `'${result.delimiter}'`;
  ui.summaryFile.textContent = `${scored} accounts scored from ${result.file} (${result.encoding}, ${delim}-separated), dates counted up to ${result.as_of}.`;
  ui.statAccounts.textContent = String(scored);
  ui.statWarnings.textContent = String(s.rows_with_warnings ?? 0);
  ui.statChurners.textContent = typeof s.expected_churners === 'number' ? churnersFormat.format(s.expected_churners) : '—';
  ui.statRevenue.textContent = money(s.revenue_at_risk);

  const tierRows = (s.tiers || []).map((t) => {
    const tr = el('tr');
    const name = el('td');
    name.append(tierChip(t.name));
    tr.append(name, el('td', 'num', countFormat.format(t.accounts ?? 0)), el('td', 'num', money(t.revenue_at_risk)));
    return tr;
  });
  ui.tierBody.replaceChildren(...tierRows);

  ui.columnsFormat.textContent = `Read as ${result.encoding} text, with ${delim} as the column separator.`;
  const colRows = (result.columns || []).map((c) => {
    const tr = el('tr');
    let used;
    const identity = c.how === 'id' || c.how === 'name' || c.how === 'segment';
    if (identity) {
      used = HOW[c.how];
    } else if (c.feature) {
      const label = featureLabel.get(c.feature) || c.feature;
      used = HOW[c.how] ? `${label} (${HOW[c.how]})` : label;
    } else {
      used = 'not used';
    }
    const td = el('td', c.feature || identity ? '' : 'muted', used);
    tr.append(el('td', '', c.header), td);
    return tr;
  });
  ui.columnsBody.replaceChildren(...colRows);
  const missing = result.missing_features || [];
  ui.missingIntro.textContent = missing.length
    ? 'These model inputs have no column in the file, so a typical value was used for every account:'
    : 'Every model input was found in the file.';
  ui.missingList.replaceChildren(...missing.map((f) => el('li', '', featureLabel.get(f) || f)));
  ui.summary.hidden = false;
}

function renderRows(result) {
  const rows = result.rows || [];
  const prob = (r) => (typeof r.churn_probability === 'number' && !Number.isNaN(r.churn_probability) ? r.churn_probability : -Infinity);
  const order = rows.map((_, i) => i);
  order.sort((a, b) => prob(rows[b]) - prob(rows[a]) || a - b);
  const shown = order.slice(0, MAX_ROWS_SHOWN);

  const frag = document.createDocumentFragment();
  for (const i of shown) {
    const r = rows[i];
    const tr = el('tr');
    tr.dataset.testid = 'result-row';
    tr.dataset.accountId = r.account_id ?? '';
    tr.dataset.probability = String(r.churn_probability);
    tr.dataset.line = String(r.line ?? '');

    const id = el('td', 'account-id', r.account_id ?? '');
    const name = el('td', 'account-name', r.account_name ?? '');
    const p = el('td', 'num', percent(r.churn_probability));
    const tier = el('td');
    tier.append(tierChip(r.risk_tier));
    const revenue = el('td', 'num', money(r.revenue_at_risk));
    const reasons = el('td', 'reasons');
    if ((r.top_reasons || []).length) {
      const ul = el('ul');
      for (const reason of r.top_reasons) ul.append(el('li', '', reason));
      reasons.append(ul);
    }
    const warnings = (r.warnings || []).length;
    if (warnings) {
      tr.dataset.warnings = String(warnings);
      reasons.append(el('p', 'row-warning', `⚠ ${warnings} ${warnings === 1 ? 'warning' : 'warnings'} (line ${r.line}), see Issues`));
    }
    tr.append(id, name, p, tier, revenue, reasons);
    frag.append(tr);
  }
  ui.resultsBody.replaceChildren(frag);
  ui.resultsNote.textContent =
    rows.length > MAX_ROWS_SHOWN
      ? `Showing the ${countFormat.format(MAX_ROWS_SHOWN)} highest-risk of ${countFormat.format(rows.length)} accounts.`
      : `All ${countFormat.format(rows.length)} accounts, highest risk first.`;
  ui.results.hidden = false;
}

// --- The worker -----------------------------------------------------------------------
let worker;
let current = null; // { bytes: Uint8Array, name: string }
let requestSeq = 0;
let latestRequest = 0;
let completedRuns = 0;
let readToken = 0;

function finishRun(state) {
  completedRuns += 1;
  body.dataset.state = state;
  body.dataset.run = String(completedRuns);
  ui.results.removeAttribute('aria-busy');
}

function onResult(result) {
  renderSummary(result);
  renderRows(result);
  showIssues(null, result.file_warnings, result.rows);
  const n = result.summary?.accounts_scored ?? (result.rows || []).length;
  const withWarnings = result.summary?.rows_with_warnings ?? 0;
  const sampleNote =
    current && current.bytes === sampleBytes && result.as_of === SAMPLE_AS_OF
      ? ` The sample describes accounts as of ${SAMPLE_AS_OF}, so dates are counted up to that day.`
      : '';
  setStatus(
    `Scored ${n} accounts from ${result.file}${withWarnings ? `; ${withWarnings} rows have warnings (see Issues)` : ''}.${sampleNote}`,
    'ok',
  );
  finishRun('scored');
}

function onError(message, name) {
  clearResults();
  showIssues(message || `${name}: the file could not be scored.`);
  setStatus(`Could not score ${name}. See Issues below.`, 'error');
  finishRun('error');
}

function scoreCurrent() {
  if (!current) return;
  const asOf = ui.asOf.value;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
    setStatus('Choose the date up to which dates are counted, then the file is scored again.', 'error');
    return;
  }
  requestSeq += 1;
  latestRequest = requestSeq;
  body.dataset.state = 'scoring';
  ui.results.setAttribute('aria-busy', 'true');
  setStatus(`Scoring ${current.name}…`);
  const copy = current.bytes.slice(); // keep our bytes for re-scoring on a date change
  worker.postMessage(
    { type: 'score', id: requestSeq, bytes: copy.buffer, name: current.name, asOf },
    [copy.buffer],
  );
}

async function useFile(file) {
  if (!file) return;
  const token = ++readToken;
  body.dataset.state = 'reading';
  setStatus(`Reading ${file.name}…`);
  let buffer;
  try {
    buffer = await file.arrayBuffer();
  } catch (err) {
    if (token !== readToken) return;
    current = null;
    onError(`${file.name}: the file could not be read by the browser (${err && err.message ? err.message : err}).`, file.name);
    return;
  }
  if (token !== readToken) return; // a newer file was picked meanwhile
  current = { bytes: new Uint8Array(buffer), name: file.name };
  scoreCurrent();
}

function startWorker() {
  return new Promise((resolve, reject) => {
    worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    let started = false;
    worker.addEventListener('message', (event) => {
      const msg = event.data || {};
      switch (msg.type) {
        case 'ready':
          started = true;
          resolve(msg.model);
          break;
        case 'fatal':
          reject(new Error(msg.message));
          break;
        case 'result':
          if (msg.id === latestRequest) onResult(msg.result);
          break;
        case 'error':
          if (msg.id === latestRequest) onError(msg.message, current ? current.name : 'the file');
          break;
        default:
          break;
      }
    });
    worker.addEventListener('error', (event) => {
      const detail = event.message ? ` (${event.message})` : '';
      if (!started) {
        reject(new Error(`The scoring engine could not be loaded${detail}.`));
      } else {
        body.dataset.engine = 'failed';
        setControlsEnabled(false);
        setStatus(`The scoring engine stopped${detail}. Reload the page to continue.`, 'error');
        if (body.dataset.state === 'scoring') finishRun('error');
      }
    });
  });
}

// --- Controls -------------------------------------------------------------------------
let sampleBytes = null;

function setControlsEnabled(on) {
  ui.fileInput.disabled = !on;
  ui.asOf.disabled = !on;
  ui.sampleButton.disabled = !on || !sampleBytes;
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
    current = { bytes: sampleBytes, name: 'sample-accounts.csv' };
    ui.asOf.value = SAMPLE_AS_OF;
    scoreCurrent();
  });

  ui.asOf.addEventListener('change', () => scoreCurrent());

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
    const files = e.dataTransfer.files;
    if (files && files.length) useFile(files[0]);
  });
}

// --- Start-up -------------------------------------------------------------------------
async function start() {
  body.dataset.engine = 'loading';
  ui.asOf.value = todayLocal();
  wireControls();

  // The sample is fetched now, during start-up, so that using it later is not a request.
  const sample = fetch(new URL('./sample-accounts.csv', import.meta.url))
    .then((res) => (res.ok ? res.arrayBuffer() : null))
    .then((buf) => (buf ? new Uint8Array(buf) : null))
    .catch(() => null);

  let info;
  try {
    [info, sampleBytes] = await Promise.all([startWorker(), sample]);
  } catch (err) {
    body.dataset.engine = 'failed';
    setStatus(`${err && err.message ? err.message : err} Reload the page to try again.`, 'error');
    return;
  }
  learnModel(info);
  setControlsEnabled(true);
  body.dataset.engine = 'ready';
  setStatus('Ready. Choose or drop an account file, or try the sample data.', 'ok');
}

start();

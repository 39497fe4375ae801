// The current file's run: read its columns, stop at step 2 when they need the user's
// help, score the file (progress, then the figures as soon as they exist, then the
// rows), and show the results; a new file, a new mapping or a cancel supersedes a run.
import { messageOf } from './engine-core.js';
import { call, hasWorker, restartWorker, runsInPage } from './engine.js';
import { count } from './format.js';
import { showIssues } from './issues.js';
import { loadSavedMapping, renderMapping, saveMapping } from './mapping.js';
import { buildReport } from './report.js';
import { state } from './state.js';
import { renderFileLine, renderSummary } from './summary.js';
import { applyView, prepareRows, renderFilters, resetView } from './table.js';
import { body, busy, setStatus, ui } from './ui.js';

const PROGRESS_MS = 200; // the least time between two moves of the progress bar

// The sample's dates were written as of this day; it is scored as of it so it keeps a
// realistic mix of risk however old the sample gets (the date stays editable).
export const SAMPLE_AS_OF = '2026-01-15';
export const SAMPLE_NAME = 'sample-accounts.csv';

let completedRuns = 0;

function finishRun(outcome) {
  completedRuns += 1;
  body.dataset.state = outcome;
  body.dataset.run = String(completedRuns);
  busy(false);
}

function clearResults() {
  state.result = null;
  ui.summary.hidden = true;
  ui.results.hidden = true;
  ui.exportSection.hidden = true;
  ui.resultsBody.replaceChildren();
  ui.report.replaceChildren();
  resetView();
}

/** A person-friendly version of an engine error. */
function friendly(message, name) {
  if (/cancelled/.test(message)) return message;
  return message.startsWith(name) || message.includes(name) ? message : `${name}: ${message}`;
}

// Each file read or scoring run takes a new token; a run that finds a newer token after an
// await was superseded (a new file, a second change event) and leaves the page alone.
let runToken = 0;

/** Ends a run whose file `name` could not be read: the reason under Issues. */
export function failRead(name, err) {
  clearResults();
  ui.mapping.hidden = true;
  showIssues(friendly(messageOf(err), name));
  setStatus(`${name} could not be read. See Issues below.`, 'error');
  finishRun('error');
}

export async function readAndInspect(blob, name, asOfOverride, sample = false) {
  const token = ++runToken;
  const file = { blob, name, sample };
  state.current = file;
  if (asOfOverride) ui.asOf.value = asOfOverride;
  body.dataset.state = 'inspecting';
  busy(true, !runsInPage());
  setStatus(`Reading the columns of ${name}…`);
  try {
    state.inspection = await call('inspect', { blob, name, mapping: null, asOf: ui.asOf.value });
    // Scoring this file reads its head from the inspection instead of the disk.
    file.headId = state.inspection.headId;
  } catch (err) {
    if (token === runToken) failRead(name, err);
    return;
  }
  if (token !== runToken) return;
  state.userMapping = loadSavedMapping(state.inspection.columns.map((c) => c.header));
  if (Object.keys(state.userMapping).length) {
    state.inspection = await inspectWith(state.userMapping);
    if (token !== runToken) return;
  }
  if (state.inspection.problem) {
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
  const file = state.current;
  const ins = await call('inspect', { blob: file.blob, name: file.name, mapping, asOf: ui.asOf.value });
  file.headId = ins.headId;
  return ins;
}

export async function scoreCurrent() {
  if (!state.current) return;
  const asOf = ui.asOf.value;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
    setStatus('Choose the date up to which dates are counted, then the file is scored again.', 'error');
    return;
  }
  const token = ++runToken;
  body.dataset.state = 'scoring';
  busy(true, !runsInPage());
  setStatus(`Scoring ${state.current.name}…`);
  ui.results.setAttribute('aria-busy', 'true');
  const { blob, name } = state.current;
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
    const r = await call('scoreFile', { blob, name, asOf, mapping: state.userMapping, headId: state.current.headId }, [], onProgress);
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

async function fingerprintOf(r, token) {
  try {
    // A workbook's report names the workbook's bytes, not the text made of its sheet.
    const blob = state.current.blob;
    const sha = await call('digest', { blob: state.workbooks.get(blob)?.file ?? blob });
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
  const notes = state.workbooks.get(state.current?.blob)?.notes;
  if (notes?.length) r.file_warnings = [...notes, ...(r.file_warnings || [])];
  state.result = r;
  body.dataset.workers = String(r.workers ?? 1);
  prepareRows(r);
  renderSummary(r);
  renderFilters(r);
  showIssues(null, r.file_warnings, r.row_warnings, r.summary.rows_with_warnings);
  await applyView();
  await buildReport(r);
  if (token !== runToken) return;
  state.fingerprint = fingerprintOf(r, token);
  ui.results.hidden = false;
  ui.exportSection.hidden = false;
  const n = r.summary.accounts_scored;
  const withWarnings = r.summary?.rows_with_warnings ?? 0;
  const sampleNote =
    state.current && state.current.sample && r.as_of === SAMPLE_AS_OF
      ? ` The sample describes accounts as of ${SAMPLE_AS_OF}, so dates are counted up to that day.`
      : '';
  setStatus(
    `Scored ${count(n)} accounts from ${r.file}${withWarnings ? `; ${count(withWarnings)} rows have warnings (see Issues)` : ''}.${sampleNote}`,
    'ok',
  );
  finishRun('scored');
}

export async function onMappingChange(header, target) {
  state.userMapping = { ...state.userMapping, [header]: target };
  // One column per input: a header that held this input loses it.
  if (target !== 'ignore') {
    for (const c of state.inspection.columns) {
      if (c.header !== header && c.feature === target) state.userMapping[c.header] = 'ignore';
    }
  }
  saveMapping();
  state.inspection = await inspectWith(state.userMapping);
  renderMapping();
  if (state.inspection.problem) {
    stopForMapping();
  } else {
    await scoreCurrent();
  }
}

/** Step 2's "Score with these columns". */
export async function scoreWithMapping() {
  if (!state.current) return;
  state.inspection = await inspectWith(state.userMapping);
  renderMapping();
  if (state.inspection.problem) {
    showIssues(state.inspection.problem);
    setStatus('Some columns still need your help: see step 2.', 'error');
    finishRun('mapping');
  } else await scoreCurrent();
}

/** Step 2's "Back to automatic matching": forgets the choices made for these columns. */
export async function resetMapping() {
  if (!state.current) return;
  state.userMapping = {};
  saveMapping();
  await readAndInspect(state.current.blob, state.current.name, undefined, state.current.sample);
}

/** Stops a run at the mapping step because the columns need the user's help. */
function stopForMapping() {
  clearResults();
  showIssues(state.inspection.problem);
  setStatus('Some columns need your help before scoring: see step 2.', 'error');
  finishRun('mapping');
}

/** Cancelling = terminating the worker (the only way to stop wasm mid-run) and starting a fresh one. */
export async function cancelRun() {
  if (!hasWorker()) return;
  runToken += 1;
  busy(false);
  setStatus('Cancelled. Choose a file to start again.', '');
  finishRun('cancelled');
  await restartWorker();
}

// churn-audit page: the main thread reads files and renders; every number comes from the
// WebAssembly engine (in worker.js, or on the page itself in the single-file build).
// Nothing the user picks is sent anywhere: after start-up the page makes no network
// request at all (the sample file is fetched during start-up).
//
// Every piece of data from a file is put in the page with textContent, never as HTML.
//
// This module starts the page and wires the controls that start or change a run; each
// step of the page is a module of its own (docs/architecture.md lists them).
import { messageOf } from './engine-core.js';
import { wireDetail } from './detail.js';
import { EMBED, call, isWorking, restartWorker, startInPage, startWorker } from './engine.js';
import { showIssues } from './issues.js';
import { renderMappingRows } from './mapping.js';
import { learnModel } from './model.js';
import { wireReport } from './report.js';
import { SAMPLE_AS_OF, SAMPLE_NAME, cancelRun, onMappingChange, readAndInspect, resetMapping, scoreCurrent, scoreWithMapping } from './run.js';
import { state } from './state.js';
import { wireTable } from './table.js';
import { body, busy, setStatus, ui } from './ui.js';
import { useWorkbook, wireWorkbook } from './workbook-ui.js';
import { isWorkbookFile } from './workbook.js';

// --- Content-Security-Policy violations are counted where a test can see them. ---------
let cspViolations = 0;
document.addEventListener('securitypolicyviolation', (event) => {
  cspViolations += 1;
  body.dataset.cspViolations = String(cspViolations);
  console.error(`Content-Security-Policy violation: ${event.violatedDirective} blocked ${event.blockedURI || '(inline)'}`);
});

// --- Controls -----------------------------------------------------------------------------
let sampleBytes = null;

function todayLocal() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function setControlsEnabled(on) {
  for (const c of [ui.fileInput, ui.asOf, ui.modelInput, ui.modelDefault, ui.tiersApply]) c.disabled = !on;
  ui.sampleButton.disabled = !on || !sampleBytes;
}

async function useFile(file) {
  if (!file) return;
  const token = ++state.readToken;
  body.dataset.state = 'reading';
  busy(true);
  setStatus(`Reading ${file.name}…`);
  if (isWorking()) await restartWorker(); // a newer file replaces a run in progress
  if (token !== state.readToken) return; // a newer file was picked meanwhile
  if (await isWorkbookFile(file)) {
    if (token === state.readToken) await useWorkbook(file, '');
    return;
  }
  ui.sheetRow.hidden = true;
  await readAndInspect(file, file.name);
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
    state.customModelText = text;
    state.customThresholds = null;
    learnModel(info);
    setStatus(`Using the model ${info.model.name} from ${file.name}.`, 'ok');
    body.dataset.model = 'custom';
    if (state.current) await readAndInspect(state.current.blob, state.current.name, undefined, state.current.sample);
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
    state.readToken += 1;
    ui.sheetRow.hidden = true;
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
  ui.mappingScore.addEventListener('click', () => scoreWithMapping());
  ui.mappingReset.addEventListener('click', () => resetMapping());

  wireTable();
  wireDetail();
  wireReport();
  wireWorkbook();

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
    state.customModelText = null;
    state.customThresholds = null;
    learnModel(info);
    body.dataset.model = 'bundled';
    setStatus('Using the bundled model.', 'ok');
    if (state.current) await readAndInspect(state.current.blob, state.current.name, undefined, state.current.sample);
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
      state.customThresholds = thresholds;
      learnModel(info);
      setStatus('New tier thresholds applied.', 'ok');
      if (state.current && state.result) await scoreCurrent();
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

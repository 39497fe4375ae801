// Workbooks in the page: the bridge to the workbook engine (pkg-workbook, a wasm module
// apart from the scoring engine), which turns a workbook's chosen sheet into the text the
// scoring engine reads (so a workbook goes through the same column matching, warnings and
// scoring as a CSV file) and writes the Excel export. The engine is started only when
// someone chooses a workbook or asks for the Excel export, so the page's start-up load
// does not grow by it:
//
// * served page: a module worker (workbook-worker.js) fetches the engine from this site;
//   nothing else is requested, and the file never leaves the tab. A trap ends that worker
//   only: the next request starts a new one.
// * single-file build: the engine is inlined (scripts/build-dist.mjs sets
//   CHURN_AUDIT_WORKBOOK_EMBED, the wasm as base64, and the no-modules glue's global
//   `churn_audit_workbook`) and runs on the page itself, as the scoring engine does there.
//   After a trap its memory cannot be trusted, so it refuses further workbooks until the
//   page is reloaded (the scoring engine is not affected).
const WORKBOOK_EMBED = globalThis.CHURN_AUDIT_WORKBOOK_EMBED || null;

/** File name endings read as workbooks (any letter case). */
export const WORKBOOK_EXTENSIONS = ['.xlsx', '.xlsm', '.xlsb', '.xls', '.ods', '.xltx', '.xltm'];

let workbookWorker = null;
let workbookSeq = 1;
const workbookWaiting = new Map();

function startWorkbookWorker() {
  workbookWorker = new Worker(new URL('./workbook-worker.js', import.meta.url), { type: 'module' });
  workbookWorker.onmessage = (event) => {
    const msg = event.data || {};
    const w = workbookWaiting.get(msg.id);
    if (!w) return;
    workbookWaiting.delete(msg.id);
    if (msg.type === 'reply') w.resolve(msg.payload);
    else {
      // A trapped engine is gone: the next request starts a fresh worker.
      if (msg.trap) stopWorkbookWorker();
      w.reject(new Error(msg.message));
    }
  };
  workbookWorker.onerror = (event) => {
    event.preventDefault();
    const message = `The workbook reader could not be loaded (${event.message || 'network error'}); reload the page to try again.`;
    for (const w of workbookWaiting.values()) w.reject(new Error(message));
    workbookWaiting.clear();
    stopWorkbookWorker();
  };
}

function stopWorkbookWorker() {
  workbookWorker?.terminate();
  workbookWorker = null;
}

function askWorkbookWorker(type, fields, transfer = []) {
  if (!workbookWorker) startWorkbookWorker();
  const id = workbookSeq++;
  return new Promise((resolve, reject) => {
    workbookWaiting.set(id, { resolve, reject });
    workbookWorker.postMessage({ type, id, ...fields }, transfer);
  });
}

// --- The single-file build's engine, on the page ----------------------------------------
let embeddedEngine = null; // a promise of the glue's exports
let embeddedTrapped = false;

function embeddedWorkbookEngine() {
  embeddedEngine ??= (async () => {
    const raw = atob(WORKBOOK_EMBED);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    // eslint-disable-next-line no-undef
    const glue = churn_audit_workbook;
    await glue({ module_or_path: bytes });
    return glue;
  })();
  return embeddedEngine;
}

/** Runs `fn(engine)` on the page's own workbook engine; a trap disables it (see above). */
async function onPageEngine(fn) {
  if (embeddedTrapped) throw new Error('The workbook reader stopped on an earlier file; reload the page to read another workbook.');
  const engine = await embeddedWorkbookEngine();
  try {
    return fn(engine);
  } catch (err) {
    if (!(err instanceof WebAssembly.RuntimeError)) throw err;
    embeddedTrapped = true;
    throw new Error(`The workbook reader failed on this file (${err.message}); save the sheet as CSV and choose that instead.`);
  }
}

/**
 * True when `file` should be read as a workbook: a workbook's name, or a zip or OLE
 * file (a workbook renamed .csv). Reads at most the file's first 8 bytes.
 */
export async function isWorkbookFile(file) {
  const name = String(file.name || '').toLowerCase();
  if (WORKBOOK_EXTENSIONS.some((e) => name.endsWith(e))) return true;
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const zip = head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5);
  const ole = head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0;
  return zip || ole;
}

/**
 * Reads the sheet `sheet` ('' for the default) of the workbook `file`:
 * { csv: Blob, label, sheet, sheets, header_row, notes, sha256 }.
 */
export async function readWorkbook(file, sheet = '') {
  const bytes = await file.arrayBuffer();
  const r = WORKBOOK_EMBED
    ? await onPageEngine((e) => e.read_workbook(new Uint8Array(bytes), String(file.name), String(sheet || '')))
    : await askWorkbookWorker('read', { bytes, name: file.name, sheet }, [bytes]);
  return { ...r, csv: new Blob([r.csv], { type: 'text/csv' }) };
}

/** The scored CSV `csv` as an .xlsx file's bytes, with `facts` on its second sheet. */
export function excelExport(csv, facts) {
  if (WORKBOOK_EMBED) return onPageEngine((e) => e.excel_export(new TextEncoder().encode(String(csv)), facts));
  return askWorkbookWorker('excel', { csv, facts });
}

/**
 * Shows the sheet picker in `row` (a container holding a <select>) when more than one
 * sheet holds a table; `onPick(name)` is called when another sheet is chosen.
 */
export function showSheetPicker(row, info, onPick) {
  const select = row.querySelector('select');
  const tables = info.sheets.filter((s) => s.has_table);
  row.hidden = tables.length < 2;
  if (row.hidden) return;
  select.replaceChildren(...tables.map((s) => new Option(s.name, s.name, false, s.name === info.sheet)));
  select.onchange = () => onPick(select.value);
}

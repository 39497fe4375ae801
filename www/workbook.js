// Workbooks in the page, loaded by app.js only when someone chooses a workbook or asks
// for the Excel export (a dynamic import), so the page's start-up load does not grow.
// It starts the workbook worker (workbook-worker.js), which fetches the workbook engine
// (pkg-workbook/) from this site: nothing else is requested, and the file never leaves
// the tab. The worker turns the chosen sheet into the text the scoring engine reads, so a
// workbook goes through the same column matching, warnings and scoring as a CSV file.

/** File name endings read as workbooks (any letter case). */
export const EXTENSIONS = ['.xlsx', '.xlsm', '.xlsb', '.xls', '.ods', '.xltx', '.xltm'];

let worker = null;
let next = 1;
const waiting = new Map();

function start() {
  worker = new Worker(new URL('./workbook-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (event) => {
    const msg = event.data || {};
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.type === 'reply') w.resolve(msg.payload);
    else {
      // A trapped engine is gone: the next request starts a fresh worker.
      if (msg.trap) stop();
      w.reject(new Error(msg.message));
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    const message = `The workbook reader could not be loaded (${event.message || 'network error'}); reload the page to try again.`;
    for (const w of waiting.values()) w.reject(new Error(message));
    waiting.clear();
    stop();
  };
}

function stop() {
  worker?.terminate();
  worker = null;
}

function call(type, fields, transfer = []) {
  if (!worker) start();
  const id = next++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ type, id, ...fields }, transfer);
  });
}

/**
 * True when `file` should be read as a workbook: a workbook's name, or a zip or OLE
 * file (a workbook renamed .csv). Reads at most the file's first 8 bytes.
 */
export async function isWorkbook(file) {
  const name = String(file.name || '').toLowerCase();
  if (EXTENSIONS.some((e) => name.endsWith(e))) return true;
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
  const r = await call('read', { bytes, name: file.name, sheet }, [bytes]);
  return { ...r, csv: new Blob([r.csv], { type: 'text/csv' }) };
}

/** The scored CSV `csv` as an .xlsx file's bytes, with `facts` on its second sheet. */
export function excelExport(csv, facts) {
  return call('excel', { csv, facts });
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

// The workbook worker: loads the workbook engine (www/pkg-workbook, a wasm module apart
// from the scoring engine) when the page first needs it, then answers `read` (a
// workbook's sheet as the text the scoring engine reads) and `excel` (the scored table as
// an .xlsx file). A wasm trap ends this worker's engine only: the page starts a new
// worker for the next request and the tab keeps working.
import init, { read_workbook, excel_export } from './pkg-workbook/churn_audit_workbook.js';

const messageOf = (err) => (err instanceof Error ? err.message || String(err) : String(err));

let startError = null;
const ready = init().catch((err) => {
  startError = `The workbook reader could not start: ${messageOf(err)}`;
});

const handlers = {
  read: (m) => {
    const r = read_workbook(new Uint8Array(m.bytes), String(m.name), String(m.sheet || ''));
    return [r, [r.csv.buffer]];
  },
  excel: (m) => {
    const bytes = excel_export(new TextEncoder().encode(String(m.csv)), m.facts);
    return [bytes, [bytes.buffer]];
  },
};

self.addEventListener('message', async (event) => {
  const msg = event.data || {};
  await ready;
  if (startError !== null) {
    self.postMessage({ type: 'error', id: msg.id, message: startError });
    return;
  }
  try {
    const fn = handlers[msg.type];
    if (!fn) throw new Error(`Unknown request '${String(msg.type)}'.`);
    const [payload, transfer] = fn(msg);
    self.postMessage({ type: 'reply', id: msg.id, payload }, transfer);
  } catch (err) {
    const trap = err instanceof WebAssembly.RuntimeError;
    self.postMessage({
      type: 'error',
      id: msg.id,
      trap,
      message: trap ? `The workbook reader failed on this file (${messageOf(err)}); save the sheet as CSV and choose that instead.` : messageOf(err),
    });
  }
});

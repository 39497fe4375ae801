// Step 1 and step 5 for workbooks: a chosen workbook's sheet is read by the workbook
// engine (workbook.js) into the text the scoring engine reads, then scored like a CSV
// file (run.js); the report and its SHA-256 name the workbook itself, and the reader's
// notes (title rows skipped, error cells) head the file's warnings (state.workbooks).
// "Download as Excel (.xlsx)" has the workbook engine write the scored table.
import { call } from './engine.js';
import { messageOf } from './engine-core.js';
import { download } from './report.js';
import { failRead, readAndInspect } from './run.js';
import { state } from './state.js';
import { body, busy, setStatus, ui } from './ui.js';
import { excelExport, readWorkbook, showSheetPicker } from './workbook.js';

/** Reads the sheet `sheet` ('' for the default) of the workbook `file`, then scores it as a CSV file. */
export async function useWorkbook(file, sheet) {
  const token = state.readToken;
  body.dataset.state = 'reading';
  busy(true);
  setStatus(`Reading the workbook ${file.name}…`);
  let table;
  try {
    table = await readWorkbook(file, sheet);
    if (token !== state.readToken) return;
    showSheetPicker(ui.sheetRow, table, (name) => {
      state.readToken += 1;
      useWorkbook(file, name);
    });
  } catch (err) {
    if (token === state.readToken) failRead(file.name, err);
    return;
  }
  state.workbooks.set(table.csv, { file, notes: table.notes });
  await readAndInspect(table.csv, table.label);
}

/** The scored table as an .xlsx file, made by the workbook engine from the scored CSV. */
async function exportXlsx() {
  try {
    setStatus('Making the Excel file…');
    const csv = await call('export', { excel: false });
    await state.fingerprint; // the facts sheet names the file's SHA-256
    const r = state.result;
    const facts = {
      file: String(r.file),
      file_sha256: String(r.file_sha256 || ''),
      model: String(state.model.version || r.model),
      as_of: String(r.as_of),
      accounts: r.summary.accounts_scored,
    };
    const bytes = await excelExport(csv, facts);
    const name = `${(r.file || 'accounts').replace(/\.[^.]*$/, '')}-churn-audit.xlsx`;
    download(new Blob([bytes], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), name);
    setStatus(`Saved ${name} to your downloads.`, 'ok');
  } catch (err) {
    setStatus(`The Excel file could not be made: ${messageOf(err)}`, 'error');
  }
}

export function wireWorkbook() {
  ui.exportXlsx.addEventListener('click', () => exportXlsx());
}

// The Issues list: an error that stopped a run, or the file's and the rows' warnings.
import { count, el } from './format.js';
import { ui } from './ui.js';

const MAX_ISSUES_SHOWN = 500;
const ROW_WARNINGS_SENT = 500; // the engine's OVERVIEW_WARNINGS

export function showIssues(errorMessage, fileWarnings, rowWarnings, rowsWithWarnings = 0) {
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

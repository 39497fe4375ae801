// The Issues list: an error that stopped a run, or the file's warnings and the rows'
// warnings grouped by kind and column (the engine counts every row: `warning_groups`),
// one plain sentence per group. Each row's own warnings are in the scored CSV.
import { count, el } from './format.js';
import { ui } from './ui.js';

export function showIssues(errorMessage, fileWarnings, warningGroups, rowsWithWarnings = 0) {
  const items = [];
  if (errorMessage) {
    const li = el('li', 'issue issue-error', errorMessage);
    li.dataset.kind = 'error';
    items.push(li);
  } else {
    for (const w of fileWarnings || []) {
      const li = el('li', 'issue issue-file-warning', w);
      li.dataset.kind = 'file-warning';
      items.push(li);
    }
    for (const g of warningGroups || []) {
      const li = el('li', 'issue issue-row-group', g.text);
      li.dataset.kind = 'row-group';
      li.dataset.testid = 'issue-group';
      li.dataset.group = g.kind;
      li.dataset.count = String(g.count);
      if (g.column) li.dataset.column = g.column;
      items.push(li);
    }
    if (rowsWithWarnings) {
      const more = el('li', 'issue issue-more', `${count(rowsWithWarnings)} ${rowsWithWarnings === 1 ? 'row has' : 'rows have'} a warning in all; the scored CSV's warnings column says, row by row, what was read and what was done.`);
      more.dataset.kind = 'more';
      items.push(more);
    }
  }
  ui.issues.replaceChildren(...items);
  ui.issuesEmpty.hidden = items.length > 0;
}

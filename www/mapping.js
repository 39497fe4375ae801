// Step 2, the column mapping: how the file's columns were read, the choice list per
// column, and the user's choices remembered on this device per model and header row.
import { count, el } from './format.js';
import { state } from './state.js';
import { ui } from './ui.js';

const MAPPING_KEY = 'churn-audit:mapping:';
const HOW = {
  id: 'account ID',
  name: 'account name',
  segment: 'segment',
  exact: 'matched by its name',
  alias: 'matched by a known alternative name',
  date: 'a date, counted in days up to the as-of date',
  manual: 'your choice',
};

function headerKey(columns) {
  return MAPPING_KEY + (state.model?.name || '') + '\u0001' + columns.map((c) => c.header).join('\u0001');
}

export function loadSavedMapping(headers) {
  try {
    const text = localStorage.getItem(MAPPING_KEY + (state.model?.name || '') + '\u0001' + headers.join('\u0001'));
    const saved = text ? JSON.parse(text) : null;
    return saved && typeof saved === 'object' ? saved : {};
  } catch {
    return {}; // storage blocked (file:// in some browsers, private mode): just don't remember
  }
}

export function saveMapping() {
  if (!state.inspection) return;
  try {
    const key = headerKey(state.inspection.columns);
    if (Object.keys(state.userMapping).length) localStorage.setItem(key, JSON.stringify(state.userMapping));
    else localStorage.removeItem(key);
  } catch {
    // Not remembering is fine.
  }
}

function targetLabel(name) {
  const t = (state.inspection?.targets || []).find((x) => x.name === name);
  return t ? t.label : name;
}

export function renderMapping() {
  const ins = state.inspection;
  ui.mapping.hidden = false;
  const matched = ins.columns.filter((c) => c.feature).length;
  ui.mappingIntro.textContent = `${ins.partial ? `At least ${count(ins.rows)}` : count(ins.rows)} rows and ${ins.columns.length} columns; ${matched} columns are used. Change any "Used as" choice to fix a match; your choices are remembered on this device for files with the same columns, and the file is scored again at once.`;
  ui.mappingProblem.hidden = !ins.problem;
  if (ins.problem) ui.mappingDetails.open = true;
  ui.mappingProblem.textContent = ins.problem || '';
  // The table, a choice list per column, is built when it is shown: laid out while a
  // big file is read (in a closed section) it took 60-90 ms of a processor both workers
  // need.
  mappingRowsOf = null;
  if (ui.mappingDetails.open) renderMappingRows();
  else ui.mappingBody.replaceChildren();
  const missing = ins.missing_features || [];
  const frag = document.createDocumentFragment();
  if (missing.length) {
    frag.append(el('p', '', `${missing.length} model inputs have no column, so every account gets a typical value for them (and the row says so). If your file has one of them under another name, choose it above:`));
    const ul = el('ul', 'missing-list');
    for (const f of missing) ul.append(el('li', '', targetLabel(f)));
    frag.append(ul);
  } else {
    frag.append(el('p', '', 'Every model input was found in the file.'));
  }
  ui.mappingMissing.replaceChildren(frag);
}

/** The inspection the mapping table shows (null: not built for the current one). */
let mappingRowsOf = null;

/** Builds the mapping table's rows for the current inspection, unless they are built. */
export function renderMappingRows() {
  const ins = state.inspection;
  if (!ins || mappingRowsOf === ins) return;
  mappingRowsOf = ins;
  const groups = new Map();
  for (const t of ins.targets) {
    const role = ['id', 'name', 'segment'].includes(t.role) ? 'Account' : t.role.charAt(0).toUpperCase() + t.role.slice(1);
    if (!groups.has(role)) groups.set(role, []);
    groups.get(role).push(t);
  }
  const rows = ins.columns.map((c, i) => {
    const tr = el('tr');
    const id = `map-${i}`;
    const th = el('th', '');
    th.scope = 'row';
    const label = el('label', '', c.header || `(column ${i + 1} has no header)`);
    label.htmlFor = id;
    th.append(label);
    const ex = el('td', 'examples', (ins.examples[i] || []).join(' · '));
    const td = el('td');
    const select = el('select');
    select.id = id;
    select.dataset.testid = 'map-select';
    select.dataset.header = c.header;
    select.append(new Option('Not used', 'ignore'));
    for (const [role, targets] of groups) {
      const og = el('optgroup');
      og.label = role;
      for (const t of targets) og.append(new Option(t.takes_dates ? `${t.label} (number of days, or a date)` : t.label, t.name));
      select.append(og);
    }
    select.value = c.feature || 'ignore';
    const how = el('span', 'how', c.feature ? HOW[c.how] || '' : '');
    td.append(select, how);
    tr.append(th, ex, td);
    if (c.how === 'manual') tr.classList.add('manual');
    return tr;
  });
  ui.mappingBody.replaceChildren(...rows);
}

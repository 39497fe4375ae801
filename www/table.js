// Step 4, the accounts table: filters, sorting and search (the engine's view), and a
// virtual window of rows fetched from the engine as the table scrolls.
import { messageOf } from './engine-core.js';
import { call } from './engine.js';
import { count, el, money, percent } from './format.js';
import { tierChip } from './model.js';
import { state } from './state.js';
import { setStatus, ui } from './ui.js';

const ROW_HEIGHT = 40; // px; fixed so the table can be virtualised (see style.css)

// The rows live in the engine, column by column; the page holds the order of the rows it
// shows (row indices) and the few rows on screen, fetched as the table scrolls.
let rowCount = 0;
let view = new Uint32Array(0);
export const rowCache = new Map(); // row index -> the row as the engine describes it
let viewToken = 0;
let sortKey = 'churn_probability';
let sortDesc = true;

export function prepareRows(r) {
  rowCount = r.summary.accounts_scored;
  rowCache.clear();
}

export function renderFilters(r) {
  const keepTier = ui.tierFilter.value;
  const keepSeg = ui.segmentFilter.value;
  ui.tierFilter.replaceChildren(new Option('All tiers', ''), ...r.summary.tiers.map((t) => new Option(`${t.name} (${count(t.accounts)})`, t.name)));
  ui.tierFilter.value = r.summary.tiers.some((t) => t.name === keepTier) ? keepTier : '';
  const segs = r.portfolio.segments || [];
  ui.segmentFilter.replaceChildren(new Option('All segments', ''), ...segs.map((s) => new Option(`${s.segment} (${count(s.accounts)})`, s.segment)));
  ui.segmentFilter.value = segs.some((s) => s.segment === keepSeg) ? keepSeg : '';
  ui.segmentFilter.disabled = segs.length === 0;
}

/** Fetches the rows not yet cached among `indices`. */
async function fetchRows(indices) {
  const missing = indices.filter((i) => !rowCache.has(i));
  if (!missing.length) return;
  const got = await call('rows', { rows: missing });
  for (const row of got) rowCache.set(row.row, row);
  // Keep the cache to what a few screens need.
  if (rowCache.size > 4000) {
    const keep = new Set(indices);
    for (const k of rowCache.keys()) if (!keep.has(k)) rowCache.delete(k);
  }
}

export async function applyView() {
  if (!state.result) return;
  const token = ++viewToken;
  ui.resultsTable.dataset.busy = 'true';
  const query = { sort: sortKey, descending: sortDesc, tier: ui.tierFilter.value, segment: ui.segmentFilter.value, search: ui.search.value.trim() };
  let next;
  try {
    next = await call('view', { query });
    await fetchRows(Array.from(next.subarray(0, 80)));
  } catch (err) {
    if (messageOf(err) !== 'cancelled') setStatus(`The table could not be updated: ${messageOf(err)}`, 'error');
    return;
  }
  if (token !== viewToken) return; // a newer view was asked for meanwhile
  view = next;
  for (const th of ui.resultsTable.querySelectorAll('th[data-key]')) {
    if (th.dataset.key === sortKey) th.setAttribute('aria-sort', sortDesc ? 'descending' : 'ascending');
    else th.removeAttribute('aria-sort');
  }
  ui.resultsTable.setAttribute('aria-rowcount', String(view.length + 1));
  const filtered = view.length !== rowCount;
  ui.resultsNote.textContent = filtered ? `${count(view.length)} of ${count(rowCount)} accounts match.` : `All ${count(rowCount)} accounts. Choose a name for the account's details.`;
  ui.resultsNote.dataset.count = String(view.length);
  ui.viewport.scrollTop = 0;
  renderWindow();
  delete ui.resultsTable.dataset.busy;
}

function spacer(height) {
  const tr = el('tr', 'spacer');
  tr.setAttribute('aria-hidden', 'true');
  const td = el('td');
  td.colSpan = 7;
  tr.append(td);
  tr.style.height = `${height}px`;
  return tr;
}

let lastWindow = '';
function renderWindow(force = true) {
  const total = view.length;
  const visible = Math.ceil((ui.viewport.clientHeight || 600) / ROW_HEIGHT) + 1;
  const overscan = 8;
  const first = Math.max(0, Math.floor(ui.viewport.scrollTop / ROW_HEIGHT) - overscan);
  const last = Math.min(total, first + visible + overscan * 2);
  const key = `${first}:${last}:${total}`;
  if (!force && key === lastWindow) return;
  lastWindow = key;
  const frag = document.createDocumentFragment();
  frag.append(spacer(first * ROW_HEIGHT));
  const wanted = [];
  for (let v = first; v < last; v++) {
    const i = view[v];
    if (rowCache.has(i)) frag.append(rowElement(i, v));
    else {
      wanted.push(i);
      frag.append(pendingRow(v));
    }
  }
  frag.append(spacer((total - last) * ROW_HEIGHT));
  ui.resultsBody.replaceChildren(frag);
  if (wanted.length) {
    ui.resultsTable.dataset.pending = 'true';
    const shown = view;
    fetchRows(wanted)
      .then(() => {
        if (shown === view) renderWindow(true);
      })
      .catch(() => {});
  } else delete ui.resultsTable.dataset.pending;
}

/** A row whose data is on its way from the engine. */
function pendingRow(position) {
  const tr = el('tr', 'pending-row');
  tr.setAttribute('aria-rowindex', String(position + 2));
  tr.setAttribute('aria-busy', 'true');
  const td = el('td', 'muted', '…');
  td.colSpan = 7;
  tr.append(td);
  return tr;
}

function rowElement(i, position) {
  const r = rowCache.get(i);
  const tr = el('tr');
  tr.dataset.testid = 'result-row';
  tr.dataset.accountId = r.account_id ?? '';
  tr.dataset.probability = String(r.churn_probability);
  tr.dataset.row = String(i);
  tr.dataset.line = String(r.line ?? '');
  tr.setAttribute('aria-rowindex', String(position + 2));
  const id = el('td', 'account-id', r.account_id ?? '');
  const nameCell = el('td', 'account-name');
  const open = el('button', 'link', r.account_name || r.account_id || `line ${r.line}`);
  open.type = 'button';
  open.dataset.testid = 'open-detail';
  open.setAttribute('aria-label', `Details for ${r.account_name || r.account_id}`);
  nameCell.append(open);
  const seg = el('td', 'segment', r.segment ?? '');
  const p = el('td', 'num', percent(r.churn_probability));
  const tier = el('td');
  tier.append(tierChip(r.risk_tier));
  const revenue = el('td', 'num needs-revenue', money(r.revenue_at_risk));
  const reasonText = (r.top_reasons || [])[0] || '';
  const warnings = (r.warnings || []).length;
  const reasons = el('td', 'reasons', reasonText);
  if (warnings) {
    tr.dataset.warnings = String(warnings);
    reasons.append(el('span', 'row-warning', ` ⚠ ${warnings}`));
  }
  reasons.title = [...(r.top_reasons || []), ...(r.warnings || [])].join('\n');
  tr.append(id, nameCell, seg, p, tier, revenue, reasons);
  return tr;
}

/** Forgets the rows shown (the results are cleared). */
export function resetView() {
  view = new Uint32Array(0);
}

export function wireTable() {
  for (const b of ui.resultsTable.querySelectorAll('button.sort')) {
    b.addEventListener('click', () => {
      const key = b.closest('th').dataset.key;
      if (key === sortKey) sortDesc = !sortDesc;
      else {
        sortKey = key;
        sortDesc = key === 'churn_probability' || key === 'revenue_at_risk' || key === 'risk_tier';
      }
      applyView();
    });
  }
  let searchTimer = 0;
  ui.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(applyView, 120);
  });
  ui.tierFilter.addEventListener('change', applyView);
  ui.segmentFilter.addEventListener('change', applyView);
  let frame = 0;
  ui.viewport.addEventListener('scroll', () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderWindow(false);
    });
  });
  window.addEventListener('resize', () => renderWindow(false));
}

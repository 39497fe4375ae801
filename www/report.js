// Step 5: the scored CSV (plain or for Excel) and the printed report, laid out in the
// page and shown only when printing (see style.css).
import { messageOf } from './engine-core.js';
import { renderModelCard } from './card.js';
import { driversChart, histogramChart, segmentsChart } from './charts.js';
import { call } from './engine.js';
import { churnersFormat, count, el, money, percent } from './format.js';
import { tierChip } from './model.js';
import { state } from './state.js';
import { DEMO_NOTE, renderCoverage, tierCards } from './summary.js';
import { setStatus, ui } from './ui.js';

const REPORT_TOP_ACCOUNTS = 25;

/** Saves `data` (a CSV's text, or a Blob) to the downloads as `name`. */
export function download(data, name) {
  const blob = data instanceof Blob ? data : new Blob([data], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function exportCsv(excel) {
  try {
    const text = await call('export', { excel });
    const base = (state.result?.file || 'accounts').replace(/\.[^.]*$/, '');
    download(text, `${base}-churn-audit${excel ? '-excel' : ''}.csv`);
    setStatus(`Saved ${base}-churn-audit${excel ? '-excel' : ''}.csv to your downloads.`, 'ok');
  } catch (err) {
    setStatus(`The export could not be made: ${messageOf(err)}`, 'error');
  }
}

export async function buildReport(r) {
  // The accounts most at risk, straight from the engine (the table may be filtered).
  // The table's query when it shows every account by risk, so the view is sorted once.
  const query = { sort: 'churn_probability', descending: true, tier: '', segment: '', search: '' };
  const top = (await call('view', { query })).subarray(0, REPORT_TOP_ACCOUNTS);
  const topRows = await call('rows', { rows: Array.from(top) });
  const s = r.summary;
  const frag = document.createDocumentFragment();
  frag.append(el('h1', '', 'Churn-risk audit'));
  const meta = el('dl', 'facts');
  const add = (k, v) => meta.append(el('dt', '', k), el('dd', '', v));
  add('Account file', r.file);
  add('File SHA-256', r.file_sha256 || 'being computed…');
  meta.lastChild.dataset.testid = 'report-sha256';
  add('Dates counted up to', r.as_of);
  add('Model', state.model.version || r.model);
  add('Report made', new Date().toISOString().slice(0, 10));
  add('Privacy', 'Scored in the browser on this device; the file was not uploaded anywhere.');
  frag.append(meta);
  const coverage = el('div', 'coverage report-coverage');
  renderCoverage(coverage, r, { actions: false });
  coverage.dataset.testid = 'report-coverage';
  frag.append(coverage);
  if (r.demonstration_model) frag.append(el('p', 'demo-note', DEMO_NOTE));
  const sufficient = !r.coverage || r.coverage.sufficient;
  frag.append(el('h2', '', 'Summary'));
  const stats = el('dl', 'stats');
  // Without a value column there is no revenue at risk: no figure rather than a 0.
  const revenue = Boolean(r.value_input);
  for (const [k, v] of [
    ['Accounts scored', count(s.accounts_scored)],
    ...(sufficient
      ? [
          ['Expected churners', churnersFormat.format(s.expected_churners)],
          ...(revenue ? [['Revenue at risk', money(s.revenue_at_risk)]] : []),
        ]
      : []),
    ['Rows with warnings', count(s.rows_with_warnings)],
  ]) {
    const d = el('div', 'stat');
    d.append(el('dt', '', k), el('dd', '', v));
    stats.append(d);
  }
  frag.append(stats);
  if (sufficient) {
    const tiers = el('div', 'tier-cards');
    tiers.append(...tierCards(s));
    frag.append(tiers);
    frag.append(el('h2', '', 'Risk distribution'), histogramChart(r));
    frag.append(el('h2', '', 'What drives risk up'), driversChart(r));
    if (revenue && (r.portfolio.segments || []).length) frag.append(el('h2', '', 'Revenue at risk by segment'), segmentsChart(r));
  }
  frag.append(el('h2', '', `The ${topRows.length} accounts most at risk`));
  const table = el('table', 'report-accounts');
  const head = el('tr');
  for (const h of ['Account', 'Churn probability', 'Tier', ...(revenue ? ['Revenue at risk'] : []), 'Reasons']) head.append(el('th', '', h));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const x of topRows) {
    const tr = el('tr');
    tr.dataset.testid = 'report-row';
    const reasons = el('td');
    const ul = el('ul');
    for (const reason of x.top_reasons || []) ul.append(el('li', '', reason));
    reasons.append(ul);
    const tier = el('td');
    tier.append(tierChip(x.risk_tier));
    tr.append(el('td', '', `${x.account_name} (${x.account_id})`), el('td', 'num', percent(x.churn_probability)), tier, ...(revenue ? [el('td', 'num', money(x.revenue_at_risk))] : []), reasons);
    tbody.append(tr);
  }
  table.append(thead, tbody);
  frag.append(table);
  if ((r.file_warnings || []).length || s.rows_with_warnings) {
    frag.append(el('h2', '', 'Data quality'));
    const ul = el('ul');
    for (const w of r.file_warnings || []) ul.append(el('li', '', w));
    ul.append(el('li', '', `${count(s.rows_with_warnings)} rows have warnings (listed in the scored CSV).`));
    frag.append(ul);
  }
  frag.append(el('h2', '', 'Model card'));
  const card = el('div', 'report-card');
  renderModelCard(card, state.model, undefined);
  frag.append(card);
  frag.append(el('p', 'report-foot', 'Probabilities are model estimates to guide attention, not certainties: review the reasons with the account team before acting.'));
  ui.report.replaceChildren(frag);
}

export function wireReport() {
  ui.exportCsv.addEventListener('click', () => exportCsv(false));
  ui.exportExcel.addEventListener('click', () => exportCsv(true));
  ui.printReport.addEventListener('click', async () => {
    await state.fingerprint;
    window.print();
  });
}

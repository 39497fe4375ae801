// Step 3, the portfolio: the file line, the figures, a card per tier and the charts.
import { driversChart, histogramChart, segmentsChart } from './charts.js';
import { churnersFormat, count, el, money } from './format.js';
import { tierChip } from './model.js';
import { state } from './state.js';
import { ui } from './ui.js';

const DELIMITERS = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '\\t': 'tab', '|': 'pipe' };

export function renderFileLine(r) {
  const delim = DELIMITERS[r.delimiter] || `'${r.delimiter}'`;
  ui.summaryFile.textContent = `${count(r.summary.accounts_scored)} accounts scored from ${r.file} (${r.encoding}, ${delim}-separated), dates counted up to ${r.as_of}. File SHA-256: ${r.file_sha256 || 'being computed…'}.`;
}

export function renderSummary(r) {
  const s = r.summary;
  renderFileLine(r);
  ui.statAccounts.textContent = String(s.accounts_scored);
  ui.statWarnings.textContent = count(s.rows_with_warnings);
  ui.statChurners.textContent = churnersFormat.format(s.expected_churners);
  ui.statRevenue.textContent = money(s.revenue_at_risk);
  ui.summary.dataset.expectedChurners = String(s.expected_churners);
  ui.summary.dataset.revenueAtRisk = String(s.revenue_at_risk);
  ui.tierCards.replaceChildren(...tierCards(s));
  ui.histogram.replaceChildren(histogramChart(r));
  ui.drivers.replaceChildren(driversChart(r));
  const segs = r.portfolio.segments || [];
  ui.segmentsFigure.hidden = segs.length === 0;
  ui.segments.replaceChildren(segs.length ? segmentsChart(r) : el('span'));
  ui.summary.hidden = false;
}

export function tierCards(s) {
  return s.tiers.map((t) => {
    const card = el('div', `tier-card ${state.tierRank.get(t.name)?.cls || ''}`);
    card.dataset.testid = 'tier-card';
    card.dataset.tier = t.name;
    card.dataset.accounts = String(t.accounts);
    card.append(tierChip(t.name), el('p', 'tier-count', `${count(t.accounts)} accounts`), el('p', 'tier-revenue', `${money(t.revenue_at_risk)} at risk`));
    return card;
  });
}

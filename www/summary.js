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

/** The model's inputs named as a person reads them. */
function labelsOf(names) {
  return names.map((n) => state.featureLabel?.get(n) || n);
}

/** A sentence list: "a, b and c" ("a; b; and c" when a label has a comma of its own). */
function listed(items) {
  if (items.length <= 1) return items.join('');
  const sep = items.some((x) => x.includes(',')) ? '; ' : ', ';
  return `${items.slice(0, -1).join(sep)}${sep === '; ' ? ';' : ''} and ${items[items.length - 1]}`;
}

/**
 * The coverage block (data-testid="coverage", data-share 0..1, data-sufficient): how much
 * of the model's power the file's columns carry. Below the threshold the page says so in
 * plain words and hides the tiers, the figures and the drivers (class `insufficient` on the
 * summary), since they would be mostly the model's defaults, not findings about the file.
 */
export function renderCoverage(target, r, { actions = true } = {}) {
  const c = r.coverage || { share: 1, sufficient: true, missing: [], measured: true };
  target.dataset.testid = 'coverage';
  target.dataset.share = String(c.share);
  target.dataset.sufficient = String(Boolean(c.sufficient));
  target.classList.toggle('coverage-low', !c.sufficient);
  const pct = `${Math.round(c.share * 100)}%`;
  const missing = labelsOf(c.missing || []);
  const power = c.measured ? "of what the model uses to judge risk" : "of the model's inputs";
  if (c.sufficient) {
    const line = el('p', 'coverage-line', `Coverage: ${pct} ${power} is in this file.`);
    if (missing.length) line.append(` Not in this file (they count for nothing in the scores): ${listed(missing)}.`);
    target.replaceChildren(line);
    return;
  }
  const present = (state.model.features || []).filter((f) => !(c.missing || []).includes(f.name)).map((f) => f.label || f.name);
  const parts = [
    el('p', 'coverage-title', `Not an audit yet: this file supplies only ${pct} ${power}.`),
    el('p', '', `Not in this file: ${listed(missing)}.`),
    el(
      'p',
      '',
      `What it means: the scores rank accounts on ${present.length ? listed(present) : 'nothing the model uses'} alone. Risk tiers, expected churners and drivers would be the model's defaults more than facts about these accounts, so they are not shown as findings.`,
    ),
  ];
  if (actions) {
    const ways = el('div', 'coverage-actions');
    const map = el('button', '', 'Map the columns that hold these inputs');
    map.type = 'button';
    map.dataset.testid = 'coverage-map';
    map.addEventListener('click', () => {
      ui.mapping.hidden = false;
      ui.mappingDetails.open = true;
      ui.mapping.scrollIntoView({ block: 'start' });
    });
    const train = el('a', 'button-link', "Train a model on this client's own history");
    train.href = '#train';
    train.dataset.testid = 'coverage-train';
    ways.append(map, train);
    parts.push(ways);
  }
  target.replaceChildren(...parts);
}

/** Said next to the scores whenever the bundled demonstration model made them. */
export const DEMO_NOTE =
  "Scored with the demonstration model, trained on simulated accounts, not on this client's history: the scores show how an audit reads. For findings about this client, train a model on their own history (below) and score with it.";

export function renderSummary(r) {
  const s = r.summary;
  renderFileLine(r);
  renderCoverage(ui.coverage, r);
  ui.summary.classList.toggle('insufficient', r.coverage ? !r.coverage.sufficient : false);
  document.body.dataset.coverage = r.coverage && !r.coverage.sufficient ? 'insufficient' : 'sufficient';
  ui.demoNote.textContent = DEMO_NOTE;
  ui.demoNote.hidden = !r.demonstration_model;
  ui.statAccounts.textContent = String(s.accounts_scored);
  ui.statWarnings.textContent = count(s.rows_with_warnings);
  ui.statChurners.textContent = churnersFormat.format(s.expected_churners);
  // Without a value column there is no revenue at risk: the figures are hidden, not 0.
  const revenue = Boolean(r.value_input);
  document.body.dataset.revenue = revenue ? 'shown' : 'hidden';
  ui.statRevenue.textContent = money(s.revenue_at_risk);
  ui.summary.dataset.expectedChurners = String(s.expected_churners);
  ui.summary.dataset.revenueAtRisk = String(s.revenue_at_risk);
  ui.tierCards.replaceChildren(...tierCards(s));
  ui.histogram.replaceChildren(histogramChart(r));
  ui.drivers.replaceChildren(driversChart(r));
  const segs = r.portfolio.segments || [];
  ui.segmentsFigure.hidden = segs.length === 0 || !revenue;
  ui.segments.replaceChildren(segs.length ? segmentsChart(r) : el('span'));
  ui.summary.hidden = false;
}

export function tierCards(s) {
  return s.tiers.map((t) => {
    const card = el('div', `tier-card ${state.tierRank.get(t.name)?.cls || ''}`);
    card.dataset.testid = 'tier-card';
    card.dataset.tier = t.name;
    card.dataset.accounts = String(t.accounts);
    card.append(tierChip(t.name), el('p', 'tier-count', `${count(t.accounts)} accounts`), el('p', 'tier-revenue needs-revenue', `${money(t.revenue_at_risk)} at risk`));
    return card;
  });
}

// An account's detail: its figures, the waterfall from the typical account to its score,
// each input's effect, the next best actions and the what-if.
//
// The waterfall is drawn in log-odds, the unit in which the model's terms add up: each
// input's bar is its own effect against the typical account (an odds multiplier, the
// same whatever the order of the bars), the bars are sorted by size, and the axis reads
// as probabilities, given at both ends (src/explain/account.rs says how the terms are
// measured). The what-if edits every input the file has, by kind: a number, yes/no, a
// category's levels, a date for an input counted in days from a date.
import { messageOf } from './engine-core.js';
import { chartBox } from './charts.js';
import { call } from './engine.js';
import { el, money, percent, svg } from './format.js';
import { tierChip } from './model.js';
import { state } from './state.js';
import { rowCache } from './table.js';
import { body, setStatus, ui } from './ui.js';

const DAY_MS = 86_400_000;
const oddsFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, minimumFractionDigits: 2 });

/** The as-of date of the scored file, as days since 1970-01-01 (UTC). */
function asOfDays() {
  const t = Date.parse(`${state.result?.as_of}T00:00:00Z`);
  return Number.isFinite(t) ? Math.round(t / DAY_MS) : NaN;
}

/** An input counted in days from a date: the date (YYYY-MM-DD) for `days`. */
function dateOf(lever, days) {
  const base = asOfDays();
  if (!Number.isFinite(days) || !Number.isFinite(base)) return '';
  const d = lever.date_direction === 'until' ? base + days : base - days;
  return new Date(d * DAY_MS).toISOString().slice(0, 10);
}

/** The value a what-if field holds, as the engine takes it (NaN: not recorded). */
function fieldValue(input) {
  if (input.value === '') return NaN;
  if (input.dataset.kind === 'date') {
    const t = Date.parse(`${input.value}T00:00:00Z`);
    if (!Number.isFinite(t)) return NaN;
    const d = Math.round(t / DAY_MS);
    return input.dataset.direction === 'until' ? d - asOfDays() : asOfDays() - d;
  }
  return Number(input.value);
}

/** Puts a value the engine speaks of (an action's) into a what-if field. */
function setField(input, value) {
  if (input.dataset.kind === 'date') input.value = dateOf({ date_direction: input.dataset.direction }, value);
  else if (input.dataset.kind === 'boolean') input.value = String(value >= 0.5 ? 1 : 0);
  else input.value = String(value);
}

/** An odds multiplier as people read it: "×2.31", "×0.45". */
const times = (log) => `×${oddsFormat.format(Math.exp(log))}`;

/** A what-if field for one input ([`Lever`] in src/explain/whatif.rs). */
function leverField(l) {
  const wrap = el('div', 'field');
  wrap.dataset.actionable = l.actionable;
  const id = `whatif-${l.feature}`;
  // A unit the label already names ("Tenure (months)") is not repeated.
  const unit = l.date_direction || !l.unit || l.label.includes(`(${l.unit})`) ? '' : ` (${l.unit})`;
  const label = el('label', '', `${l.label}${unit}`);
  label.htmlFor = id;
  let input;
  if (l.kind === 'boolean') {
    input = el('select');
    input.append(new Option('yes', '1'), new Option('no', '0'), new Option('not recorded', ''));
    input.value = l.value === null ? '' : String(l.value >= 0.5 ? 1 : 0);
  } else if (l.kind === 'categorical') {
    input = el('select');
    l.levels.forEach((level, i) => input.append(new Option(level, String(i))));
    input.append(new Option('other', String(l.levels.length)), new Option('not recorded', ''));
    input.value = l.value === null ? '' : String(Math.min(l.value, l.levels.length));
  } else if (l.date_direction) {
    input = el('input');
    input.type = 'date';
    input.dataset.direction = l.date_direction;
    input.value = l.value === null ? '' : dateOf(l, l.value);
  } else {
    input = el('input');
    input.type = 'number';
    input.step = 'any';
    input.value = l.value === null ? '' : String(l.value);
    input.placeholder = `not recorded (${l.imputed} used)`;
  }
  input.id = id;
  input.dataset.testid = `whatif-${l.feature}`;
  input.dataset.feature = l.feature;
  input.dataset.kind = l.date_direction && l.kind === 'numeric' ? 'date' : l.kind;
  input.dataset.original = input.value;
  wrap.append(label, input);
  if (l.actionable !== 'no') wrap.append(el('span', 'how', 'an action can change it'));
  return wrap;
}

let detailRow = -1;
let detailData = null;
let whatifTimer = 0;

async function openDetail(row) {
  let e;
  try {
    e = await call('explain', { row });
  } catch (err) {
    setStatus(`The account's details could not be computed: ${messageOf(err)}`, 'error');
    return;
  }
  detailRow = row;
  detailData = e;
  const r = rowCache.get(row);
  ui.detailHeading.textContent = `${e.account_name || e.account_id} (${e.account_id || `line ${e.line}`})`;
  ui.detailFigures.replaceChildren(
    el('span', '', `Churn probability ${percent(e.probability)} · `),
    tierChip(e.risk_tier),
    el('span', '', `${state.result?.value_input ? ` · revenue at risk ${money(r?.revenue_at_risk)}` : ''}${e.segment ? ` · segment ${e.segment}` : ''}`),
  );
  ui.detailFigures.dataset.probability = String(e.probability);
  ui.waterfall.replaceChildren(waterfallChart(e));
  ui.contribBody.replaceChildren(
    ...e.steps.map((s) => {
      const tr = el('tr');
      tr.dataset.feature = s.feature;
      tr.dataset.contribution = String(s.contribution);
      const effect = s.contribution === 0 ? 'none (typical value)' : `${times(s.contribution)} ${s.contribution > 0 ? '(raises risk)' : '(lowers risk)'}`;
      tr.append(el('td', '', s.label), el('td', '', `${s.shown}${s.clipped ? ' (outside training range)' : ''}`), el('td', '', s.model_typical || '—'), el('td', 'num', effect));
      return tr;
    }),
  );
  ui.detailAbsent.hidden = !e.absent.length;
  ui.detailAbsent.textContent = e.absent.length
    ? `Not in this file (they count for nothing in this score, and cannot be edited): ${e.absent.join(', ')}.`
    : '';
  const actionable = e.levers.some((l) => l.actionable !== 'no');
  ui.actions.replaceChildren(
    ...(e.actions.length
      ? e.actions.slice(0, 5).map((a) => {
          const li = el('li', '', `${a.text} `);
          li.dataset.testid = 'action';
          li.dataset.feature = a.feature;
          li.dataset.value = String(a.value);
          li.dataset.probability = String(a.probability_after);
          const b = el('button', 'small', 'Try it');
          b.type = 'button';
          b.addEventListener('click', () => {
            for (const input of ui.whatifFields.querySelectorAll('[data-feature]')) input.value = input.dataset.original;
            const input = ui.whatifFields.querySelector(`[data-feature="${CSS.escape(a.feature)}"]`);
            if (input) {
              setField(input, a.value);
              runWhatIf();
              input.focus();
            }
          });
          li.append(b);
          return li;
        })
      : [
          el(
            'li',
            'muted',
            actionable
              ? 'No realistic change of one actionable input would lower this account\'s risk. The what-if below edits any input.'
              : 'This model marks none of the file\'s inputs as actionable (a model trained in this page lets you choose them). The what-if below edits any input.',
          ),
        ]),
  );
  // Inputs an action can change first, then the others, each group in the model's order.
  const levers = [...e.levers.filter((l) => l.actionable !== 'no'), ...e.levers.filter((l) => l.actionable === 'no')];
  ui.whatifFields.replaceChildren(...levers.map(leverField));
  ui.whatifResult.textContent = 'Change a value to see the new probability.';
  delete ui.whatifResult.dataset.probability;
  ui.detailWarnings.replaceChildren(...((r?.warnings || []).length ? r.warnings.map((w) => el('li', '', w)) : [el('li', 'muted', 'None.')]));
  if (!ui.detail.open) ui.detail.showModal();
  ui.detail.dataset.row = String(row);
  body.dataset.detail = 'open';
}

async function runWhatIf() {
  if (detailRow < 0) return;
  const features = [];
  const values = [];
  for (const input of ui.whatifFields.querySelectorAll('[data-feature]')) {
    if (input.value === input.dataset.original) continue;
    features.push(input.dataset.feature);
    values.push(fieldValue(input));
  }
  if (!features.length) {
    ui.whatifResult.textContent = 'Change a value to see the new probability.';
    delete ui.whatifResult.dataset.probability;
    return;
  }
  try {
    const w = await call('whatif', { row: detailRow, features, values });
    ui.whatifResult.replaceChildren(el('span', '', `New churn probability ${percent(w.probability)} (was ${percent(w.probability_before)}), tier `), tierChip(w.risk_tier));
    ui.whatifResult.dataset.probability = String(w.probability);
  } catch (err) {
    ui.whatifResult.textContent = `That value cannot be scored: ${messageOf(err)}`;
  }
}

// Chart labels are measured in the page's own font so that long ones wrap onto more
// lines instead of being cut (SVG text does not wrap by itself).
let measureContext = null;
function textWidth(text, px) {
  measureContext ??= document.createElement('canvas').getContext('2d');
  if (!measureContext) return text.length * px * 0.65; // a generous average glyph width
  measureContext.font = `${px}px ${getComputedStyle(body).fontFamily}`;
  return measureContext.measureText(text).width;
}

/** `text` broken into lines no wider than `width` at `px`: at spaces, inside a word only when it is wider than a line. */
function wrapText(text, width, px) {
  const lines = [];
  let line = '';
  for (const word of String(text).split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (textWidth(candidate, px) <= width) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    line = '';
    let rest = word;
    while (textWidth(rest, px) > width && rest.length > 1) {
      let n = rest.length - 1;
      while (n > 1 && textWidth(rest.slice(0, n), px) > width) n -= 1;
      lines.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    line = rest;
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

/** Probabilities to label the waterfall's log-odds axis with, where they fit. */
const TICKS = [0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999];
const logit = (p) => Math.log(p / (1 - p));

function waterfallChart(e) {
  const steps = e.steps.filter((s) => s.contribution !== 0);
  const W = 700;
  const labelW = 270;
  const labelPx = 12; // .bar-label's font size in style.css
  const lineH = 14;
  const plotL = labelW + 4;
  const plotW = W - plotL - 70;
  // The bars are in log-odds: each one's length is its own effect, whatever the order.
  const points = [e.base_log_odds, e.log_odds, ...steps.map((s) => s.log_odds_after)];
  let lo = Math.min(...points);
  let hi = Math.max(...points);
  const pad = Math.max(0.25, (hi - lo) * 0.06);
  lo -= pad;
  hi += pad;
  const x = (z) => plotL + ((z - lo) / (hi - lo)) * plotW;
  const rows = [{ label: 'Typical account', from: e.base_log_odds, to: e.base_log_odds, cls: 'bar bar-base', value: percent(e.base_probability), marker: true }];
  let prev = e.base_log_odds;
  for (const s of steps) {
    const next = prev + s.contribution;
    rows.push({
      label: `${s.label}: ${s.shown}`,
      from: prev,
      to: next,
      cls: s.contribution > 0 ? 'bar bar-up' : 'bar bar-down',
      value: `odds ${times(s.contribution)}`,
      feature: s.feature,
    });
    prev = next;
  }
  rows.push({ label: 'This account', from: e.log_odds, to: e.log_odds, cls: 'bar bar-total', value: percent(e.probability), marker: true });
  // Each row is as tall as its label's lines; the bar sits in the middle of the row.
  let yy = 4;
  for (const r of rows) {
    r.lines = wrapText(r.label, labelW - 12, labelPx);
    r.y = yy;
    r.h = Math.max(24, r.lines.length * lineH + 10);
    yy += r.h;
  }
  const axisY = yy + 4;
  const H = axisY + 22;
  const root = chartBox(
    W,
    H,
    `Waterfall from the typical account's ${percent(e.base_probability)} to this account's ${percent(e.probability)}, each input's effect on the odds: ${steps.map((s) => `${s.label} ${times(s.contribution)}`).join(', ')}`,
  );
  // Light guides at the probabilities labelled on the axis.
  const ticks = TICKS.filter((p) => logit(p) > lo && logit(p) < hi);
  for (const p of ticks) root.append(svg('line', { x1: x(logit(p)), y1: 2, x2: x(logit(p)), y2: axisY, class: 'guide' }));
  for (const r of rows) {
    const mid = r.y + r.h / 2;
    const text = svg('text', { x: labelW - 6, y: mid - ((r.lines.length - 1) * lineH) / 2 + 4, 'text-anchor': 'end', class: 'bar-label' });
    if (r.feature) text.dataset.feature = r.feature;
    r.lines.forEach((line, i) => text.append(svg('tspan', { x: labelW - 6, dy: i === 0 ? 0 : lineH }, line)));
    root.append(text);
    const a = Math.min(r.from, r.to);
    const b = Math.max(r.from, r.to);
    if (r.marker) {
      // The two ends: where the account stands, as a probability.
      root.append(svg('rect', { x: x(a) - 2, y: mid - 10, width: 4, height: 20, class: r.cls }));
    } else {
      root.append(svg('rect', { x: x(a), y: mid - 8, width: Math.max(1.5, x(b) - x(a)), height: 16, class: r.cls }));
    }
    // The figure goes on the side with room: right of the bar, else left of it.
    const right = x(b) + 6 + 70 <= W;
    root.append(svg('text', { x: right ? x(b) + 6 : x(a) - 6, y: mid + 4, 'text-anchor': right ? 'start' : 'end', class: 'bar-value' }, r.value));
  }
  root.append(svg('line', { x1: plotL, y1: axisY, x2: plotL + plotW, y2: axisY, class: 'axis' }));
  for (const p of ticks) {
    root.append(svg('text', { x: x(logit(p)), y: axisY + 16, 'text-anchor': 'middle', class: 'tick' }, `${+(p * 100).toFixed(1)}%`));
  }
  return root;
}

export function wireDetail() {
  ui.resultsBody.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-testid=open-detail]');
    if (b) openDetail(Number(b.closest('tr').dataset.row));
  });

  ui.detailClose.addEventListener('click', () => ui.detail.close());
  ui.detail.addEventListener('close', () => {
    detailRow = -1;
    body.dataset.detail = 'closed';
  });
  ui.whatifFields.addEventListener('input', () => {
    clearTimeout(whatifTimer);
    whatifTimer = setTimeout(runWhatIf, 120);
  });
  ui.whatifFields.addEventListener('change', () => {
    clearTimeout(whatifTimer);
    runWhatIf();
  });
  ui.whatifReset.addEventListener('click', () => {
    for (const input of ui.whatifFields.querySelectorAll('[data-feature]')) input.value = input.dataset.original;
    runWhatIf();
  });
}

// An account's detail: its figures, the waterfall from the typical account to its score,
// each input's contribution, the next best actions and the what-if.
import { messageOf } from './engine-core.js';
import { chartBox } from './charts.js';
import { call } from './engine.js';
import { el, money, percent, svg } from './format.js';
import { tierChip } from './model.js';
import { rowCache } from './table.js';
import { body, setStatus, ui } from './ui.js';

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
    el('span', '', ` · revenue at risk ${money(r?.revenue_at_risk)}${e.segment ? ` · segment ${e.segment}` : ''}`),
  );
  ui.detailFigures.dataset.probability = String(e.probability);
  ui.waterfall.replaceChildren(waterfallChart(e));
  ui.contribBody.replaceChildren(
    ...e.steps.map((s) => {
      const tr = el('tr');
      tr.dataset.feature = s.feature;
      tr.dataset.contribution = String(s.contribution);
      const eff = Math.exp(s.contribution);
      const effect = Math.abs(s.contribution) < 1e-9 ? 'none' : `×${eff.toFixed(2)} ${s.contribution > 0 ? '(raises risk)' : '(lowers risk)'}`;
      tr.append(el('td', '', s.label), el('td', '', `${s.shown}${s.clipped ? ' (outside training range)' : ''}`), el('td', '', s.portfolio_typical || '—'), el('td', 'num', effect));
      return tr;
    }),
  );
  ui.actions.replaceChildren(
    ...(e.actions.length
      ? e.actions.slice(0, 5).map((a) => {
          const li = el('li', '', `${a.text} `);
          li.dataset.testid = 'action';
          li.dataset.feature = a.feature;
          li.dataset.probability = String(a.probability_after);
          const b = el('button', 'small', 'Try it');
          b.type = 'button';
          b.addEventListener('click', () => {
            const input = ui.whatifFields.querySelector(`[data-feature="${CSS.escape(a.feature)}"]`);
            if (input) {
              input.value = String(a.value);
              runWhatIf();
              input.focus();
            }
          });
          li.append(b);
          return li;
        })
      : [el('li', 'muted', 'None of the levers would lower this account\'s risk.')]),
  );
  ui.whatifFields.replaceChildren(
    ...e.levers.map((l) => {
      const wrap = el('div', 'field');
      const id = `whatif-${l.feature}`;
      const label = el('label', '', `${l.label}${l.unit && l.unit !== '%' ? ` (${l.unit})` : l.unit === '%' ? ' (%)' : ''}`);
      label.htmlFor = id;
      let input;
      if (l.boolean) {
        input = el('select');
        input.append(new Option('yes', '1'), new Option('no', '0'), new Option('not recorded', ''));
        input.value = l.value === null ? '' : String(l.value >= 0.5 ? 1 : 0);
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
      input.dataset.original = input.value;
      wrap.append(label, input);
      return wrap;
    }),
  );
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
    const v = input.value === '' ? NaN : Number(input.value);
    values.push(v);
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

function waterfallChart(e) {
  const steps = e.steps.filter((s) => Math.abs(s.contribution) >= 1e-9);
  const W = 700;
  const labelW = 270;
  const labelPx = 12; // .bar-label's font size in style.css
  const lineH = 14;
  const plotW = W - labelW - 70;
  const x = (p) => labelW + p * plotW;
  const rows = [
    { label: 'Typical account', from: 0, to: e.base_probability, cls: 'bar bar-base', value: percent(e.base_probability) },
  ];
  let prev = e.base_probability;
  for (const s of steps) {
    const next = s.probability_after;
    const pts = (next - prev) * 100;
    rows.push({
      label: `${s.label}: ${s.shown}`,
      from: prev,
      to: next,
      cls: s.contribution > 0 ? 'bar bar-up' : 'bar bar-down',
      value: `${pts >= 0 ? '+' : '−'}${Math.abs(pts).toFixed(1)} pts`,
      feature: s.feature,
    });
    prev = next;
  }
  rows.push({ label: 'This account', from: 0, to: e.probability, cls: 'bar bar-total', value: percent(e.probability) });
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
  const root = chartBox(W, H, `Waterfall from the typical account's ${percent(e.base_probability)} to this account's ${percent(e.probability)}: ${steps.map((s) => `${s.label} ${s.contribution > 0 ? 'raises' : 'lowers'}`).join(', ')}`);
  for (const r of rows) {
    const mid = r.y + r.h / 2;
    const text = svg('text', { x: labelW - 6, y: mid - ((r.lines.length - 1) * lineH) / 2 + 4, 'text-anchor': 'end', class: 'bar-label' });
    if (r.feature) text.dataset.feature = r.feature;
    r.lines.forEach((line, i) => text.append(svg('tspan', { x: labelW - 6, dy: i === 0 ? 0 : lineH }, line)));
    root.append(text);
    const a = Math.min(r.from, r.to);
    const b = Math.max(r.from, r.to);
    root.append(svg('rect', { x: x(a), y: mid - 8, width: Math.max(1.5, x(b) - x(a)), height: 16, class: r.cls }));
    root.append(svg('text', { x: x(b) + 4, y: mid + 4, class: 'bar-value' }, r.value));
  }
  root.append(svg('line', { x1: x(0), y1: axisY, x2: x(1), y2: axisY, class: 'axis' }));
  for (const p of [0, 0.25, 0.5, 0.75, 1]) root.append(svg('text', { x: x(p), y: axisY + 16, 'text-anchor': 'middle', class: 'tick' }, `${p * 100}%`));
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

// The portfolio's charts, drawn as SVG: the histogram of churn probability with the
// tiers' thresholds, and horizontal bars (drivers of risk, revenue at risk by segment).
import { count, el, money, svg, thresholdFormat } from './format.js';
import { state } from './state.js';

export function chartBox(width, height, label) {
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart-svg' });
  root.append(svg('title', {}, label));
  return root;
}

export function histogramChart(r) {
  const bins = r.portfolio.histogram;
  const W = 560;
  const H = 220;
  const left = 40;
  const bottom = 30;
  const top = 24;
  const max = Math.max(1, ...bins.map((b) => b.accounts));
  const bw = (W - left - 10) / bins.length;
  const tiers = state.model.tiers || [];
  const label = `Histogram of churn probability: ${bins.map((b) => `${Math.round(b.from * 100)} to ${Math.round(b.to * 100)}%: ${b.accounts}`).join('; ')}`;
  const root = chartBox(W, H, label);
  const y = (v) => H - bottom - (v / max) * (H - bottom - top);
  root.append(svg('line', { x1: left, y1: H - bottom, x2: W - 10, y2: H - bottom, class: 'axis' }));
  bins.forEach((b, i) => {
    const mid = (b.from + b.to) / 2;
    const tier = tiers.find((t) => mid >= t.min_probability) || tiers[tiers.length - 1];
    const rect = svg('rect', {
      x: left + i * bw + 1,
      y: y(b.accounts),
      width: Math.max(1, bw - 2),
      height: H - bottom - y(b.accounts),
      class: `bar ${state.tierRank.get(tier?.name)?.cls || ''}`,
    });
    rect.append(svg('title', {}, `${Math.round(b.from * 100)}–${Math.round(b.to * 100)}%: ${b.accounts} accounts`));
    root.append(rect);
    if (b.accounts > 0) root.append(svg('text', { x: left + i * bw + bw / 2, y: y(b.accounts) - 3, class: 'bar-value', 'text-anchor': 'middle' }, b.accounts));
  });
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    root.append(svg('text', { x: left + p * (W - left - 10), y: H - bottom + 16, 'text-anchor': 'middle', class: 'tick' }, `${p * 100}%`));
  }
  root.append(svg('text', { x: 4, y: top - 8, class: 'tick' }, 'accounts'));
  // Tier boundaries as labelled dashed lines, so tiers read without colour.
  for (const t of tiers) {
    if (t.min_probability <= 0) continue;
    const x = left + t.min_probability * (W - left - 10);
    root.append(svg('line', { x1: x, y1: top - 4, x2: x, y2: H - bottom, class: 'threshold' }));
    root.append(svg('text', { x: x + 3, y: top + 4, class: 'threshold-label' }, `${t.name} ≥ ${thresholdFormat.format(t.min_probability)}`));
  }
  return root;
}

function hbarChart(items, { label, valueText }) {
  const W = 560;
  const rowH = 26;
  const labelW = 170;
  const H = Math.max(rowH, items.length * rowH) + 8;
  const max = Math.max(1e-12, ...items.map((d) => d.value));
  const root = chartBox(W, H, label);
  items.forEach((d, i) => {
    const yy = 4 + i * rowH;
    const w = (d.value / max) * (W - labelW - 190);
    const name = String(d.label);
    root.append(svg('text', { x: labelW - 6, y: yy + 16, 'text-anchor': 'end', class: 'bar-label' }, name.length > 26 ? `${name.slice(0, 25)}…` : name));
    root.append(svg('rect', { x: labelW, y: yy + 4, width: Math.max(1, w), height: rowH - 9, class: 'bar bar-plain' }));
    root.append(svg('text', { x: labelW + w + 6, y: yy + 16, class: 'bar-value' }, valueText(d)));
  });
  return root;
}

export function driversChart(r) {
  const drivers = r.portfolio.drivers || [];
  if (!drivers.length) return el('p', 'muted', 'No input raises any account above the typical risk.');
  const total = drivers.reduce((a, d) => a + d.log_odds_added, 0);
  const items = drivers.map((d) => ({ label: d.label, value: d.log_odds_added, accounts: d.accounts_raised }));
  const wrap = el('div');
  wrap.append(
    hbarChart(items, {
      label: `Share of added risk by data source: ${items.map((d) => `${d.label} ${thresholdFormat.format(d.value / total)}`).join(', ')}`,
      valueText: (d) => `${thresholdFormat.format(d.value / total)} · ${count(d.accounts)} accounts`,
    }),
  );
  const top = (r.portfolio.feature_drivers || []).slice(0, 3).map((f) => f.label);
  if (top.length) wrap.append(el('p', 'chart-note', `Strongest single inputs: ${top.join(', ')}. Shares are of the log-odds that inputs add above the typical account, summed over accounts.`));
  return wrap;
}

export function segmentsChart(r) {
  const segs = r.portfolio.segments.slice(0, 12);
  const items = segs.map((s) => ({ label: s.segment, value: s.revenue_at_risk, accounts: s.accounts, churners: s.expected_churners }));
  return hbarChart(items, {
    label: `Revenue at risk by segment: ${items.map((d) => `${d.label} ${money(d.value)}`).join(', ')}`,
    valueText: (d) => `${money(d.value)} · ${count(d.accounts)} accounts`,
  });
}

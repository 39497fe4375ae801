// The model in use: what the page learns from the engine's description of it (tiers,
// labels, the model line, the card, the tier thresholds' fields) and each tier's chip.
import { renderModelCard } from './card.js';
import { el, thresholdFormat } from './format.js';
import { state } from './state.js';
import { ui } from './ui.js';

export function learnModel(info) {
  state.model = info.model || {};
  const tiers = Array.isArray(state.model.tiers) ? state.model.tiers : [];
  state.tierRank = new Map();
  tiers.forEach((tier, i) => {
    const n = tiers.length;
    let cls;
    if (i === 0 && n > 1) cls = 'risk-high';
    else if (i === n - 1) cls = 'risk-low';
    else cls = i / (n - 1) < 0.5 ? 'risk-upper' : 'risk-mid';
    state.tierRank.set(tier.name, { cls, index: i });
  });
  state.featureLabel = new Map((state.model.features || []).map((f) => [f.name, f.label || f.name]));
  ui.modelInfo.textContent = `Model: ${state.model.version || state.model.name}${info.bundled ? ' (bundled)' : ' (loaded from your file)'} · ${state.featureLabel.size} inputs · tiers: ${tiers
    .map((t) => `${t.name} from ${thresholdFormat.format(t.min_probability ?? 0)}`)
    .join(', ')}.`;
  renderModelCard(ui.modelCard, state.model, info.bundled);
  renderTierFields(tiers);
}

export function tierChip(name) {
  const chip = el('span', `tier-chip ${state.tierRank.get(name)?.cls || 'risk-unknown'}`);
  const swatch = el('span', 'tier-swatch');
  swatch.setAttribute('aria-hidden', 'true');
  chip.append(swatch, el('span', 'tier-name', name ?? '—'));
  return chip;
}

function renderTierFields(tiers) {
  const fields = tiers.map((t, i) => {
    const wrap = el('div', 'field');
    const id = `tier-threshold-${i}`;
    const label = el('label', '', `${t.name} from (%)`);
    label.htmlFor = id;
    const input = el('input');
    input.type = 'number';
    input.id = id;
    input.min = '0';
    input.max = '100';
    input.step = '0.1';
    input.dataset.testid = `tier-threshold-${i}`;
    input.value = String(Math.round(t.min_probability * 1000) / 10);
    if (i === tiers.length - 1) {
      input.disabled = true; // the lowest tier always starts at 0
      input.title = 'The lowest tier always starts at 0%.';
    }
    wrap.append(label, input);
    return wrap;
  });
  ui.tiersFields.replaceChildren(...fields);
}

// The session, kept on this device (localStorage; nothing leaves it) so that a reload
// finds the page as it was left: the model in use (a loaded or trained model's JSON text,
// when under MODEL_TEXT_LIMIT), the tier thresholds chosen, and the currency chosen for
// money. The column mappings are kept per header row by mapping.js. Storage may be
// blocked (some browsers from file://, private windows): then nothing is remembered.
import { setCurrency } from './format.js';
import { state } from './state.js';
import { ui } from './ui.js';

const KEY = 'churn-audit:session';
/** Larger model files are not kept: localStorage holds a few megabytes per site. */
export const MODEL_TEXT_LIMIT = 1_000_000;
const CURRENCIES = ['USD', 'EUR', 'GBP', 'CHF', 'CAD', 'AUD', 'INR', 'BDT', 'JPY', 'BRL', 'ZAR', 'SEK', 'NOK', 'DKK', 'PLN', 'SGD'];

function read() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || 'null');
    return saved && typeof saved === 'object' ? saved : {};
  } catch {
    return {};
  }
}

function write(change) {
  try {
    const next = { ...read(), ...change };
    for (const [k, v] of Object.entries(next)) if (v === null || v === undefined) delete next[k];
    localStorage.setItem(KEY, JSON.stringify(next));
    return true;
  } catch {
    return false; // storage blocked or full: the session is simply not kept
  }
}

/** What the last visit left: { modelText, modelName, thresholds, currency }. */
export function savedSession() {
  return read();
}

/** Keeps the model in use; returns false when its text is too large to keep. */
export function rememberModel(text, name) {
  if (text === null) return write({ modelText: null, modelName: null, thresholds: null });
  if (text.length > MODEL_TEXT_LIMIT) {
    write({ modelText: null, modelName: null });
    return false;
  }
  return write({ modelText: text, modelName: name, thresholds: null });
}

export function rememberThresholds(thresholds) {
  write({ thresholds });
}

// --- Currency: the file's, or the one chosen -----------------------------------------------
/** The currency chosen in the page ('' = the file's), kept across reloads. */
let chosen = read().currency || '';

/** Fills the currency choice for a result and applies the currency money is written in. */
export function applyCurrency(result) {
  const fromFile = result?.currency || null;
  const options = [new Option(fromFile ? `${fromFile} (from the file)` : 'no currency sign (the file names none)', '')];
  for (const c of CURRENCIES) if (c !== fromFile) options.push(new Option(c, c));
  ui.currency.replaceChildren(...options);
  ui.currency.value = CURRENCIES.includes(chosen) ? chosen : '';
  setCurrency(ui.currency.value || fromFile);
  ui.currency.dataset.currency = ui.currency.value || fromFile || '';
}

/** Wires the currency choice: `rerender` draws the figures again in the new currency. */
export function wireCurrency(rerender) {
  ui.currency.addEventListener('change', () => {
    chosen = ui.currency.value;
    write({ currency: chosen || null });
    applyCurrency(state.result);
    rerender();
  });
}

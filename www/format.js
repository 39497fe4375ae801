// How the page writes numbers (in the user's locale) and makes its elements. Every piece
// of data from a file is put in the page with textContent, never as HTML: `el` and `svg`
// are how the page makes its nodes.
const SVG_NS = 'http://www.w3.org/2000/svg';

const moneyFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const countFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
export const churnersFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
export const thresholdFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
export const money = (v) => (isNum(v) ? moneyFormat.format(v) : '—');
export const percent = (v) => (isNum(v) ? percentFormat.format(v) : '—');
export const count = (v) => (isNum(v) ? countFormat.format(v) : '—');

/** Creates an element with optional class and text (always via textContent). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

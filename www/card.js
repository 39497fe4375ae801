// The model card, laid out from the structured card the engine sends (src/card.rs): the
// model section shows it, and the printed report carries it.
import { el } from './format.js';

/** Appends a card text (a list of styled spans, see src/card.rs) to `node`. */
function appendSpans(node, spans) {
  for (const span of spans || []) {
    if (span.style === 'code') node.append(el('code', '', span.text));
    else if (span.style === 'strong') node.append(el('strong', '', span.text));
    else node.append(document.createTextNode(String(span.text ?? '')));
  }
  return node;
}

/** One block of a card section: a paragraph, a list or a table, as the CLI's markdown has it. */
function cardBlock(block) {
  if (block.type === 'paragraph') return appendSpans(el('p'), block.text);
  if (block.type === 'list') {
    const ul = el('ul');
    for (const item of block.items || []) ul.append(appendSpans(el('li'), item));
    return ul;
  }
  const columns = block.columns || [];
  const table = el('table', 'card-table');
  const head = el('tr');
  for (const c of columns) {
    const th = el('th', c.numeric ? 'num' : '', c.title);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const row of block.rows || []) {
    const tr = el('tr');
    row.forEach((cell, i) => tr.append(el('td', columns[i]?.numeric ? 'num' : '', cell)));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  const wrap = el('div', 'table-wrap');
  wrap.append(table);
  return wrap;
}

// The card is the one `churn-audit card` prints (src/card.rs builds both): the same
// sections with the same figures, laid out here instead of as markdown.
export function renderModelCard(target, card, bundled) {
  const frag = document.createDocumentFragment();
  frag.append(el('h3', '', `Model card: ${card.name}${bundled === false ? ' (your model)' : ''}`));
  if (card.description) frag.append(el('p', 'card-description', card.description));
  for (const section of card.sections || []) {
    const part = el('div', 'card-section');
    part.dataset.testid = 'card-section';
    part.append(el('h4', '', section.title));
    for (const block of section.blocks || []) part.append(cardBlock(block));
    frag.append(part);
  }
  target.replaceChildren(frag);
}

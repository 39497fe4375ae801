// End-to-end: the page shows the model card `churn-audit card` prints (the same sections
// with the same figures) for the bundled model and for a model loaded in the page, on
// the page and in the printed report; and the account detail's waterfall shows long
// feature labels in full, wrapped onto lines, at laptop and tablet widths and in print.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, checkBuilt, fixturePath, launchBrowser, openReadyPage, scoring, startServer, setAsOf, tearDown } from './harness.mjs';
import { AS_OF, cliCard } from './cli.mjs';

const FIXTURE = fixturePath();
const DEFAULT_MODEL = path.join(ROOT, 'models', 'default.json');
const LONG_DAYS = 'Days since the last two-way engagement with any stakeholder at the account (calls, meetings or replies to email)';
const LONG_ESCALATIONS = 'Open escalations | priority one and two tickets still waiting for an answer from the support team';

/**
 * Reads the CLI's markdown card: its title, description and, per section, its paragraphs,
 * list items and tables, with the markdown marks (backticks, bold, escaped bars) removed.
 */
function readMarkdownCard(md) {
  const card = { title: '', description: [], sections: [] };
  let section = null;
  let table = null;
  const inline = (t) => t.replace(/\*\*/g, '').replace(/`/g, '').replace(/\\\|/g, '|');
  for (const line of md.split('\n')) {
    if (line.startsWith('# ')) {
      card.title = line.slice(2);
    } else if (line.startsWith('## ')) {
      section = { title: line.slice(3), blocks: [] };
      card.sections.push(section);
      table = null;
    } else if (!line.trim()) {
      table = null;
    } else if (!section) {
      card.description.push(line);
    } else if (line.startsWith('|')) {
      if (/^\|(-{3}:?\|)+$/.test(line)) continue;
      const cells = line
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map((c) => c.replace(/\\\|/g, '|'));
      if (table) table.rows.push(cells);
      else {
        table = { type: 'table', head: cells, rows: [] };
        section.blocks.push(table);
      }
    } else if (line.startsWith('- ')) {
      let list = section.blocks.at(-1);
      if (list?.type !== 'list') {
        list = { type: 'list', items: [] };
        section.blocks.push(list);
      }
      list.items.push(inline(line.slice(2)));
    } else {
      section.blocks.push({ type: 'paragraph', text: inline(line) });
    }
  }
  return card;
}

/** The card as the page shows it under `selector`, in the shape of readMarkdownCard. */
function readPageCard(page, selector) {
  return page.$eval(selector, (root) => {
    const text = (n) => n.textContent;
    return {
      title: root.querySelector('h3')?.textContent,
      description: [...root.querySelectorAll('.card-description')].map(text),
      sections: [...root.querySelectorAll('[data-testid=card-section]')].map((s) => ({
        title: s.querySelector('h4').textContent,
        blocks: [...s.children]
          .filter((c) => c.tagName !== 'H4')
          .map((b) => {
            if (b.tagName === 'P') return { type: 'paragraph', text: b.textContent };
            if (b.tagName === 'UL') return { type: 'list', items: [...b.children].map(text) };
            const t = b.querySelector('table');
            return {
              type: 'table',
              head: [...t.querySelectorAll('thead th')].map(text),
              rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map(text)),
            };
          }),
      })),
    };
  });
}

async function assertSameCard(page, selector, modelFile, suffix, what) {
  const cli = readMarkdownCard(await cliCard(modelFile));
  const shown = await readPageCard(page, selector);
  assert.ok(cli.sections.length >= 5, `${what}: the CLI card has only ${cli.sections.length} sections`);
  assert.equal(shown.title, `${cli.title}${suffix}`, `${what}: title`);
  assert.deepEqual(shown.description, cli.description, `${what}: description`);
  assert.deepEqual(shown.sections, cli.sections, `${what}: the sections differ from the CLI's card`);
  return cli;
}

/**
 * Checks every waterfall label of the open detail: its lines joined give the input's
 * label and value from the contributions table in full, every line lies inside the
 * chart, and no two labels overlap. Returns the number of lines of `feature`'s label.
 */
async function assertLabelsInFull(page, feature, what) {
  const report = await page.evaluate(() => {
    const svg = document.querySelector('[data-testid=waterfall] svg');
    const box = svg.getBoundingClientRect();
    const expected = new Map(
      [...document.querySelectorAll('[data-testid=contributions] tbody tr')].map((tr) => [
        tr.dataset.feature,
        `${tr.children[0].textContent}: ${tr.children[1].textContent.replace(/ \(outside training range\)$/, '')}`,
      ]),
    );
    const labels = [...svg.querySelectorAll('text.bar-label')].map((t) => {
      const lines = [...t.querySelectorAll('tspan')];
      const rects = lines.map((l) => l.getBoundingClientRect());
      const inside = rects.every((r) => r.width > 0 && r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5);
      const whole = t.getBoundingClientRect();
      return { feature: t.dataset.feature || null, text: lines.map((l) => l.textContent).join(' '), lines: lines.length, inside, top: whole.top, bottom: whole.bottom };
    });
    return { scale: box.width / svg.viewBox.baseVal.width, visible: box.width > 0 && box.height > 0, expected: [...expected], labels };
  });
  assert.ok(report.visible, `${what}: the waterfall is not shown`);
  const expected = new Map(report.expected);
  const steps = report.labels.filter((l) => l.feature);
  assert.ok(steps.length > 0, `${what}: no input in the waterfall`);
  for (const l of steps) {
    assert.equal(l.text, expected.get(l.feature), `${what}: the label of ${l.feature} is not shown in full`);
    assert.ok(l.inside, `${what}: the label of ${l.feature} ("${l.text}") is cut by the chart's edge`);
  }
  const byTop = [...report.labels].sort((a, b) => a.top - b.top);
  for (let i = 1; i < byTop.length; i++) assert.ok(byTop[i].top >= byTop[i - 1].bottom - 0.5, `${what}: labels "${byTop[i - 1].text}" and "${byTop[i].text}" overlap`);
  const target = steps.find((l) => l.feature === feature);
  assert.ok(target, `${what}: ${feature} is not in the waterfall`);
  return { lines: target.lines, scale: report.scale };
}

describe('model card and waterfall labels', { timeout: 120_000 }, () => {
  let server;
  let browser;
  let context;
  let page;
  let problems;
  let tmp;
  let customModel;
  const requests = [];

  before(async () => {
    checkBuilt();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-card-'));
    // A model trained elsewhere: other name, description, tiers and metrics, and long labels.
    const m = JSON.parse(await readFile(DEFAULT_MODEL, 'utf8'));
    m.name = 'e2e long labels';
    m.description = 'A copy of the bundled model with long input labels, other tiers and other recorded metrics.';
    m.intercept += 0.4;
    m.tiers = [
      { name: 'Urgent', min_probability: 0.625 },
      { name: 'Watch', min_probability: 0.3 },
      { name: 'Calm', min_probability: 0 },
    ];
    m.metrics.held_out.auc = 0.7771;
    m.metrics.held_out.rows = 812;
    for (const f of m.features) {
      if (f.name === 'days_since_last_engagement') f.label = LONG_DAYS;
      if (f.name === 'open_escalations') f.label = LONG_ESCALATIONS;
    }
    customModel = path.join(tmp, 'long-labels-model.json');
    await writeFile(customModel, JSON.stringify(m, null, 2));

    server = await startServer();
    browser = await launchBrowser();
    ({ context, page, problems } = await openReadyPage(browser, server.url));
    context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    await context.setOffline(true);
    await setAsOf(page, AS_OF);
  });

  after(() => tearDown({ browser, server, tmp }));

  test('the bundled model: the page shows the card the CLI prints, section by section', async () => {
    const cli = await assertSameCard(page, '[data-testid=model-card]', DEFAULT_MODEL, '', 'bundled model');
    assert.deepEqual(
      cli.sections.map((s) => s.title),
      ['Trained on', 'How well it does', 'Strongest drivers', 'Features and training ranges', 'Risk tiers', 'Limits'],
    );
  });

  test('the bundled model: the printed report carries the same card, and the detail labels are whole', async () => {
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', FIXTURE));
    assert.equal(state, 'scored', await page.textContent('[data-testid=issues]'));
    await assertSameCard(page, '[data-testid=report] .report-card', DEFAULT_MODEL, '', 'bundled model, report');
    await page.click('[data-testid=open-detail] >> nth=0');
    await page.waitForSelector('dialog[data-testid=detail][open]');
    await assertLabelsInFull(page, 'days_since_last_engagement', 'bundled model');
    await page.click('[data-testid=detail-close]');
  });

  test('a model loaded in the page: its card is the CLI\'s card of that file, on the page and in the report', async () => {
    await page.setInputFiles('[data-testid=model-input]', customModel);
    await page.waitForFunction(() => document.querySelector('[data-testid=model-card]').textContent.includes('e2e long labels'));
    await page.waitForFunction(() => document.body.dataset.state === 'scored'); // the current file, re-scored
    const cli = await assertSameCard(page, '[data-testid=model-card]', customModel, ' (your model)', 'custom model');
    // The figures that differ from the bundled model's are there.
    const tiers = cli.sections.find((s) => s.title === 'Risk tiers').blocks.find((b) => b.type === 'table');
    assert.deepEqual(tiers.rows, [['Urgent', '62.5%'], ['Watch', '30%'], ['Calm', '0%']]);
    const metrics = cli.sections.find((s) => s.title === 'How well it does').blocks.find((b) => b.type === 'table');
    assert.equal(metrics.rows[0][2], '0.777');
    await page.waitForFunction(() => document.querySelector('[data-testid=report]').textContent.includes('e2e long labels'));
    await assertSameCard(page, '[data-testid=report] .report-card', customModel, '', 'custom model, report');
  });

  test('long labels wrap in the waterfall, whole and inside the chart, on a laptop, a tablet and in print', async () => {
    // The account with the most days since its last engagement shows that input's long label.
    await page.click('[data-testid=open-detail] >> nth=0');
    await page.waitForSelector('dialog[data-testid=detail][open]');
    const laptop = await assertLabelsInFull(page, 'days_since_last_engagement', 'laptop 1280 px');
    assert.ok(laptop.lines >= 2, 'the long label was not wrapped');
    const escalations = await page.$$eval('[data-testid=waterfall] text.bar-label[data-feature=open_escalations] tspan', (ts) => ts.map((t) => t.textContent).join(' '));
    assert.ok(escalations.startsWith(`${LONG_ESCALATIONS}: `), `the escalations label is not whole: ${escalations}`);

    await page.setViewportSize({ width: 768, height: 1024 });
    const tablet = await assertLabelsInFull(page, 'days_since_last_engagement', 'tablet 768 px');
    assert.ok(tablet.scale >= 0.9, `on a tablet the chart is shrunk to ${tablet.scale.toFixed(2)} of its size: labels too small to read`);

    await page.emulateMedia({ media: 'print' });
    try {
      assert.ok(!(await page.isVisible('[data-testid=report]')), 'with the detail open, the report is printed instead of the account');
      await assertLabelsInFull(page, 'days_since_last_engagement', 'print');
      const pdf = await page.pdf({ format: 'A4' });
      assert.ok(pdf.length > 10_000, 'the PDF is empty');
    } finally {
      await page.emulateMedia({ media: 'screen' });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    await page.click('[data-testid=detail-close]');
  });

  test('no request, error or CSP violation after load', async () => {
    await page.waitForTimeout(200);
    assert.deepEqual(requests, [], `the page made requests after it loaded:\n${requests.join('\n')}`);
    assert.deepEqual(problems, [], `the page reported errors:\n${problems.join('\n')}`);
    assert.equal(await page.evaluate(() => document.body.dataset.cspViolations || '0'), '0');
  });
});

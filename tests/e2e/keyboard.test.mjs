// End-to-end: the main flow with the keyboard only. No mouse clicks and no setInputFiles:
// the OS file dialog cannot be driven by keys, so the bundled sample is scored through the
// "Try with sample data" button, reached with Tab and pressed with Enter. Every element that
// takes focus on the way must show a visible focus indicator, and nothing is requested after load.
//
// Run: node --test tests/e2e/
// Needs: www/pkg built (wasm-bindgen), /usr/bin/chromium.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allRows, checkBuilt, launchBrowser, openReadyPage, startServer } from './harness.mjs';

const MAX_TABS = 120;

/** What has focus now, and whether it shows a focus indicator (outline or box-shadow). */
function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body || a === document.documentElement) return { none: true };
    // The native file input is visually hidden; its label is the visible control and carries the ring.
    const shown = a.matches('.drop-zone input[type=file]') ? a.closest('.drop-zone').querySelector('.file-label') : a;
    const cs = getComputedStyle(shown);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow !== 'none' && cs.boxShadow !== '';
    return {
      none: false,
      tag: a.tagName.toLowerCase(),
      id: a.id,
      testid: a.dataset.testid || '',
      row: a.closest('tr[data-testid=result-row]')?.dataset.row ?? null,
      rowIndex: a.closest('tr[data-testid=result-row]')?.getAttribute('aria-rowindex') ?? null,
      inDialog: !!a.closest('dialog'),
      visible: outline || shadow,
      style: `outline: ${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}; box-shadow: ${cs.boxShadow}`,
    };
  });
}

const describeFocus = (f) => (f.none ? '(nothing)' : `<${f.tag}${f.id ? ` #${f.id}` : ''}${f.testid ? ` [${f.testid}]` : ''}>`);

describe('churn-audit page, keyboard only', { timeout: 90_000 }, () => {
  let server;
  let browser;
  let context;
  let page;
  let problems;
  const requests = [];
  const visited = []; // every element focus landed on, for the visible-indicator check

  async function expectVisibleFocus(f) {
    assert.ok(!f.none, 'focus was lost to the document body');
    assert.ok(f.visible, `${describeFocus(f)} has focus but no visible focus indicator (${f.style})`);
  }

  /** Presses Tab (or Shift+Tab) until `match(focus)` holds; checks every stop on the way. */
  async function tabUntil(match, what, { back = false } = {}) {
    for (let i = 0; i < MAX_TABS; i++) {
      await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
      const f = await focused(page);
      visited.push(describeFocus(f));
      await expectVisibleFocus(f);
      if (match(f)) return f;
    }
    throw new Error(`${what} was not reached with ${MAX_TABS} presses of ${back ? 'Shift+Tab' : 'Tab'}; visited: ${visited.slice(-MAX_TABS).join(' ')}`);
  }

  before(async () => {
    checkBuilt();
    server = await startServer();
    browser = await launchBrowser();
    ({ context, page, problems } = await openReadyPage(browser, server.url));
    context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    context.on('websocket', (ws) => requests.push(`WEBSOCKET ${ws.url()}`));
    await context.setOffline(true);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  test('Tab reaches "Try with sample data" and Enter scores the sample', async () => {
    await tabUntil((f) => f.testid === 'sample-button', 'the sample button');
    const before = await page.evaluate(() => document.body.dataset.run || '0');
    await page.keyboard.press('Enter');
    await page.waitForFunction((prev) => (document.body.dataset.run || '0') !== prev, before, { timeout: 20_000 });
    await page.waitForSelector('body[data-state=scored]', { state: 'attached', timeout: 20_000 });
    assert.ok((await page.textContent('[data-testid=summary]')).includes('sample-accounts.csv'));
    assert.ok((await page.locator('[data-testid=result-row]').count()) > 0, 'no rows after scoring the sample');
    // Focus stays where the user left it.
    const f = await focused(page);
    assert.equal(f.testid, 'sample-button', `focus moved to ${describeFocus(f)} after scoring`);
  });

  test('the first account opens with Enter, the dialog takes focus, Escape closes it and focus returns', async () => {
    const first = (await allRows(page))[0];
    const opener = await tabUntil((f) => f.testid === 'open-detail', "the first account's name");
    assert.equal(opener.rowIndex, '2', `the first account reached is at aria-rowindex ${opener.rowIndex}, not the first row`);
    assert.equal(Number(opener.row), first.row, 'the first account reached is not the top row of the table');

    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[data-testid=detail][open]', { timeout: 10_000 });
    assert.equal(await page.getAttribute('dialog[data-testid=detail]', 'data-row'), opener.row, 'the dialog shows another account');
    const inside = await focused(page);
    assert.ok(inside.inDialog, `focus is not inside the open dialog but on ${describeFocus(inside)}`);
    await expectVisibleFocus(inside);
    // Tab keeps focus inside the modal dialog.
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      visited.push(describeFocus(f));
      assert.ok(f.inDialog, `Tab left the modal dialog for ${describeFocus(f)}`);
      await expectVisibleFocus(f);
    }

    await page.keyboard.press('Escape');
    // The dialog's 'close' event, where the page records it, comes a task after `open`
    // turns false: waiting for `open` alone raced it.
    await page.waitForFunction(
      () => !document.querySelector('dialog[data-testid=detail]').open && document.body.dataset.detail === 'closed',
      null,
      { timeout: 5000 },
    );
    assert.equal(await page.evaluate(() => document.body.dataset.detail), 'closed');
    const back = await focused(page);
    assert.equal(back.testid, 'open-detail', `after Escape focus is on ${describeFocus(back)}, not the account that opened the dialog`);
    assert.equal(back.row, opener.row, 'after Escape focus is on another account');
    await expectVisibleFocus(back);
  });

  test('a sort header is reached with Shift+Tab and sorts with Enter, and again with Space', async () => {
    await tabUntil((f) => f.testid === 'sort-account_name', 'the Name sort header', { back: true });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('th[data-key=account_name]').getAttribute('aria-sort') === 'ascending');
    const names = (await allRows(page)).map((r) => r.name);
    assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'Enter on the header did not sort by name');
    let f = await focused(page);
    assert.equal(f.testid, 'sort-account_name', `focus left the sort header for ${describeFocus(f)}`);
    await expectVisibleFocus(f);

    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelector('th[data-key=account_name]').getAttribute('aria-sort') === 'descending');
    const reversed = (await allRows(page)).map((r) => r.name);
    assert.deepEqual(reversed, [...names].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)), 'Space did not reverse the order');

    // Back to the default order: highest risk first.
    await tabUntil((f2) => f2.testid === 'sort-churn_probability', 'the churn probability sort header');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('th[data-key=churn_probability]').hasAttribute('aria-sort'));
    f = await focused(page);
    assert.equal(f.testid, 'sort-churn_probability');
    await expectVisibleFocus(f);
  });

  test('the tier filter is reached with Shift+Tab and changed with the arrow keys', async () => {
    const all = (await allRows(page)).length;
    await tabUntil((f) => f.testid === 'tier-filter', 'the tier filter', { back: true });
    assert.equal(await page.inputValue('[data-testid=tier-filter]'), '');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.querySelector('[data-testid=tier-filter]').value !== '');
    const tier = await page.inputValue('[data-testid=tier-filter]');
    await page.waitForFunction(() => document.querySelector('[data-testid=results-note]').textContent.includes(' of '));
    const onlyTier = await allRows(page);
    assert.ok(onlyTier.length > 0 && onlyTier.length < all, `filtering on ${tier} shows ${onlyTier.length} of ${all} rows`);
    assert.ok(onlyTier.every((r) => r.tier === tier), `rows outside the tier ${tier} are shown`);
    const f = await focused(page);
    assert.equal(f.testid, 'tier-filter');
    await expectVisibleFocus(f);

    await page.keyboard.press('ArrowUp');
    await page.waitForFunction((n) => document.querySelector('[data-testid=results-note]').dataset.count === String(n), all);
    assert.equal(await page.inputValue('[data-testid=tier-filter]'), '');
  });

  test('no mouse was needed, nothing was requested after load, and no page error', async (t) => {
    t.diagnostic(`focus stops checked: ${visited.length}`);
    await page.waitForTimeout(200);
    assert.deepEqual(requests, [], `the page made requests after it loaded:\n${requests.join('\n')}`);
    assert.deepEqual(problems, [], `the page reported errors:\n${problems.join('\n')}`);
  });
});

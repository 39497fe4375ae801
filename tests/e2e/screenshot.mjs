// Saves pictures of the main views to tests/e2e/out/ (gitignored) for a person to look at:
// the scored page (laptop and tablet), the column mapping, an account's detail with a
// what-if, and the printed report.
// Run: node tests/e2e/screenshot.mjs   (same env as the test: E2E_FIXTURE, CHROMIUM_PATH)
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, checkBuilt, fixturePath, launchBrowser, openReadyPage, scoring, startServer } from './harness.mjs';

const OUT = path.join(ROOT, 'tests', 'e2e', 'out');
const AS_OF = '2026-01-15';

checkBuilt();
await mkdir(OUT, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();
const wrote = (name, problems = []) => console.log(`wrote tests/e2e/out/${name}${problems.length ? ` (page problems: ${problems.join('; ')})` : ''}`);
try {
  for (const { name, viewport } of [
    { name: 'scored.png', viewport: { width: 1280, height: 900 } },
    { name: 'scored-tablet.png', viewport: { width: 820, height: 1100 } },
  ]) {
    const { context, page, problems } = await openReadyPage(browser, server.url, { viewport });
    await page.fill('[data-testid=as-of]', AS_OF);
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', fixturePath()));
    if (state !== 'scored') throw new Error(`page state is '${state}': ${await page.textContent('[data-testid=issues]')}`);
    await page.screenshot({ path: path.join(OUT, name), fullPage: true });
    wrote(name, problems);
    if (name === 'scored.png') {
      await page.click('[data-testid=mapping-details] summary');
      await page.locator('[data-testid=mapping]').screenshot({ path: path.join(OUT, 'mapping.png') });
      wrote('mapping.png');
      await page.click('[data-testid=open-detail] >> nth=0');
      await page.waitForSelector('dialog[open]');
      const lever = page.locator('[data-testid=whatif-days_since_last_engagement]');
      if (await lever.count()) {
        await lever.fill('14');
        await page.waitForFunction(() => document.querySelector('[data-testid=whatif-result]').dataset.probability !== undefined);
      }
      await page.locator('dialog[open]').screenshot({ path: path.join(OUT, 'detail.png') });
      wrote('detail.png');
      await page.click('[data-testid=detail-close]');
      await page.emulateMedia({ media: 'print' });
      await page.screenshot({ path: path.join(OUT, 'print.png'), fullPage: true });
      await page.pdf({ path: path.join(OUT, 'report.pdf'), format: 'A4' });
      wrote('print.png and report.pdf');
    }
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}

// Saves pictures of the scored page to tests/e2e/out/ (gitignored) for a person to look at.
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
try {
  const shots = [
    { name: 'scored.png', viewport: { width: 1280, height: 900 } },
    { name: 'scored-tablet.png', viewport: { width: 820, height: 1100 } },
  ];
  for (const { name, viewport } of shots) {
    const { context, page, problems } = await openReadyPage(browser, server.url, { viewport });
    await page.fill('[data-testid=as-of]', AS_OF);
    await page.dispatchEvent('[data-testid=as-of]', 'change');
    const state = await scoring(page, () => page.setInputFiles('[data-testid=file-input]', fixturePath()));
    if (state !== 'scored') throw new Error(`page state is '${state}': ${await page.textContent('[data-testid=issues]')}`);
    await page.click('[data-testid=columns] summary');
    const file = path.join(OUT, name);
    await page.screenshot({ path: file, fullPage: true });
    if (name === 'scored.png') {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(OUT, 'scored-top.png') });
    }
    console.log(`wrote ${path.relative(ROOT, file)}${problems.length ? ` (page problems: ${problems.join('; ')})` : ''}`);
    await context.close();
  }
  const { context, page } = await openReadyPage(browser, server.url);
  await scoring(page, () => page.click('[data-testid=sample-button]'));
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: path.join(OUT, 'print.png'), fullPage: true });
  console.log('wrote tests/e2e/out/print.png');
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}

// The scoring engine's size budget: under 250 KB gzipped (level 9, 1 KB = 1024 bytes, as
// `make bench` counts it). A size is not a timing, so it is checked here: code that pulls
// core's float formatting or a string-indexing panic message back into the engine adds
// kilobytes without any other test noticing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 250;

test(`the scoring engine is under ${BUDGET_KB} KB gzipped`, () => {
  const wasm = readFileSync(new URL('../../www/pkg/churn_audit_bg.wasm', import.meta.url));
  const kb = gzipSync(wasm, { level: 9 }).length / 1024;
  assert.ok(kb < BUDGET_KB, `www/pkg/churn_audit_bg.wasm is ${kb.toFixed(1)} KB gzipped, over the ${BUDGET_KB} KB budget`);
});

// The workbook engine is fetched only when a workbook is chosen (tests/e2e/workbook.test.mjs
// checks that the page requests nothing before), so it has a budget of its own: calamine
// for every format and the Excel writer: 647 KB when it was added (calamine alone measured
// about 340 KB).
const WORKBOOK_BUDGET_KB = 700;

test(`the workbook engine is under ${WORKBOOK_BUDGET_KB} KB gzipped`, (t) => {
  const file = new URL('../../www/pkg-workbook/churn_audit_workbook_bg.wasm', import.meta.url);
  if (!existsSync(file)) {
    t.skip('www/pkg-workbook is not built (make wasm-workbook)');
    return;
  }
  const kb = gzipSync(readFileSync(file), { level: 9 }).length / 1024;
  t.diagnostic(`workbook engine: ${kb.toFixed(1)} KB gzipped`);
  assert.ok(kb < WORKBOOK_BUDGET_KB, `the workbook engine is ${kb.toFixed(1)} KB gzipped, over ${WORKBOOK_BUDGET_KB} KB`);
});

// The scoring engine's size budget: under 250 KB gzipped (level 9, 1 KB = 1024 bytes, as
// `make bench` counts it). A size is not a timing, so it is checked here: code that pulls
// core's float formatting or a string-indexing panic message back into the engine adds
// kilobytes without any other test noticing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 250;

test(`the scoring engine is under ${BUDGET_KB} KB gzipped`, () => {
  const wasm = readFileSync(new URL('../../www/pkg/churn_audit_bg.wasm', import.meta.url));
  const kb = gzipSync(wasm, { level: 9 }).length / 1024;
  assert.ok(kb < BUDGET_KB, `www/pkg/churn_audit_bg.wasm is ${kb.toFixed(1)} KB gzipped, over the ${BUDGET_KB} KB budget`);
});

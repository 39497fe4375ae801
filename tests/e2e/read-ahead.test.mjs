// The partner worker reads its part of a big file while the first worker still inspects
// the head, and the scoring that follows goes on from there: the part is read once, and
// the result is exactly one worker's. Asked for with other fields (another date), the
// partner drops what it read ahead and reads the part again, again exactly as one
// worker would.
//
// engine-core.js's request handlers with the page's engine, in Node (no browser): the
// partner's requests are answered one at a time and in order, as worker.js does.
//
// Run: node --test tests/e2e/
// Needs: www/pkg built (wasm-bindgen), target/release/churn-audit built.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, checkBuilt } from './harness.mjs';
import { AS_OF, CLI } from './cli.mjs';
import { FIRST_SHARE, createHandler } from '../../www/engine-core.js';

// engine-core.js lets queued messages in through a MessageChannel, whose listening port
// would keep Node running once the tests are done: its ports are closed after them.
const ports = [];
globalThis.MessageChannel = class extends MessageChannel {
  constructor() {
    super();
    ports.push(this.port1, this.port2);
  }
};
after(() => ports.forEach((port) => port.close()));

/** The file as a Blob that records which byte ranges are read, in order. */
function recorded(blob) {
  const reads = [];
  return {
    reads,
    size: blob.size,
    slice(start, end) {
      reads.push([start, end]);
      return blob.slice(start, end);
    },
  };
}

/** A caller for `handle` as worker.js serves the first worker: one request at a time. */
function servedBy(handle) {
  let queue = Promise.resolve();
  return {
    call(type, fields, onProgress = () => {}) {
      const answer = queue.then(() => handle({ type, ...fields }, onProgress));
      queue = answer.catch(() => {});
      return answer;
    },
  };
}

/** Resolves once `ready()` holds, checking every few milliseconds (fails after 60 s). */
async function until(ready, what) {
  for (const started = Date.now(); !ready(); ) {
    if (Date.now() - started > 60_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('a part read ahead', { timeout: 300_000 }, () => {
  let pkg;
  let bytes;

  before(async () => {
    checkBuilt();
    pkg = await import(path.join(ROOT, 'www/pkg/churn_audit.js'));
    await pkg.default({ module_or_path: await readFile(path.join(ROOT, 'www/pkg/churn_audit_bg.wasm')) });
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'churn-audit-ahead-'));
    const file = path.join(tmp, 'big.csv');
    // ~21 MB: above the size read by two workers (16 MB).
    await promisify(execFile)(CLI, ['simulate', '--accounts', '200000', '--seed', '5', '--as-of', AS_OF, '--out', file]);
    bytes = await readFile(file);
  });

  /** A first worker with one partner. */
  function workers() {
    const partner = createHandler(pkg.Engine, pkg.FileDigest);
    return createHandler(pkg.Engine, pkg.FileDigest, () => [servedBy(partner)]);
  }

  /** The file's figures scored by one worker alone. */
  async function alone(asOf) {
    const one = createHandler(pkg.Engine, pkg.FileDigest);
    const r = await one({ type: 'scoreFile', blob: new Blob([bytes]), name: 'big.csv', asOf, mapping: null });
    assert.equal(r.workers, 1);
    return r;
  }

  const fields = (blob) => ({ blob, name: 'big.csv', mapping: null });
  /** How often the partner's part was opened: where the page cuts a file for two workers. */
  const partReads = (reads) => {
    const cut = bytes.indexOf(10, Math.floor(bytes.length * (FIRST_SHARE / (FIRST_SHARE + 1)))) + 1;
    return reads.filter(([start]) => start === cut).length;
  };

  test('started while the head is inspected, then used: the part is read once, same figures', async () => {
    const first = workers();
    const blob = recorded(new Blob([bytes]));
    const inspection = await first({ type: 'inspect', ...fields(blob), asOf: AS_OF });
    assert.equal(inspection.problem ?? null, null, 'the file needs no column choices');
    // Nothing asked the partner to score yet: what it reads of its part, it reads ahead.
    await until(() => partReads(blob.reads) > 0, 'the partner to start reading its part');
    const r = await first({ type: 'scoreFile', ...fields(blob), asOf: AS_OF, headId: inspection.headId });
    assert.equal(r.workers, 2, 'the partner\'s part was not joined');
    assert.equal(partReads(blob.reads), 1, `the part was read again: ${JSON.stringify(blob.reads)}`);
    assert.deepEqual({ ...r, workers: 1 }, await alone(AS_OF));
  });

  test('scored for another date: what was read ahead is dropped, the part read again', async () => {
    const first = workers();
    const blob = recorded(new Blob([bytes]));
    const inspection = await first({ type: 'inspect', ...fields(blob), asOf: AS_OF });
    await until(() => partReads(blob.reads) > 0, 'the partner to start reading its part');
    const other = '2026-04-01';
    const r = await first({ type: 'scoreFile', ...fields(blob), asOf: other, headId: inspection.headId });
    assert.equal(r.workers, 2, 'the partner\'s part was not joined');
    assert.equal(partReads(blob.reads), 2, 'the part read ahead for the first date was used for another');
    const expected = await alone(other);
    assert.deepEqual({ ...r, workers: 1 }, expected);
    assert.notDeepEqual(expected.summary, (await alone(AS_OF)).summary, 'the date changes no figure: the test proves nothing');
  });
});

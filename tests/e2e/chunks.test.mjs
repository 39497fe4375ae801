// How the page reads a file: `chunksOf` (www/engine-core.js) hands on bytes `from`..`to`
// of a Blob in chunks of one size, whatever sizes the browser's stream comes in. Run on
// Node's Blob, whose stream comes in pieces of its own size too; the browser tests read
// every file through it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { chunksOf } from '../../www/engine-core.js';

/** Bytes that differ from their neighbours (a shifted or repeated piece shows). */
function bytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0, x = 1; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The chunks of bytes `from`..`to` of `blob`, each copied (a chunk is only valid until the next). */
async function read(blob, from, to, size) {
  const chunks = [];
  for await (const chunk of chunksOf(blob, from, to, size)) chunks.push(chunk.slice());
  return chunks;
}

test('every byte once, in order, in chunks of the size asked for (the last one shorter)', async () => {
  const data = bytes(3_000_001);
  // A Blob of several parts: its stream's pieces do not line up with the chunks.
  const blob = new Blob([data.subarray(0, 70_001), data.subarray(70_001, 1_500_000), data.subarray(1_500_000)]);
  for (const [from, to, size] of [
    [0, data.length, 1 << 20],
    [0, data.length, 1 << 22], // one chunk, shorter than its size
    [12_345, 2_999_999, 65_536],
    [5, 7, 4],
    [1 << 20, 2 << 20, 1 << 20], // exactly one full chunk
    [100, 100 + 3 * 4099, 4099], // whole chunks only
  ]) {
    const chunks = await read(blob, from, to, size);
    const whole = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((at, c) => (whole.set(c, at), at + c.length), 0);
    assert.deepEqual(whole, data.subarray(from, to), `${from}..${to} in ${size}`);
    assert.ok(chunks.slice(0, -1).every((c) => c.length === size), `${from}..${to}: a chunk before the last is not ${size} bytes`);
    assert.ok(chunks.at(-1).length > 0 && chunks.at(-1).length <= size);
  }
});

test('an empty range gives no chunk', async () => {
  const blob = new Blob([bytes(10)]);
  assert.deepEqual(await read(blob, 4, 4, 8), []);
  assert.deepEqual(await read(blob, 7, 3, 8), []);
  assert.deepEqual(await read(new Blob([]), 0, 0, 8), []);
});

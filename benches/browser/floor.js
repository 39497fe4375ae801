// The benchmark's floor: the least any page could do with an account file. The page hands
// the chosen File to a module worker (this same script), which reads every byte through
// the Blob's stream, as the real page's worker does (www/engine-core.js, chunksOf), and
// counts line feeds in the pieces the stream yields, copying nothing. No parsing, no
// scoring: a page cannot show a summary of a file faster than it can read the file, so
// our page's time over this one is what parsing and scoring cost on top of reading.
//
// It shows the data rows (line feeds after the header's, plus a last line without one)
// as the accounts figure and sets data-state=scored, the signals the bench's probe waits
// for.

/** Data rows in `blob`: its line feeds, less the header's, plus an unterminated last line. */
async function countRows(blob) {
  const reader = blob.stream().getReader();
  let feeds = 0;
  let last = 0x0a;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let i = value.indexOf(0x0a); i !== -1; i = value.indexOf(0x0a, i + 1)) feeds++;
    if (value.length) last = value[value.length - 1];
  }
  return Math.max(0, feeds - 1 + (last === 0x0a ? 0 : 1));
}

if (typeof document === 'undefined') {
  // In the worker: one file per message, answered with its row count or an error.
  self.onmessage = (e) => {
    countRows(e.data).then(
      (rows) => self.postMessage({ rows }),
      (err) => self.postMessage({ error: String(err && err.message ? err.message : err) }),
    );
  };
} else {
  const $ = (id) => document.getElementById(id);
  const ui = { file: $('file-input'), status: $('status'), summary: $('summary'), accounts: $('stat-accounts') };
  const worker = new Worker(new URL(import.meta.url), { type: 'module' });
  let started = 0;
  worker.onmessage = (e) => {
    if (e.data.error !== undefined) {
      ui.status.textContent = `Reading failed: ${e.data.error}`;
      document.body.dataset.state = 'error';
      return;
    }
    ui.accounts.textContent = String(e.data.rows);
    ui.summary.hidden = false;
    ui.status.textContent = `Read ${e.data.rows} rows in ${Math.round(performance.now() - started)} ms.`;
    document.body.dataset.state = 'scored';
  };
  worker.onerror = (e) => {
    ui.status.textContent = `The worker failed: ${e.message}`;
    document.body.dataset.state = 'error';
  };
  ui.file.addEventListener('change', () => {
    const file = ui.file.files && ui.file.files[0];
    if (!file) return;
    started = performance.now();
    ui.status.textContent = `Reading ${file.name}…`;
    document.body.dataset.state = 'scoring';
    worker.postMessage(file);
  });
  ui.file.disabled = false;
  document.body.dataset.engine = 'ready';
  ui.status.textContent = 'Ready.';
}

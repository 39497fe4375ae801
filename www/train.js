// The training section's loader: shows the section and waits for a history to be chosen
// or dropped; only then does it import the flow (train-ui.js), which starts the training
// engine. So the scoring page loads this file alone (under 1 KB gzipped) and never the
// trainer. The single-file build leaves both out (see scripts/build-dist.mjs). A workbook
// is chosen or dropped like a text file: train-ui.js tells them apart.
const section = document.getElementById('train');
const zone = document.getElementById('train-drop');
const input = document.getElementById('train-file');
const status = document.getElementById('train-status');

let flow = null;
function load() {
  flow ??= import('./train-ui.js').catch((err) => {
    flow = null;
    throw err;
  });
  return flow;
}

async function use(file) {
  try {
    (await load()).useHistory(file);
  } catch (err) {
    status.textContent = `The training page could not be loaded (${err instanceof Error ? err.message : String(err)}). Reload the page to try again.`;
    status.dataset.kind = 'error';
  }
}

input.addEventListener('change', () => {
  const file = input.files && input.files[0];
  if (file) use(file);
  input.value = ''; // picking the same file again still triggers a change
});
// A history dropped on this zone is for training, not for scoring: app.js leaves drops
// inside [data-drop-target=own] alone.
const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
zone.addEventListener('dragover', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  zone.classList.add('dragging');
});
zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
zone.addEventListener('drop', (e) => {
  zone.classList.remove('dragging');
  const files = e.dataTransfer && e.dataTransfer.files;
  if (!files || !files.length) return;
  e.preventDefault();
  use(files[0]);
});
section.hidden = false;
document.body.dataset.train = 'idle';

// `make dist`: writes ONE self-contained HTML file (target/dist/churn-audit.html) that
// works opened from disk (file://) with no server and no network: the page's CSS and
// scripts inline, the wasm engines inline as base64 (wasm-bindgen --target no-modules:
// the scoring engine, and the workbook engine that reads .xlsx, .xls and .ods), the
// sample data inline, and a Content-Security-Policy that allows nothing but these
// exact inline blocks (by SHA-256) and compiling the embedded wasm.
//
// The page's own modules are written so that this needs no bundler: they import only
// from each other, named bindings without renaming on single-line imports. The build
// follows app.js's imports and writes each module after the ones it imports (app.js
// last), drops the imports and the `export` keywords, and puts them all in one inline
// module script; so no two modules may declare the same top-level name (checked here).
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WWW = path.join(ROOT, 'www');
const PKG = path.join(ROOT, 'target', 'dist-pkg');
const OUT = path.join(ROOT, 'target', 'dist', 'churn-audit.html');

const read = (p) => readFile(p, 'utf8');
const sha = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
// Inline script text must never contain "</script": escape the slash inside strings/regexps too.
const safe = (js) => js.replace(/<\/(script)/gi, '<\\/$1');

const IMPORT = /^import\s.*from\s+['"]\.\/[^'"]+['"];?\s*$/;
const NAMED_IMPORT = /^import\s*\{\s*[\w$]+(\s*,\s*[\w$]+)*\s*,?\s*\}\s*from\s*['"]\.\/([\w.-]+\.js)['"];?\s*$/;
const TOP_LEVEL_NAME = /^(?:export\s+)?(?:async\s+)?(?:function\*?|const|let|class)\s+([\w$]+)/gm;

function unmodule(js, file) {
  const out = js
    .split('\n')
    .filter((line) => !IMPORT.test(line))
    .join('\n')
    .replace(/^export\s+(?=(async\s+)?function|const|let|class)/gm, '');
  if (/^\s*(import|export)\s/m.test(out)) throw new Error(`${file}: an import/export the single-file build cannot inline`);
  return out;
}

/** The page's modules from `entry` on, each after the modules it imports. */
async function pageModules(entry) {
  const order = [];
  const seen = new Set();
  const visit = async (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = await read(path.join(WWW, file));
    for (const line of text.split('\n').filter((l) => IMPORT.test(l))) {
      const named = NAMED_IMPORT.exec(line);
      if (!named) throw new Error(`${file}: \`${line}\` is an import the single-file build cannot inline (named imports only, no renaming)`);
      await visit(named[2]);
    }
    order.push({ file, text });
  };
  await visit(entry);
  const declared = new Map();
  for (const { file, text } of order) {
    for (const [, name] of text.matchAll(TOP_LEVEL_NAME)) {
      if (declared.has(name)) throw new Error(`${name} is declared by both ${declared.get(name)} and ${file}: the single-file build puts them in one script`);
      declared.set(name, file);
    }
  }
  return order;
}

const [html, css, modules, sample, glue, wasm, workbookGlue, workbookWasm] = await Promise.all([
  read(path.join(WWW, 'index.html')),
  read(path.join(WWW, 'style.css')),
  pageModules('app.js'),
  read(path.join(WWW, 'sample-accounts.csv')),
  read(path.join(PKG, 'churn_audit.js')),
  readFile(path.join(PKG, 'churn_audit_bg.wasm')),
  read(path.join(PKG, 'churn_audit_workbook.js')),
  readFile(path.join(PKG, 'churn_audit_workbook_bg.wasm')),
]);

// The workbook engine (www/workbook.js's in-page path): its glue declares the global
// `churn_audit_workbook` (wasm-bindgen --no-modules-global), and its wasm is instantiated
// from the base64 only when a workbook is first chosen or the Excel export asked for.
if (!/\bchurn_audit_workbook\b/.test(workbookGlue)) throw new Error('the workbook glue does not declare churn_audit_workbook (--no-modules-global)');
const embed = [
  safe(glue),
  safe(workbookGlue),
  `globalThis.CHURN_AUDIT_EMBED = ${safe(JSON.stringify({ wasm: wasm.toString('base64'), sample }))};`,
  `globalThis.CHURN_AUDIT_WORKBOOK_EMBED = ${JSON.stringify(workbookWasm.toString('base64'))};`,
  '',
].join('\n');
const page = safe(modules.map(({ file, text }) => unmodule(text, file)).join('\n'));
const csp = [
  "default-src 'none'",
  `script-src ${sha(embed)} ${sha(page)} 'wasm-unsafe-eval'`,
  `style-src ${sha(css)}`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

let out = html;
const replace = (pattern, text) => {
  if (!pattern.test(out)) throw new Error(`index.html no longer has ${pattern}`);
  out = out.replace(pattern, () => text);
};
replace(/<meta http-equiv="Content-Security-Policy" content="[^"]*">/, `<meta http-equiv="Content-Security-Policy" content="${csp}">`);
replace(/<link rel="stylesheet" href="style.css">/, `<style>${css}</style>`);
replace(/<script type="module" src="app.js"><\/script>/, `<script>${embed}</script>\n<script type="module">${page}</script>`);
// Training needs the separate training engine and a module worker, neither of which the
// single file carries: its section stays hidden (train.js, which shows it, is left out).
replace(/\s*<link rel="stylesheet" href="train.css">\s*<script type="module" src="train.js"><\/script>/, '');

await mkdir(path.dirname(OUT), { recursive: true });
await writeFile(OUT, out);
console.log(`wrote ${path.relative(ROOT, OUT)} (${(out.length / 1024).toFixed(0)} KiB)`);

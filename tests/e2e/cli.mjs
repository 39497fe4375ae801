// The command line as the reference for the browser tests.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './harness.mjs';

export const AS_OF = '2026-01-15';
export const TOLERANCE = 1e-12;
export const CLI = path.resolve(ROOT, process.env.CHURN_AUDIT_BIN || 'target/release/churn-audit');

/** Runs `churn-audit score` on `file`; returns stdout (text). */
export async function cliScore(file, { format = 'json', model, asOf = AS_OF } = {}) {
  if (!existsSync(CLI)) throw new Error(`CLI not found at ${CLI}: build it with 'cargo build --release' or set CHURN_AUDIT_BIN.`);
  const args = ['score', '--data', file, '--as-of', asOf, '--format', format];
  if (model) args.push('--model', model);
  try {
    const { stdout } = await promisify(execFile)(CLI, args, { cwd: ROOT, maxBuffer: 512 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    throw new Error(`the CLI failed on ${file}: ${err.stderr || err.message}`);
  }
}

/** The CLI's AuditResult for `file`. */
export async function cliJson(file, opts) {
  const stdout = await cliScore(file, opts);
  try {
    return JSON.parse(stdout);
  } catch (err) {
    throw new Error(`the CLI's --format json output is not JSON: ${err.message}\n${stdout.slice(0, 500)}`);
  }
}

/** Probabilities per account id (sorted, ids may repeat). */
export function byId(list) {
  const m = new Map();
  for (const { id, p } of list) m.set(id, [...(m.get(id) || []), p]);
  for (const v of m.values()) v.sort((a, b) => b - a);
  return m;
}

/** The model card `churn-audit card` prints for `model` (markdown text). */
export async function cliCard(model) {
  if (!existsSync(CLI)) throw new Error(`CLI not found at ${CLI}: build it with 'cargo build --release' or set CHURN_AUDIT_BIN.`);
  try {
    const { stdout } = await promisify(execFile)(CLI, ['card', '--model', model], { cwd: ROOT });
    return stdout;
  } catch (err) {
    throw new Error(`the CLI failed on card --model ${model}: ${err.stderr || err.message}`);
  }
}

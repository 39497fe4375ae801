// What several of the page's modules read or change, in one object: an imported `let`
// cannot be assigned by the module that imports it, and one object keeps the page's
// state in one place. What only one module uses stays in that module (the table's order
// and rows, the account in the detail, the engine's workers, the run's tokens).
export const state = {
  /** The model in use, as the engine describes it (its card's sections included). */
  model: null,
  /** Tier name -> { cls, index }: each of the model's tiers and its style class. */
  tierRank: new Map(),
  /** Feature name -> its label in the page. */
  featureLabel: new Map(),
  /** A chosen model file's text, re-applied when a cancelled worker is replaced. */
  customModelText: null,
  /** The tier thresholds chosen in the page, re-applied likewise. */
  customThresholds: null,
  /** { blob: Blob (a File or the sample), name, sample: boolean, headId: the last inspection's } */
  current: null,
  /** The engine's reading of the current file's columns (step 2). */
  inspection: null,
  /** header -> target, the user's overrides only */
  userMapping: {},
  /** The last run's answer: summary, portfolio, warnings (the rows stay in the engine). */
  result: null,
  /** The file's SHA-256, computed after the summary is shown (printing waits for it). */
  fingerprint: Promise.resolve(),
  /** Taken anew by each file chosen (or sheet of a workbook): a read that finds a newer one was superseded. */
  readToken: 0,
  /** The text made of a workbook's sheet (a Blob) -> { file: the workbook, notes: its reader's notes }. */
  workbooks: new WeakMap(),
};

// The page's elements, found once by id (a missing one stops the page at start-up), and
// the status line and busy state that every step uses.
export const body = document.body;

const $ = (id) => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page is missing #${id}`);
  return node;
};

export const ui = {
  fileInput: $('file-input'),
  dropZone: $('drop-zone'),
  sampleButton: $('sample-button'),
  asOf: $('as-of'),
  status: $('status'),
  progressRow: $('progress-row'),
  progress: $('progress'),
  cancel: $('cancel-button'),
  mapping: $('mapping'),
  mappingIntro: $('mapping-intro'),
  mappingProblem: $('mapping-problem'),
  mappingBody: $('mapping-body'),
  mappingDetails: $('mapping-details'),
  mappingMissing: $('mapping-missing'),
  mappingScore: $('mapping-score'),
  mappingReset: $('mapping-reset'),
  summary: $('summary'),
  summaryFile: $('summary-file'),
  coverage: $('coverage'),
  demoNote: $('demo-note'),
  statAccounts: $('stat-accounts'),
  statWarnings: $('stat-warnings'),
  statChurners: $('stat-churners'),
  statRevenue: $('stat-revenue'),
  tierCards: $('tier-cards'),
  histogram: $('histogram'),
  drivers: $('drivers'),
  segments: $('segments'),
  segmentsFigure: $('segments-figure'),
  issues: $('issues'),
  issuesEmpty: $('issues-empty'),
  results: $('results'),
  resultsNote: $('results-note'),
  resultsBody: $('results-body'),
  resultsTable: $('results-table'),
  viewport: $('viewport'),
  search: $('search'),
  tierFilter: $('tier-filter'),
  segmentFilter: $('segment-filter'),
  exportSection: $('export'),
  exportCsv: $('export-csv'),
  exportExcel: $('export-excel'),
  exportXlsx: $('export-xlsx'),
  sheetRow: $('sheet-row'),
  printReport: $('print-report'),
  modelCard: $('model-card'),
  modelInput: $('model-input'),
  modelDefault: $('model-default'),
  tiersForm: $('tiers-form'),
  tiersFields: $('tiers-fields'),
  tiersApply: $('tiers-apply'),
  modelInfo: $('model-info'),
  detail: $('detail'),
  detailHeading: $('detail-heading'),
  detailClose: $('detail-close'),
  detailFigures: $('detail-figures'),
  waterfall: $('waterfall'),
  contribBody: $('contrib-body'),
  actions: $('actions'),
  whatifFields: $('whatif-fields'),
  whatifResult: $('whatif-result'),
  whatifReset: $('whatif-reset'),
  detailWarnings: $('detail-warnings'),
  detailAbsent: $('detail-absent'),
  report: $('report'),
};

export function setStatus(text, kind = '') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

export function busy(on, cancellable = false) {
  ui.progressRow.hidden = !on;
  ui.cancel.hidden = !cancellable;
  body.toggleAttribute('aria-busy', on);
}

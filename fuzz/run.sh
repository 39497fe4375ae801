#!/bin/sh
# Runs every fuzz target for FUZZ_SECONDS seconds (one job each, one after the other)
# and prints, per target, libFuzzer's final figures: executions, executions per second,
# coverage (edges and features) and crashes (with the crashing inputs' paths).
# Called by `make fuzz`; exits non-zero when a target crashed or failed to build.
#
# Settings (environment):
#   FUZZ_SECONDS    seconds per target (default 600)
#   FUZZ_TARGETS    targets to run (default: all six, cheapest stage first)
#   FUZZ_SANITIZER  cargo-fuzz sanitizer (default none: the crate has no unsafe code,
#                   so AddressSanitizer finds little a panic would not, at 2.5-3 times
#                   the cost; `address` to use it anyway)
#   FUZZ_CARGO      how to call cargo (default `cargo +nightly`; stable works as
#                   `env RUSTC_BOOTSTRAP=1 cargo`)
set -u
cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-600}
targets=${FUZZ_TARGETS:-split decode cells model audit workbook}
sanitizer=${FUZZ_SANITIZER:-none}
cargo=${FUZZ_CARGO:-cargo +nightly}

# Per target: the longest input (small inputs keep a stage at thousands of runs per
# second; every branch of a stage is reachable in them), the dictionary, the seeds.
settings() {
    case $1 in
    split) echo "2048 csv ../tests/fixtures ../tests/fixtures/hostile" ;;
    decode) echo "2048 csv ../tests/fixtures ../tests/fixtures/hostile" ;;
    cells) echo "512 cells ../tests/fixtures ../tests/fixtures/hostile" ;;
    model) echo "32768 model ../models ../tests/fixtures/hostile" ;;
    audit) echo "16384 csv ../tests/fixtures ../tests/fixtures/hostile" ;;
    workbook) echo "32768 workbook ../tests/fixtures/workbooks ../tests/fixtures/workbooks/hostile" ;;
    *) return 1 ;;
    esac
}

mkdir -p logs
summary=logs/summary.md
printf '| target | time | runs | runs/s | coverage | crashes |\n| --- | --- | --- | --- | --- | --- |\n' >"$summary"
failed=0
for t in $targets; do
    if ! args=$(settings "$t"); then
        echo "unknown fuzz target: $t" >&2
        failed=1
        continue
    fi
    # shellcheck disable=SC2086 # the settings are words
    set -- $args
    max_len=$1 dict=$2
    shift 2
    mkdir -p "corpus/$t" "artifacts/$t"
    log=logs/$t.log
    echo "== $t: ${seconds} s, inputs up to $max_len bytes, dict/$dict.dict (log: fuzz/$log)"
    # shellcheck disable=SC2086 # $cargo is a command and its arguments
    env $cargo fuzz run -O -s "$sanitizer" "$t" "corpus/$t" "$@" -- \
        -max_total_time="$seconds" -max_len="$max_len" -dict="dict/$dict.dict" \
        -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    # A crash stops libFuzzer before its final stats: the last status line then.
    [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 |
        sed 's/cov: \([0-9]*\) ft: \([0-9]*\)/\1 edges, \2 features/')
    crashes=$(sed -n 's/.*Test unit written to \(.*\(crash\|oom\|timeout\|leak\)-.*\)/\1/p' "$log")
    if [ -n "$crashes" ]; then
        found="$(echo "$crashes" | wc -l): $(echo "$crashes" | sed 's|^\./|fuzz/|' | tr '\n' ' ' | sed 's/ $//')"
        failed=1
    elif [ "$status" -ne 0 ]; then
        found="run failed (exit $status), see fuzz/$log"
        failed=1
    else
        found=none
    fi
    line="| $t | ${seconds} s, $sanitizer, one job | ${runs:--} | ${rate:--} | ${cov:--} | $found |"
    echo "$line"
    echo "$line" >>"$summary"
done
echo
cat "$summary"
exit $failed

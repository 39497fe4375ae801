# The README's commands. `make serve` and `make test` work on a fresh Debian machine as
# root: scripts/setup.sh installs what is missing and skips what is there.
PORT ?= 8000
AS_OF_MODEL := 2026-06-30
SIM_ACCOUNTS := 50000
SIM_SEED := 20260630
# Cargo's output directory: CARGO_TARGET_DIR when set (as in a git worktree), else target.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
WASM := $(TARGET_DIR)/wasm32-unknown-unknown/wasm-release/churn_audit.wasm
CLI := $(TARGET_DIR)/release/churn-audit
export CARGO_TERM_COLOR ?= never

.PHONY: serve test wasm wasm-train wasm-workbook dist cli model model-check compare bench-train bench-train-page bench-workbook-page setup setup-test lint unit wasm-test e2e clean fuzz bench

serve: setup wasm wasm-train wasm-workbook
	@echo "serving http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	python3 -m http.server --bind 127.0.0.1 $(PORT) -d www

test: setup-test lint unit wasm-test model-check e2e
	@echo "make test: all checks passed"

setup:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

# The scoring engine for the page: cargo + the pinned wasm-bindgen-cli, --target web.
# The name section is ~70 KB of debugging names the page never needs: removed.
# www/pkg/build.js names the build after a hash of every file of the page, so the
# service worker (www/sw.js) caches each build's files apart and replaces the old ones.
wasm:
	cargo build --profile wasm-release --target wasm32-unknown-unknown --lib
	wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir www/pkg $(WASM)
	printf 'self.CHURN_AUDIT_BUILD = "%s";\n' "$$(cat www/*.html www/*.js www/*.css www/*.csv www/pkg/churn_audit* | sha256sum | cut -c1-16)" > www/pkg/build.js

# One self-contained HTML file (target/dist/churn-audit.html) that works from disk with
# no server and no network: the no-modules engines inlined as base64 (scripts/build-dist.mjs),
# the scoring one and the workbook one (its glue under its own global name, so the two
# glues do not clash). Runs after wasm-workbook, which leaves the workbook build in
# $(WASM_WORKBOOK), then rebuilds the scoring engine into $(WASM).
DIST_PKG := target/dist-pkg
dist: wasm-workbook
	cargo build --profile wasm-release --target wasm32-unknown-unknown --lib
	wasm-bindgen --target no-modules --no-typescript --remove-name-section --remove-producers-section --out-dir $(DIST_PKG) $(WASM)
	wasm-bindgen --target no-modules --no-modules-global churn_audit_workbook --no-typescript --remove-name-section --remove-producers-section --out-dir $(DIST_PKG) $(WASM_WORKBOOK)
	node scripts/build-dist.mjs

# The training engine, a separate module the page loads only when someone trains a model
# (src/wasm_train.rs, feature train-engine), so the scoring engine does not grow. Both
# builds write $(WASM): the training one is copied aside before wasm-bindgen reads it,
# and it runs after `wasm` so the two never overwrite each other's file mid-build.
WASM_TRAIN := $(TARGET_DIR)/churn_audit_train.wasm
wasm-train: wasm
	cargo build --profile wasm-release --target wasm32-unknown-unknown --lib --features train-engine
	cp $(WASM) $(WASM_TRAIN)
	wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir www/pkg-train $(WASM_TRAIN)

# The workbook engine (src/wasm_workbook.rs, feature workbook-engine): reads .xlsx, .xls
# and .ods, and writes the Excel export. The page fetches it from its own site only when
# someone chooses a workbook or asks for the Excel export. Built after wasm-train for the
# same reason (all three builds write $(WASM)).
WASM_WORKBOOK := $(TARGET_DIR)/churn_audit_workbook.wasm
wasm-workbook: wasm-train
	cargo build --profile wasm-release --target wasm32-unknown-unknown --lib --features workbook-engine
	cp $(WASM) $(WASM_WORKBOOK)
	wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir www/pkg-workbook $(WASM_WORKBOOK)

cli:
	cargo build --release --bin churn-audit

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features train-engine -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features workbook-engine -- -D warnings

unit:
	cargo test --release

# The library's tests compiled to wasm and run in headless Chromium.
wasm-test:
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_USE_BROWSER=1 \
	cargo test --release --target wasm32-unknown-unknown --test wasm

# Rebuilds the bundled model and its card from the simulator: same seed, same bytes.
model: cli
	$(CLI) simulate --accounts $(SIM_ACCOUNTS) --seed $(SIM_SEED) --as-of $(AS_OF_MODEL) --out target/simulated-history.csv
	$(CLI) train --data target/simulated-history.csv --label churned --seed $(SIM_SEED) --as-of $(AS_OF_MODEL) --out models/default.json
	$(CLI) card --model models/default.json --out models/default.card.md

# Fails when models/default.json or its card is not what `make model` produces.
model-check: cli
	$(CLI) simulate --accounts $(SIM_ACCOUNTS) --seed $(SIM_SEED) --as-of $(AS_OF_MODEL) --out target/simulated-history.csv
	$(CLI) train --data target/simulated-history.csv --label churned --seed $(SIM_SEED) --as-of $(AS_OF_MODEL) --out target/rebuilt-model.json
	$(CLI) card --model target/rebuilt-model.json --out target/rebuilt-model.card.md
	cmp models/default.json target/rebuilt-model.json
	cmp models/default.card.md target/rebuilt-model.card.md

# Evidence, not tests (heavy, run by hand): our train/eval against scikit-learn on
# simulated and public churn tables, and the training speed on 100k accounts.
compare:
	benches/compare.sh

bench-train:
	benches/bench_train.sh

# Training in the page (headless Chromium) against the CLI on the same simulated file:
# prints the median of a few runs of each.
bench-train-page: cli wasm-train
	node benches/bench_train_page.mjs

# Reading a workbook history in the page (the training section, headless Chromium):
# BOOK=FILE.xlsx, e.g. one written by `churn-audit simulate --accounts 100000 --seed 1
# --out FILE.xlsx` (or tests/fixtures/workbooks/make.py --big-history 100000 FILE.xlsx).
# Prints the median of RUNS (3) reads.
bench-workbook-page: wasm-workbook
	BOOK=$(BOOK) node benches/bench_workbook_page.mjs

# Speed and size (benches/browser/bench.mjs; benches/README.md says what each line means):
# an A/B against the base commit BENCH_BASE, checked out in a worktree at BENCH_BASE_DIR
# and built there by its own Makefile into its own target directory (benches/browser/base.sh;
# reused while it is at that commit). On 1M simulated accounts it times, base and current
# alternating, file-to-summary of the page in headless Chromium and the CLI (to the scored
# CSV, and --format summary), and prints medians, min/max, current/base and "within 10%" or
# "SLOWER by N%"; from the same run, our page against a floor page (reads the file, counts
# line feeds) and PapaParse pages; and the budgets as PASS/MISS: scoring wasm <= 250 KB and
# everything the page loads at start-up <= 350 KB gzipped, peak JS heap. It exits 0 whatever
# the figures. Then a 100,000-account .xlsx against its CSV twin (same accounts), in our
# page (first file, and warm after a small one) and the CLI, medians of BENCH_WB_RUNS (3),
# with ratios.
# Knobs: BENCH_RUNS (5 page rounds), BENCH_PAPA_RUNS (3 of them with the PapaParse pages),
# BENCH_CLI_RUNS (5), BENCH_ROWS (1000000), more in bench.mjs's header.
# E.g. `make bench BENCH_BASE=HEAD~3 BENCH_RUNS=9`.
BENCH_BASE ?= 47104ac
BENCH_BASE_DIR ?= target/bench-base
bench: setup-test wasm-workbook cli
	benches/browser/base.sh $(BENCH_BASE) $(BENCH_BASE_DIR)
	BENCH_BASE_DIR=$(abspath $(BENCH_BASE_DIR)) CHURN_AUDIT_BIN=$${CHURN_AUDIT_BIN:-$(abspath $(CLI))} node benches/browser/bench.mjs

# The page (served, and as the single file from file://) in headless Chromium against
# the CLI on the same file.
e2e: cli wasm wasm-train wasm-workbook dist
	CHURN_AUDIT_BIN=$${CHURN_AUDIT_BIN:-$(abspath $(CLI))} node --test tests/e2e/

clean:
	cargo clean
	rm -rf www/pkg www/pkg-train www/pkg-workbook node_modules

# Fuzzes with cargo-fuzz (fuzz/, its own workspace, so `cargo test` never builds it):
# the account-list reader stage by stage (split, decode, cells), the model loader
# (model) and the whole audit (audit), FUZZ_SECONDS each, one job, and prints per
# target the runs, runs per second, coverage (edges, features) and crashes (fuzz/run.sh;
# FUZZ_TARGETS="split cells" runs some, FUZZ_SANITIZER=address under ASan). Not part of
# `make test`. Needs nightly, or stable with RUSTC_BOOTSTRAP=1; the corpus grows in
# fuzz/corpus/, crashes land in fuzz/artifacts/, logs in fuzz/logs/.
FUZZ_SECONDS ?= 600
FUZZ_CARGO = $(if $(shell rustup toolchain list 2>/dev/null | grep nightly),cargo +nightly,env RUSTC_BOOTSTRAP=1 cargo)
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CARGO="$(FUZZ_CARGO)" fuzz/run.sh

#!/usr/bin/env bash
# Installs what the Makefile needs, idempotently: each step checks first and is skipped
# (in well under a second) when its tool is already there at the right version.
#   scripts/setup.sh build   the wasm32 target and the pinned wasm-bindgen-cli
#   scripts/setup.sh test    the above, plus Chromium, ChromeDriver and npm packages
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}

say() { printf 'setup: %s\n' "$*" >&2; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must equal the wasm-bindgen crate exactly; read the version from the
# lock file so the two can never drift apart.
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (found '${have:-none}'; takes a few minutes once)"
  # --locked can fail on a crate missing from the registry; an unlocked build works.
  cargo install wasm-bindgen-cli --version "=$want" --locked \
    || cargo install wasm-bindgen-cli --version "=$want"
fi

if [ "$what" = test ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing chromium and chromium-driver from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  fi
  # npm ci only when the lock file changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.ci-stamp; then
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.ci-stamp
  fi
fi

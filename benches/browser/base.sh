#!/usr/bin/env bash
# Builds the base of `make bench`'s A/B comparison: commit $1 checked out in a git
# worktree at $2 (made when missing, moved to $1 when at another commit), with its CLI and
# its page's engine built by its own Makefile (`make wasm cli`) into its own target
# directory ($2/target), so the build never touches the current tree's. A base already
# built at that commit is reused: the check takes a fraction of a second.
#   benches/browser/base.sh 47104ac target/bench-base
set -euo pipefail
rev=${1:?usage: base.sh COMMIT DIR}
dir=${2:?usage: base.sh COMMIT DIR}
say() { printf 'bench: %s\n' "$*" >&2; }

commit=$(git rev-parse --verify --quiet "$rev^{commit}") || { say "BENCH_BASE=$rev is not a commit of this repository"; exit 1; }
short=$(git rev-parse --short "$commit")
if [ ! -e "$dir/.git" ]; then
  say "checking out the base $short in a worktree at $dir"
  # --force: a worktree once made here and deleted by hand (rm -rf target) is still
  # registered; it is made again in the same place.
  git worktree add --quiet --force --detach "$dir" "$commit"
elif [ "$(git -C "$dir" rev-parse HEAD)" != "$commit" ]; then
  say "moving the base worktree $dir to $short"
  # Only the bench writes in this worktree, and only ignored files (www/pkg, target).
  git -C "$dir" checkout --quiet --force --detach "$commit"
fi

dir=$(cd "$dir" && pwd)
stamp=$dir/target/bench-base.commit
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$commit" ] && [ -x "$dir/target/release/churn-audit" ] \
  && [ -f "$dir/www/pkg/churn_audit_bg.wasm" ] && [ -f "$dir/www/pkg/build.js" ]; then
  say "base $short already built in $dir (reused)"
  exit 0
fi
rm -f "$stamp"

# The base's wasm-bindgen-cli must equal its own wasm-bindgen crate: when the current
# tree moved to another version, the base's is installed next to its build, once.
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' "$dir/Cargo.lock")
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ -n "$want" ] && [ "$have" != "$want" ]; then
  tools=$dir/target/tools
  if [ "$("$tools/bin/wasm-bindgen" --version 2>/dev/null | awk '{print $2}' || true)" != "$want" ]; then
    say "installing wasm-bindgen-cli $want for the base into $tools (found '${have:-none}'; a few minutes, once)"
    cargo install --quiet --root "$tools" wasm-bindgen-cli --version "=$want" --locked \
      || cargo install --quiet --root "$tools" wasm-bindgen-cli --version "=$want"
  fi
  export PATH=$tools/bin:$PATH
fi

say "building the base $short in $dir (its own make wasm cli, target dir $dir/target)"
# The base's own Makefile, with none of this make's variables or target directory.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CARGO_BUILD_TARGET_DIR CARGO_TARGET_DIR="$dir/target" \
  make -C "$dir" --no-print-directory wasm cli
echo "$commit" > "$stamp"

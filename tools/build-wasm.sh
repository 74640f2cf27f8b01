#!/usr/bin/env bash
# Build the Rust core to WebAssembly and generate the JS bindings.
#
#   bash tools/build-wasm.sh [--force]
#
# Output:
#   pkg/node/wps3.js (+ wps3_bg.wasm, wps3.d.ts)   CommonJS, for the Node sidecar
#   pkg/web/wps3.js  (+ wps3_bg.wasm, wps3.d.ts)   ES module, for the browser admin page
#
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen-cli == the wasm-bindgen
# version in Cargo.lock, and node_modules/.bin/wasm-opt (npm `binaryen`).
# All three are installed by `bash tools/setup.sh core`.
# Never use Debian's binaryen: its wasm-opt corrupts wasm-bindgen output.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

log() { printf '[build-wasm] %s\n' "$*"; }
die() { printf '[build-wasm] ERROR: %s\n' "$*" >&2; exit 1; }

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
[ -n "$have" ] || die "wasm-bindgen not found; run: bash tools/setup.sh core"
[ "$have" = "$want" ] || die "wasm-bindgen $have does not match Cargo.lock ($want); run: bash tools/setup.sh core"
WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
[ -x "$WASM_OPT" ] || die "node_modules/.bin/wasm-opt missing; run: npm ci (or bash tools/setup.sh core)"

# Parallel runs (several engineers, several suites) are serialised.
mkdir -p pkg
exec 9>pkg/.build.lock
flock 9
t0=$(date +%s)
log "cargo build --lib --target wasm32-unknown-unknown --release"
cargo build --lib --target wasm32-unknown-unknown --release
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
RAW="$TARGET_DIR/wasm32-unknown-unknown/release/wps3.wasm"
[ -f "$RAW" ] || die "$RAW not produced"

size() { stat -c %s "$1"; }
gzsize() { gzip -9c "$1" | wc -c; }

# Skip wasm-bindgen and wasm-opt when nothing that feeds them changed
# (pass --force to redo them anyway).
key=$( { sha256sum "$RAW" "${BASH_SOURCE[0]}"; wasm-bindgen --version; "$WASM_OPT" --version; } | sha256sum | cut -d' ' -f1)
if [ "${1:-}" != "--force" ] && [ -f pkg/.build-key ] && [ "$(cat pkg/.build-key)" = "$key" ] \
   && [ -f pkg/node/wps3.js ] && [ -f pkg/node/package.json ] && [ -f pkg/web/wps3.js ]; then
  for out in pkg/node pkg/web; do
    log "$out/wps3_bg.wasm up to date: $(size "$out/wps3_bg.wasm") B, $(gzsize "$out/wps3_bg.wasm") B gzipped"
  done
  log "done in $(( $(date +%s) - t0 ))s (bindings unchanged)"
  exit 0
fi
rm -f pkg/.build-key

# Build into a scratch dir and swap it in at the end, so a reader (a running
# sidecar, a test) never sees a half-written pkg/.
for target in nodejs web; do
  case "$target" in nodejs) out=pkg/node ;; web) out=pkg/web ;; esac
  tmp="$out.tmp.$$"
  rm -rf "$tmp"
  log "wasm-bindgen --target $target --out-dir $out --out-name wps3"
  wasm-bindgen "$RAW" --target "$target" --out-dir "$tmp" --out-name wps3 --typescript
  if [ "$target" = nodejs ]; then
    # CommonJS output; tell Node so even though the repo root is "type": "module".
    printf '{\n  "type": "commonjs"\n}\n' > "$tmp/package.json"
  fi
  bg="$tmp/wps3_bg.wasm"
  before=$(size "$bg")
  log "wasm-opt -O $out/wps3_bg.wasm"
  "$WASM_OPT" -O --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    "$bg" -o "$bg.opt"
  mv "$bg.opt" "$bg"
  after=$(size "$bg")
  rm -rf "$out.old.$$"
  [ -e "$out" ] && mv "$out" "$out.old.$$"
  mv "$tmp" "$out"
  rm -rf "$out.old.$$"
  log "$out/wps3_bg.wasm: $before B after wasm-bindgen -> $after B after wasm-opt, $(gzsize "$out/wps3_bg.wasm") B gzipped"
done

echo "$key" > pkg/.build-key
log "cargo output $RAW: $(size "$RAW") B raw, $(gzsize "$RAW") B gzipped"
log "done in $(( $(date +%s) - t0 ))s"

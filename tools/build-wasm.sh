#!/usr/bin/env bash
# Build the Rust core to WebAssembly and generate the JS bindings.
#
#   bash tools/build-wasm.sh [--force]
#
# Output (one cargo feature set each, see Cargo.toml [features]):
#   pkg/node/wps3.js      (+ wps3_bg.wasm, wps3.d.ts)  CommonJS, for the Node sidecar
#   pkg/node-test/wps3.js                              pkg/node plus the conformance-only
#                                                      bindings; tests only, never packaged
#   pkg/web/wps3.js                                    ES module, the admin page's subset
#                                                      (at most 100 KB gzipped)
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
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')

size() { stat -c %s "$1"; }
gzsize() { gzip -9c "$1" | wc -c; }

# One build per feature set (Cargo.toml [features]). Each has its own target
# dir: a cdylib's file name carries no feature hash, so sharing one dir would
# rebuild the crate every time the feature set changes.
# The web build is optimised for size (opt-level z, wasm-opt -Oz: about 10 %
# smaller than -O3/-O there); the Node builds for speed, since the sidecar
# hashes and signs on its hot path. The Node builds also use wasm SIMD
# (Node >= 16.4 has it; package.json asks for 20): sha2 then picks its
# simd128 SHA-256, about 1.6x the scalar one (payload hashing over http).
#   out dir        bindgen  wasm-opt  cargo arguments
SIMD='--config target.wasm32-unknown-unknown.rustflags=["-Ctarget-feature=+simd128"]'
BUILDS=(
  "pkg/node      nodejs   -O        $SIMD"
  "pkg/node-test nodejs   -O        $SIMD --features conformance"
  "pkg/web       web      -Oz       --no-default-features --features web --config profile.release.opt-level=\"z\""
)

build_one() {
  local out=$1 target=$2 opt=$3; shift 3
  local features=("$@") dir raw key tmp bg before after
  case "$out" in pkg/node) dir="$TARGET_DIR" ;; *) dir="$TARGET_DIR/flavours/${out#pkg/}" ;; esac
  log "cargo build --lib --target wasm32-unknown-unknown --release ${features[*]} (-> $out)"
  cargo build --lib --target wasm32-unknown-unknown --release --target-dir "$dir" "${features[@]}"
  raw="$dir/wasm32-unknown-unknown/release/wps3.wasm"
  [ -f "$raw" ] || die "$raw not produced"
  log "cargo output for $out: $(size "$raw") B raw, $(gzsize "$raw") B gzipped"

  # Skip wasm-bindgen and wasm-opt when nothing that feeds them changed
  # (pass --force to redo them anyway).
  key=$( { sha256sum "$raw" "${BASH_SOURCE[0]}"; echo "$target $opt"; wasm-bindgen --version; "$WASM_OPT" --version; } | sha256sum | cut -d' ' -f1)
  local keyfile="pkg/.build-key-${out#pkg/}"
  if [ "$FORCE" != 1 ] && [ -f "$keyfile" ] && [ "$(cat "$keyfile")" = "$key" ] && [ -f "$out/wps3.js" ] \
     && { [ "$target" != nodejs ] || [ -f "$out/package.json" ]; }; then
    log "$out/wps3_bg.wasm up to date: $(size "$out/wps3_bg.wasm") B, $(gzsize "$out/wps3_bg.wasm") B gzipped"
    return
  fi
  rm -f "$keyfile"

  # Build into a scratch dir and swap it in at the end, so a reader (a running
  # sidecar, a test) never sees a half-written pkg/.
  tmp="$out.tmp.$$"
  rm -rf "$tmp"
  log "wasm-bindgen --target $target --out-dir $out --out-name wps3"
  wasm-bindgen "$raw" --target "$target" --out-dir "$tmp" --out-name wps3 --typescript
  if [ "$target" = nodejs ]; then
    # CommonJS output; tell Node so even though the repo root is "type": "module".
    printf '{\n  "type": "commonjs"\n}\n' > "$tmp/package.json"
  fi
  bg="$tmp/wps3_bg.wasm"
  before=$(size "$bg")
  log "wasm-opt $opt $out/wps3_bg.wasm"
  local simd=() converge=()
  [[ " ${features[*]} " == *simd128* ]] && simd=(--enable-simd)
  # The size-budgeted build: repeat the passes until the module stops shrinking (about 250 B gzipped).
  [ "$opt" = -Oz ] && converge=(--converge)
  "$WASM_OPT" "$opt" "${converge[@]}" "${simd[@]}" --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    "$bg" -o "$bg.opt"
  mv "$bg.opt" "$bg"
  after=$(size "$bg")
  rm -rf "$out.old.$$"
  [ -e "$out" ] && mv "$out" "$out.old.$$"
  mv "$tmp" "$out"
  rm -rf "$out.old.$$"
  echo "$key" > "$keyfile"
  log "$out/wps3_bg.wasm: $before B after wasm-bindgen -> $after B after wasm-opt, $(gzsize "$out/wps3_bg.wasm") B gzipped"
}

FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1
rm -f pkg/.build-key # the single-build key of older versions of this script
set -f # the build lines carry brackets (rustflags): split them, never glob them
for b in "${BUILDS[@]}"; do
  # shellcheck disable=SC2086 # word splitting of the feature flags is intended
  build_one $b
done

# The browser build has a budget (docs/CONTRACTS.md): fail loudly when it grows past it.
WEB_BUDGET=$((100 * 1024)) # 100 KiB
web_gz=$(gzsize pkg/web/wps3_bg.wasm)
[ "$web_gz" -le "$WEB_BUDGET" ] || die "pkg/web/wps3_bg.wasm is $web_gz B gzipped, over the $WEB_BUDGET B budget"
log "pkg/web within budget: $web_gz of $WEB_BUDGET B gzipped"
log "done in $(( $(date +%s) - t0 ))s"

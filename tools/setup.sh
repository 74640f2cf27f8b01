#!/usr/bin/env bash
# Idempotent installer for a fresh Debian 12 machine (root, no stdin).
#
#   bash tools/setup.sh [core|storage|ministack|wordpress|browser|fuzz|all]...   (default: all)
#
#   core       apt build tools (+ nodejs/npm if node is missing), rust components,
#              rustup target wasm32-unknown-unknown, wasm-bindgen-cli pinned to
#              Cargo.lock, `npm ci` (binaryen's wasm-opt, playwright-core, bench deps)
#   storage    ministack (PyPI, own venv) and Garage (crates.io) test S3 servers
#   ministack  ministack only (the demo's storage; skips Garage's ~9 min build)
#   wordpress  WordPress, MariaDB, PHP CLI, PHPUnit, PHP_CodeSniffer, nginx, PHP-FPM (Debian packages)
#   browser    Chromium (Debian package; driven by npm's playwright-core)
#   fuzz       cargo-afl 0.18.2 (crates.io; builds its own AFL++), for tools/fuzz.sh only;
#              optional: not part of `all`
#
# Every step checks what is already installed (and its version) and skips when
# nothing is to do. Environment:
#   WPS3_CACHE   cache dir (default ~/.cache/wps3); the ministack venv lives here
#   CARGO_HOME   as usual (default ~/.cargo)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WPS3_CACHE="${WPS3_CACHE:-$HOME/.cache/wps3}"
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

MINISTACK_VERSION=1.5.33
GARAGE_VERSION=2.5.0
CARGO_AFL_VERSION=0.18.2  # tools/fuzz.sh; see docs TOOLCHAIN.md (stable Rust, no nightly)
WEBPKI_ROOTS_PIN=1.0.10   # see docs TOOLCHAIN.md: wasm-bindgen-cli's lockfile wants an unserved one

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# step NAME FUNCTION: runs FUNCTION, prints what it did and how long it took.
step() {
  local name="$1" fn="$2" t0 t1 rc=0
  t0=$(date +%s.%N)
  log "--> $name"
  "$fn" || rc=$?
  t1=$(date +%s.%N)
  local dt
  dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  if [ "$rc" -eq 0 ]; then
    log "<-- $name: ${STEP_RESULT:-done} (${dt}s)"
  else
    log "<-- $name: FAILED rc=$rc (${dt}s)"
    exit "$rc"
  fi
  STEP_RESULT=
}

# ---------------------------------------------------------------- apt ----
APT_UPDATED=0
apt_missing() { # prints the packages among "$@" that are not installed
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

apt_install() { # apt_install PKG... (installs only what is missing)
  local missing
  missing=$(apt_missing "$@" | tr '\n' ' ')
  missing="${missing% }"
  if [ -z "$missing" ]; then
    STEP_RESULT="already installed: $*"
    return 0
  fi
  command -v apt-get >/dev/null || die "apt-get not found (Debian 12 expected); install: $missing"
  if [ "$APT_UPDATED" -eq 0 ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  # Keep package scripts from starting daemons (apache2, mariadb) on this host:
  # tests start their own throwaway instances.
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  local rc=0
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing </dev/null || rc=$?
  [ "$own_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" -eq 0 ] || return "$rc"
  STEP_RESULT="installed: $missing"
}

# --------------------------------------------------------------- core ----
apt_core() {
  local pkgs=(ca-certificates curl git build-essential pkg-config python3 python3-venv)
  command -v node >/dev/null || pkgs+=(nodejs npm)
  apt_install "${pkgs[@]}"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 18 ] || die "node >= 18 needed (20 recommended), found $(node --version)"
  [ "$major" -ge 20 ] || log "warning: node $(node --version) is older than the supported 20"
}

rust_toolchain() {
  if ! command -v cargo >/dev/null || ! command -v rustup >/dev/null; then
    log "rustup not found; installing the stable toolchain with rustup-init"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal \
      || die "could not install rustup; install Rust >= 1.85 (rustup) and re-run"
    export PATH="$CARGO_HOME/bin:$PATH"
  fi
  local did=()
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
    did+=("target wasm32-unknown-unknown")
  fi
  local c
  for c in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      rustup component add "$c"
      did+=("component $c")
    fi
  done
  if [ "${#did[@]}" -eq 0 ]; then
    STEP_RESULT="already present: $(rustc --version), wasm32-unknown-unknown, rustfmt, clippy"
  else
    STEP_RESULT="added ${did[*]} ($(rustc --version))"
  fi
}

wasm_bindgen_version_wanted() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock"
}

wasm_bindgen_cli() {
  local want have
  want=$(wasm_bindgen_version_wanted)
  [ -n "$want" ] || die "no wasm-bindgen entry in Cargo.lock"
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" = "$want" ]; then
    STEP_RESULT="wasm-bindgen $have already installed"
    return 0
  fi
  log "wasm-bindgen-cli: have '${have:-none}', Cargo.lock wants $want"
  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/wps3-wbcli.XXXXXX")
  # 1. Get the exact crate source into $CARGO_HOME/registry/src with a throwaway
  #    crate that depends on it (cargo fetch downloads and unpacks it).
  local src
  src=$(ls -d "$CARGO_HOME"/registry/src/*/wasm-bindgen-cli-"$want" 2>/dev/null | head -n1 || true)
  if [ -z "$src" ]; then
    mkdir -p "$tmp/fetch/src"
    cat > "$tmp/fetch/Cargo.toml" <<EOF
[package]
name = "wps3-fetch-wasm-bindgen-cli"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
wasm-bindgen-cli = "=$want"
EOF
    : > "$tmp/fetch/src/lib.rs"
    (cd "$tmp/fetch" && cargo fetch -q)
    src=$(ls -d "$CARGO_HOME"/registry/src/*/wasm-bindgen-cli-"$want" 2>/dev/null | head -n1 || true)
    [ -n "$src" ] || die "cargo fetch did not unpack wasm-bindgen-cli-$want"
  fi
  # 2. Build a copy with webpki-roots pinned to a version the registry serves.
  cp -r "$src" "$tmp/cli"
  local rc=0
  (
    cd "$tmp/cli"
    cargo update -q -p webpki-roots --precise "$WEBPKI_ROOTS_PIN"
    CARGO_TARGET_DIR="$tmp/target" cargo install -q --path . --locked --force
  ) || rc=$?
  rm -rf "$tmp"
  [ "$rc" -eq 0 ] || return "$rc"
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  [ "$have" = "$want" ] || die "installed wasm-bindgen reports '$have', wanted $want"
  STEP_RESULT="installed wasm-bindgen $have"
}

cargo_afl() {
  local have
  have=$(cargo afl --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" = "$CARGO_AFL_VERSION" ]; then
    STEP_RESULT="cargo-afl $have already installed"
    return 0
  fi
  cargo install -q cargo-afl --version "$CARGO_AFL_VERSION" --locked --force
  # Builds AFL++ and its LLVM runtime once; "already built" on a second run is harmless.
  cargo afl config --build >/dev/null 2>&1 || true
  STEP_RESULT="installed cargo-afl $CARGO_AFL_VERSION"
}

npm_ci() {
  cd "$ROOT"
  [ -f package-lock.json ] || die "package-lock.json missing at $ROOT"
  local sum stamp=node_modules/.wps3-lock.sha256
  sum=$(sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && [ -x node_modules/.bin/wasm-opt ]; then
    STEP_RESULT="node_modules up to date with package-lock.json"
    return 0
  fi
  npm ci --no-audit --no-fund --loglevel=error
  echo "$sum" > "$stamp"
  STEP_RESULT="npm ci done ($(node_modules/.bin/wasm-opt --version 2>/dev/null || echo 'wasm-opt ?'))"
}

# ------------------------------------------------------------ storage ----
apt_storage() { apt_install ca-certificates build-essential pkg-config python3 python3-venv; }

install_ministack() {
  local venv="$WPS3_CACHE/ministack-venv" have
  have=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("ministack"))' 2>/dev/null || true)
  if [ "$have" = "$MINISTACK_VERSION" ] && [ -x "$venv/bin/ministack" ] \
     && "$venv/bin/python" -c 'import botocore' 2>/dev/null; then
    STEP_RESULT="ministack $have already in $venv"
    return 0
  fi
  mkdir -p "$WPS3_CACHE"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "ministack==$MINISTACK_VERSION"
  have=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("ministack"))')
  STEP_RESULT="installed ministack $have in $venv"
}

install_garage() {
  local have
  have=$(command garage --version 2>/dev/null | head -n1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true)
  if [ "$have" = "$GARAGE_VERSION" ]; then
    STEP_RESULT="garage $have already installed ($(command -v garage))"
    return 0
  fi
  log "garage: have '${have:-none}', want $GARAGE_VERSION (cargo install takes ~9 min on 2 cores)"
  cargo install -q garage --version "$GARAGE_VERSION" --locked \
    --no-default-features --features bundled-libs,lmdb,sqlite
  STEP_RESULT="installed garage $GARAGE_VERSION"
}

# ---------------------------------------------------------- wordpress ----
apt_wordpress() {
  # nginx + php-fpm: the e2e suite's production-like server mode; php-codesniffer: the phpcs suite.
  apt_install wordpress wordpress-theme-twentytwentythree mariadb-server \
    php-cli php-mysql php-curl php-xml php-mbstring phpunit php-codesniffer php-fpm nginx
}

# ------------------------------------------------------------ browser ----
apt_browser() { apt_install chromium; }

# --------------------------------------------------------------- main ----
[ "$(id -u)" -eq 0 ] || log "warning: not root; apt steps will fail if packages are missing"

sections=("$@")
[ "${#sections[@]}" -eq 0 ] && sections=(all)
want_core=0 want_storage=0 want_ministack=0 want_wp=0 want_browser=0 want_fuzz=0
for s in "${sections[@]}"; do
  case "$s" in
    core) want_core=1 ;;
    storage) want_storage=1 want_ministack=1 ;;
    ministack) want_ministack=1 ;;
    wordpress) want_wp=1 ;;
    browser) want_browser=1 ;;
    fuzz) want_fuzz=1 ;;
    all) want_core=1 want_storage=1 want_ministack=1 want_wp=1 want_browser=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) die "unknown section '$s' (core|storage|ministack|wordpress|browser|fuzz|all)" ;;
  esac
done

T0=$(date +%s)
# apt first, for every selected section, so `apt-get update` runs at most once.
[ "$want_core" -eq 1 ] && step "apt: core packages" apt_core
[ "$want_ministack" -eq 1 ] && step "apt: storage build packages" apt_storage
[ "$want_wp" -eq 1 ] && step "apt: wordpress, mariadb, php, phpunit, phpcs, nginx, php-fpm" apt_wordpress
[ "$want_browser" -eq 1 ] && step "apt: chromium" apt_browser
if [ "$want_core" -eq 1 ]; then
  step "rust toolchain + wasm32 target" rust_toolchain
  step "wasm-bindgen-cli (= Cargo.lock)" wasm_bindgen_cli
  step "npm ci" npm_ci
fi
[ "$want_ministack" -eq 1 ] && step "ministack $MINISTACK_VERSION (venv)" install_ministack
[ "$want_storage" -eq 1 ] && step "garage $GARAGE_VERSION" install_garage
[ "$want_fuzz" -eq 1 ] && step "cargo-afl $CARGO_AFL_VERSION" cargo_afl
log "all done in $(( $(date +%s) - T0 ))s (sections: ${sections[*]})"

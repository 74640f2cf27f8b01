#!/usr/bin/env bash
# Builds the installable plugin: dist/wps3-<version>.zip (also `npm run package`).
#
#   bash tools/package.sh [--no-build] [--out DIR]
#
# The version is the `Version:` header of php-bridge/wps3.php. The zip holds one folder, wps3/,
# which is what WordPress's Plugins → Add New → Upload Plugin expects:
#
#   wps3/                 php-bridge/ (wps3.php, uninstall.php, readme.txt, includes/, languages/ …)
#   wps3/sidecar/         the Node sidecar (*.mjs)
#   wps3/sidecar/wasm/    pkg/node: the core for Node (the sidecar loads it from there, no env vars)
#   wps3/pkg/web/         pkg/web: the core for browsers
#   wps3/www/             www/: the browser assets (admin page, transfers)
#
# No tests, no Rust sources, no dev files (README.md, *.d.ts, dotfiles, phpcs/phpunit configs).
# Symlinks are stored as the files they point to. Entries are sorted and stamped with the time
# of the last commit, so the same tree gives the same zip. After building, the zip is checked:
# required files present, nothing forbidden inside, readme.txt's Stable tag equal to the version,
# and a sidecar started from the unpacked copy (without WPS3_PKG_DIR) answers health with its
# bundled core.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[package] %s\n' "$*"; }
die() { printf '[package] ERROR: %s\n' "$*" >&2; exit 1; }

build=1 out="$ROOT/dist"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --out) out=$2; shift ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
  shift
done
command -v zip >/dev/null && command -v unzip >/dev/null || die "zip/unzip missing (apt-get install zip unzip)"

version=$(sed -n 's/^[ \t/*#@]*Version:[ \t]*\([^ \t\r]*\).*$/\1/p' php-bridge/wps3.php | head -n1)
[ -n "$version" ] || die "no Version: header in php-bridge/wps3.php"
stable=$(sed -n 's/^Stable tag:[ \t]*\([^ \t\r]*\).*$/\1/p' php-bridge/readme.txt | head -n1)
[ "$stable" = "$version" ] || die "php-bridge/readme.txt Stable tag '$stable' != plugin Version '$version'"

[ "$build" -eq 1 ] && bash tools/build-wasm.sh
for f in pkg/node/wps3.js pkg/node/wps3_bg.wasm pkg/web/wps3.js pkg/web/wps3_bg.wasm; do
  [ -f "$f" ] || die "$f missing: run bash tools/build-wasm.sh"
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/wps3-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
dest="$stage/wps3"
mkdir -p "$dest"

# copy_tree SRC DST: SRC's files (symlinks followed) into DST, without dev files.
copy_tree() {
  local src=$1 dst=$2
  mkdir -p "$dst"
  (cd "$src" && find -L . -type f \
    ! -name 'README.md' ! -name '*.d.ts' ! -name '.*' ! -name '*.test.*' ! -name '*.map' \
    ! -name 'phpcs.xml*' ! -name 'phpunit.xml*' ! -name 'package-lock.json' \
    ! -path '*/node_modules/*' ! -path '*/tests/*' ! -path '*/.*/*' -print0) |
    while IFS= read -r -d '' f; do
      mkdir -p "$dst/$(dirname "$f")"
      cp -L "$src/$f" "$dst/$f"
    done
}

# The plugin folder, except the links that point back into the repo (pkg/, www/): those are
# copied below with only what ships.
copy_tree php-bridge "$dest"
rm -rf "$dest/pkg" "$dest/sidecar/wasm"
for f in wps3.js wps3_bg.wasm package.json; do
  [ -f "pkg/node/$f" ] && { mkdir -p "$dest/sidecar/wasm"; cp -L "pkg/node/$f" "$dest/sidecar/wasm/$f"; }
done
mkdir -p "$dest/pkg/web"
cp -L pkg/web/wps3.js pkg/web/wps3_bg.wasm "$dest/pkg/web/"
if [ -d www ]; then
  rm -rf "$dest/www"
  copy_tree www "$dest/www"
fi

# The same tree gives the same zip: fixed order, fixed times, no extra attributes.
stamp=$(git log -1 --format=%ct 2>/dev/null || date +%s)
find "$dest" -exec touch -h -d "@$stamp" {} +
find "$dest" -type d -exec chmod 755 {} + && find "$dest" -type f -exec chmod 644 {} +
mkdir -p "$out"
zipfile="$out/wps3-$version.zip"
rm -f "$zipfile"
(cd "$stage" && find wps3 -print | LC_ALL=C sort | TZ=UTC zip -q -X -D -@ "$zipfile")

# ---- checks on the zip itself ----
listing=$(unzip -Z1 "$zipfile")
for f in wps3/wps3.php wps3/uninstall.php wps3/readme.txt wps3/includes/autoload.php wps3/sidecar/server.mjs \
  wps3/sidecar/wasm/wps3.js wps3/sidecar/wasm/wps3_bg.wasm wps3/pkg/web/wps3.js wps3/pkg/web/wps3_bg.wasm; do
  grep -qxF "$f" <<<"$listing" || die "$f missing from $zipfile"
done
if [ -n "$(find -L www -type f ! -name README.md 2>/dev/null | head -n1)" ]; then
  grep -q '^wps3/www/.' <<<"$listing" || die "www/ missing from $zipfile"
fi
bad=$(grep -E '\.rs$|(^|/)Cargo\.|(^|/)tests?/|node_modules/|\.test\.|(^|/)\.|\.d\.ts$|(^|/)README\.md$|phpcs|phpunit|^wps3/(src|target|fuzz|bench|tools|docs|pkg/node)/' <<<"$listing" || true)
[ -z "$bad" ] || die "dev files in the zip: $(tr '\n' ' ' <<<"$bad")"
[ "$(cut -d/ -f1 <<<"$listing" | sort -u)" = wps3 ] || die "the zip must hold exactly one top folder, wps3/"

# ---- the unpacked copy runs: its sidecar loads its bundled core without WPS3_PKG_DIR ----
unpacked="$stage/unpacked"
mkdir -p "$unpacked/run"
chmod 700 "$unpacked/run"
unzip -q "$zipfile" -d "$unpacked"
for f in $(cd "$unpacked" && find wps3 -name '*.php'); do
  php -l "$unpacked/$f" >/dev/null || die "php -l failed on $f in the zip"
done
sock="$unpacked/run/sidecar.sock"
env -u WPS3_PKG_DIR node "$unpacked/wps3/sidecar/server.mjs" --socket "$sock" >"$unpacked/run/out" 2>"$unpacked/run/err" &
sc=$!
health=""
for _ in $(seq 1 100); do
  health=$(curl -s --max-time 2 --unix-socket "$sock" http://sidecar/v1/health 2>/dev/null || true)
  [ -n "$health" ] && break
  kill -0 "$sc" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$sc" 2>/dev/null || true
wait "$sc" 2>/dev/null || true
[ -n "$health" ] || die "the packaged sidecar did not answer health: $(tail -n 5 "$unpacked/run/err")"
got=$(node -e 'const h = JSON.parse(process.argv[1]); const r = h.result || h; console.log(`${r.sidecarVersion || ""} ${r.coreVersion || ""}`)' "$health")
[ "${got% *}" = "$version" ] || die "packaged sidecar reports sidecarVersion '${got% *}', expected $version (health: $health)"
[ -n "${got#* }" ] || die "packaged sidecar reports no coreVersion (health: $health)"

files=$(grep -vc '/$' <<<"$listing")
log "$zipfile: $(stat -c %s "$zipfile") B, $files files (version $version); the unpacked sidecar answers health with core ${got#* }"

# shellcheck shell=bash
# End-to-end harness: a throwaway WordPress (Debian's package) on a throwaway MariaDB,
# with the plugin (php-bridge/) active and pointed at throwaway S3 servers.
# Used by tests/e2e/run.sh and tools/demo.
#
#   source tests/e2e/lib.sh
#   e2e_up                # honours the E2E_* variables below; writes $E2E_DIR/env.sh and env.json
#   ...                   # SITE_URL, WP_DIR, S3_* (ministack), GARAGE_S3_* (when garage runs)
#   e2e_down              # kills every process group it started, removes $E2E_DIR
#
# Variables (set before e2e_up):
#   E2E_STORAGE      "ministack" (default), "garage", "ministack garage" or "none"
#   E2E_DEMO=1       define WPS3_DEMO (demo panel) in wp-config.php
#   E2E_KEEP=1       keep $E2E_DIR on e2e_down (logs)
#   E2E_PORT         web port (default: a free one)
#   E2E_SERVER       "php" (default: php -S with tests/e2e/router.php) or "nginx" (nginx + PHP-FPM from
#                    Debian, configured as production sites are; both run as root, in $E2E_DIR)
#   E2E_PLUGIN       "link" (default: wp-content/plugins/wps3 is a symlink to php-bridge/, activated and
#                    configured by bin/install.php) or "zip" (no plugin: e2e_install_zip installs
#                    dist/wps3-<version>.zip through wp-admin's Upload Plugin form, activates it, then
#                    configures storage)
#   E2E_FPM_MAX_REQUESTS  nginx mode: PHP-FPM's pm.max_requests (workers recycled after N requests; default 0)
#   E2E_MULTISITE=1  also install a subdirectory multisite network in $E2E_DIR/wpms (second database,
#                    used in-process by PHPUnit, not served)
#   ADMIN_USER / ADMIN_PASSWORD / ADMIN_EMAIL (defaults: admin / random / admin@example.test)
# Ports and everything else are chosen at run time; nothing outside $E2E_DIR is written.

E2E_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E_HERE="$E2E_ROOT/tests/e2e"

e2e_log() { printf '[e2e] %s\n' "$*" >&2; }
e2e_die() { printf '[e2e] ERROR: %s\n' "$*" >&2; return 1; }

e2e_free_port() {
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false); echo substr($n, strrpos($n, ":") + 1);'
}

e2e_random() { # e2e_random N  -> N url-safe random characters
  php -r 'echo substr(strtr(base64_encode(random_bytes(64)), "+/=", "xyz"), 0, (int) $argv[1]);' "$1"
}

# Remember a process group to kill on e2e_down.
e2e_track() { echo "$2" >"$E2E_DIR/pids/$1"; }

e2e_wait_for() { # e2e_wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || { e2e_die "timed out after ${secs}s waiting for $what"; return 1; }
    sleep 0.1
  done
}

# ---------------------------------------------------------------- storage --
# e2e_start_storage KIND PREFIX -> exports ${PREFIX}S3_ENDPOINT, _REGION, _BUCKET, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY
e2e_start_storage() {
  local kind=$1 prefix=$2 out="$E2E_DIR/storage-$1.env" err="$E2E_DIR/storage-$1.log"
  : >"$out"
  setsid node "$E2E_ROOT/tests/support/storage.mjs" "$kind" >"$out" 2>"$err" </dev/null &
  local pid=$!
  disown "$pid" 2>/dev/null
  e2e_track "storage-$kind" "$pid"
  local end=$((SECONDS + 120))
  until grep -q '^S3_SECRET_ACCESS_KEY=' "$out"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$err" >&2
      e2e_die "storage server '$kind' failed to start"
      return 1
    fi
    [ "$SECONDS" -lt "$end" ] || { cat "$err" >&2; e2e_die "storage server '$kind' did not start in 120 s"; return 1; }
    sleep 0.2
  done
  local line
  while IFS= read -r line; do
    case "$line" in S3_*=*) export "${prefix}${line}" ;; esac
  done <"$out"
  e2e_log "storage $kind: $(grep '^S3_ENDPOINT=' "$out" | cut -d= -f2-) bucket $(grep '^S3_BUCKET=' "$out" | cut -d= -f2-)"
}

# --------------------------------------------------------------- database --
e2e_start_db() {
  DB_DATADIR="$E2E_DIR/mysql"
  DB_SOCKET="$E2E_DIR/mysql.sock"
  mkdir -p "$DB_DATADIR"
  mariadb-install-db --no-defaults --datadir="$DB_DATADIR" --user=root \
    --auth-root-authentication-method=socket --skip-test-db >"$E2E_DIR/mariadb-install.log" 2>&1 ||
    { cat "$E2E_DIR/mariadb-install.log" >&2; e2e_die "mariadb-install-db failed"; return 1; }
  setsid mariadbd --no-defaults --datadir="$DB_DATADIR" --socket="$DB_SOCKET" --skip-networking \
    --user=root --pid-file="$E2E_DIR/mariadb.pid" --log-error="$E2E_DIR/mariadb.log" \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=48M --skip-name-resolve </dev/null >/dev/null 2>&1 &
  e2e_track mariadb $!
  disown $! 2>/dev/null
  e2e_wait_for 60 "MariaDB" mariadb-admin --no-defaults --socket="$DB_SOCKET" ping ||
    { cat "$E2E_DIR/mariadb.log" >&2; return 1; }
  e2e_sql "CREATE DATABASE wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; CREATE DATABASE wordpress_ms CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
}

e2e_sql() { mariadb --no-defaults --socket="$DB_SOCKET" -uroot -e "$1"; }

# -------------------------------------------------------------- wordpress --
# e2e_write_config DIR DBNAME URL [multisite]
e2e_write_config() {
  local dir=$1 db=$2 url=$3 ms=${4:-}
  local salts="" k
  for k in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
    case $k in
      # WPS3_E2E_SALTS_IN_DB=1 (one process) leaves these to WordPress, which then keeps them in the database.
      AUTH_SALT | SECURE_AUTH_SALT) salts+="getenv( 'WPS3_E2E_SALTS_IN_DB' ) || define( '$k', '$(e2e_random 64)' );"$'\n' ;;
      *) salts+="define( '$k', '$(e2e_random 64)' );"$'\n' ;;
    esac
  done
  local host=${url#http://}; host=${host%%/*}
  {
    cat <<PHP
<?php
// Generated by tests/e2e/lib.sh for a throwaway test site.
define( 'DB_NAME', '$db' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', 'localhost:$DB_SOCKET' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
$salts
\$table_prefix = 'wp_';
define( 'WP_HOME', '$url' );
define( 'WP_SITEURL', '$url' );
define( 'FS_METHOD', 'direct' );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', '$E2E_DIR/debug-$db.log' );
define( 'WP_DEBUG_DISPLAY', false );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_AUTO_UPDATE_CORE', false );
// Tests may define extra constants for one process: WPS3_E2E_DEFINE='{"WPS3_NODE_BINARY":"/nope"}'.
\$wps3_e2e_define = json_decode( (string) getenv( 'WPS3_E2E_DEFINE' ), true );
foreach ( is_array( \$wps3_e2e_define ) ? \$wps3_e2e_define : array() as \$wps3_k => \$wps3_v ) {
	defined( \$wps3_k ) || define( \$wps3_k, \$wps3_v );
}
defined( 'WPS3_SIDECAR_SOCKET' ) || define( 'WPS3_SIDECAR_SOCKET', '$E2E_DIR/sc/sidecar.sock' );
define( 'WPS3_E2E_HOOK_LOG', '$E2E_DIR/hooks.log' );
// Storage runs on 127.0.0.1 here (ministack, Garage, fake-s3): the SSRF guard allows it only with this.
defined( 'WPS3_ALLOW_PRIVATE_ENDPOINTS' ) || define( 'WPS3_ALLOW_PRIVATE_ENDPOINTS', true );
define( 'WPS3_E2E_FILES_ROOT', '$E2E_DIR' ); // the test documents' folder, an allowed root (mu-plugin)
PHP
    [ "${E2E_DEMO:-}" = 1 ] && echo "defined( 'WPS3_DEMO' ) || define( 'WPS3_DEMO', true );"
    if [ -n "$ms" ]; then
      cat <<PHP
define( 'WP_ALLOW_MULTISITE', true );
if ( ! defined( 'WPS3_E2E_INSTALLING_NETWORK' ) ) {
	define( 'MULTISITE', true );
	define( 'SUBDOMAIN_INSTALL', false );
	define( 'DOMAIN_CURRENT_SITE', '$host' );
	define( 'PATH_CURRENT_SITE', '/' );
	define( 'SITE_ID_CURRENT_SITE', 1 );
	define( 'BLOG_ID_CURRENT_SITE', 1 );
}
PHP
    fi
    [ -n "${E2E_EXTRA_CONFIG:-}" ] && printf '%s\n' "$E2E_EXTRA_CONFIG"
    cat <<'PHP'
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
PHP
  } >"$dir/wp-config.php"
}

# e2e_install_site DIR DBNAME URL [multisite]
e2e_install_site() {
  local dir=$1 db=$2 url=$3 ms=${4:-}
  cp -rL /usr/share/wordpress "$dir"
  rm -f "$dir/wp-config.php"
  mkdir -p "$dir/wp-content/mu-plugins" "$dir/wp-content/uploads"
  cp "$E2E_HERE/mu-plugin/wps3-e2e.php" "$dir/wp-content/mu-plugins/wps3-e2e.php"
  local no_plugin=
  if [ "${E2E_PLUGIN:-link}" = zip ] && [ -z "$ms" ]; then
    no_plugin=1 # installed later through wp-admin (e2e_install_zip)
  else
    ln -s "$E2E_ROOT/php-bridge" "$dir/wp-content/plugins/wps3"
  fi
  e2e_write_config "$dir" "$db" "$url" "$ms"
  WP_DIR_INSTALL="$dir" SITE_URL_INSTALL="$url" E2E_MULTISITE_INSTALL="$ms" E2E_NO_PLUGIN="$no_plugin" \
    php "$E2E_HERE/bin/install.php" >>"$E2E_DIR/install.log" 2>&1 ||
    { cat "$E2E_DIR/install.log" >&2; e2e_die "WordPress install failed ($dir)"; return 1; }
}

# PHP settings of the web server (both modes): room for the plugin zip upload and long requests.
E2E_PHP_INI=(memory_limit=256M max_execution_time=300 upload_max_filesize=64M post_max_size=64M)

e2e_start_web() {
  case "${E2E_SERVER:-php}" in
    php) e2e_start_php_server ;;
    nginx) e2e_start_nginx ;;
    *) e2e_die "unknown E2E_SERVER '${E2E_SERVER}' (php | nginx)" ;;
  esac
}

e2e_start_php_server() {
  local ini=() kv
  for kv in "${E2E_PHP_INI[@]}"; do ini+=(-d "$kv"); done
  setsid env PHP_CLI_SERVER_WORKERS=4 php "${ini[@]}" \
    -S "127.0.0.1:$WEB_PORT" -t "$WP_DIR" "$E2E_HERE/router.php" >"$E2E_DIR/php-server.log" 2>&1 </dev/null &
  e2e_track web $!
  disown $! 2>/dev/null
  e2e_wait_for 20 "php -S on :$WEB_PORT" curl -sf -o /dev/null "$SITE_URL/wp-login.php"
}

# nginx + PHP-FPM as a production site runs them, except that both run as root inside $E2E_DIR
# (the CLI tests, which also run as root, share the sidecar and the uploads with the site).
# PHP-FPM keeps its default clear_env=yes: PHP starts the sidecar with an emptied environment.
e2e_start_nginx() {
  local fpm nginx kv
  fpm=$(command -v php-fpm8.2 || command -v php-fpm || ls /usr/sbin/php-fpm* 2>/dev/null | head -n1)
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$fpm" ] && [ -x "$nginx" ] || { e2e_die "nginx or php-fpm missing (bash tools/setup.sh wordpress)"; return 1; }
  local conf="$E2E_DIR/web"
  mkdir -p "$conf/tmp"
  {
    printf '[global]\npid = %s/php-fpm.pid\nerror_log = %s/php-fpm.log\ndaemonize = no\n\n' "$conf" "$E2E_DIR"
    printf '[wps3]\nuser = root\ngroup = root\nlisten = %s/php-fpm.sock\nlisten.mode = 0600\n' "$conf"
    printf 'pm = static\npm.max_children = 4\ncatch_workers_output = yes\ndecorate_workers_output = no\n'
    printf 'request_terminate_timeout = 330\n'
    # E2E_FPM_MAX_REQUESTS: workers exit after that many requests and FPM starts new ones (0 = never).
    printf 'pm.max_requests = %s\n' "${E2E_FPM_MAX_REQUESTS:-0}"
    for kv in "${E2E_PHP_INI[@]}"; do printf 'php_admin_value[%s] = %s\n' "${kv%%=*}" "${kv#*=}"; done
  } >"$conf/php-fpm.conf"
  cat >"$conf/nginx.conf" <<NGINX
# Generated by tests/e2e/lib.sh: one WordPress site, as a production nginx serves it.
user root;
worker_processes 2;
pid $conf/nginx.pid;
error_log $E2E_DIR/nginx-error.log warn;
daemon off;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log $E2E_DIR/nginx-access.log;
  client_body_temp_path $conf/tmp/body;
  fastcgi_temp_path $conf/tmp/fastcgi;
  proxy_temp_path $conf/tmp/proxy;
  uwsgi_temp_path $conf/tmp/uwsgi;
  scgi_temp_path $conf/tmp/scgi;
  client_max_body_size 64m;
  sendfile on;
  server {
    listen 127.0.0.1:$WEB_PORT;
    server_name 127.0.0.1 localhost;
    root $WP_DIR;
    index index.php;
    location / {
      try_files \$uri \$uri/ /index.php?\$args;
    }
    location ~ \.php\$ {
      try_files \$uri =404;
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      # Debian's fastcgi_params drops the port from HTTP_HOST; WordPress then redirects forever.
      fastcgi_param HTTP_HOST \$host:\$server_port;
      fastcgi_read_timeout 330s;
      fastcgi_pass unix:$conf/php-fpm.sock;
    }
  }
}
NGINX
  setsid "$fpm" --nodaemonize --allow-to-run-as-root --fpm-config "$conf/php-fpm.conf" \
    >>"$E2E_DIR/php-fpm.log" 2>&1 </dev/null &
  e2e_track fpm $!
  disown $! 2>/dev/null
  e2e_wait_for 20 "php-fpm socket" test -S "$conf/php-fpm.sock" ||
    { cat "$E2E_DIR/php-fpm.log" >&2; return 1; }
  "$nginx" -t -q -e "$E2E_DIR/nginx-error.log" -p "$conf" -c "$conf/nginx.conf" 2>>"$E2E_DIR/nginx-error.log" ||
    { cat "$E2E_DIR/nginx-error.log" >&2; e2e_die "nginx -t failed"; return 1; }
  setsid "$nginx" -e "$E2E_DIR/nginx-error.log" -p "$conf" -c "$conf/nginx.conf" >>"$E2E_DIR/nginx-error.log" 2>&1 </dev/null &
  e2e_track web $!
  disown $! 2>/dev/null
  e2e_wait_for 20 "nginx on :$WEB_PORT" curl -sf -o /dev/null "$SITE_URL/wp-login.php" ||
    { tail -n 20 "$E2E_DIR/nginx-error.log" "$E2E_DIR/php-fpm.log" >&2; return 1; }
}

# e2e_install_zip [ZIP]: installs the plugin zip (default: the newest dist/wps3-*.zip) through
# wp-admin's Plugins → Add New → Upload Plugin in Chromium, activates it, then stores the harness's
# storage settings (as bin/install.php does for a linked plugin).
e2e_install_zip() {
  local zip=${1:-}
  [ -n "$zip" ] || zip=$(ls -t "$E2E_ROOT"/dist/wps3-*.zip 2>/dev/null | head -n1)
  [ -f "$zip" ] || { e2e_die "no plugin zip (bash tools/package.sh)"; return 1; }
  WPS3_E2E_DIR=$E2E_DIR node "$E2E_HERE/bin/install-zip.mjs" "$zip" || return 1
  [ -f "$WP_DIR/wp-content/plugins/wps3/wps3.php" ] && [ ! -L "$WP_DIR/wp-content/plugins/wps3" ] ||
    { e2e_die "the upload did not leave a real wp-content/plugins/wps3/ folder"; return 1; }
  WP_DIR_INSTALL="$WP_DIR" SITE_URL_INSTALL="$SITE_URL" php "$E2E_HERE/bin/install.php" storage >>"$E2E_DIR/install.log" 2>&1 ||
    { tail -n 20 "$E2E_DIR/install.log" >&2; e2e_die "storage settings for the installed plugin failed"; return 1; }
}

e2e_write_env() {
  local v
  {
    for v in E2E_DIR E2E_ROOT WP_DIR SITE_URL WEB_PORT DB_SOCKET ADMIN_USER ADMIN_PASSWORD ADMIN_EMAIL \
      S3_ENDPOINT S3_REGION S3_BUCKET S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY \
      GARAGE_S3_ENDPOINT GARAGE_S3_REGION GARAGE_S3_BUCKET GARAGE_S3_ACCESS_KEY_ID GARAGE_S3_SECRET_ACCESS_KEY \
      MS_WP_DIR MS_SITE_URL; do
      [ -n "${!v:-}" ] && printf '%s=%q\n' "$v" "${!v}"
    done
  } >"$E2E_DIR/env.sh"
  php -r '
    $out = array();
    foreach ( file( $argv[1], FILE_IGNORE_NEW_LINES ) as $l ) { list( $k ) = explode( "=", $l, 2 ); $out[ $k ] = getenv( $k ); }
    file_put_contents( $argv[2], json_encode( $out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES ) );
  ' "$E2E_DIR/env.sh" "$E2E_DIR/env.json"
}

e2e_up() {
  local -
  set +e # errors are handled here; callers may run with set -e
  command -v php >/dev/null || { e2e_die "php is missing (bash tools/setup.sh wordpress)"; return 1; }
  command -v mariadbd >/dev/null || { e2e_die "mariadbd is missing (bash tools/setup.sh wordpress)"; return 1; }
  [ -d /usr/share/wordpress ] || { e2e_die "Debian's wordpress package is missing (bash tools/setup.sh wordpress)"; return 1; }
  [ -f "$E2E_ROOT/pkg/node/wps3.js" ] || { e2e_die "pkg/node/wps3.js missing: run bash tools/build-wasm.sh"; return 1; }
  E2E_DIR=$(mktemp -d /tmp/wps3e.XXXXXX)
  chmod 755 "$E2E_DIR"
  mkdir -p "$E2E_DIR/pids" "$E2E_DIR/sc"
  chmod 700 "$E2E_DIR/sc"
  : >"$E2E_DIR/hooks.log"
  export E2E_DIR E2E_ROOT
  local t0=$SECONDS kind
  for kind in ${E2E_STORAGE:-ministack}; do
    case "$kind" in
      ministack) e2e_start_storage ministack "" || return 1 ;;
      garage) e2e_start_storage garage GARAGE_ || return 1 ;;
      none) ;;
      *) e2e_die "unknown storage '$kind'"; return 1 ;;
    esac
  done
  # Without ministack, Garage is the default storage of the site.
  if [ -z "${S3_ENDPOINT:-}" ] && [ -n "${GARAGE_S3_ENDPOINT:-}" ]; then
    export S3_ENDPOINT=$GARAGE_S3_ENDPOINT S3_REGION=$GARAGE_S3_REGION S3_BUCKET=$GARAGE_S3_BUCKET \
      S3_ACCESS_KEY_ID=$GARAGE_S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY=$GARAGE_S3_SECRET_ACCESS_KEY
  fi
  e2e_start_db || return 1
  WEB_PORT=${E2E_PORT:-$(e2e_free_port)}
  SITE_URL="http://127.0.0.1:$WEB_PORT"
  WP_DIR="$E2E_DIR/wp"
  ADMIN_USER=${ADMIN_USER:-admin}
  ADMIN_PASSWORD=${ADMIN_PASSWORD:-$(e2e_random 20)}
  ADMIN_EMAIL=${ADMIN_EMAIL:-admin@example.test}
  export WEB_PORT SITE_URL WP_DIR ADMIN_USER ADMIN_PASSWORD ADMIN_EMAIL DB_SOCKET
  e2e_install_site "$WP_DIR" wordpress "$SITE_URL" || return 1
  if [ "${E2E_MULTISITE:-}" = 1 ]; then
    # Installed and used in-process by PHPUnit (switch_to_blog); not served over HTTP.
    MS_WP_DIR="$E2E_DIR/wpms"
    MS_SITE_URL="http://127.0.0.1:$(e2e_free_port)"
    export MS_WP_DIR MS_SITE_URL
    e2e_install_site "$MS_WP_DIR" wordpress_ms "$MS_SITE_URL" multisite || return 1
  fi
  e2e_write_env
  e2e_start_web || return 1
  e2e_log "WordPress up at $SITE_URL (${E2E_SERVER:-php}, plugin ${E2E_PLUGIN:-link}) in $((SECONDS - t0)) s (dir $E2E_DIR)"
}

e2e_sidecar_pid() { cat "$E2E_DIR/sc/sidecar.pid" 2>/dev/null; }

# The running sidecar is the installed copy's (wp-content/plugins/wps3/sidecar/server.mjs), not the
# repository's; started by the web server's PHP, without WPS3_PKG_DIR, it can only have loaded the
# wasm core bundled next to it (sidecar/wasm/).
e2e_check_installed_sidecar() {
  local pid cmd want="$WP_DIR/wp-content/plugins/wps3/sidecar/server.mjs"
  pid=$(e2e_sidecar_pid)
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || { e2e_die "no sidecar is running (pid file: '${pid}')"; return 1; }
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
  case " $cmd " in
    *" $want "*) ;;
    *) e2e_die "sidecar $pid runs '$cmd', not the installed copy $want"; return 1 ;;
  esac
  if tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^WPS3_PKG_DIR='; then
    e2e_die "sidecar $pid has WPS3_PKG_DIR set; the zip must work without it"
    return 1
  fi
  [ -f "$WP_DIR/wp-content/plugins/wps3/sidecar/wasm/wps3_bg.wasm" ] || { e2e_die "installed copy lacks sidecar/wasm/"; return 1; }
  e2e_log "sidecar $pid runs the installed copy: $cmd"
}

e2e_down() {
  local -
  set +e # best effort: some processes may already be gone
  [ -n "${E2E_DIR:-}" ] && [ -d "$E2E_DIR" ] || return 0
  local f pid
  # The sidecar was started by the plugin in its own session.
  pid=$(e2e_sidecar_pid)
  if [ -n "$pid" ] && grep -q server.mjs "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  fi
  for f in web fpm storage-ministack storage-garage mariadb; do
    [ -f "$E2E_DIR/pids/$f" ] || continue
    pid=$(cat "$E2E_DIR/pids/$f")
    kill -TERM -- "-$pid" 2>/dev/null
  done
  sleep 0.5
  for f in "$E2E_DIR"/pids/*; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill -KILL -- "-$pid" 2>/dev/null
  done
  pid=$(e2e_sidecar_pid)
  [ -n "$pid" ] && grep -q server.mjs "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  if [ "${E2E_KEEP:-}" = 1 ]; then
    e2e_log "kept $E2E_DIR"
  else
    rm -rf "$E2E_DIR"
  fi
}

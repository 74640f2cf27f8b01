<?php
/**
 * The sidecar's runtime directory and the files the plugin keeps in it.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Where the socket, pid file, lock, start marker, token and log live.
 *
 * By default a private directory under the temp dir whose name has a per-install random part
 * (RuntimeSuffix); with WPS3_SIDECAR_SOCKET the directory of that socket, which belongs to the admin.
 */
final class RuntimeDir {

	/**
	 * Random part of the default directory name, read once per PHP request.
	 *
	 * @var string|null
	 */
	private ?string $suffix = null;

	/**
	 * Whether the directory is the plugin's default one (not chosen by an admin).
	 *
	 * @return bool
	 */
	public function is_default(): bool {
		return ! ( defined( 'WPS3_SIDECAR_SOCKET' ) && WPS3_SIDECAR_SOCKET );
	}

	/**
	 * Name of the default directory: per WordPress install and plugin copy, plus the random suffix.
	 *
	 * @param string $temp_dir   System temp directory.
	 * @param string $abspath    WordPress's ABSPATH.
	 * @param string $plugin_dir The plugin's directory.
	 * @param string $suffix     RuntimeSuffix value.
	 * @return string
	 */
	public static function default_path( string $temp_dir, string $abspath, string $plugin_dir, string $suffix ): string {
		return rtrim( $temp_dir, '/' ) . '/wps3-' . substr( md5( $abspath . '|' . $plugin_dir ), 0, 8 ) . '-' . $suffix;
	}

	/**
	 * The directory.
	 *
	 * @return string
	 */
	public function path(): string {
		if ( ! $this->is_default() ) {
			return dirname( (string) WPS3_SIDECAR_SOCKET );
		}
		$this->suffix ??= RuntimeSuffix::get();
		return self::default_path( sys_get_temp_dir(), ABSPATH, WPS3_PLUGIN_DIR, $this->suffix );
	}

	/**
	 * Unix socket path.
	 *
	 * @return string
	 */
	public function socket_path(): string {
		return $this->is_default() ? $this->path() . '/sidecar.sock' : (string) WPS3_SIDECAR_SOCKET;
	}

	/**
	 * Pid file the sidecar writes (`--pid-file`).
	 *
	 * @return string
	 */
	public function pid_file(): string {
		return $this->path() . '/sidecar.pid';
	}

	/**
	 * Log file (stdout and stderr of a sidecar the plugin started).
	 *
	 * @return string
	 */
	public function log_file(): string {
		return $this->path() . '/sidecar.log';
	}

	/**
	 * Lock file serialising starts.
	 *
	 * @return string
	 */
	public function lock_file(): string {
		return $this->path() . '/sidecar.lock';
	}

	/**
	 * File recording which plugin version started which sidecar process (ProcessTable::write_marker()).
	 *
	 * @return string
	 */
	public function marker_file(): string {
		return $this->path() . '/sidecar.started';
	}

	/**
	 * Token file of the TCP fallback (WPS3_SIDECAR_TOKEN_FILE, default `sidecar.token` here).
	 *
	 * @return string
	 */
	public function token_file(): string {
		if ( defined( 'WPS3_SIDECAR_TOKEN_FILE' ) && '' !== (string) WPS3_SIDECAR_TOKEN_FILE ) {
			return (string) WPS3_SIDECAR_TOKEN_FILE;
		}
		return $this->path() . '/sidecar.token';
	}

	/**
	 * Files the plugin may create here (removed on uninstall of the default directory).
	 *
	 * @return string[]
	 */
	public function files(): array {
		$dir = $this->path();
		return array( $dir . '/sidecar.sock', $this->pid_file(), $this->lock_file(), $this->log_file(), $this->marker_file(), $dir . '/sidecar.token' );
	}

	/**
	 * Creates the directory (0700) and checks it is ours and private: the directory is the socket's
	 * access control.
	 *
	 * @return true|\WP_Error
	 */
	public function prepare(): bool|\WP_Error {
		$dir = $this->path();
		if ( ! is_dir( $dir ) && ! @mkdir( $dir, 0700, true ) && ! is_dir( $dir ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			return Failure::setup(
				/* translators: %s: directory */
				sprintf( __( 'Cannot create the sidecar directory %s.', 'wps3' ), $dir ),
				__( 'Make the directory writable for the web server user, or define WPS3_SIDECAR_SOCKET in a writable directory.', 'wps3' )
			);
		}
		if ( is_link( $dir ) || ( function_exists( 'posix_geteuid' ) && fileowner( $dir ) !== posix_geteuid() ) ) {
			return Failure::setup(
				/* translators: %s: directory */
				sprintf( __( 'The sidecar directory %s is not owned by the web server user.', 'wps3' ), $dir ),
				__( 'Remove that directory, or define WPS3_SIDECAR_SOCKET in a directory owned by the web server user.', 'wps3' )
			);
		}
		clearstatcache( true, $dir );
		if ( fileperms( $dir ) & 0077 ) {
			if ( ! $this->is_default() ) {
				// Do not silently change the access control of a directory an admin chose.
				return Failure::setup(
					/* translators: %s: directory */
					sprintf( __( 'The sidecar directory %s is accessible to other users.', 'wps3' ), $dir ),
					sprintf( 'chmod 700 %s', $dir )
				);
			}
			@chmod( $dir, 0700 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		}
		return true;
	}
}

<?php
/**
 * Admin page (Settings → S3 Backups), admin-post actions and admin notices.
 *
 * @package wps3
 */

defined( 'ABSPATH' ) || exit;

/**
 * Admin UI.
 */
class WPS3_Admin {

	const PAGE       = 'wps3';
	const CAPABILITY = 'manage_options';

	/**
	 * Singleton.
	 *
	 * @var WPS3_Admin|null
	 */
	private static $instance = null;

	/**
	 * Returns the admin.
	 *
	 * @return WPS3_Admin
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Registers admin hooks.
	 *
	 * @return void
	 */
	public function boot() {
		add_action( 'admin_menu', array( $this, 'menu' ) );
		add_action( 'admin_notices', array( $this, 'global_notices' ) );
		add_action( 'admin_post_wps3_save_settings', array( $this, 'handle_save_settings' ) );
		add_action( 'admin_post_wps3_test_connection', array( $this, 'handle_test_connection' ) );
		add_action( 'admin_post_wps3_retry', array( $this, 'handle_retry' ) );
		add_action( 'admin_post_wps3_run_queue', array( $this, 'handle_run_queue' ) );
		add_action( 'admin_post_wps3_download', array( $this, 'handle_download' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( WPS3_PLUGIN_FILE ), array( $this, 'action_links' ) );
	}

	/**
	 * URL of the admin page.
	 *
	 * @param array $args Extra query args.
	 * @return string
	 */
	public static function page_url( array $args = array() ) {
		return add_query_arg( array_merge( array( 'page' => self::PAGE ), $args ), admin_url( 'options-general.php' ) );
	}

	/**
	 * Adds Settings → S3 Backups.
	 *
	 * @return void
	 */
	public function menu() {
		add_options_page(
			__( 'S3 Backups', 'wps3' ),
			__( 'S3 Backups', 'wps3' ),
			self::CAPABILITY,
			self::PAGE,
			array( $this, 'render_page' )
		);
	}

	/**
	 * Adds a Settings link on the Plugins screen.
	 *
	 * @param string[] $links Links.
	 * @return string[]
	 */
	public function action_links( $links ) {
		array_unshift( $links, '<a href="' . esc_url( self::page_url() ) . '">' . esc_html__( 'Settings', 'wps3' ) . '</a>' );
		return $links;
	}

	/**
	 * Stops unless the current user may manage the plugin.
	 *
	 * @return void
	 */
	private function require_capability() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to manage S3 backups.', 'wps3' ), '', array( 'response' => 403 ) );
		}
	}

	/**
	 * Queues a notice for the current user's next view of the page.
	 *
	 * @param string $type    success|error|warning|info.
	 * @param string $message Message (plain text).
	 * @param string $fix     Optional fix (plain text).
	 * @return void
	 */
	public static function add_notice( $type, $message, $fix = '' ) {
		$key      = 'wps3_notice_' . get_current_user_id();
		$notices  = get_transient( $key );
		$notices  = is_array( $notices ) ? $notices : array();
		$notices[] = array(
			'type'    => $type,
			'message' => $message,
			'fix'     => $fix,
		);
		set_transient( $key, $notices, 10 * MINUTE_IN_SECONDS );
	}

	/**
	 * Prints and clears the queued notices.
	 *
	 * @return void
	 */
	private function print_notices() {
		$key     = 'wps3_notice_' . get_current_user_id();
		$notices = get_transient( $key );
		delete_transient( $key );
		if ( ! is_array( $notices ) ) {
			return;
		}
		foreach ( $notices as $notice ) {
			$type = in_array( $notice['type'], array( 'success', 'error', 'warning', 'info' ), true ) ? $notice['type'] : 'info';
			echo '<div class="notice notice-' . esc_attr( $type ) . ' wps3-notice"><p>' . esc_html( $notice['message'] ) . '</p>';
			if ( ! empty( $notice['fix'] ) ) {
				echo '<p><strong>' . esc_html__( 'How to fix:', 'wps3' ) . '</strong> ' . esc_html( $notice['fix'] ) . '</p>';
			}
			echo '</div>';
		}
	}

	/**
	 * Redirects back to the page.
	 *
	 * @return void
	 */
	private function back() {
		wp_safe_redirect( self::page_url() );
		exit;
	}

	/**
	 * Notices on every admin screen: failed backups, sidecar failures, documents that could not be queued.
	 *
	 * @return void
	 */
	public function global_notices() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		$counts = WPS3_Backup_Queue::instance()->counts();
		if ( $counts['failed'] > 0 ) {
			echo '<div class="notice notice-error wps3-failed-notice"><p>';
			printf(
				/* translators: %d: number of failed backups */
				esc_html( _n( 'WP Signer S3 Backups: %d document could not be backed up.', 'WP Signer S3 Backups: %d documents could not be backed up.', $counts['failed'], 'wps3' ) ),
				(int) $counts['failed']
			);
			echo ' <a href="' . esc_url( self::page_url() . '#wps3-backups' ) . '">' . esc_html__( 'See why and retry', 'wps3' ) . '</a></p></div>';
		}
		$sidecar = get_transient( 'wps3_sidecar_error' );
		if ( is_array( $sidecar ) && WPS3_Sidecar_Client::instance()->cached_health_ok() ) {
			// It runs again (started by another request, or by an admin): the old failure is history.
			delete_transient( 'wps3_sidecar_error' );
			$sidecar = null;
		}
		if ( is_array( $sidecar ) && ! empty( $sidecar['message'] ) ) {
			echo '<div class="notice notice-error wps3-sidecar-notice"><p><strong>' . esc_html__( 'WP Signer S3 Backups: the signing sidecar is not running.', 'wps3' ) . '</strong> ' . esc_html( $sidecar['message'] ) . '</p>';
			if ( ! empty( $sidecar['fix'] ) ) {
				echo '<p><strong>' . esc_html__( 'How to fix:', 'wps3' ) . '</strong> ' . esc_html( $sidecar['fix'] ) . '</p>';
			}
			if ( self::can_manage_network() ) {
				// The log is shared by every site of the install: only (network) administrators of the host see where.
				/* translators: %s: log path */
				echo '<p class="wps3-sidecar-log">' . esc_html( sprintf( __( 'Sidecar log: %s', 'wps3' ), WPS3_Sidecar_Client::instance()->log_file() ) ) . '</p>';
			}
			echo '</div>';
		}
		$version = get_transient( 'wps3_sidecar_version' );
		if ( is_array( $version ) && isset( $version['running'], $version['plugin'] ) ) {
			echo '<div class="notice notice-warning wps3-sidecar-version-notice"><p><strong>' . esc_html__( 'WP Signer S3 Backups: the running sidecar belongs to another plugin version.', 'wps3' ) . '</strong> ';
			echo esc_html(
				sprintf(
					/* translators: 1: sidecar version, 2: plugin version */
					__( 'It reports version %1$s; the plugin is %2$s. It is used as it is, because the plugin did not start it or cannot start processes (proc_open() is disabled).', 'wps3' ),
					(string) $version['running'],
					(string) $version['plugin']
				)
			);
			echo '</p><p><strong>' . esc_html__( 'How to fix:', 'wps3' ) . '</strong> ' . esc_html__( 'Restart the sidecar service with the sidecar/server.mjs of the installed plugin.', 'wps3' ) . '</p></div>';
		}
		$settings = WPS3_Settings::instance();
		$missing  = $settings->salts_in_database();
		if ( $missing && ! $settings->is_locked( 'secret_access_key' ) && $settings->has_secret() ) {
			echo '<div class="notice notice-warning wps3-salt-notice"><p><strong>' . esc_html__( 'WP Signer S3 Backups: the stored secret access key is encrypted with salts kept in the database.', 'wps3' ) . '</strong> ';
			echo esc_html(
				sprintf(
					/* translators: %s: constant names */
					__( '%s are not defined in wp-config.php, so WordPress keeps generated values in the database, next to the encrypted secret: a copy of the database is enough to decrypt it. Define WPS3_ENCRYPTION_SALT (a long random string) or these salts in wp-config.php, then enter the secret again.', 'wps3' ),
					implode( ', ', $missing )
				)
			);
			echo '</p></div>';
		}
		$enqueue = get_transient( 'wps3_enqueue_error' );
		if ( is_array( $enqueue ) && ! empty( $enqueue['message'] ) ) {
			echo '<div class="notice notice-warning wps3-enqueue-notice"><p><strong>' . esc_html__( 'WP Signer S3 Backups: a completed document could not be queued.', 'wps3' ) . '</strong> ' . esc_html( $enqueue['message'] ) . '</p></div>';
		}
	}

	/**
	 * Whether the current user administers the whole install (network admins on multisite, admins otherwise).
	 *
	 * @return bool
	 */
	public static function can_manage_network() {
		return is_multisite() ? current_user_can( 'manage_network_options' ) : current_user_can( self::CAPABILITY );
	}

	/**
	 * Whether the current user may change the endpoint: on multisite only network admins may point a site at
	 * another server (the endpoint decides where the sidecar connects from the host).
	 *
	 * @return bool
	 */
	public static function can_edit_endpoint() {
		return ! is_multisite() || current_user_can( 'manage_network_options' );
	}

	/**
	 * Removes from posted settings what the current user may not change.
	 *
	 * @param array $input Posted settings.
	 * @return array{0:array,1:string[]} Filtered input and error messages.
	 */
	public static function filter_input_for_user( array $input ) {
		$errors = array();
		if ( array_key_exists( 'endpoint', $input ) && ! self::can_edit_endpoint() ) {
			$posted = is_scalar( $input['endpoint'] ) ? rtrim( trim( (string) $input['endpoint'] ), '/' ) : '';
			if ( $posted !== WPS3_Settings::instance()->get( 'endpoint' ) ) {
				$errors[] = __( 'Only a network administrator can change the endpoint.', 'wps3' );
			}
			unset( $input['endpoint'] );
		}
		return array( $input, $errors );
	}

	/**
	 * admin-post: save settings.
	 *
	 * @return void
	 */
	public function handle_save_settings() {
		$this->require_capability();
		check_admin_referer( 'wps3_save_settings' );
		// phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- every field is sanitized and validated in WPS3_Settings::save().
		$input = isset( $_POST['wps3'] ) && is_array( $_POST['wps3'] ) ? wp_unslash( $_POST['wps3'] ) : array();
		list( $input, $refused ) = self::filter_input_for_user( $input );
		if ( $refused ) {
			foreach ( $refused as $message ) {
				self::add_notice( 'error', $message );
			}
			self::add_notice( 'error', __( 'Settings were not saved.', 'wps3' ) );
			$this->back();
		}
		$saved = WPS3_Settings::instance()->save( $input );
		unset( $input );
		if ( is_wp_error( $saved ) ) {
			foreach ( $saved->get_error_messages() as $message ) {
				self::add_notice( 'error', $message );
			}
			self::add_notice( 'error', __( 'Settings were not saved.', 'wps3' ) );
		} else {
			self::add_notice( 'success', __( 'Settings saved.', 'wps3' ) );
		}
		$this->back();
	}

	/**
	 * admin-post: test the connection with the saved settings.
	 *
	 * @return void
	 */
	public function handle_test_connection() {
		$this->require_capability();
		check_admin_referer( 'wps3_test_connection' );
		$result = WPS3_Settings::instance()->test_connection();
		if ( is_wp_error( $result ) ) {
			$code = (string) WPS3_Errors::field( $result, 'code', '' );
			self::add_notice(
				'error',
				/* translators: 1: error code, 2: cause */
				sprintf( __( 'Connection failed (%1$s): %2$s', 'wps3' ), $code, (string) WPS3_Errors::field( $result, 'cause', $result->get_error_message() ) ),
				(string) WPS3_Errors::field( $result, 'fix', '' )
			);
		} else {
			self::add_notice(
				'success',
				/* translators: %d: milliseconds */
				sprintf( __( 'Connection OK: the bucket answered in %d ms.', 'wps3' ), (int) ( $result['latencyMs'] ?? 0 ) )
			);
		}
		$this->back();
	}

	/**
	 * admin-post: retry one failed job.
	 *
	 * @return void
	 */
	public function handle_retry() {
		$this->require_capability();
		$job_id = isset( $_REQUEST['job'] ) ? absint( $_REQUEST['job'] ) : 0; // phpcs:ignore WordPress.Security.NonceVerification -- checked right below.
		check_admin_referer( 'wps3_retry_' . $job_id );
		if ( WPS3_Backup_Queue::instance()->retry( $job_id ) ) {
			self::add_notice( 'success', __( 'The backup was queued again.', 'wps3' ) );
		} else {
			self::add_notice( 'warning', __( 'That backup is not waiting for a retry.', 'wps3' ) );
		}
		$this->back();
	}

	/**
	 * admin-post: process the queue now.
	 *
	 * @return void
	 */
	public function handle_run_queue() {
		$this->require_capability();
		check_admin_referer( 'wps3_run_queue' );
		$stats = WPS3_Backup_Queue::instance()->process();
		self::add_notice(
			'info',
			/* translators: 1: uploaded, 2: rescheduled, 3: failed */
			sprintf( __( 'Queue processed: %1$d uploaded, %2$d rescheduled, %3$d failed.', 'wps3' ), $stats['done'], $stats['retry'], $stats['failed'] )
		);
		$this->back();
	}

	/**
	 * admin-post: redirect to a short-lived presigned GET of a backup.
	 *
	 * @return void
	 */
	public function handle_download() {
		$this->require_capability();
		$backup_id = isset( $_REQUEST['backup'] ) ? absint( $_REQUEST['backup'] ) : 0; // phpcs:ignore WordPress.Security.NonceVerification -- checked right below.
		check_admin_referer( 'wps3_download_' . $backup_id );
		$queue  = WPS3_Backup_Queue::instance();
		$backup = $queue->get_backup_by_id( $backup_id );
		if ( ! $backup ) {
			self::add_notice( 'error', __( 'That backup does not exist.', 'wps3' ) );
			$this->back();
		}
		$url = $queue->download_url( $backup );
		if ( is_wp_error( $url ) ) {
			self::add_notice(
				'error',
				/* translators: %s: reason */
				sprintf( __( 'The download link could not be created: %s', 'wps3' ), (string) WPS3_Errors::field( $url, 'cause', $url->get_error_message() ) ),
				(string) WPS3_Errors::field( $url, 'fix', '' )
			);
			$this->back();
		}
		nocache_headers();
		// The URL goes to the storage host: wp_safe_redirect() would refuse it. download_url() verified
		// that the sidecar built it for the configured storage and that it is signed.
		wp_redirect( $url, 302, 'WPS3' ); // phpcs:ignore WordPress.Security.SafeRedirect.wp_redirect_wp_redirect
		exit;
	}

	/**
	 * Renders Settings → S3 Backups.
	 *
	 * @return void
	 */
	public function render_page() {
		$this->require_capability();
		$settings = WPS3_Settings::instance();
		$values   = $settings->all();
		echo '<div class="wrap wps3-admin">';
		echo '<h1>' . esc_html__( 'S3 Backups', 'wps3' ) . '</h1>';
		$this->print_notices();

		if ( WPS3_Demo::enabled() ) {
			WPS3_Demo::instance()->render_panel();
		}

		$this->render_backups();
		$this->render_settings_form( $settings, $values );
		echo '</div>';
	}

	/**
	 * One settings row.
	 *
	 * @param WPS3_Settings $settings Settings.
	 * @param string        $field    Field.
	 * @param string        $label    Label.
	 * @param string        $value    Effective value.
	 * @param string        $help     Help text.
	 * @return void
	 */
	private function text_row( $settings, $field, $label, $value, $help = '' ) {
		$id      = 'wps3-' . str_replace( '_', '-', $field );
		$locked  = $settings->is_locked( $field );
		$network = ! $locked && 'endpoint' === $field && ! self::can_edit_endpoint();
		echo '<tr><th scope="row"><label for="' . esc_attr( $id ) . '">' . esc_html( $label ) . '</label></th><td>';
		echo '<input type="text" class="regular-text" id="' . esc_attr( $id ) . '" name="wps3[' . esc_attr( $field ) . ']" value="' . esc_attr( $value ) . '"' . ( $locked || $network ? ' disabled="disabled"' : '' ) . ' autocomplete="off" spellcheck="false" />';
		if ( $locked ) {
			/* translators: %s: constant name */
			echo ' <span class="wps3-locked description">🔒 ' . esc_html( sprintf( __( 'Set by %s in wp-config.php', 'wps3' ), WPS3_Settings::CONSTANTS[ $field ] ) ) . '</span>';
		} elseif ( $network ) {
			echo ' <span class="wps3-locked wps3-network-only description">🔒 ' . esc_html__( 'Only a network administrator can change the endpoint.', 'wps3' ) . '</span>';
		}
		if ( $help ) {
			echo '<p class="description">' . esc_html( $help ) . '</p>';
		}
		echo '</td></tr>';
	}

	/**
	 * The settings form.
	 *
	 * @param WPS3_Settings $settings Settings.
	 * @param array         $values   Effective values.
	 * @return void
	 */
	private function render_settings_form( $settings, array $values ) {
		echo '<h2 id="wps3-settings">' . esc_html__( 'Storage settings', 'wps3' ) . '</h2>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" id="wps3-settings-form">';
		echo '<input type="hidden" name="action" value="wps3_save_settings" />';
		wp_nonce_field( 'wps3_save_settings' );
		echo '<table class="form-table" role="presentation"><tbody>';

		$locked = $settings->is_locked( 'provider' );
		echo '<tr><th scope="row"><label for="wps3-provider">' . esc_html__( 'Provider', 'wps3' ) . '</label></th><td>';
		echo '<select id="wps3-provider" name="wps3[provider]"' . ( $locked ? ' disabled="disabled"' : '' ) . '>';
		foreach ( WPS3_Settings::providers() as $id => $label ) {
			echo '<option value="' . esc_attr( $id ) . '"' . selected( $values['provider'], $id, false ) . '>' . esc_html( $label ) . '</option>';
		}
		echo '</select>';
		if ( $locked ) {
			echo ' <span class="wps3-locked description">🔒 ' . esc_html__( 'Set by WPS3_PROVIDER in wp-config.php', 'wps3' ) . '</span>';
		}
		echo '</td></tr>';

		$this->text_row( $settings, 'endpoint', __( 'Endpoint', 'wps3' ), $values['endpoint'], __( 'Only for S3-compatible storage, e.g. https://s3.example.com or http://127.0.0.1:9000.', 'wps3' ) );
		$this->text_row( $settings, 'account_id', __( 'Cloudflare account ID', 'wps3' ), $values['account_id'], __( 'Only for Cloudflare R2.', 'wps3' ) );
		$this->text_row( $settings, 'region', __( 'Region', 'wps3' ), $values['region'], __( 'For example eu-west-1. Empty: us-east-1 (auto for R2).', 'wps3' ) );
		$this->text_row( $settings, 'bucket', __( 'Bucket', 'wps3' ), $values['bucket'] );
		$this->text_row( $settings, 'path_prefix', __( 'Path prefix', 'wps3' ), $values['path_prefix'], __( 'Folder inside the bucket, e.g. wpsigner/.', 'wps3' ) );
		$this->text_row( $settings, 'access_key_id', __( 'Access key ID', 'wps3' ), $values['access_key_id'] );

		echo '<tr><th scope="row"><label for="wps3-secret-access-key">' . esc_html__( 'Secret access key', 'wps3' ) . '</label></th><td>';
		if ( $settings->is_locked( 'secret_access_key' ) ) {
			echo '<span class="wps3-locked description">🔒 ' . esc_html__( 'Set by WPS3_SECRET_ACCESS_KEY in wp-config.php', 'wps3' ) . '</span>';
		} else {
			if ( $settings->has_secret() ) {
				echo '<p class="wps3-secret-stored"><code>••••</code> ' . esc_html__( 'stored (encrypted)', 'wps3' ) . '</p>';
			}
			echo '<input type="password" class="regular-text" id="wps3-secret-access-key" name="wps3[secret_access_key]" value="" autocomplete="new-password" spellcheck="false" placeholder="' . esc_attr( $settings->has_secret() ? __( 'Enter a new secret to replace it', 'wps3' ) : '' ) . '" />';
			echo '<p class="description">' . esc_html__( 'Stored encrypted with this site\'s salts; it is never shown again.', 'wps3' ) . '</p>';
		}
		echo '</td></tr>';
		echo '</tbody></table>';
		submit_button( __( 'Save settings', 'wps3' ), 'primary', 'wps3_save', false );
		echo '</form>';

		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" id="wps3-test-form" style="margin-top:1em">';
		echo '<input type="hidden" name="action" value="wps3_test_connection" />';
		wp_nonce_field( 'wps3_test_connection' );
		submit_button( __( 'Test connection', 'wps3' ), 'secondary', 'wps3_test', false );
		echo ' <span class="description">' . esc_html__( 'Uses the saved settings.', 'wps3' ) . '</span>';
		echo '</form>';
	}

	/**
	 * The list of backups and jobs.
	 *
	 * @return void
	 */
	private function render_backups() {
		$queue  = WPS3_Backup_Queue::instance();
		$rows   = $queue->list_jobs( 100 );
		$counts = $queue->counts();
		echo '<h2 id="wps3-backups">' . esc_html__( 'Backups', 'wps3' ) . '</h2>';
		printf(
			'<p class="wps3-counts">%s</p>',
			esc_html(
				sprintf(
					/* translators: 1: done, 2: pending, 3: running, 4: failed */
					__( '%1$d backed up, %2$d waiting, %3$d uploading, %4$d failed.', 'wps3' ),
					$counts['done'],
					$counts['pending'],
					$counts['running'],
					$counts['failed']
				)
			)
		);
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="margin-bottom:1em">';
		echo '<input type="hidden" name="action" value="wps3_run_queue" />';
		wp_nonce_field( 'wps3_run_queue' );
		submit_button( __( 'Process queue now', 'wps3' ), 'secondary small', 'wps3_run', false );
		echo '</form>';

		echo '<table class="widefat striped wps3-jobs"><thead><tr>';
		foreach ( array( __( 'Document', 'wps3' ), __( 'Status', 'wps3' ), __( 'Attempts', 'wps3' ), __( 'Object', 'wps3' ), __( 'Last error', 'wps3' ), __( 'Actions', 'wps3' ) ) as $heading ) {
			echo '<th scope="col">' . esc_html( $heading ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		if ( ! $rows ) {
			echo '<tr><td colspan="6">' . esc_html__( 'No completed documents yet. Backups appear here when WP Signer reports a fully signed document.', 'wps3' ) . '</td></tr>';
		}
		$active = false;
		foreach ( $rows as $row ) {
			$status = (string) $row['status'];
			// Refresh while something will happen soon (not for a job waiting an hour for its next attempt).
			if ( 'running' === $status || ( 'pending' === $status && (int) $row['next_attempt_at'] <= time() + 30 ) ) {
				$active = true;
			}
			echo '<tr class="wps3-job wps3-status-' . esc_attr( $status ) . '" data-document-id="' . esc_attr( $row['document_id'] ) . '">';
			echo '<td><strong>' . esc_html( $row['title'] ) . '</strong><br /><span class="description">#' . esc_html( $row['document_id'] ) . '</span></td>';
			echo '<td><span class="wps3-status">' . esc_html( $this->status_label( $status ) ) . '</span>';
			if ( 'pending' === $status && (int) $row['attempts'] > 0 ) {
				/* translators: %s: human time difference */
				echo '<br /><span class="description">' . esc_html( sprintf( __( 'next attempt in %s', 'wps3' ), human_time_diff( time(), max( time(), (int) $row['next_attempt_at'] ) ) ) ) . '</span>';
			}
			echo '</td>';
			echo '<td>' . esc_html( (string) (int) $row['attempts'] ) . '</td>';
			echo '<td>';
			if ( ! empty( $row['backup_id'] ) ) {
				echo '<code class="wps3-key">' . esc_html( $row['object_key'] ) . '</code><br /><span class="description">' . esc_html( size_format( (int) $row['size'], (int) $row['size'] >= KB_IN_BYTES ? 1 : 0 ) . ' · ' . $row['bucket'] . ' · ' . $row['uploaded_at'] . ' UTC' ) . '</span>';
			}
			echo '</td>';
			echo '<td class="wps3-error">';
			if ( ! empty( $row['last_error_code'] ) && 'done' !== $status ) {
				echo '<code>' . esc_html( $row['last_error_code'] ) . '</code> ' . esc_html( (string) $row['last_error_cause'] );
				if ( ! empty( $row['last_error_fix'] ) ) {
					echo '<br /><strong>' . esc_html__( 'Fix:', 'wps3' ) . '</strong> <span class="wps3-fix">' . esc_html( (string) $row['last_error_fix'] ) . '</span>';
				}
			}
			echo '</td><td>';
			if ( ! empty( $row['backup_id'] ) ) {
				$url = wp_nonce_url(
					add_query_arg(
						array(
							'action' => 'wps3_download',
							'backup' => (int) $row['backup_id'],
						),
						admin_url( 'admin-post.php' )
					),
					'wps3_download_' . (int) $row['backup_id']
				);
				echo '<a class="button wps3-download" href="' . esc_url( $url ) . '">' . esc_html__( 'Download', 'wps3' ) . '</a> ';
			}
			if ( 'failed' === $status ) {
				echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="display:inline">';
				echo '<input type="hidden" name="action" value="wps3_retry" /><input type="hidden" name="job" value="' . esc_attr( (string) (int) $row['id'] ) . '" />';
				wp_nonce_field( 'wps3_retry_' . (int) $row['id'] );
				echo '<button type="submit" class="button wps3-retry">' . esc_html__( 'Retry', 'wps3' ) . '</button></form>';
			}
			echo '</td></tr>';
		}
		echo '</tbody></table>';
		if ( $active ) {
			// Refresh while uploads are in progress (WP-Cron runs them on page loads).
			echo '<p class="description wps3-refreshing">' . esc_html__( 'Uploading… this list refreshes by itself.', 'wps3' ) . '</p>';
			echo '<script>setTimeout(function(){window.location.reload();},3000);</script>';
		}
	}

	/**
	 * Human label of a status.
	 *
	 * @param string $status Status.
	 * @return string
	 */
	private function status_label( $status ) {
		$labels = array(
			'pending' => __( 'Waiting', 'wps3' ),
			'running' => __( 'Uploading', 'wps3' ),
			'done'    => __( 'Backed up', 'wps3' ),
			'failed'  => __( 'Failed', 'wps3' ),
		);
		return $labels[ $status ] ?? $status;
	}
}

<?php
/**
 * Per-site storage settings, wp-config overrides, and the storage and credentials objects of sidecar ops.
 *
 * Slightly over 400 lines: it is the settings API docs/CONTRACTS.md fixes (stored/get/storage/
 * credentials/save/…) in one place; the core check, the schema and the secret are their own classes.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Settings;

use WPS3\Errors;

defined( 'ABSPATH' ) || exit;

/**
 * Reads and saves the storage settings of the current site.
 *
 * Validation and defaults are the core's (`validate-settings`, `settings-schema`): this class only
 * sanitizes form input the WordPress way, applies wp-config constants, and stores what the core
 * accepted.
 */
final class Settings {

	public const OPTION        = 'wps3_settings';
	public const SECRET_OPTION = Secret::OPTION;

	/**
	 * Setting => wp-config constant that overrides it.
	 *
	 * @var array<string, string>
	 */
	public const CONSTANTS = array(
		'provider'      => 'WPS3_PROVIDER',
		'endpoint'      => 'WPS3_ENDPOINT',
		'account_id'    => 'WPS3_ACCOUNT_ID',
		'region'        => 'WPS3_REGION',
		'bucket'        => 'WPS3_BUCKET',
		'path_prefix'   => 'WPS3_PATH_PREFIX',
		'access_key_id' => 'WPS3_ACCESS_KEY_ID',
		// Under "Advanced" on the settings page; empty means the core's auto.
		'addressing_style' => 'WPS3_ADDRESSING_STYLE',
	);

	/**
	 * Shared instance.
	 *
	 * @var Settings|null
	 */
	private static ?Settings $instance = null;

	/**
	 * The sealed secret.
	 *
	 * @var Secret
	 */
	private Secret $secret;

	/**
	 * Use instance().
	 */
	private function __construct() {
		$this->secret = new Secret();
	}

	/**
	 * The shared instance.
	 *
	 * @return self
	 */
	public static function instance(): self {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * The secret of the current site.
	 *
	 * @return Secret
	 */
	public function secret(): Secret {
		return $this->secret;
	}

	/**
	 * Stored settings of the current site (no constants applied); every field present.
	 *
	 * @return array<string, string>
	 */
	public function stored(): array {
		$stored = get_option( self::OPTION, array() );
		$stored = is_array( $stored ) ? $stored : array();
		$out    = array();
		foreach ( array_keys( self::CONSTANTS ) as $field ) {
			$out[ $field ] = isset( $stored[ $field ] ) && is_scalar( $stored[ $field ] ) ? (string) $stored[ $field ] : '';
		}
		if ( ! array_key_exists( 'path_prefix', $stored ) ) {
			// Never saved: the core's default folder (an empty prefix that was saved stays empty).
			$schema             = Schema::get();
			$out['path_prefix'] = is_array( $schema ) ? (string) ( $schema['defaults']['pathPrefix'] ?? '' ) : '';
		}
		return $out;
	}

	/**
	 * Whether a setting is fixed by a wp-config constant.
	 *
	 * @param string $field Setting (or `secret_access_key`).
	 * @return bool
	 */
	public function is_locked( string $field ): bool {
		$network = NetworkMode::locks( $field ); // Multisite: the network admin's choice comes first.
		if ( null !== $network ) {
			return $network;
		}
		if ( 'secret_access_key' === $field ) {
			return defined( 'WPS3_SECRET_ACCESS_KEY' );
		}
		return isset( self::CONSTANTS[ $field ] ) && defined( self::CONSTANTS[ $field ] );
	}

	/**
	 * Fields fixed by wp-config constants: field => constant name.
	 *
	 * @return array<string, string>
	 */
	public function locked_fields(): array {
		$out = array();
		foreach ( self::CONSTANTS + array( 'secret_access_key' => 'WPS3_SECRET_ACCESS_KEY' ) as $field => $constant ) {
			if ( $this->is_locked( $field ) ) {
				$out[ $field ] = $constant;
			}
		}
		return $out;
	}

	/**
	 * Effective value of a setting (constant first, then the stored value).
	 *
	 * @param string $field Setting.
	 * @return string
	 */
	public function get( string $field ): string {
		if ( 'secret_access_key' !== $field && $this->is_locked( $field ) ) {
			if ( defined( self::CONSTANTS[ $field ] ) ) {
				return (string) constant( self::CONSTANTS[ $field ] );
			}
			// Locked by the network without a constant: the default, never the site's stored value.
			$schema = 'path_prefix' === $field ? Schema::get() : null;
			return is_array( $schema ) ? (string) ( $schema['defaults']['pathPrefix'] ?? '' ) : '';
		}
		return $this->stored()[ $field ] ?? '';
	}

	/**
	 * All effective settings.
	 *
	 * @return array<string, string>
	 */
	public function all(): array {
		$out = array();
		foreach ( array_keys( self::CONSTANTS ) as $field ) {
			$out[ $field ] = $this->get( $field );
		}
		return $out;
	}

	/**
	 * Whether a secret is available (constant or sealed envelope).
	 *
	 * @return bool
	 */
	public function has_secret(): bool {
		if ( $this->is_locked( 'secret_access_key' ) ) {
			return defined( 'WPS3_SECRET_ACCESS_KEY' ) && '' !== (string) WPS3_SECRET_ACCESS_KEY;
		}
		return '' !== $this->secret->envelope();
	}

	/**
	 * The folder backup keys go in, as the core normalizes it ('' for none). A value saved through the
	 * form is stored normalized already; a WPS3_PATH_PREFIX constant is normalized by the core here.
	 *
	 * @return string
	 */
	public function path_prefix(): string {
		$prefix = $this->get( 'path_prefix' );
		if ( ! $this->is_locked( 'path_prefix' ) ) {
			return $prefix;
		}
		$checked = CoreCheck::check( $this->all() );
		return null === $checked['failure'] ? ( $checked['normalized']['path_prefix'] ?? $prefix ) : $prefix;
	}

	/**
	 * The key template: WPS3_KEY_TEMPLATE, else the core's default ('' on a network, and when the core cannot
	 * be asked: the core then renders with its default, on a network the one that carries {site}).
	 *
	 * @return string
	 */
	public function key_template(): string {
		if ( defined( 'WPS3_KEY_TEMPLATE' ) ) {
			return (string) WPS3_KEY_TEMPLATE;
		}
		if ( is_multisite() ) {
			// The core's multisite default (keys carry {site}: sites may share bucket and prefix, and their
			// document ids overlap), which it picks itself when given a site and no template.
			return '';
		}
		$schema = Schema::get();
		return is_array( $schema ) ? (string) ( $schema['defaults']['keyTemplate'] ?? '' ) : '';
	}

	/**
	 * Storage object for sidecar ops, or why there is none.
	 *
	 * @param array<string, string> $overrides Values replacing the effective ones (e.g. the bucket a backup was written to).
	 * @return array<string, mixed>|\WP_Error
	 */
	public function storage( array $overrides = array() ): array|\WP_Error {
		$s      = array_merge( $this->all(), $overrides );
		$schema = Schema::get();
		if ( is_wp_error( $schema ) ) {
			return $schema;
		}
		$provider = Schema::provider( $schema, $s['provider'] );
		$missing  = array();
		if ( null === $provider ) {
			$missing[] = __( 'provider', 'wps3' );
		}
		if ( '' === $s['bucket'] ) {
			$missing[] = __( 'bucket', 'wps3' );
		}
		if ( ! empty( $provider['needsEndpoint'] ) && '' === $s['endpoint'] ) {
			$missing[] = __( 'endpoint', 'wps3' );
		}
		if ( ! empty( $provider['needsAccountId'] ) && '' === $s['account_id'] ) {
			$missing[] = __( 'account ID', 'wps3' );
		}
		if ( $missing ) {
			return $this->not_configured( $missing );
		}
		$storage = array(
			'provider' => $s['provider'],
			'region'   => '' !== $s['region'] ? $s['region'] : (string) ( $provider['defaultRegion'] ?? '' ),
			'bucket'   => $s['bucket'],
		);
		if ( '' !== $s['endpoint'] ) {
			$storage['endpoint'] = $s['endpoint'];
		}
		if ( ! empty( $provider['needsAccountId'] ) ) {
			$storage['accountId'] = $s['account_id'];
		}
		if ( '' !== $s['addressing_style'] ) {
			$storage['addressingStyle'] = $s['addressing_style'];
		}
		/**
		 * Filters the storage object sent to the sidecar.
		 *
		 * @param array  $storage  Storage (provider, region, bucket, endpoint, accountId, addressingStyle).
		 * @param string $provider Provider id.
		 */
		$filtered = apply_filters( 'wps3_storage', $storage, $s['provider'] );
		if ( ! is_array( $filtered ) || ! isset( $filtered['bucket'] ) || ! is_string( $filtered['bucket'] ) ) {
			Errors::filter_misuse( 'wps3_storage', __( 'an array with provider, region and bucket', 'wps3' ), $filtered );
			$filtered = $storage;
		}
		// After the filter: only wp-config decides whether storage may sit on a private network.
		unset( $filtered['allowPrivateEndpoints'] );
		if ( self::allow_private_endpoints() ) {
			$filtered['allowPrivateEndpoints'] = true;
		}
		return $filtered;
	}

	/**
	 * Whether wp-config allows storage at loopback or private addresses (WPS3_ALLOW_PRIVATE_ENDPOINTS).
	 * The core refuses them otherwise, and refuses link-local and metadata addresses always.
	 */
	public static function allow_private_endpoints(): bool {
		return defined( 'WPS3_ALLOW_PRIVATE_ENDPOINTS' ) && true === constant( 'WPS3_ALLOW_PRIVATE_ENDPOINTS' );
	}

	/**
	 * Credentials object for sidecar ops, or why there is none.
	 *
	 * @return array<string, mixed>|\WP_Error
	 */
	public function credentials(): array|\WP_Error {
		$key_id  = $this->get( 'access_key_id' );
		$missing = array();
		if ( '' === $key_id ) {
			$missing[] = __( 'access key ID', 'wps3' );
		}
		if ( ! $this->has_secret() ) {
			$missing[] = __( 'secret access key', 'wps3' );
		}
		if ( $missing ) {
			return $this->not_configured( $missing );
		}
		if ( $this->is_locked( 'secret_access_key' ) ) {
			return array(
				'accessKeyId'     => $key_id,
				'secretAccessKey' => (string) WPS3_SECRET_ACCESS_KEY,
			);
		}
		return array(
			'accessKeyId'  => $key_id,
			'sealedSecret' => $this->secret->sealed(),
		);
	}

	/**
	 * NOT_CONFIGURED for missing settings.
	 *
	 * @param string[] $missing Missing fields.
	 * @return \WP_Error
	 */
	private function not_configured( array $missing ): \WP_Error {
		return Errors::make(
			'NOT_CONFIGURED',
			/* translators: %s: comma-separated list of settings */
			sprintf( __( 'S3 backups are not configured: missing %s.', 'wps3' ), implode( ', ', $missing ) ),
			array( 'fix' => __( 'Fill in Settings → S3 Backups (or the WPS3_* constants in wp-config.php), then click Retry.', 'wps3' ) )
		);
	}

	/**
	 * Asks the core whether settings are valid.
	 *
	 * @param array<string, string> $values Settings (stored field names).
	 * @return array<string, string>|\WP_Error The core's normalized values (stored field names), or one
	 *                                         error per refused field (codes `wps3_<field>`), or the
	 *                                         sidecar's error when the core could not be asked.
	 */
	public function validate( array $values ): array|\WP_Error {
		$checked = CoreCheck::check( $values );
		return $checked['failure'] ?? $checked['errors'] ?? $checked['normalized'];
	}

	/**
	 * Validates and saves posted settings. Nothing is written unless the core accepted everything and the
	 * new secret (if any) was sealed.
	 *
	 * @param array<string, mixed> $input Unslashed input (field => value; `secret_access_key` replaces the secret when not empty).
	 * @return array<string, string>|\WP_Error The stored settings, or why nothing was saved.
	 */
	public function save( array $input ): array|\WP_Error {
		$new = $this->stored();
		foreach ( array_keys( self::CONSTANTS ) as $field ) {
			// An absent endpoint (a disabled field: on multisite only network admins change it) keeps the stored one.
			if ( $this->is_locked( $field ) || ( 'endpoint' === $field && ! array_key_exists( 'endpoint', $input ) ) ) {
				continue;
			}
			$new[ $field ] = isset( $input[ $field ] ) && is_scalar( $input[ $field ] ) ? trim( sanitize_text_field( (string) $input[ $field ] ) ) : '';
		}
		$secret  = isset( $input['secret_access_key'] ) && is_scalar( $input['secret_access_key'] ) && ! $this->is_locked( 'secret_access_key' ) ? trim( (string) $input['secret_access_key'] ) : '';
		$checked = CoreCheck::check( array_merge( $new, array_intersect_key( $this->all(), $this->locked_fields() ) ), $secret );
		if ( null !== $checked['failure'] ) {
			return new \WP_Error(
				'wps3_settings',
				/* translators: %s: reason */
				sprintf( __( 'The settings could not be checked, so nothing was saved (the previous secret is kept): %s', 'wps3' ), $checked['failure']->get_error_message() )
			);
		}
		$errors = $checked['errors'] ?? new \WP_Error();
		foreach ( $checked['normalized'] as $field => $value ) {
			// An empty region stays empty, so the provider's default follows a change of provider.
			if ( ! $this->is_locked( $field ) && ! ( 'region' === $field && '' === $new['region'] ) ) {
				$new[ $field ] = $value;
			}
		}

		$envelope = null;
		if ( '' !== $secret && ! $errors->has_errors() ) {
			$envelope = $this->secret->seal( $secret );
			if ( is_wp_error( $envelope ) ) {
				$errors->add(
					'wps3_secret',
					/* translators: %s: reason */
					sprintf( __( 'The secret access key could not be encrypted, so nothing was saved (the previous secret is kept): %s', 'wps3' ), $envelope->get_error_message() )
				);
			}
		}
		$secret = '';
		if ( $errors->has_errors() ) {
			return $errors;
		}

		update_option( self::OPTION, $new, false );
		if ( is_string( $envelope ) ) {
			$this->secret->store( $envelope );
		}
		/**
		 * Fires after the S3 backup settings of a site were saved.
		 *
		 * @param array $settings Stored settings (without the secret).
		 */
		do_action( 'wps3_settings_saved', $new );
		return $new;
	}

	/**
	 * Seals a secret with the sidecar for this site.
	 *
	 * @param string $secret Plain secret.
	 * @return string|\WP_Error Envelope.
	 */
	public function seal_secret( #[\SensitiveParameter] string $secret ): string|\WP_Error {
		return $this->secret->seal( $secret );
	}

	/**
	 * Runs the sidecar's `test-connection` with the effective settings.
	 *
	 * @return array<string, mixed>|\WP_Error `{ ok, latencyMs }` or the mapped storage error.
	 */
	public function test_connection(): array|\WP_Error {
		$storage = $this->storage();
		if ( is_wp_error( $storage ) ) {
			return $storage;
		}
		$credentials = $this->credentials();
		if ( is_wp_error( $credentials ) ) {
			return $credentials;
		}
		return \WPS3\Sidecar\Client::instance()->call(
			'test-connection',
			array(
				'storage'     => $storage,
				'credentials' => $credentials,
			),
			30
		);
	}
}

<?php
/**
 * Per-site settings, wp-config overrides and the sealed secret.
 *
 * @package wps3
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads, validates and saves the storage settings of the current site.
 *
 * The secret access key is stored only as the envelope returned by the sidecar's `encrypt` op.
 * PHP never decrypts it: ops receive `credentials.sealedSecret` and the sidecar opens it.
 */
class WPS3_Settings {

	const OPTION        = 'wps3_settings';
	const SECRET_OPTION = 'wps3_secret_envelope';

	/**
	 * Setting => wp-config constant that overrides it.
	 *
	 * @var array<string,string>
	 */
	const CONSTANTS = array(
		'provider'      => 'WPS3_PROVIDER',
		'endpoint'      => 'WPS3_ENDPOINT',
		'account_id'    => 'WPS3_ACCOUNT_ID',
		'region'        => 'WPS3_REGION',
		'bucket'        => 'WPS3_BUCKET',
		'path_prefix'   => 'WPS3_PATH_PREFIX',
		'access_key_id' => 'WPS3_ACCESS_KEY_ID',
	);

	/**
	 * Singleton.
	 *
	 * @var WPS3_Settings|null
	 */
	private static $instance = null;

	/**
	 * Returns the shared instance.
	 *
	 * @return WPS3_Settings
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Provider ids and labels.
	 *
	 * @return array<string,string>
	 */
	public static function providers() {
		return array(
			'amazon_s3'     => __( 'Amazon S3', 'wps3' ),
			'wasabi'        => __( 'Wasabi', 'wps3' ),
			'cloudflare_r2' => __( 'Cloudflare R2', 'wps3' ),
			'custom'        => __( 'S3-compatible (custom endpoint)', 'wps3' ),
		);
	}

	/**
	 * Defaults of the stored settings.
	 *
	 * @return array<string,string>
	 */
	public static function defaults() {
		return array(
			'provider'      => 'amazon_s3',
			'endpoint'      => '',
			'account_id'    => '',
			'region'        => '',
			'bucket'        => '',
			'path_prefix'   => 'wpsigner/',
			'access_key_id' => '',
		);
	}

	/**
	 * Stored settings of the current site (no constants applied).
	 *
	 * @return array<string,string>
	 */
	public function stored() {
		$stored = get_option( self::OPTION, array() );
		if ( ! is_array( $stored ) ) {
			$stored = array();
		}
		return array_merge( self::defaults(), array_intersect_key( $stored, self::defaults() ) );
	}

	/**
	 * Whether a setting is fixed by a wp-config constant.
	 *
	 * @param string $field Setting (or `secret_access_key`).
	 * @return bool
	 */
	public function is_locked( $field ) {
		if ( 'secret_access_key' === $field ) {
			return defined( 'WPS3_SECRET_ACCESS_KEY' );
		}
		return isset( self::CONSTANTS[ $field ] ) && defined( self::CONSTANTS[ $field ] );
	}

	/**
	 * Effective value of a setting (constant first, then stored value).
	 *
	 * @param string $field Setting.
	 * @return string
	 */
	public function get( $field ) {
		if ( $this->is_locked( $field ) && 'secret_access_key' !== $field ) {
			return (string) constant( self::CONSTANTS[ $field ] );
		}
		$stored = $this->stored();
		return isset( $stored[ $field ] ) ? (string) $stored[ $field ] : '';
	}

	/**
	 * All effective settings.
	 *
	 * @return array<string,string>
	 */
	public function all() {
		$out = array();
		foreach ( array_keys( self::defaults() ) as $field ) {
			$out[ $field ] = $this->get( $field );
		}
		return $out;
	}

	/**
	 * Whether a secret is available (constant or sealed envelope).
	 *
	 * @return bool
	 */
	public function has_secret() {
		return $this->is_locked( 'secret_access_key' ) ? '' !== (string) WPS3_SECRET_ACCESS_KEY : '' !== (string) get_option( self::SECRET_OPTION, '' );
	}

	/**
	 * Key material for the secret envelope, derived from this install's salts.
	 *
	 * @return string
	 */
	public function key_material() {
		$material = wp_salt( 'auth' ) . wp_salt( 'secure_auth' );
		if ( defined( 'WPS3_ENCRYPTION_SALT' ) ) {
			$material .= (string) WPS3_ENCRYPTION_SALT;
		}
		return $material;
	}

	/**
	 * Envelope context of a site's secret.
	 *
	 * @param int|null $blog_id Site id (current site by default).
	 * @return string
	 */
	public function secret_context( $blog_id = null ) {
		return 'site:' . ( null === $blog_id ? get_current_blog_id() : (int) $blog_id ) . '|field:secret_access_key';
	}

	/**
	 * Default region of a provider.
	 *
	 * @param string $provider Provider id.
	 * @return string
	 */
	public static function default_region( $provider ) {
		return 'cloudflare_r2' === $provider ? 'auto' : 'us-east-1';
	}

	/**
	 * Path prefix used in object keys.
	 *
	 * @return string
	 */
	public function path_prefix() {
		return self::sanitize_prefix( $this->get( 'path_prefix' ) );
	}

	/**
	 * Storage object for sidecar ops, or why there is none.
	 *
	 * @param array $overrides Values replacing the effective ones (e.g. the bucket a backup was written to).
	 * @return array|WP_Error
	 */
	public function storage( array $overrides = array() ) {
		$s        = array_merge( $this->all(), $overrides );
		$provider = $s['provider'];
		$missing  = array();
		if ( ! isset( self::providers()[ $provider ] ) ) {
			$missing[] = __( 'provider', 'wps3' );
		}
		if ( '' === $s['bucket'] ) {
			$missing[] = __( 'bucket', 'wps3' );
		}
		if ( 'custom' === $provider && '' === $s['endpoint'] ) {
			$missing[] = __( 'endpoint', 'wps3' );
		}
		if ( 'cloudflare_r2' === $provider && '' === $s['account_id'] ) {
			$missing[] = __( 'account ID', 'wps3' );
		}
		if ( $missing ) {
			return $this->not_configured( $missing );
		}
		$storage = array(
			'provider' => $provider,
			'region'   => '' !== $s['region'] ? $s['region'] : self::default_region( $provider ),
			'bucket'   => $s['bucket'],
		);
		if ( '' !== $s['endpoint'] ) {
			$storage['endpoint'] = $s['endpoint'];
		}
		if ( 'cloudflare_r2' === $provider ) {
			$storage['accountId'] = $s['account_id'];
		}
		if ( defined( 'WPS3_ADDRESSING_STYLE' ) && in_array( WPS3_ADDRESSING_STYLE, array( 'auto', 'virtual', 'path' ), true ) ) {
			$storage['addressingStyle'] = WPS3_ADDRESSING_STYLE;
		}
		/**
		 * Filters the storage object sent to the sidecar.
		 *
		 * @param array  $storage  Storage (provider, region, bucket, endpoint, accountId, addressingStyle).
		 * @param string $provider Provider id.
		 */
		$filtered = apply_filters( 'wps3_storage', $storage, $provider );
		if ( ! is_array( $filtered ) || ! isset( $filtered['bucket'] ) || ! is_string( $filtered['bucket'] ) ) {
			WPS3_Errors::filter_misuse( 'wps3_storage', __( 'an array with provider, region and bucket', 'wps3' ), $filtered );
			return $storage;
		}
		return $filtered;
	}

	/**
	 * Credentials object for sidecar ops, or why there is none.
	 *
	 * @return array|WP_Error
	 */
	public function credentials() {
		$key_id = $this->get( 'access_key_id' );
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
			'sealedSecret' => array(
				'envelope'    => (string) get_option( self::SECRET_OPTION, '' ),
				'keyMaterial' => $this->key_material(),
				'context'     => $this->secret_context(),
			),
		);
	}

	/**
	 * Error for missing settings.
	 *
	 * @param string[] $missing Missing fields.
	 * @return WP_Error
	 */
	private function not_configured( array $missing ) {
		return WPS3_Errors::make(
			'NOT_CONFIGURED',
			/* translators: %s: comma-separated list of settings */
			sprintf( __( 'S3 backups are not configured: missing %s.', 'wps3' ), implode( ', ', $missing ) ),
			array( 'fix' => __( 'Fill in Settings → S3 Backups (or the WPS3_* constants in wp-config.php), then click Retry.', 'wps3' ) )
		);
	}

	/**
	 * Normalizes a path prefix: no leading slash, no empty segments, a trailing slash when not empty.
	 *
	 * @param string $prefix Raw prefix.
	 * @return string
	 */
	public static function sanitize_prefix( $prefix ) {
		$prefix = preg_replace( '/[\x00-\x1F\x7F\\\\]/', '', (string) $prefix );
		$parts  = array_filter(
			array_map( 'trim', explode( '/', $prefix ) ),
			static function ( $p ) {
				return '' !== $p && '.' !== $p && '..' !== $p;
			}
		);
		$prefix = implode( '/', $parts );
		return '' === $prefix ? '' : substr( $prefix, 0, 200 ) . '/';
	}

	/**
	 * Validates and saves posted settings. Nothing is written unless everything is valid and the new
	 * secret (if any) was sealed by the sidecar.
	 *
	 * @param array $input Unslashed input (field => value; `secret_access_key` replaces the secret when not empty).
	 * @return true|WP_Error
	 */
	public function save( array $input ) {
		$errors = new WP_Error();
		$new    = $this->stored();

		$text = static function ( $key ) use ( $input ) {
			return isset( $input[ $key ] ) && is_scalar( $input[ $key ] ) ? trim( sanitize_text_field( (string) $input[ $key ] ) ) : '';
		};

		if ( ! $this->is_locked( 'provider' ) ) {
			$provider = $text( 'provider' );
			if ( ! isset( self::providers()[ $provider ] ) ) {
				$errors->add( 'wps3_provider', __( 'Choose a storage provider.', 'wps3' ) );
			} else {
				$new['provider'] = $provider;
			}
		}
		$provider = $this->is_locked( 'provider' ) ? $this->get( 'provider' ) : $new['provider'];

		// An absent endpoint (a disabled field: on multisite only network admins change it) keeps the stored one.
		if ( ! $this->is_locked( 'endpoint' ) && array_key_exists( 'endpoint', $input ) ) {
			$endpoint = $text( 'endpoint' );
			if ( '' !== $endpoint ) {
				$parts = wp_parse_url( $endpoint );
				if ( ! is_array( $parts ) || empty( $parts['host'] ) || ! in_array( strtolower( $parts['scheme'] ?? '' ), array( 'http', 'https' ), true ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) || isset( $parts['user'] ) ) {
					$errors->add( 'wps3_endpoint', __( 'The endpoint must be a URL such as https://s3.example.com or http://127.0.0.1:9000.', 'wps3' ) );
				} else {
					$endpoint = rtrim( esc_url_raw( $endpoint, array( 'http', 'https' ) ), '/' );
				}
			}
			$new['endpoint'] = $endpoint;
		}
		if ( 'custom' === $provider && '' === ( $this->is_locked( 'endpoint' ) ? $this->get( 'endpoint' ) : $new['endpoint'] ) ) {
			$errors->add( 'wps3_endpoint', __( 'A custom provider needs an endpoint URL.', 'wps3' ) );
		}

		if ( ! $this->is_locked( 'account_id' ) ) {
			$account = strtolower( $text( 'account_id' ) );
			if ( '' !== $account && ! preg_match( '/^[a-f0-9]{32}$/', $account ) ) {
				$errors->add( 'wps3_account_id', __( 'The Cloudflare account ID is 32 hexadecimal characters.', 'wps3' ) );
			} elseif ( 'cloudflare_r2' === $provider && '' === $account ) {
				$errors->add( 'wps3_account_id', __( 'Cloudflare R2 needs the account ID.', 'wps3' ) );
			}
			$new['account_id'] = $account;
		}

		if ( ! $this->is_locked( 'region' ) ) {
			$region = strtolower( $text( 'region' ) );
			if ( '' !== $region && ! preg_match( '/^[a-z0-9][a-z0-9-]{0,40}$/', $region ) ) {
				$errors->add( 'wps3_region', __( 'The region looks wrong (expected something like eu-west-1).', 'wps3' ) );
			}
			$new['region'] = $region;
		}

		if ( ! $this->is_locked( 'bucket' ) ) {
			$bucket = $text( 'bucket' );
			if ( ! self::bucket_matches_rules( $bucket ) ) {
				$errors->add( 'wps3_bucket', __( 'Bucket names are 3–63 lowercase letters, digits, dots and hyphens, begin and end with a letter or digit, have no two adjacent dots and are not formatted as an IP address.', 'wps3' ) );
			}
			$new['bucket'] = $bucket;
		}

		if ( ! $this->is_locked( 'path_prefix' ) ) {
			$new['path_prefix'] = self::sanitize_prefix( isset( $input['path_prefix'] ) && is_scalar( $input['path_prefix'] ) ? (string) $input['path_prefix'] : '' );
		}

		if ( ! $this->is_locked( 'access_key_id' ) ) {
			$key_id = $text( 'access_key_id' );
			if ( '' !== $key_id && ! preg_match( '/^[\x21-\x7E]{3,128}$/', $key_id ) ) {
				$errors->add( 'wps3_access_key_id', __( 'The access key ID contains characters that are not allowed.', 'wps3' ) );
			}
			$new['access_key_id'] = $key_id;
		}

		if ( ! $errors->has_errors() ) {
			// The core has the final word on bucket, endpoint and region (one set of rules for PHP and the sidecar).
			$checked = $this->check_with_core( array_merge( $new, $this->locked_values() ) );
			if ( is_wp_error( $checked ) ) {
				$field = strtolower( str_replace( 'INVALID_', '', (string) WPS3_Errors::field( $checked, 'code', '' ) ) );
				$errors->add( 'wps3_' . $field, $checked->get_error_message() );
			}
		}

		$envelope = null;
		$secret   = isset( $input['secret_access_key'] ) && is_scalar( $input['secret_access_key'] ) ? trim( (string) $input['secret_access_key'] ) : '';
		if ( '' !== $secret && ! $this->is_locked( 'secret_access_key' ) ) {
			if ( ! preg_match( '/^[\x21-\x7E]{1,256}$/', $secret ) ) {
				$errors->add( 'wps3_secret', __( 'The secret access key contains characters that are not allowed.', 'wps3' ) );
			} elseif ( ! $errors->has_errors() ) {
				$envelope = $this->seal_secret( $secret );
				if ( is_wp_error( $envelope ) ) {
					$errors->add(
						'wps3_secret',
						/* translators: %s: reason */
						sprintf( __( 'The secret access key could not be encrypted, so nothing was saved (the previous secret is kept): %s', 'wps3' ), $envelope->get_error_message() )
					);
				}
			}
		}
		$secret = null;

		if ( $errors->has_errors() ) {
			return $errors;
		}

		update_option( self::OPTION, $new, false );
		if ( is_string( $envelope ) ) {
			update_option( self::SECRET_OPTION, $envelope, false );
		}
		/**
		 * Fires after the S3 backup settings of a site were saved.
		 *
		 * @param array $settings Stored settings (without the secret).
		 */
		do_action( 'wps3_settings_saved', $new );
		return true;
	}

	/**
	 * Values fixed by wp-config constants.
	 *
	 * @return array<string,string>
	 */
	private function locked_values() {
		$out = array();
		foreach ( self::CONSTANTS as $field => $constant ) {
			if ( defined( $constant ) ) {
				$out[ $field ] = (string) constant( $constant );
			}
		}
		return $out;
	}

	/**
	 * The core's bucket rules (src/s3/validate.rs), used when the sidecar cannot be asked.
	 *
	 * @param string $bucket Bucket.
	 * @return bool
	 */
	public static function bucket_matches_rules( $bucket ) {
		$bucket = (string) $bucket;
		return (bool) preg_match( '/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/', $bucket )
			&& false === strpos( $bucket, '..' )
			&& ! preg_match( '/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/', $bucket )
			&& ! preg_match( '/^(xn--|sthree-|amzn-s3-demo-)/', $bucket )
			&& ! preg_match( '/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/', $bucket );
	}

	/**
	 * Asks the core (a `presign` dry run through the sidecar, with placeholder credentials) whether the
	 * provider, endpoint, region and bucket resolve. When the sidecar is not available, the regex
	 * check in save() stands.
	 *
	 * @param array $values Settings.
	 * @return true|WP_Error INVALID_BUCKET / INVALID_ENDPOINT / INVALID_REGION from the core.
	 */
	public function check_with_core( array $values ) {
		$provider = (string) ( $values['provider'] ?? '' );
		$storage  = array(
			'provider' => $provider,
			'region'   => '' !== (string) ( $values['region'] ?? '' ) ? (string) $values['region'] : self::default_region( $provider ),
			'bucket'   => (string) ( $values['bucket'] ?? '' ),
		);
		if ( '' !== (string) ( $values['endpoint'] ?? '' ) ) {
			$storage['endpoint'] = (string) $values['endpoint'];
		}
		if ( 'cloudflare_r2' === $provider ) {
			$storage['accountId'] = (string) ( $values['account_id'] ?? '' );
		}
		$result = WPS3_Sidecar_Client::instance()->call(
			'presign',
			array(
				'storage'     => $storage,
				'credentials' => array(
					'accessKeyId'     => 'AKIAWPS3VALIDATION00',
					'secretAccessKey' => 'wps3-settings-validation-only',
				),
				'method'      => 'GET',
				'key'         => 'wps3-validation',
				'expiresIn'   => 60,
			),
			10
		);
		if ( is_wp_error( $result ) && in_array( WPS3_Errors::field( $result, 'code', '' ), array( 'INVALID_BUCKET', 'INVALID_ENDPOINT', 'INVALID_REGION' ), true ) ) {
			return $result;
		}
		return true; // Valid, or the sidecar could not say (the regex checks were applied already).
	}

	/**
	 * Names of the salt constants the secret's key material depends on that are not defined in
	 * wp-config.php (WordPress then keeps generated salts in the database, next to the envelope).
	 *
	 * @return string[]
	 */
	public function salts_in_database() {
		if ( defined( 'WPS3_ENCRYPTION_SALT' ) && '' !== (string) WPS3_ENCRYPTION_SALT ) {
			return array();
		}
		$missing = array();
		foreach ( array( 'AUTH_KEY', 'AUTH_SALT', 'SECURE_AUTH_KEY', 'SECURE_AUTH_SALT' ) as $constant ) {
			if ( ! defined( $constant ) || '' === (string) constant( $constant ) || 'put your unique phrase here' === constant( $constant ) ) {
				$missing[] = $constant;
			}
		}
		return $missing;
	}

	/**
	 * Seals a secret with the sidecar (`encrypt`), checking the round trip with `decrypt`.
	 *
	 * @param string $secret Plain secret.
	 * @return string|WP_Error Envelope.
	 */
	public function seal_secret( $secret ) {
		$client = WPS3_Sidecar_Client::instance();
		$args   = array(
			'keyMaterial' => $this->key_material(),
			'context'     => $this->secret_context(),
		);
		$sealed = $client->call( 'encrypt', $args + array( 'plaintext' => $secret ) );
		if ( is_wp_error( $sealed ) ) {
			return $sealed;
		}
		$envelope = isset( $sealed['envelope'] ) ? (string) $sealed['envelope'] : '';
		if ( '' === $envelope || 0 !== strpos( $envelope, 'wps3:' ) || false !== strpos( $envelope, $secret ) ) {
			return WPS3_Errors::make( 'ENCRYPT_FAILED', __( 'The sidecar returned an invalid envelope.', 'wps3' ) );
		}
		$opened = $client->call( 'decrypt', $args + array( 'envelope' => $envelope ) );
		if ( is_wp_error( $opened ) ) {
			return $opened;
		}
		if ( ! isset( $opened['plaintext'] ) || ! hash_equals( $secret, (string) $opened['plaintext'] ) ) {
			return WPS3_Errors::make( 'ENCRYPT_FAILED', __( 'The sealed secret did not decrypt to the same value.', 'wps3' ) );
		}
		return $envelope;
	}

	/**
	 * Runs the sidecar's `test-connection` with the effective settings.
	 *
	 * @return array|WP_Error `{ ok, latencyMs }` or the mapped S3 error.
	 */
	public function test_connection() {
		$storage = $this->storage();
		if ( is_wp_error( $storage ) ) {
			return $storage;
		}
		$credentials = $this->credentials();
		if ( is_wp_error( $credentials ) ) {
			return $credentials;
		}
		return WPS3_Sidecar_Client::instance()->call(
			'test-connection',
			array(
				'storage'     => $storage,
				'credentials' => $credentials,
			),
			30
		);
	}
}

<?php
/**
 * The secret access key of the current site, sealed by the core.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Settings;

use WPS3\Errors;

defined( 'ABSPATH' ) || exit;

/**
 * Stores the secret only as the envelope the sidecar's `encrypt` op returns. PHP never decrypts it:
 * ops receive `credentials.sealedSecret` and the sidecar opens it with this site's key material.
 */
final class Secret {

	public const OPTION = 'wps3_secret_envelope';

	/**
	 * The stored envelope of the current site ('' when none).
	 *
	 * @return string
	 */
	public function envelope(): string {
		$envelope = get_option( self::OPTION, '' );
		return is_string( $envelope ) ? $envelope : '';
	}

	/**
	 * Stores a sealed envelope.
	 *
	 * @param string $envelope Envelope from seal().
	 * @return void
	 */
	public function store( #[\SensitiveParameter] string $envelope ): void {
		update_option( self::OPTION, $envelope, false );
	}

	/**
	 * Key material for the envelope, derived from this install's salts.
	 *
	 * @return string
	 */
	public function key_material(): string {
		$material = wp_salt( 'auth' ) . wp_salt( 'secure_auth' );
		if ( defined( 'WPS3_ENCRYPTION_SALT' ) ) {
			$material .= (string) WPS3_ENCRYPTION_SALT;
		}
		return $material;
	}

	/**
	 * Envelope context of a site's secret: an envelope copied to another site does not open there.
	 *
	 * @param int|null $blog_id Site id (current site by default).
	 * @return string
	 */
	public function context( ?int $blog_id = null ): string {
		return 'site:' . ( null === $blog_id ? get_current_blog_id() : $blog_id ) . '|field:secret_access_key';
	}

	/**
	 * The `sealedSecret` object of sidecar credentials.
	 *
	 * @return array{envelope: string, keyMaterial: string, context: string}
	 */
	public function sealed(): array {
		return array(
			'envelope'    => $this->envelope(),
			'keyMaterial' => $this->key_material(),
			'context'     => $this->context(),
		);
	}

	/**
	 * Seals a secret with the sidecar (`encrypt`), checking the round trip with `decrypt`.
	 *
	 * @param string $secret Plain secret.
	 * @return string|\WP_Error Envelope.
	 */
	public function seal( #[\SensitiveParameter] string $secret ): string|\WP_Error {
		$client = \WPS3\Sidecar\Client::instance();
		$args   = array(
			'keyMaterial' => $this->key_material(),
			'context'     => $this->context(),
		);
		$sealed = $client->call( 'encrypt', $args + array( 'plaintext' => $secret ) );
		if ( is_wp_error( $sealed ) ) {
			return $sealed;
		}
		$envelope = isset( $sealed['envelope'] ) ? (string) $sealed['envelope'] : '';
		if ( ! str_starts_with( $envelope, 'wps3:' ) || str_contains( $envelope, $secret ) ) {
			return Errors::make( 'ENCRYPT_FAILED', __( 'The sidecar returned an invalid envelope.', 'wps3' ) );
		}
		$opened = $client->call( 'decrypt', $args + array( 'envelope' => $envelope ) );
		if ( is_wp_error( $opened ) ) {
			return $opened;
		}
		if ( ! isset( $opened['plaintext'] ) || ! hash_equals( $secret, (string) $opened['plaintext'] ) ) {
			return Errors::make( 'ENCRYPT_FAILED', __( 'The sealed secret did not decrypt to the same value.', 'wps3' ) );
		}
		return $envelope;
	}

	/**
	 * Names of the salt constants the key material depends on that are not defined in wp-config.php
	 * (WordPress then keeps generated salts in the database, next to the envelope).
	 *
	 * @return string[]
	 */
	public function salts_in_database(): array {
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
}

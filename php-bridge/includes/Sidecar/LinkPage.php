<?php
/**
 * The sidecar op `presign-page`: its arguments, and its answer read into one URL or WP_Error per key.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * `{ urls: [url|null], errors: [{index, error}], expiresAt, endpoint }` → one entry per key, in order.
 * Nothing is decided here: a link's error is the core's error model, passed through.
 */
final class LinkPage {

	/**
	 * The op's arguments (lists where JSON needs arrays, objects where it needs objects).
	 *
	 * @param array<string,mixed> $storage     Storage object.
	 * @param array<string,mixed> $credentials Credentials.
	 * @param string[]            $keys        Keys.
	 * @param array<string,mixed> $page        See Client::presign_page().
	 * @return array<string,mixed>
	 */
	public static function args( array $storage, #[\SensitiveParameter] array $credentials, array $keys, array $page ): array {
		foreach ( array( 'filenames', 'contentDispositions' ) as $list ) {
			if ( isset( $page[ $list ] ) && is_array( $page[ $list ] ) ) {
				$page[ $list ] = array_values( $page[ $list ] );
			}
		}
		return array(
			'storage'     => (object) $storage,
			'credentials' => (object) $credentials,
			'keys'        => array_values( $keys ),
		) + $page;
	}

	/**
	 * Reads an answer for `$count` keys.
	 *
	 * @param array<string,mixed> $answer The op's result.
	 * @param int                 $count  How many keys were sent.
	 * @return array{urls:array<int,string|\WP_Error>,expiresAt:string,endpoint:array<string,mixed>}|\WP_Error
	 *         A malformed answer (wrong length, a missing URL without its error) is PRESIGN_FAILED as a whole.
	 */
	public static function from_answer( array $answer, int $count ): array|\WP_Error {
		$urls = $answer['urls'] ?? null;
		if ( ! is_array( $urls ) || ! array_is_list( $urls ) || count( $urls ) !== $count || ! is_array( $answer['endpoint'] ?? null ) ) {
			return self::malformed();
		}
		$errors = array();
		foreach ( is_array( $answer['errors'] ?? null ) ? $answer['errors'] : array() as $item ) {
			if ( is_array( $item ) && is_int( $item['index'] ?? null ) && is_array( $item['error'] ?? null ) ) {
				$errors[ $item['index'] ] = Failure::from_sidecar( $item['error'] );
			}
		}
		$out = array();
		foreach ( $urls as $i => $url ) {
			if ( is_string( $url ) && '' !== $url ) {
				$out[ $i ] = $url;
			} elseif ( isset( $errors[ $i ] ) ) {
				$out[ $i ] = $errors[ $i ];
			} else {
				return self::malformed();
			}
		}
		return array(
			'urls'      => $out,
			'expiresAt' => (string) ( $answer['expiresAt'] ?? '' ),
			'endpoint'  => $answer['endpoint'],
		);
	}

	/**
	 * PRESIGN_FAILED for an answer that does not fit the request.
	 *
	 * @return \WP_Error
	 */
	private static function malformed(): \WP_Error {
		return Failure::make( 'PRESIGN_FAILED', __( 'The sidecar answered a page of links that does not match the keys asked for.', 'wps3' ) );
	}
}

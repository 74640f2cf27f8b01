<?php
/**
 * Demo data of the transfers area: two member accounts, a "My files" page and a sample downloadable link.
 * The demo script (tools/demo) calls seed() and prints MEMBER_USER/MEMBER_PASSWORD and MEMBER2_USER/MEMBER2_PASSWORD.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

/**
 * Creates the demo members, pages and sample object.
 */
final class DemoSeed {

	/** Key of the sample object: `+`, spaces and non-ASCII on purpose. */
	const SAMPLE_KEY = 'shop/Sample e-book + bonus (Übersicht).pdf';

	/**
	 * Creates (or resets the passwords of) two members, the pages and the sample object.
	 *
	 * @param string $password1 Password of the first member.
	 * @param string $password2 Password of the second member.
	 * @return array|\WP_Error Users, passwords and page URLs.
	 */
	public static function seed( #[\SensitiveParameter] string $password1, #[\SensitiveParameter] string $password2 ) {
		$out = array();
		foreach ( array(
			'member'  => $password1,
			'member2' => $password2,
		) as $login => $password ) {
			$user = get_user_by( 'login', $login );
			$id   = $user ? (int) $user->ID : wp_insert_user(
				array(
					'user_login'   => $login,
					'user_pass'    => $password,
					'user_email'   => $login . '@example.test',
					'display_name' => 'member' === $login ? 'Demo Member' : 'Second Member',
					'role'         => 'subscriber',
				)
			);
			if ( is_wp_error( $id ) ) {
				return $id;
			}
			wp_set_password( $password, (int) $id );
			$out[ $login ] = array(
				'id'       => (int) $id,
				'user'     => $login,
				'password' => $password,
			);
		}
		// Under uploads: the sidecar reads files only from the allowed roots.
		wp_mkdir_p( \WPS3\Demo\Documents::dir() );
		$file = \WPS3\Demo\Documents::dir() . '/sample-' . wp_generate_password( 12, false ) . '.pdf';
		$pdf  = \WPS3\Demo\Pdf::make( 'Sample e-book', 'Delivered by a presigned link.' );
		file_put_contents( $file, $pdf ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents
		$put = Storage::call(
			'upload-file',
			array(
				'key'         => self::SAMPLE_KEY,
				'path'        => $file,
				'contentType' => 'application/pdf',
			)
		);
		wp_delete_file( $file );
		if ( is_wp_error( $put ) ) {
			return $put;
		}
		// The demo storage allows every origin (CORS), so browsers may upload straight away.
		update_option( \WPS3\Rest\SettingsController::DIRECT_UPLOADS_OPTION, '1', false );
		$ref   = 's3://' . Storage::bucket() . '/' . self::SAMPLE_KEY;
		$pages = array(
			'files'    => self::page( 'My files', "<!-- wp:wps3/my-files /-->\n" ),
			'download' => self::page( 'Sample download', '<p>[wps3_download object="' . $ref . '"]Download the sample e-book[/wps3_download]</p>' ),
		);
		update_option(
			Schema::DEMO_OPTION,
			array(
				'users' => array( $out['member']['id'], $out['member2']['id'] ),
				'pages' => $pages,
				'ref'   => $ref,
			),
			false
		);
		return $out + array(
			'filesUrl'    => get_permalink( $pages['files'] ),
			'downloadUrl' => get_permalink( $pages['download'] ),
			'sample'      => $ref,
		);
	}

	/**
	 * A published page, created once.
	 *
	 * @param string $title   Title.
	 * @param string $content Content.
	 * @return int
	 */
	private static function page( string $title, string $content ): int {
		$existing = get_posts(
			array(
				'post_type'   => 'page',
				'title'       => $title,
				'post_status' => 'publish',
				'numberposts' => 1,
				'fields'      => 'ids',
			)
		);
		if ( $existing ) {
			return (int) $existing[0];
		}
		return (int) wp_insert_post(
			array(
				'post_type'    => 'page',
				'post_status'  => 'publish',
				'post_title'   => $title,
				'post_content' => $content,
			)
		);
	}
}

<?php
/**
 * Demo sample documents with a "Mark as fully signed" button that plays the part of WP Signer.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Demo;

use WPS3\Admin\Notices;
use WPS3\Admin\Screen;
use WPS3\Backup\Document;

defined( 'ABSPATH' ) || exit;

/**
 * Sample documents kept in an option, their PDFs under uploads/wps3-demo.
 */
final class Documents implements Part {

	public const OPTION = 'wps3_demo_documents';

	/**
	 * Registers the admin-post actions.
	 *
	 * @return void
	 */
	public function boot(): void {
		add_action( 'admin_post_wps3_demo_complete', array( $this, 'handle_complete' ) );
		add_action( 'admin_post_wps3_demo_create', array( $this, 'handle_create' ) );
	}

	/**
	 * Directory of the demo PDFs.
	 *
	 * @return string
	 */
	public static function dir(): string {
		$uploads = wp_upload_dir( null, false );
		return trailingslashit( $uploads['basedir'] ) . 'wps3-demo';
	}

	/**
	 * The stored sample documents, by id ('demo-1', 'demo-2', …).
	 *
	 * Ids live in their own space (Backup\Document::DEMO_PREFIX), which no host document may use: a sample
	 * document never takes, or gives away, a real document's backup job. Samples stored by older versions
	 * under plain numbers (1001, …) are renamed on read; their old jobs stay as they are.
	 *
	 * @return array<string, array<string, mixed>>
	 */
	private static function all(): array {
		$docs = get_option( self::OPTION, array() );
		$out  = array();
		foreach ( is_array( $docs ) ? $docs : array() as $key => $doc ) {
			if ( ! is_array( $doc ) ) {
				continue;
			}
			$id         = (string) ( $doc['id'] ?? $key );
			$id         = str_starts_with( $id, Document::DEMO_PREFIX ) ? $id : Document::DEMO_PREFIX . $id;
			$doc['id']  = $id;
			$out[ $id ] = $doc;
		}
		return $out;
	}

	/**
	 * Creates a sample document awaiting signatures.
	 *
	 * @param string $title Title.
	 * @return array<string, mixed> The document.
	 */
	public static function create( string $title ): array {
		$docs = self::all();
		$n    = count( $docs ) + 1;
		while ( isset( $docs[ Document::DEMO_PREFIX . $n ] ) ) {
			++$n;
		}
		$id = Document::DEMO_PREFIX . $n;
		wp_mkdir_p( self::dir() );
		$index = self::dir() . '/index.php';
		if ( ! file_exists( $index ) ) {
			file_put_contents( $index, "<?php // Silence is golden.\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions -- a tiny file in uploads; WP_Filesystem may ask for credentials.
		}
		$path = self::dir() . '/document-' . $id . '-' . wp_generate_password( 12, false ) . '.pdf';
		/* translators: %s: document id */
		file_put_contents( $path, Pdf::make( $title, sprintf( __( 'Sample document #%s, signed by all parties.', 'wps3' ), $id ) ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions -- as above.
		$docs[ $id ] = array(
			'id'     => $id,
			'title'  => $title,
			'status' => 'awaiting_signatures',
			'path'   => $path,
		);
		update_option( self::OPTION, $docs, false );
		return $docs[ $id ];
	}

	/**
	 * Marks a sample document completed and fires the host hook, as WP Signer would.
	 *
	 * @param string $id Document id ('demo-1', …).
	 * @return array<string, mixed>|null The document.
	 */
	public static function complete( string $id ): ?array {
		$docs = self::all();
		if ( ! isset( $docs[ $id ] ) ) {
			return null;
		}
		$docs[ $id ]['status'] = 'completed';
		update_option( self::OPTION, $docs, false );
		$doc = $docs[ $id ];
		Document::demo_scope( static fn() => do_action( 'wps_document_completed', $doc ) );
		return $doc;
	}

	/**
	 * Handles admin-post: mark as fully signed.
	 *
	 * @return void
	 */
	public function handle_complete(): void {
		Demo::require_capability();
		$id = isset( $_POST['document'] ) ? sanitize_key( wp_unslash( $_POST['document'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification -- checked right below.
		check_admin_referer( 'wps3_demo_complete_' . $id );
		$doc = self::complete( $id );
		if ( null !== $doc ) {
			/* translators: %s: title */
			Notices::add( 'success', sprintf( __( '"%s" is fully signed; its backup was queued.', 'wps3' ), (string) $doc['title'] ) );
		} else {
			Notices::add( 'error', __( 'That sample document does not exist.', 'wps3' ) );
		}
		Screen::back();
	}

	/**
	 * Handles admin-post: create another sample document.
	 *
	 * @return void
	 */
	public function handle_create(): void {
		Demo::require_capability();
		check_admin_referer( 'wps3_demo_create' );
		$title = isset( $_POST['title'] ) ? sanitize_text_field( wp_unslash( $_POST['title'] ) ) : '';
		self::create( '' !== $title ? $title : __( 'Sample Contract', 'wps3' ) );
		Screen::back();
	}

	/**
	 * The sample documents and the form that creates one.
	 *
	 * @return void
	 */
	public function render(): void {
		echo '<h2>' . esc_html__( 'Demo: WP Signer documents', 'wps3' ) . '</h2>';
		echo '<p class="description">' . esc_html__( 'Demo mode (WPS3_DEMO). "Mark as fully signed" does what WP Signer does when the last signature arrives: do_action( \'wps_document_completed\', $document ).', 'wps3' ) . '</p>';
		echo '<table class="widefat striped"><thead><tr><th>' . esc_html__( 'Document', 'wps3' ) . '</th><th>' . esc_html__( 'Status', 'wps3' ) . '</th><th></th></tr></thead><tbody>';
		foreach ( self::all() as $doc ) {
			$id = (string) $doc['id'];
			echo '<tr class="wps3-demo-doc" data-document-id="' . esc_attr( $id ) . '"><td><strong>' . esc_html( (string) $doc['title'] ) . '</strong> <span class="description">#' . esc_html( $id ) . '</span></td>';
			echo '<td>' . esc_html( 'completed' === $doc['status'] ? __( 'Fully signed', 'wps3' ) : __( 'Awaiting signatures', 'wps3' ) ) . '</td><td>';
			if ( 'completed' !== $doc['status'] ) {
				echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
				echo '<input type="hidden" name="action" value="wps3_demo_complete" /><input type="hidden" name="document" value="' . esc_attr( $id ) . '" />';
				wp_nonce_field( 'wps3_demo_complete_' . $id );
				echo '<button type="submit" class="button button-primary wps3-demo-complete">' . esc_html__( 'Mark as fully signed', 'wps3' ) . '</button></form>';
			}
			echo '</td></tr>';
		}
		echo '</tbody></table>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="margin-top:1em">';
		echo '<input type="hidden" name="action" value="wps3_demo_create" />';
		wp_nonce_field( 'wps3_demo_create' );
		echo '<input type="text" name="title" placeholder="' . esc_attr__( 'Title of a new sample document', 'wps3' ) . '" /> ';
		submit_button( __( 'Create sample document', 'wps3' ), 'secondary', 'wps3_demo_create', false );
		echo '</form>';
	}
}

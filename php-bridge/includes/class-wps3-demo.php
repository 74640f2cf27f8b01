<?php
/**
 * Demo-only panel (define WPS3_DEMO true): sample documents with a "Mark as fully signed" button that
 * plays the part of WP Signer.
 *
 * @package wps3
 */

defined( 'ABSPATH' ) || exit;

/**
 * Demo documents.
 */
class WPS3_Demo {

	const OPTION = 'wps3_demo_documents';

	/**
	 * Singleton.
	 *
	 * @var WPS3_Demo|null
	 */
	private static $instance = null;

	/**
	 * Returns the demo.
	 *
	 * @return WPS3_Demo
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Whether the demo panel is on.
	 *
	 * @return bool
	 */
	public static function enabled() {
		return defined( 'WPS3_DEMO' ) && WPS3_DEMO;
	}

	/**
	 * Registers the demo's admin-post actions.
	 *
	 * @return void
	 */
	public function boot() {
		add_action( 'admin_post_wps3_demo_complete', array( $this, 'handle_complete' ) );
		add_action( 'admin_post_wps3_demo_create', array( $this, 'handle_create' ) );
	}

	/**
	 * A minimal, valid one-page PDF (correct xref offsets) showing the title.
	 *
	 * @param string $title Title.
	 * @param string $line  Second line.
	 * @return string PDF bytes.
	 */
	public static function make_pdf( $title, $line = '' ) {
		$esc     = static function ( $s ) {
			$s = preg_replace( '/[^\x20-\x7E]/', '?', (string) $s );
			return str_replace( array( '\\', '(', ')' ), array( '\\\\', '\\(', '\\)' ), $s );
		};
		$content = "BT /F1 24 Tf 72 720 Td (" . $esc( $title ) . ") Tj ET\n"
			. "BT /F1 12 Tf 72 690 Td (" . $esc( $line ) . ") Tj ET\n";
		$objects = array(
			'<< /Type /Catalog /Pages 2 0 R >>',
			'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
			'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
			'<< /Length ' . strlen( $content ) . " >>\nstream\n" . $content . 'endstream',
			'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
		);
		$pdf     = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
		$offsets = array();
		foreach ( $objects as $i => $body ) {
			$offsets[] = strlen( $pdf );
			$pdf      .= ( $i + 1 ) . " 0 obj\n" . $body . "\nendobj\n";
		}
		$xref = strlen( $pdf );
		$pdf .= 'xref' . "\n" . '0 ' . ( count( $objects ) + 1 ) . "\n" . "0000000000 65535 f \n";
		foreach ( $offsets as $offset ) {
			$pdf .= sprintf( "%010d 00000 n \n", $offset );
		}
		$pdf .= 'trailer' . "\n" . '<< /Size ' . ( count( $objects ) + 1 ) . " /Root 1 0 R >>\nstartxref\n" . $xref . "\n%%EOF\n";
		return $pdf;
	}

	/**
	 * Directory of the demo PDFs.
	 *
	 * @return string
	 */
	public static function dir() {
		$uploads = wp_upload_dir( null, false );
		return trailingslashit( $uploads['basedir'] ) . 'wps3-demo';
	}

	/**
	 * Creates a sample document awaiting signatures.
	 *
	 * @param string $title Title.
	 * @return array The document.
	 */
	public static function create_document( $title ) {
		$docs = get_option( self::OPTION, array() );
		$docs = is_array( $docs ) ? $docs : array();
		$id   = 1000 + count( $docs ) + 1;
		while ( isset( $docs[ $id ] ) ) {
			++$id;
		}
		wp_mkdir_p( self::dir() );
		$index = self::dir() . '/index.php';
		if ( ! file_exists( $index ) ) {
			file_put_contents( $index, "<?php // Silence is golden.\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
		$path = self::dir() . '/document-' . $id . '-' . wp_generate_password( 12, false ) . '.pdf';
		/* translators: %d: document id */
		file_put_contents( $path, self::make_pdf( $title, sprintf( __( 'Sample document #%d, signed by all parties.', 'wps3' ), $id ) ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
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
	 * @param int $id Document id.
	 * @return array|null The document.
	 */
	public static function complete_document( $id ) {
		$docs = get_option( self::OPTION, array() );
		if ( ! is_array( $docs ) || ! isset( $docs[ $id ] ) ) {
			return null;
		}
		$docs[ $id ]['status'] = 'completed';
		update_option( self::OPTION, $docs, false );
		do_action( 'wps_document_completed', $docs[ $id ] );
		return $docs[ $id ];
	}

	/**
	 * admin-post: mark as fully signed.
	 *
	 * @return void
	 */
	public function handle_complete() {
		if ( ! current_user_can( WPS3_Admin::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'wps3' ), '', array( 'response' => 403 ) );
		}
		$id = isset( $_POST['document'] ) ? absint( $_POST['document'] ) : 0; // phpcs:ignore WordPress.Security.NonceVerification -- checked right below.
		check_admin_referer( 'wps3_demo_complete_' . $id );
		$doc = self::complete_document( $id );
		if ( $doc ) {
			/* translators: %s: title */
			WPS3_Admin::add_notice( 'success', sprintf( __( '"%s" is fully signed; its backup was queued.', 'wps3' ), $doc['title'] ) );
		}
		wp_safe_redirect( WPS3_Admin::page_url() );
		exit;
	}

	/**
	 * admin-post: create another sample document.
	 *
	 * @return void
	 */
	public function handle_create() {
		if ( ! current_user_can( WPS3_Admin::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'wps3' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( 'wps3_demo_create' );
		$title = isset( $_POST['title'] ) ? sanitize_text_field( wp_unslash( $_POST['title'] ) ) : '';
		self::create_document( '' !== $title ? $title : __( 'Sample Contract', 'wps3' ) );
		wp_safe_redirect( WPS3_Admin::page_url() );
		exit;
	}

	/**
	 * The demo panel on the admin page.
	 *
	 * @return void
	 */
	public function render_panel() {
		$docs = get_option( self::OPTION, array() );
		$docs = is_array( $docs ) ? $docs : array();
		echo '<div class="card wps3-demo" style="max-width:none">';
		echo '<h2>' . esc_html__( 'Demo: WP Signer documents', 'wps3' ) . '</h2>';
		echo '<p class="description">' . esc_html__( 'Demo mode (WPS3_DEMO). "Mark as fully signed" does what WP Signer does when the last signature arrives: do_action( \'wps_document_completed\', $document ).', 'wps3' ) . '</p>';
		echo '<table class="widefat striped"><thead><tr><th>' . esc_html__( 'Document', 'wps3' ) . '</th><th>' . esc_html__( 'Status', 'wps3' ) . '</th><th></th></tr></thead><tbody>';
		foreach ( $docs as $doc ) {
			echo '<tr class="wps3-demo-doc" data-document-id="' . esc_attr( (string) $doc['id'] ) . '"><td><strong>' . esc_html( $doc['title'] ) . '</strong> <span class="description">#' . esc_html( (string) $doc['id'] ) . '</span></td>';
			echo '<td>' . esc_html( 'completed' === $doc['status'] ? __( 'Fully signed', 'wps3' ) : __( 'Awaiting signatures', 'wps3' ) ) . '</td><td>';
			if ( 'completed' !== $doc['status'] ) {
				echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
				echo '<input type="hidden" name="action" value="wps3_demo_complete" /><input type="hidden" name="document" value="' . esc_attr( (string) (int) $doc['id'] ) . '" />';
				wp_nonce_field( 'wps3_demo_complete_' . (int) $doc['id'] );
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
		echo '</form></div>';
	}
}

<?php
/**
 * Minimal PDFs for the demo and the tests.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Demo;

defined( 'ABSPATH' ) || exit;

/**
 * Writes a valid one-page PDF (correct xref offsets) with a title and one line.
 */
final class Pdf {

	/**
	 * PDF bytes.
	 *
	 * @param string $title Title.
	 * @param string $line  Second line.
	 * @return string
	 */
	public static function make( string $title, string $line = '' ): string {
		$esc     = static function ( string $s ): string {
			$s = (string) preg_replace( '/[^\x20-\x7E]/', '?', $s );
			return str_replace( array( '\\', '(', ')' ), array( '\\\\', '\\(', '\\)' ), $s );
		};
		$content = 'BT /F1 24 Tf 72 720 Td (' . $esc( $title ) . ") Tj ET\n"
			. 'BT /F1 12 Tf 72 690 Td (' . $esc( $line ) . ") Tj ET\n";
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
		$pdf .= "xref\n0 " . ( count( $objects ) + 1 ) . "\n0000000000 65535 f \n";
		foreach ( $offsets as $offset ) {
			$pdf .= sprintf( "%010d 00000 n \n", $offset );
		}
		return $pdf . "trailer\n<< /Size " . ( count( $objects ) + 1 ) . " /Root 1 0 R >>\nstartxref\n" . $xref . "\n%%EOF\n";
	}
}

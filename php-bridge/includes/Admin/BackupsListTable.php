<?php
/**
 * The backups list of Settings → S3 Backups.
 *
 * Load wp-admin/includes/class-wp-list-table.php before this class (Screen does).
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Admin;

use WPS3\Backup\Job;
use WPS3\Backup\JobQuery;
use WPS3\Backup\Queue;

defined( 'ABSPATH' ) || exit;

/**
 * Jobs and their backups, paged, sortable, filtered by status (views), with Download and Retry.
 */
final class BackupsListTable extends \WP_List_Table {

	/**
	 * The query of the current request.
	 *
	 * @var JobQuery
	 */
	private JobQuery $query;

	/**
	 * Whether a listed job uploads now or is due within seconds (the page then refreshes itself).
	 *
	 * @var bool
	 */
	private bool $active = false;

	/**
	 * Sets up the table for the plugin's screen.
	 */
	public function __construct() {
		parent::__construct(
			array(
				'singular' => 'wps3-backup',
				'plural'   => 'wps3-backups',
				'ajax'     => false,
				'screen'   => 'settings_page_' . Screen::PAGE,
			)
		);
	}

	/**
	 * Columns.
	 *
	 * @return array<string, string>
	 */
	public function get_columns() {
		return array(
			'title'       => __( 'Document', 'wps3' ),
			'status'      => __( 'Status', 'wps3' ),
			'attempts'    => __( 'Attempts', 'wps3' ),
			'uploaded_at' => __( 'Object', 'wps3' ),
			'last_error'  => __( 'Last error', 'wps3' ),
			'actions'     => __( 'Actions', 'wps3' ),
		);
	}

	/**
	 * Sortable columns: column => array( orderby, descending first ).
	 *
	 * @return array<string, array{0: string, 1: bool}>
	 */
	protected function get_sortable_columns() {
		return array(
			'title'       => array( 'title', false ),
			'status'      => array( 'status', false ),
			'attempts'    => array( 'attempts', true ),
			'uploaded_at' => array( 'uploaded_at', true ),
		);
	}

	/**
	 * Reads the request's filter, order and page and loads that page.
	 *
	 * @return void
	 */
	public function prepare_items() {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- read-only list arguments, each one whitelisted by JobQuery.
		$this->query = JobQuery::from_request( wp_unslash( $_GET ), $this->get_items_per_page( 'wps3_backups_per_page', 20 ) );
		$listing     = Queue::instance()->listing();
		$total       = $listing->total( $this->query );
		$this->items = $listing->list( $this->query );
		$this->set_pagination_args(
			array(
				'total_items' => $total,
				'per_page'    => $this->query->per_page,
				'total_pages' => $this->query->pages( $total ),
			)
		);
		$this->_column_headers = array( $this->get_columns(), array(), $this->get_sortable_columns(), 'title' );
	}

	/**
	 * Status filter links with counts.
	 *
	 * @return array<string, string>
	 */
	protected function get_views() {
		$counts = Queue::instance()->counts();
		$labels = array( '' => __( 'All', 'wps3' ) ) + self::status_labels();
		$views  = array();
		foreach ( $labels as $status => $label ) {
			$count                                     = '' === $status ? array_sum( $counts ) : (int) ( $counts[ $status ] ?? 0 );
			$url                                       = '' === $status ? Screen::page_url() : Screen::page_url( array( 'status' => $status ) );
			$class                                     = $this->query->status === $status ? ' class="current" aria-current="page"' : '';
			$views[ '' === $status ? 'all' : $status ] = sprintf( '<a href="%s"%s>%s <span class="count">(%d)</span></a>', esc_url( $url . '#wps3-backups' ), $class, esc_html( $label ), $count );
		}
		return $views;
	}

	/**
	 * Text when the page is empty.
	 *
	 * @return void
	 */
	public function no_items() {
		if ( '' !== $this->query->status ) {
			esc_html_e( 'No backups with this status.', 'wps3' );
			return;
		}
		esc_html_e( 'No completed documents yet. Backups appear here when WP Signer reports a fully signed document.', 'wps3' );
	}

	/**
	 * One row, with the classes and data attribute scripts and tests look for.
	 *
	 * @param array<string, mixed> $item Job row joined with its backup.
	 * @return void
	 */
	public function single_row( $item ) {
		$job = Job::from_row( $item );
		if ( $job->is_active_within( time(), 30 ) ) {
			$this->active = true;
		}
		echo '<tr class="wps3-job wps3-status-' . esc_attr( $job->status ) . '" data-document-id="' . esc_attr( $job->document_id ) . '">';
		$this->single_row_columns( $item );
		echo '</tr>';
	}

	/**
	 * Whether a listed job is uploading or due within 30 seconds.
	 *
	 * @return bool
	 */
	public function has_activity(): bool {
		return $this->active;
	}

	/**
	 * Document title and id.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	public function column_title( $item ) {
		return '<strong>' . esc_html( (string) $item['title'] ) . '</strong><br /><span class="description">#' . esc_html( (string) $item['document_id'] ) . '</span>';
	}

	/**
	 * Status, and when the next attempt runs.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	public function column_status( $item ) {
		$status = (string) $item['status'];
		$html   = '<span class="wps3-status">' . esc_html( self::status_labels()[ $status ] ?? $status ) . '</span>';
		if ( Job::PENDING === $status && (int) $item['attempts'] > 0 ) {
			/* translators: %s: human time difference */
			$html .= '<br /><span class="description">' . esc_html( sprintf( __( 'next attempt in %s', 'wps3' ), human_time_diff( time(), max( time(), (int) $item['next_attempt_at'] ) ) ) ) . '</span>';
		}
		return $html;
	}

	/**
	 * Attempts so far.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	public function column_attempts( $item ) {
		return esc_html( (string) (int) $item['attempts'] );
	}

	/**
	 * Object key, size, bucket and time of the backup.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	public function column_uploaded_at( $item ) {
		if ( empty( $item['backup_id'] ) ) {
			return '';
		}
		$size = (int) $item['size'];
		return '<code class="wps3-key">' . esc_html( (string) $item['object_key'] ) . '</code><br /><span class="description">'
			. esc_html( size_format( $size, $size >= KB_IN_BYTES ? 1 : 0 ) . ' · ' . $item['bucket'] . ' · ' . $item['uploaded_at'] . ' UTC' ) . '</span>';
	}

	/**
	 * Code, cause and fix of the last failure (not for finished jobs).
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	public function column_last_error( $item ) {
		if ( empty( $item['last_error_code'] ) || Job::DONE === $item['status'] ) {
			return '';
		}
		$html = '<div class="wps3-error"><code>' . esc_html( (string) $item['last_error_code'] ) . '</code> ' . esc_html( (string) $item['last_error_cause'] );
		if ( ! empty( $item['last_error_fix'] ) ) {
			$html .= '<br /><strong>' . esc_html__( 'Fix:', 'wps3' ) . '</strong> <span class="wps3-fix">' . esc_html( (string) $item['last_error_fix'] ) . '</span>';
		}
		return $html . '</div>';
	}

	/**
	 * Download (a nonce link to admin-post) and Retry (a small nonce form) buttons.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	public function column_actions( $item ) {
		$html = '';
		if ( ! empty( $item['backup_id'] ) ) {
			$backup = (int) $item['backup_id'];
			$url    = wp_nonce_url(
				add_query_arg(
					array(
						'action' => 'wps3_download',
						'backup' => $backup,
					),
					admin_url( 'admin-post.php' )
				),
				'wps3_download_' . $backup
			);
			$html  .= '<a class="button wps3-download" href="' . esc_url( $url ) . '">' . esc_html__( 'Download', 'wps3' ) . '</a> ';
		}
		if ( Job::FAILED === $item['status'] ) {
			$job   = (int) $item['id'];
			$html .= '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="display:inline">'
				. '<input type="hidden" name="action" value="wps3_retry" /><input type="hidden" name="job" value="' . esc_attr( (string) $job ) . '" />'
				. wp_nonce_field( 'wps3_retry_' . $job, '_wpnonce', true, false )
				. '<button type="submit" class="button wps3-retry">' . esc_html__( 'Retry', 'wps3' ) . '</button></form>';
		}
		return $html;
	}

	/**
	 * Human labels of the statuses.
	 *
	 * @return array<string, string>
	 */
	private static function status_labels(): array {
		return array(
			Job::PENDING => __( 'Waiting', 'wps3' ),
			Job::RUNNING => __( 'Uploading', 'wps3' ),
			Job::DONE    => __( 'Backed up', 'wps3' ),
			Job::FAILED  => __( 'Failed', 'wps3' ),
		);
	}
}

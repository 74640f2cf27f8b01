<?php
/**
 * Which page of the backups list to show: status filter, sort column and direction, page.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

defined( 'ABSPATH' ) || exit;

/**
 * A validated list query. Everything that reaches SQL comes from the whitelists below, never from the
 * request itself.
 */
final class JobQuery {

	/**
	 * Sortable columns: request value => SQL column (jobs `j`, backups `b`).
	 *
	 * @var array<string, string>
	 */
	public const SORTABLE = array(
		'id'          => 'j.id',
		'title'       => 'j.title',
		'status'      => 'j.status',
		'attempts'    => 'j.attempts',
		'uploaded_at' => 'b.uploaded_at',
	);

	/**
	 * Statuses the list can be filtered by.
	 *
	 * @var string[]
	 */
	public const STATUSES = array( Job::PENDING, Job::RUNNING, Job::DONE, Job::FAILED );

	public const MAX_PER_PAGE = 200;

	/**
	 * Use from_request() for request input.
	 *
	 * @param string $status   One of STATUSES, or '' for all.
	 * @param string $orderby  A key of SORTABLE.
	 * @param string $order    ASC or DESC.
	 * @param int    $page     Page number, from 1.
	 * @param int    $per_page Rows per page, 1 to MAX_PER_PAGE.
	 */
	public function __construct(
		public readonly string $status = '',
		public readonly string $orderby = 'id',
		public readonly string $order = 'DESC',
		public readonly int $page = 1,
		public readonly int $per_page = 20
	) {
	}

	/**
	 * A query from request arguments (`status`, `orderby`, `order`, `paged`); anything unknown falls back
	 * to the default (newest first, all statuses, first page).
	 *
	 * @param array<string, mixed> $args     Request arguments (e.g. wp_unslash( $_GET )).
	 * @param int                  $per_page Rows per page (the screen option).
	 * @return self
	 */
	public static function from_request( array $args, int $per_page = 20 ): self {
		$status  = self::word( $args['status'] ?? '' );
		$orderby = self::word( $args['orderby'] ?? '' );
		$order   = strtoupper( self::word( $args['order'] ?? '' ) );
		$page    = isset( $args['paged'] ) && is_scalar( $args['paged'] ) ? (int) $args['paged'] : 1;
		return new self(
			status: in_array( $status, self::STATUSES, true ) ? $status : '',
			orderby: isset( self::SORTABLE[ $orderby ] ) ? $orderby : 'id',
			order: 'ASC' === $order ? 'ASC' : 'DESC',
			page: max( 1, $page ),
			per_page: max( 1, min( self::MAX_PER_PAGE, $per_page ) )
		);
	}

	/**
	 * Rows to skip.
	 *
	 * @return int
	 */
	public function offset(): int {
		return ( $this->page - 1 ) * $this->per_page;
	}

	/**
	 * The ORDER BY clause body, from the whitelist; ties are broken by id so pages never overlap.
	 *
	 * @return string
	 */
	public function order_sql(): string {
		$column = self::SORTABLE[ $this->orderby ] ?? 'j.id';
		$order  = 'ASC' === $this->order ? 'ASC' : 'DESC';
		return 'j.id' === $column ? "j.id {$order}" : "{$column} {$order}, j.id {$order}";
	}

	/**
	 * Number of pages for $total rows (at least 1).
	 *
	 * @param int $total Rows.
	 * @return int
	 */
	public function pages( int $total ): int {
		return max( 1, (int) ceil( $total / $this->per_page ) );
	}

	/**
	 * A lower-case word from request input, or ''.
	 *
	 * @param mixed $value Input.
	 * @return string
	 */
	private static function word( $value ): string {
		return is_string( $value ) ? strtolower( trim( $value ) ) : '';
	}
}

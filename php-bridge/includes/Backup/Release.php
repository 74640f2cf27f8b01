<?php
/**
 * How a worker gives a job back after a failed attempt.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

defined( 'ABSPATH' ) || exit;

/**
 * The outcome JobStore::release() writes: the new status, the error the admin sees, and whether the
 * stored key is dropped. Built with retry_at() or failed(), never from loose flags.
 */
final class Release {

	/**
	 * Use retry_at() or failed().
	 *
	 * @param string   $status          Job::PENDING (another attempt) or Job::FAILED.
	 * @param int      $attempts        Failed attempts so far.
	 * @param int|null $next_attempt_at Unix time of the next attempt; null keeps the stored one.
	 * @param string   $code            Error code (at most 100 bytes are stored).
	 * @param string   $cause           Cause shown to the admin.
	 * @param string   $fix             Fix shown to the admin.
	 * @param bool     $clear_key       Whether the stored object key is dropped (rendered again next time).
	 */
	private function __construct(
		public readonly string $status,
		public readonly int $attempts,
		public readonly ?int $next_attempt_at,
		public readonly string $code,
		public readonly string $cause,
		public readonly string $fix,
		public readonly bool $clear_key
	) {
	}

	/**
	 * Another attempt at $next_attempt_at.
	 *
	 * @param int    $attempts        Failed attempts so far.
	 * @param int    $next_attempt_at Unix time.
	 * @param string $code            Error code.
	 * @param string $cause           Cause.
	 * @param string $fix             Fix.
	 * @param bool   $clear_key       Drop the stored key.
	 * @return self
	 */
	public static function retry_at( int $attempts, int $next_attempt_at, string $code, string $cause, string $fix, bool $clear_key = false ): self {
		return new self( Job::PENDING, $attempts, $next_attempt_at, $code, $cause, $fix, $clear_key );
	}

	/**
	 * No more attempts until an admin clicks Retry (or the document is completed again).
	 *
	 * @param int    $attempts  Failed attempts so far.
	 * @param string $code      Error code.
	 * @param string $cause     Cause.
	 * @param string $fix       Fix.
	 * @param bool   $clear_key Drop the stored key.
	 * @return self
	 */
	public static function failed( int $attempts, string $code, string $cause, string $fix, bool $clear_key = false ): self {
		return new self( Job::FAILED, $attempts, null, $code, $cause, $fix, $clear_key );
	}

	/**
	 * The stored error code: at most 100 bytes (the column's width).
	 *
	 * @return string
	 */
	public function stored_code(): string {
		return substr( $this->code, 0, 100 );
	}
}

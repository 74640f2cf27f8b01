<?php
/**
 * Base class of the unit tier: every test starts with no transients, options or hooks.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit;

/**
 * Resets the WordPress stand-ins around each test.
 */
abstract class TestCase extends \PHPUnit\Framework\TestCase {

	/**
	 * Empties the stand-ins' storage and hooks.
	 */
	protected function setUp(): void {
		parent::setUp();
		\Wps3UnitState::reset();
	}
}

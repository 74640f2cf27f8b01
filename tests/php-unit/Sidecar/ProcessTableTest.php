<?php
/**
 * WPS3\Sidecar\ProcessTable: recognising the plugin's own sidecar by its exact command line.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Sidecar;

use WPS3\Sidecar\ProcessTable;
use WPS3\Tests\Unit\TestCase;

/**
 * Argv matching and /proc/<pid>/cmdline parsing.
 */
final class ProcessTableTest extends TestCase {

	private const SCRIPT = '/srv/wp/plugins/wps3/sidecar/server.mjs';

	private const OPTIONS = array(
		'--socket'   => '/run/wps3/s.sock',
		'--pid-file' => '/run/wps3/sidecar.pid',
	);

	/**
	 * Any node binary, the script, each option once with its value, in any order.
	 */
	public function test_exact_command_line_in_any_option_order(): void {
		$this->assertTrue( ProcessTable::argv_matches( array( '/usr/bin/node', self::SCRIPT, '--socket', '/run/wps3/s.sock', '--pid-file', '/run/wps3/sidecar.pid' ), self::SCRIPT, self::OPTIONS ) );
		$this->assertTrue( ProcessTable::argv_matches( array( 'node', self::SCRIPT, '--pid-file', '/run/wps3/sidecar.pid', '--socket', '/run/wps3/s.sock' ), self::SCRIPT, self::OPTIONS ) );
	}

	/**
	 * Command lines that are not ours.
	 *
	 * @return array<string, array{0: string[]}>
	 */
	public function foreign_command_lines(): array {
		$ours = array( 'node', self::SCRIPT, '--socket', '/run/wps3/s.sock', '--pid-file', '/run/wps3/sidecar.pid' );
		return array(
			'empty'                  => array( array() ),
			'binary only'            => array( array( 'node' ) ),
			'other script'           => array( array( 'node', '/tmp/server.mjs', '--socket', '/run/wps3/s.sock', '--pid-file', '/run/wps3/sidecar.pid' ) ),
			'script not second'      => array( array( 'node', '--inspect', self::SCRIPT, '--socket', '/run/wps3/s.sock', '--pid-file', '/run/wps3/sidecar.pid' ) ),
			'option missing'         => array( array( 'node', self::SCRIPT, '--socket', '/run/wps3/s.sock' ) ),
			'extra flag'             => array( array_merge( $ours, array( '--debug' ) ) ),
			'extra option'           => array( array_merge( $ours, array( '--port', '7781' ) ) ),
			'option twice'           => array( array_merge( $ours, array( '--socket', '/run/wps3/s.sock' ) ) ),
			'other value'            => array( array( 'node', self::SCRIPT, '--socket', '/run/wps3/s.sock', '--pid-file', '/run/wps3/sidecar.pidx' ) ),
			'value taken for option' => array( array( 'node', self::SCRIPT, '--socket', '--pid-file', '/run/wps3/s.sock', '/run/wps3/sidecar.pid' ) ),
		);
	}

	/**
	 * None of them matches.
	 *
	 * @dataProvider foreign_command_lines
	 *
	 * @param string[] $argv Command line.
	 */
	public function test_other_command_lines_are_not_ours( array $argv ): void {
		$this->assertFalse( ProcessTable::argv_matches( $argv, self::SCRIPT, self::OPTIONS ) );
	}

	/**
	 * Without expected options (an invalid TCP URL gives none) nothing is ours.
	 */
	public function test_no_expected_options_matches_nothing(): void {
		$this->assertFalse( ProcessTable::argv_matches( array( 'node', self::SCRIPT ), self::SCRIPT, array() ) );
	}

	/**
	 * /proc/<pid>/cmdline is NUL-separated with a trailing NUL; a zombie's is empty.
	 */
	public function test_cmdline_parsing(): void {
		$this->assertSame( array( 'node', self::SCRIPT, '--port', '7781' ), ProcessTable::parse_cmdline( "node\0" . self::SCRIPT . "\0--port\x007781\0" ) );
		$this->assertSame( array( 'node', '', 'x' ), ProcessTable::parse_cmdline( "node\0\0x\0" ), 'an empty argument inside stays' );
		$this->assertSame( array(), ProcessTable::parse_cmdline( '' ) );
	}
}

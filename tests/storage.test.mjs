// The throwaway S3 servers used by every other suite: they start, the bucket exists,
// they really verify signatures, CORS is set for browser uploads, and stop() cleans up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startStorage, checkAuth, findGarage, ministackVenv } from './support/storage.mjs';

const CI = !!process.env.CI && process.env.CI !== 'false';

// Codes each server uses when a signature is made with a wrong secret.
const REJECT_CODES = {
  ministack: ['SignatureDoesNotMatch'],
  garage: ['AccessDenied', 'SignatureDoesNotMatch'],
};

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

async function waitGone(pid, ms = 5000) {
  const end = Date.now() + ms;
  while (groupAlive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return !groupAlive(pid);
}

function available(kind) {
  if (kind === 'garage') return !!findGarage();
  return fs.existsSync(`${ministackVenv()}/bin/ministack`);
}

for (const kind of ['ministack', 'garage']) {
  test(`${kind}: starts, verifies SigV4, has a CORS-enabled bucket, stops cleanly`, async (t) => {
    if (!available(kind)) {
      const msg = `${kind} is not installed (run: bash tools/setup.sh storage)`;
      if (CI) assert.fail(`${msg} — required in CI`);
      t.skip(`SKIPPED: ${msg}`);
      return;
    }
    const s = await startStorage(kind);
    let stopped = false;
    try {
      assert.equal(s.kind, kind);
      assert.match(s.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(s.provider, 'custom');
      assert.ok(s.bucket && s.region && s.accessKeyId && s.secretAccessKey);
      assert.ok(fs.existsSync(s.dir), 'state dir exists while running');

      const auth = await checkAuth(s);
      // Right secret: the bucket exists and is readable with the returned key.
      assert.deepEqual(auth.good, { status: 200, code: null }, `signed ListObjectsV2: ${JSON.stringify(auth)}`);
      // Wrong secret for the same key: must be rejected.
      assert.equal(auth.bad.status, 403, `wrong secret: ${JSON.stringify(auth.bad)}`);
      assert.ok(REJECT_CODES[kind].includes(auth.bad.code), `wrong secret code: ${auth.bad.code}`);
      if (kind === 'ministack') assert.notEqual(s.accessKeyId, 'test');

      // CORS preflight for a browser PUT straight to the bucket.
      const pre = await fetch(`${s.endpoint}/${s.bucket}/cors-probe.txt`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'http://wp.example.test',
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'content-type',
        },
      });
      assert.ok(pre.status === 200 || pre.status === 204, `preflight status ${pre.status}`);
      assert.ok(pre.headers.get('access-control-allow-origin'), 'preflight allows the origin');
      assert.match(pre.headers.get('access-control-allow-methods') || '', /PUT/);

      const { pid, dir } = s;
      await s.stop();
      stopped = true;
      assert.ok(await waitGone(pid), 'server process group is gone after stop()');
      assert.ok(!fs.existsSync(dir), 'temp dir removed after stop()');
      await s.stop(); // idempotent
      const down = await fetch(s.endpoint).then(
        () => 'up',
        () => 'down',
      );
      assert.equal(down, 'down', 'endpoint no longer answers');
    } finally {
      if (!stopped) await s.stop();
    }
  });
}

test('CLI: prints S3_* lines; a SIGKILLed parent takes its server and temp dir with it', async (t) => {
  if (!available('ministack')) {
    if (CI) assert.fail('ministack is not installed — required in CI');
    t.skip('SKIPPED: ministack is not installed (run: bash tools/setup.sh storage)');
    return;
  }
  const { spawn } = await import('node:child_process');
  const cli = spawn(process.execPath, [new URL('./support/storage.mjs', import.meta.url).pathname, 'ministack'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  cli.stdout.on('data', (d) => (out += d));
  cli.stderr.on('data', (d) => (err += d));
  try {
    const deadline = Date.now() + 30000;
    while (!/S3_SECRET_ACCESS_KEY=/.test(out) && Date.now() < deadline && cli.exitCode === null) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const env = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
    // ministack also prints its root key pair (S3_ROOT_*), for tests that create IAM users.
    const root = Object.keys(env).filter((k) => k.startsWith('S3_ROOT_'));
    assert.deepEqual(
      Object.keys(env).filter((k) => !root.includes(k)),
      ['S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'],
      `CLI output: ${out}\n${err}`,
    );
    assert.ok(root.length === 0 || root.join() === 'S3_ROOT_ACCESS_KEY_ID,S3_ROOT_SECRET_ACCESS_KEY', root.join());
    const auth = await checkAuth({
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION,
      bucket: env.S3_BUCKET,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    });
    assert.equal(auth.good.status, 200);
    assert.equal(auth.rejected, true);
    const dir = /dir (\S+)\)/.exec(err)?.[1];
    assert.ok(dir && fs.existsSync(dir), `CLI reports its state dir: ${err}`);
    cli.kill('SIGKILL');
    let up = true;
    const end = Date.now() + 5000;
    while (up && Date.now() < end) {
      up = await fetch(env.S3_ENDPOINT).then(
        () => true,
        () => false,
      );
      if (up) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(up, false, 'server stops answering once its parent is SIGKILLed');
    const gone = Date.now() + 5000;
    while (fs.existsSync(dir) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!fs.existsSync(dir), 'the watchdog removes the state dir');
  } finally {
    if (cli.exitCode === null) cli.kill('SIGKILL');
  }
});

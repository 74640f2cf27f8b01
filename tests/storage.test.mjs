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

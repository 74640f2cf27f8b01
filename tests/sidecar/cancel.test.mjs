// Work is cancelled when nobody will see its result: a PHP client that hangs
// up (timeout, killed worker) must not leave its upload running, or PHP's
// retry would upload the same document twice at once; and a sidecar that
// exits with uploads still running aborts their multipart uploads.
//
// Storage sits behind a throttling proxy so an upload lasts a few seconds;
// ListMultipartUploads goes to the server directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  startSidecar, startStorage, need, tmpDir, makeFile, listUploads, throttleProxy, startOp, waitFor, inFlight, MiB,
} from './helpers.mjs';

const RATE = 16 * MiB; // bytes/s through the proxy: 48 MiB takes ~3 s

async function setup(t, env = {}) {
  const s3 = await startStorage('ministack');
  const proxy = await throttleProxy(s3, RATE);
  const sc = await startSidecar({ env });
  const dir = tmpDir();
  t.after(async () => {
    await sc.stop();
    proxy.close();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const upload = (key, file) => startOp(sc, 'upload-file', {
    storage: proxy.storage, credentials: s3.credentials, key, path: file, multipartThreshold: 5 * MiB, partSize: 5 * MiB, concurrency: 1,
  });
  const exists = async (key) => (await sc.op('head-object', { storage: s3.storage, credentials: s3.credentials, key })).result.exists;
  return { s3, sc, dir, upload, exists };
}

test('ministack: a client that hangs up mid-upload cancels it and its multipart upload is aborted', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const { s3, sc, dir, upload, exists } = await setup(t);
  const f = makeFile(`${dir}/big.bin`, 48 * MiB, 11);
  const up = upload('cancel/big.bin', f);
  await waitFor('the multipart upload to be created', async () => (await listUploads(sc, s3)).length === 1);
  await new Promise((r) => setTimeout(r, 300)); // a part is on its way
  up.req.destroy();
  await up.done;
  const t0 = Date.now();
  await waitFor('inFlight 0', async () => (await inFlight(sc)) === 0, 2_000);
  assert.ok(Date.now() - t0 < 2_000, 'cancelled quickly, not after the upload ran to its end');
  assert.deepEqual(await listUploads(sc, s3), [], 'the multipart upload was aborted');
  assert.equal(await exists('cancel/big.bin'), false, 'nothing was completed');
  assert.match(sc.stderr, /request cancelled/);
  assert.match(sc.stderr, /multipart upload aborted/);
  // The sidecar is fine afterwards: the same upload succeeds.
  const again = upload('cancel/big.bin', f);
  const r = await again.done;
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(r.result.parts, 10);
});

test('ministack: an upload waiting for a slot is dropped when its client hangs up', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const { sc, dir, upload, exists } = await setup(t, { WPS3_MAX_UPLOADS: '1' });
  const f = makeFile(`${dir}/a.bin`, 32 * MiB, 12);
  const small = makeFile(`${dir}/b.bin`, 1 * MiB, 13);
  const a = upload('queue/a.bin', f);
  await waitFor('A in flight', async () => (await inFlight(sc)) === 1);
  const b = upload('queue/b.bin', small);
  await waitFor('B queued behind A', async () => (await inFlight(sc)) === 2);
  b.req.destroy();
  await waitFor('B gone from the queue while A still runs', async () => (await inFlight(sc)) === 1, 1_000);
  const ra = await a.done;
  assert.equal(ra.ok, true, JSON.stringify(ra.error));
  await waitFor('idle', async () => (await inFlight(sc)) === 0);
  assert.equal(await exists('queue/a.bin'), true);
  assert.equal(await exists('queue/b.bin'), false, 'the abandoned upload never started');
});

for (const [name, env, signals] of [
  ['grace period over', { WPS3_SHUTDOWN_GRACE_MS: '300' }, ['SIGTERM']],
  ['second SIGINT', {}, ['SIGINT', 'SIGINT']],
]) {
  test(`ministack: exit with an upload still running (${name}) aborts its multipart upload`, async (t) => {
    if (!need(t, ['core', 'ministack'])) return;
    const { s3, sc, dir, upload } = await setup(t, env);
    const f = makeFile(`${dir}/x.bin`, 48 * MiB, 14);
    const up = upload('exit/x.bin', f);
    await waitFor('the multipart upload to be created', async () => (await listUploads(sc, s3)).length === 1);
    const t0 = Date.now();
    for (const s of signals) {
      sc.child.kill(s);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { code } = await sc.exited;
    assert.equal(code, 0, sc.stderr);
    assert.ok(Date.now() - t0 < 2_500, `exited after ${Date.now() - t0} ms, before the upload could finish`);
    assert.ok((await up.done) instanceof Error, 'the client saw the connection close');
    const check = await startSidecar();
    try {
      assert.deepEqual(await listUploads(check, s3), [], 'no multipart upload left on storage');
    } finally {
      await check.stop();
    }
    assert.match(sc.stderr, /aborting open multipart uploads/);
    assert.match(sc.stderr, /multipart upload aborted/);
  });
}

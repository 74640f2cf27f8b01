// Files outside the allowed roots (issue 10, hole 2): with `allowedRoots`,
// upload-file and the `s3` op read a file only when the file they opened
// really lies inside a root. Symlinks out of a root, `..` paths and a folder
// swapped for a symlink after PHP's realpath() are all refused with
// FileOutsideAllowedRoots (retry never), before any request reaches storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSidecar, startStorage, need, tmpDir, makeFile, listUploads, MiB } from './helpers.mjs';

function refused(r, what) {
  assert.equal(r.ok, false, `${what}: uploaded`);
  assert.equal(r.error.code, 'FileOutsideAllowedRoots', `${what}: ${JSON.stringify(r.error)}`);
  assert.equal(r.error.retry, 'never', what);
  assert.equal(r.error.adviceId, 'file-outside-allowed-roots', what);
  assert.match(r.error.cause, /outside the folders/, what);
}

test('allowed roots: only files really inside a root are read', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const s3 = await startStorage('ministack');
  const sc = await startSidecar();
  const dir = tmpDir();
  t.after(async () => {
    await sc.stop();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const root = path.join(dir, 'uploads');
  const outside = path.join(dir, 'site');
  fs.mkdirSync(path.join(root, '2026'), { recursive: true });
  fs.mkdirSync(outside);
  const secret = makeFile(path.join(outside, 'wp-config.php'), 2000, 7);
  const bigSecret = makeFile(path.join(outside, 'db.sql'), 20 * MiB, 8);
  const inside = makeFile(path.join(root, '2026', 'contract.pdf'), 3000, 9);
  // A sibling whose name starts like the root: a plain string prefix would let it through.
  fs.mkdirSync(`${root}-old`);
  const sibling = makeFile(`${root}-old/contract.pdf`, 100, 1);
  const allowedRoots = [root];
  const up = (p, extra = {}) => sc.op('upload-file', { storage: s3.storage, credentials: s3.credentials, key: `roots/${path.basename(p)}`, path: p, allowedRoots, ...extra });
  const head = async (key) => (await sc.op('head-object', { storage: s3.storage, credentials: s3.credentials, key })).result.exists;

  await t.test('a file inside the root uploads (the check can pass)', async () => {
    const r = await up(inside);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.result.size, 3000);
    // A root given with a trailing slash, or through a symlink to it, is the same root.
    fs.symlinkSync(root, path.join(dir, 'uploads-link'));
    assert.equal((await up(inside, { allowedRoots: [`${root}/`] })).ok, true);
    assert.equal((await up(inside, { allowedRoots: [path.join(dir, 'uploads-link')] })).ok, true);
  });

  await t.test('a file outside every root is refused and never reaches storage', async () => {
    refused(await up(secret), 'wp-config.php');
    assert.equal(await head('roots/wp-config.php'), false);
    refused(await up(sibling, { key: 'roots/sibling.pdf' }), 'sibling folder');
    assert.equal(await head('roots/sibling.pdf'), false);
    refused(await up(inside, { allowedRoots: [] }), 'no roots');
    refused(await up(inside, { allowedRoots: [path.join(dir, 'missing')] }), 'a root that does not exist');
  });

  await t.test('multipart: refused before CreateMultipartUpload (no half state)', async () => {
    refused(await up(bigSecret, { multipartThreshold: 5 * MiB, partSize: 5 * MiB }), 'multipart');
    assert.deepEqual(await listUploads(sc, s3), [], 'no multipart upload was started');
    assert.equal(await head('roots/db.sql'), false);
  });

  await t.test('symlinks and .. that lead out of the root are refused', async () => {
    const link = path.join(root, 'invoice.pdf');
    fs.symlinkSync(secret, link);
    refused(await up(link), 'symlinked file');
    // A folder inside the root that is (or became, after PHP resolved the path) a symlink to outside.
    fs.symlinkSync(outside, path.join(root, 'docs'));
    refused(await up(path.join(root, 'docs', 'wp-config.php')), 'symlinked folder');
    refused(await up(`${root}/2026/../../site/wp-config.php`), '.. path');
    assert.equal(await head('roots/wp-config.php'), false);
  });

  await t.test('the s3 op reads file bodies under the same rule', async () => {
    const put = (p) => sc.op('s3', { storage: s3.storage, credentials: s3.credentials, action: 'put_object', args: { key: 'roots/s3-op.bin' }, path: p, allowedRoots });
    refused(await put(secret), 's3 put_object');
    assert.equal(await head('roots/s3-op.bin'), false);
    const ok = await put(inside);
    assert.equal(ok.ok, true, JSON.stringify(ok.error));
  });

  await t.test('malformed allowedRoots is a bad request', async () => {
    const r = await up(inside, { allowedRoots: 'not-a-list' });
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'BAD_REQUEST');
  });
});

// The `presign-page` op (docs/CONTRACTS.md section 2): a page of links in
// one call. Every URL equals what the `presign` op gives for the same link,
// with the Content-Disposition the `content-disposition` op gives for its
// file name; a bad link fails alone; what the page shares fails the page.

import test from 'node:test';
import assert from 'node:assert/strict';
import { need } from './helpers.mjs';

const storage = { provider: 'custom', region: 'us-east-1', bucket: 'wps3-test', endpoint: 'http://127.0.0.1:9000', addressingStyle: 'path', allowPrivateEndpoints: true };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = 1_700_000_000;
const KEY_MATERIAL = 'k'.repeat(32);

async function setup() {
  const { createProtocol } = await import('../../php-bridge/sidecar/protocol.mjs');
  const { createSignerCache } = await import('../../php-bridge/sidecar/signers.mjs');
  const signers = createSignerCache({ sweepEveryMs: 0 });
  const p = createProtocol({ startedAt: Date.now(), inFlight: 0 }, { signers });
  const envelope = (await p.runOp('encrypt', { keyMaterial: KEY_MATERIAL, context: 'site-1', plaintext: credentials.secretAccessKey })).result.envelope;
  const sealed = { accessKeyId: credentials.accessKeyId, sealedSecret: { envelope, keyMaterial: KEY_MATERIAL, context: 'site-1' } };
  return { p, signers, sealed };
}

const ok = (out) => {
  assert.equal(out.ok, true, JSON.stringify(out));
  return out.result;
};

test('presign-page: each URL is the presign op\'s for its link, with the core\'s Content-Disposition', async (t) => {
  if (!need(t, ['core'])) return;
  const { p, sealed, signers } = await setup();
  const keys = ['a/b c.pdf', 'ü/日本 (v2).pdf', 'x+y/%41.pdf', 'plain.txt'];
  const filenames = ['Vertrag Müller.pdf', null, 'a "quoted"\r\nname.pdf', 'plain.txt'];
  const endpoint = ok(await p.runOp('validate-settings', storage)).endpoint;
  for (const creds of [credentials, sealed]) {
    for (const page of [
      { expiresIn: 300 },
      { expiresIn: 900, disposition: 'inline', responseContentType: 'application/pdf', responseCacheControl: 'no-store' },
    ]) {
      const got = ok(await p.runOp('presign-page', { storage, credentials: creds, now: NOW, keys, filenames, ...page }));
      assert.deepEqual(got.errors, []);
      assert.deepEqual(got.endpoint, endpoint, 'the endpoint validate-settings resolves');
      assert.equal(got.urls.length, keys.length);
      for (const [i, key] of keys.entries()) {
        const disposition = filenames[i] === null ? undefined
          : ok(await p.runOp('content-disposition', { filename: filenames[i], disposition: page.disposition ?? 'attachment' })).value;
        const one = ok(await p.runOp('presign', {
          storage, credentials: creds, now: NOW, method: 'GET', key, expiresIn: page.expiresIn,
          responseContentDisposition: disposition, responseContentType: page.responseContentType, responseCacheControl: page.responseCacheControl,
        }));
        assert.equal(got.urls[i], one.url, key);
        assert.equal(got.expiresAt, one.expiresAt);
      }
    }
  }
  // Ready dispositions instead of file names, and another method.
  const cds = ['inline', null, 'attachment; filename="x.pdf"', null];
  const got = ok(await p.runOp('presign-page', { storage, credentials: sealed, now: NOW, method: 'HEAD', expiresIn: 60, keys, contentDispositions: cds }));
  for (const [i, key] of keys.entries()) {
    const one = ok(await p.runOp('presign', { storage, credentials: sealed, now: NOW, method: 'HEAD', key, expiresIn: 60, responseContentDisposition: cds[i] ?? undefined }));
    assert.equal(got.urls[i], one.url);
  }
  assert.equal(signers.size, 2, 'the page signs on the cached signers presign uses');
});

test('presign-page: a bad link fails alone, what the page shares fails the page', async (t) => {
  if (!need(t, ['core'])) return;
  const { p, sealed } = await setup();
  const page = { storage, credentials: sealed, now: NOW, expiresIn: 300 };
  const got = ok(await p.runOp('presign-page', { ...page, keys: ['ok.pdf', '', 'ok2.pdf', 'a\nb'], filenames: ['a.pdf', 'b.pdf', null, null] }));
  assert.equal(got.urls[1], null);
  assert.equal(got.urls[3], null);
  assert.match(got.urls[0], /X-Amz-Signature=[0-9a-f]{64}$/);
  assert.match(got.urls[2], /X-Amz-Signature=[0-9a-f]{64}$/);
  assert.deepEqual(got.errors.map((e) => [e.index, e.error.code, e.error.retry]), [[1, 'INVALID_KEY', 'never'], [3, 'INVALID_KEY', 'never']]);
  // The error model the presign op gives for the same key.
  const single = await p.runOp('presign', { ...page, method: 'GET', key: '' });
  assert.deepEqual(got.errors[0].error, single.error);
  for (const e of got.errors) assert.equal(typeof e.error.message, 'string');
  // The write check: keys we create get the strict check.
  const put = ok(await p.runOp('presign-page', { ...page, method: 'PUT', keys: ['a/../b.pdf', 'fine.pdf'] }));
  assert.deepEqual(put.errors.map((e) => [e.index, e.error.code]), [[0, 'INVALID_KEY']]);

  for (const [args, code] of [
    [{ keys: ['a'], expiresIn: 604801 }, 'INVALID_EXPIRES'],
    [{ keys: ['a'], method: 'POST' }, 'INVALID_ARGUMENT'],
    [{ keys: ['a', 'b'], filenames: ['x'] }, 'INVALID_ARGUMENT'],
    [{ keys: ['a'], contentDispositions: ['x', 'y'] }, 'INVALID_ARGUMENT'],
    [{ keys: 'a' }, 'INVALID_ARGUMENT'],
    [{ keys: [1] }, 'INVALID_ARGUMENT'],
    [{ keys: ['a'], disposition: 'download' }, 'INVALID_ARGUMENT'],
    [{ keys: ['a'], responseContentType: 'a\r\nb' }, 'INVALID_ARGUMENT'],
    [{ keys: Array(1001).fill('a') }, 'INVALID_ARGUMENT'],
  ]) {
    const out = await p.runOp('presign-page', { ...page, ...args });
    assert.equal(out.ok, false, JSON.stringify(args));
    assert.equal(out.error.code, code, JSON.stringify(args));
  }
  const bad = await p.runOp('presign-page', { ...page, storage: { ...storage, bucket: 'Bad_Bucket!' }, keys: ['a'] });
  assert.equal(bad.ok, false);
});

test('presign-page: now defaults to the sidecar clock; the batch envelope and the HTTP route work', async (t) => {
  if (!need(t, ['core'])) return;
  const { p, sealed } = await setup();
  const before = Math.floor(Date.now() / 1000);
  const got = ok(await p.runOp('presign-page', { storage, credentials: sealed, expiresIn: 300, keys: ['k.pdf'] }));
  const amz = /X-Amz-Date=(\d{8}T\d{6}Z)/.exec(got.urls[0])[1];
  const signed = Date.parse(`${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 8)}T${amz.slice(9, 11)}:${amz.slice(11, 13)}:${amz.slice(13, 15)}Z`) / 1000;
  assert.ok(Math.abs(signed - before) <= 5, `signed at ${amz}`);

  const batch = await p.handle('POST', '/v1/batch', Buffer.from(JSON.stringify({
    op: 'batch', storage, credentials: sealed, ops: [{ op: 'presign-page', args: { now: NOW, expiresIn: 300, keys: ['k.pdf'] } }],
  })));
  const inBatch = batch.json.results[0];
  const direct = await p.handle('POST', '/v1/op/presign-page', Buffer.from(JSON.stringify({ storage, credentials: sealed, now: NOW, expiresIn: 300, keys: ['k.pdf'] })));
  assert.equal(direct.status, 200);
  assert.equal(inBatch.ok, true, JSON.stringify(inBatch));
  assert.deepEqual(inBatch.result, direct.json.result);
  const refused = await p.handle('POST', '/v1/op/presign-page', Buffer.from(JSON.stringify({ storage, credentials: sealed, expiresIn: 0, keys: ['k.pdf'] })));
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error.code, 'INVALID_EXPIRES');
});

// The signer cache (php-bridge/sidecar/signers.mjs) and the batch envelope
// (docs/CONTRACTS.md section 2), in process: a cached signer signs exactly
// like the stateless core call, idle and surplus signers are freed, and a
// batch's shared storage and credentials stand for every op. The clock is
// injected: nothing here waits.

import test from 'node:test';
import assert from 'node:assert/strict';
import { need } from './helpers.mjs';

const storage = { provider: 'custom', region: 'us-east-1', bucket: 'wps3-test', endpoint: 'http://127.0.0.1:9000', addressingStyle: 'path', allowPrivateEndpoints: true };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = 1_700_000_000;
const KEY_MATERIAL = 'k'.repeat(32);

async function setup({ idleMs = 1000, max = 4 } = {}) {
  const { createProtocol } = await import('../../php-bridge/sidecar/protocol.mjs');
  const { createSignerCache } = await import('../../php-bridge/sidecar/signers.mjs');
  const core = await import('../../php-bridge/sidecar/core.mjs');
  const clock = { ms: 0 };
  const signers = createSignerCache({ idleMs, max, now: () => clock.ms, sweepEveryMs: 0 });
  const p = createProtocol({ startedAt: Date.now(), inFlight: 0 }, { signers });
  const envelope = (await p.runOp('encrypt', { keyMaterial: KEY_MATERIAL, context: 'site-1', plaintext: credentials.secretAccessKey })).result.envelope;
  const sealed = { accessKeyId: credentials.accessKeyId, sealedSecret: { envelope, keyMaterial: KEY_MATERIAL, context: 'site-1' } };
  return { p, signers, clock, core, sealed };
}

const stateless = (core, args) => core.callCore('presignUrl', { query: [], headers: [], ...args });

test('presign through a cached signer: the stateless core call\'s answer, for both the fast and the general shape', async (t) => {
  if (!need(t, ['core'])) return;
  const { p, signers, core, sealed } = await setup();
  const shapes = [
    { method: 'GET', key: 'a/b c.pdf', expiresIn: 300, now: NOW },
    { method: 'GET', key: 'ü/日本 (v2).pdf', expiresIn: 900, now: NOW, responseContentDisposition: 'attachment; filename="x y.pdf"', responseContentType: 'application/pdf' },
    { method: 'PUT', key: 'up/x.bin', expiresIn: 60, now: NOW, responseCacheControl: 'no-cache', query: [], headers: [] },
    // Not the fast shape: an ISO now, a signed header, an operation query.
    { method: 'GET', key: 'k', expiresIn: 60, now: '2023-11-14T22:13:20Z' },
    { method: 'PUT', key: 'k', expiresIn: 60, now: NOW, headers: [['Content-Type', 'application/pdf']] },
    { method: 'GET', key: 'k', expiresIn: 60, now: NOW, query: [['versionId', '3/4']] },
  ];
  for (const shape of shapes) {
    const want = stateless(core, { storage, credentials, ...shape });
    for (const creds of [credentials, sealed]) {
      const got = await p.runOp('presign', { storage, credentials: creds, ...shape });
      assert.equal(got.ok, true, JSON.stringify(got));
      assert.deepEqual(got.result, want, JSON.stringify(shape));
    }
  }
  assert.equal(signers.size, 2, 'one signer for the plain secret, one for the sealed one');
  // Mistakes are reported as before, through the signer too.
  for (const [args, code] of [
    [{ method: 'GET', key: '', expiresIn: 60, now: NOW }, 'INVALID_KEY'],
    [{ method: 'GET', key: 'k', expiresIn: 604801, now: NOW }, 'INVALID_EXPIRES'],
    [{ method: 'POST', key: 'k', expiresIn: 60, now: NOW }, undefined],
    [{ method: 'GET', key: 'k', expiresIn: 1.5, now: NOW }, 'INVALID_EXPIRES'],
  ]) {
    const fast = await p.runOp('presign', { storage, credentials: sealed, ...args });
    assert.equal(fast.ok, false);
    let slow;
    try { stateless(core, { storage, credentials, ...args }); } catch (e) { slow = e.toJSON(); }
    assert.equal(fast.error.code, slow.code, JSON.stringify(args));
    if (code) assert.equal(fast.error.code, code);
  }
  const badSecret = await p.runOp('presign', { storage, credentials: { ...sealed, sealedSecret: { ...sealed.sealedSecret, context: 'site-2' } }, ...shapes[0] });
  assert.equal(badSecret.error.code, 'DECRYPT_FAILED');
  const badBucket = await p.runOp('presign', { storage: { ...storage, bucket: 'Bad_Bucket!' }, credentials: sealed, ...shapes[0] });
  assert.equal(badBucket.error.code, 'INVALID_BUCKET');
  signers.clear();
});

test('signer cache: one signer per storage, key and secret; idle and surplus signers are freed', async (t) => {
  if (!need(t, ['core'])) return;
  const { signers, clock, sealed } = await setup({ idleMs: 1000, max: 3 });
  const a = signers.get(storage, sealed);
  assert.equal(signers.get({ ...storage }, { ...sealed, sealedSecret: { ...sealed.sealedSecret } }), a, 'equal arguments, same signer');
  assert.equal(signers.size, 1);
  const others = [
    [{ ...storage, bucket: 'other-bucket' }, sealed],
    [storage, { ...sealed, accessKeyId: 'AKIDOTHER' }],
    [storage, { ...sealed, sealedSecret: { ...sealed.sealedSecret, envelope: `${sealed.sealedSecret.envelope}` }, sessionToken: 'tok' }],
  ];
  const made = others.map(([s, c]) => signers.get(s, c));
  assert.equal(new Set([a, ...made]).size, 4, 'each differing part makes its own signer');
  assert.equal(signers.size, 3, 'at most max signers');
  assert.throws(() => a.bucket.presignGet('k', 60, NOW), 'the least recently used one was freed');
  // Idle TTL: used ones stay, idle ones go.
  clock.ms += 600;
  const kept = signers.get(...others[2]);
  clock.ms += 600;
  signers.sweep();
  assert.equal(signers.size, 1);
  assert.equal(kept.bucket.presignGet('k', 60, NOW).includes('X-Amz-Signature='), true);
  assert.throws(() => made[0].bucket.presignGet('k', 60, NOW), 'an idle signer is freed (its secret zeroized)');
  clock.ms += 1001;
  signers.get(storage, credentials); // any lookup sweeps first
  assert.equal(signers.size, 1);
  assert.equal(signers.names().length, 1);
  assert.doesNotMatch(signers.names().join('\n'), /wJalrXUtnFEMI/, 'a plain secret is named by its salted hash only');
  signers.close();
  assert.equal(signers.size, 0);
});

test('signer cache: a reloaded core drops every signer of the old one', async (t) => {
  if (!need(t, ['core'])) return;
  const { signers, core } = await setup();
  const s = signers.get(storage, credentials);
  assert.equal(signers.size, 1);
  core.loadCore();
  assert.equal(signers.size, 0);
  assert.notEqual(signers.get(storage, credentials), s);
  signers.close();
});

test('signer cache: a sealed signer found by its envelope only when every other part is the same', async (t) => {
  if (!need(t, ['core'])) return;
  const { signers, sealed } = await setup({ max: 16 });
  const fresh = (c) => JSON.parse(JSON.stringify(c)); // PHP's requests bring new objects each time
  const a = signers.get(fresh(storage), fresh(sealed));
  assert.equal(signers.get(fresh(storage), fresh(sealed)), a, 'equal parsed arguments, same signer');
  const reordered = Object.fromEntries(Object.entries(storage).reverse());
  assert.equal(signers.get(reordered, fresh(sealed)), a, 'the same storage in another key order is the same storage');
  const s = sealed.sealedSecret;
  for (const [st, cr, why] of [
    [{ ...storage, bucket: 'other-bucket' }, sealed, 'another bucket'],
    [{ ...storage, extra: 'x' }, sealed, 'an added storage field'],
    [{ ...storage, region: undefined }, sealed, 'a field without a value'],
    [storage, { ...sealed, accessKeyId: 'AKIDOTHER' }, 'another access key'],
    [storage, { ...sealed, sessionToken: 'tok' }, 'a session token'],
  ]) {
    assert.notEqual(signers.get(st, cr), a, why);
  }
  // The envelope opens only with its own context and key material: a lookup
  // that reused the cached signer would sign where the core must refuse.
  for (const [cr, why] of [
    [{ ...sealed, sealedSecret: { ...s, context: 'site-2' } }, 'another context'],
    [{ ...sealed, sealedSecret: { ...s, keyMaterial: 'm'.repeat(32) } }, 'other key material'],
  ]) {
    assert.throws(() => signers.get(storage, cr), (e) => e.code !== undefined, why);
  }
  // A plain secret next to the envelope is the plain secret's signer.
  const plain = signers.get(storage, { ...sealed, secretAccessKey: credentials.secretAccessKey });
  assert.notEqual(plain, a);
  assert.equal(signers.get(storage, fresh(sealed)), a, 'the sealed one is still found');
  // A freed signer is never handed out again.
  signers.clear();
  const b = signers.get(fresh(storage), fresh(sealed));
  assert.notEqual(b, a);
  assert.equal(b.bucket.presignGet('k', 60, NOW).includes('X-Amz-Signature='), true);
  signers.close();
});

test('batch envelope: storage and credentials once for every op that does not name its own', async (t) => {
  if (!need(t, ['core'])) return;
  const { p, signers, sealed } = await setup();
  const body = (ops, extra = {}) => ({ body: Buffer.from(JSON.stringify({ op: 'batch', storage, credentials: sealed, ops, ...extra })) });
  const keys = Array.from({ length: 100 }, (_, i) => `docs/${i} report.pdf`);
  const { json } = await p.handle('POST', '/v1/batch', body(keys.map((key) => ({ op: 'presign', args: { method: 'GET', key, expiresIn: 300, now: NOW } })).concat([
    { op: 'presign', args: { method: 'GET', key: 'x', expiresIn: 300, now: NOW, storage: { ...storage, bucket: 'Bad_Bucket!' } } },
    { op: 'render-key', args: { title: 'Quarterly Report', documentId: 'd1', now: NOW } },
    { op: 'presign', args: { method: 'GET', key: 'y', expiresIn: 300, now: NOW, credentials } },
  ])).body);
  assert.equal(json.results.length, 103);
  for (const [i, key] of keys.entries()) {
    const one = await p.runOp('presign', { storage, credentials, method: 'GET', key, expiresIn: 300, now: NOW });
    assert.deepEqual(json.results[i], one, 'a batch op answers what the same op alone answers');
  }
  assert.equal(json.results[100].error.code, 'INVALID_BUCKET', "an op's own storage wins");
  assert.match(json.results[101].result.key, /Quarterly/);
  assert.equal(json.results[102].ok, true);
  assert.equal(signers.size, 2, 'the batch opened its sealed secret once');
  for (const [extra, why] of [[{ op: 'presign' }, 'op other than batch'], [{ storage: 'nope' }, 'storage not an object'], [{ credentials: [1] }, 'credentials not an object']]) {
    await assert.rejects(p.handle('POST', '/v1/batch', body([], extra).body), (e) => e.code === 'BAD_REQUEST', why);
  }
  signers.clear();
});

test('transfer-download through a cached signer: the stateless core call\'s answer', async (t) => {
  if (!need(t, ['core'])) return;
  const { p, signers, core, sealed } = await setup();
  for (const [key, filename] of [['uploads/7/ab_Preis-Leistung.pdf', 'Preis + Leistung.pdf'], ['a b/ü.txt', 'résumé "final".txt']]) {
    const args = { key, filename, expiresIn: 900, now: NOW };
    const want = core.callCore('transferDownload', { storage, credentials, ...args });
    assert.deepEqual((await p.runOp('transfer-download', { storage, credentials: sealed, ...args })).result, want);
  }
  const bad = await p.runOp('transfer-download', { storage, credentials: sealed, key: 'k', filename: 'f', expiresIn: 0, now: NOW });
  assert.equal(bad.error.code, 'INVALID_EXPIRES');
  signers.clear();
});

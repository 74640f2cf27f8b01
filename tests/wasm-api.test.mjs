// The wasm API contract (docs/CONTRACTS.md §1) as the sidecar and the browser
// see it: plain objects in and out, and Errors with a stable `code`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const core = require('../pkg/node/wps3.js');
const storage = { provider: 'amazon_s3', region: 'eu-west-1', bucket: 'example-bucket' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const now = '2026-01-02T03:04:05Z';

function throwsCode(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, 'an Error');
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.length > 10, 'a readable message');
    return true;
  });
}

test('errors carry stable codes', () => {
  throwsCode(() => core.presignUrl({ storage, credentials, now, method: 'GET', key: 'a', expiresIn: 0 }), 'INVALID_EXPIRES');
  throwsCode(() => core.presignUrl({ storage, credentials, now, method: 'GET', key: 'a', expiresIn: 604801 }), 'INVALID_EXPIRES');
  throwsCode(() => core.presignUrl({ storage: { ...storage, bucket: 'Bad_Bucket' }, credentials, now, method: 'GET', key: 'a', expiresIn: 60 }), 'INVALID_BUCKET');
  throwsCode(() => core.presignUrl({ storage: { ...storage, provider: 'dropbox' }, credentials, now, method: 'GET', key: 'a', expiresIn: 60 }), 'INVALID_ENDPOINT');
  throwsCode(() => core.presignUrl({ storage, credentials, now: 'yesterday', method: 'GET', key: 'a', expiresIn: 60 }), 'INVALID_TIMESTAMP');
  throwsCode(() => core.presignUrl({ storage, credentials, now, method: 'GET', key: '', expiresIn: 60 }), 'INVALID_KEY');
  throwsCode(() => core.presignUrl({ storage, credentials, now, method: 'GET', key: 'a', expiresIn: 60, query: [['x-amz-checksum-crc32', 'AAAA']] }), 'INVALID_ARGUMENT');
  throwsCode(() => core.signRequest({ storage, credentials, now, method: 'GET', key: 'a', payloadHash: 'nope' }), 'INVALID_ARGUMENT');
  throwsCode(() => core.signRequest({ storage, credentials, now, method: 'GET', key: 'a', headers: [['Authorization', 'x']], payloadHash: 'UNSIGNED-PAYLOAD' }), 'INVALID_HEADER');
  throwsCode(() => core.presignUrl(null), 'INVALID_ARGUMENT');
  throwsCode(() => core.signRequest({ storage, credentials, now, method: 'PUT', key: 'a', headers: [['x-amz-meta-title', 'Résumé']], payloadHash: 'UNSIGNED-PAYLOAD' }), 'INVALID_HEADER');
  throwsCode(() => core.signRequest({ storage, credentials, now, method: 'PUT', key: 'a', headers: [['Content-Type', 'a'], ['content-type', 'b']], payloadHash: 'UNSIGNED-PAYLOAD' }), 'INVALID_HEADER');
  throwsCode(() => core.presignUrl({ storage, credentials, now, method: 'PUT', key: 'a', expiresIn: 60, headers: [['x-amz-sdk-checksum-algorithm', 'CRC32']] }), 'INVALID_HEADER');
  throwsCode(() => core.presignPost({ storage, credentials, now, key: '${filename}', expiresIn: 60 }), 'INVALID_KEY');
  throwsCode(() => core.presignPost({ storage, credentials, now, key: 'u/${filename}', expiresIn: 60, fields: [['file', 'x']] }), 'INVALID_ARGUMENT');
  throwsCode(() => core.presignUrl({ storage, credentials: { accessKeyId: 'AKID/x', secretAccessKey: 's' }, now, method: 'GET', key: 'a', expiresIn: 60 }), 'INVALID_ARGUMENT');
  throwsCode(() => core.renderKey({ title: 't', documentId: 2 ** 53 + 2, now }), 'INVALID_ARGUMENT');
  for (const notAString of [5, null, undefined, {}]) {
    throwsCode(() => core.validateKey(notAString), 'INVALID_ARGUMENT');
    throwsCode(() => core.contentDisposition(notAString), 'INVALID_ARGUMENT');
    throwsCode(() => core.sanitizeTitle(notAString), 'INVALID_ARGUMENT');
  }
  for (const notBytes of ['abc', [1, 2, 300], new ArrayBuffer(4), null]) {
    throwsCode(() => core.sha256Hex(notBytes), 'INVALID_ARGUMENT');
    throwsCode(() => new core.PayloadHasher().update(notBytes), 'INVALID_ARGUMENT');
  }
  throwsCode(() => core.validateKey('a\u0001b'), 'INVALID_KEY');
  throwsCode(() => core.renderKey({ title: 't', documentId: 1, now, template: '{nope}' }), 'INVALID_TEMPLATE');
});

test('a rejected argument never echoes a secret', () => {
  const secret = 'wJalrXUtnFEMI-VERY-SECRET';
  for (const bad of [
    () => core.presignUrl({ storage, credentials: { accessKeyId: 'A', secretAccessKey: { v: secret } }, now, method: 'GET', key: 'a', expiresIn: 60 }),
    () => core.presignUrl({ storage, credentials: `A:${secret}`, now, method: 'GET', key: 'a', expiresIn: 60 }),
    () => core.encryptSecret({ keyMaterial: 'k', context: 'c', plaintext: [secret] }),
    () => core.decryptSecret({ keyMaterial: secret.length, context: 'c', envelope: secret }),
  ]) {
    assert.throws(bad, (e) => e.code === 'INVALID_ARGUMENT' && !e.message.includes(secret));
  }
});

test('presigned GET carries the response overrides and expires when asked', () => {
  const out = core.presignUrl({
    storage, credentials, now, method: 'GET', key: 'docs/Ünïcode file.pdf', expiresIn: 900,
    responseContentDisposition: core.contentDisposition('Ünïcode file.pdf'),
  });
  const url = new URL(out.url);
  assert.equal(url.host, 'example-bucket.s3.eu-west-1.amazonaws.com');
  assert.equal(decodeURIComponent(url.pathname), '/docs/Ünïcode file.pdf');
  assert.match(url.searchParams.get('response-content-disposition'), /^attachment; filename="Unicode file.pdf"; filename\*=UTF-8''%C3%9Cn%C3%AFcode%20file.pdf$/);
  assert.equal(url.searchParams.get('X-Amz-Expires'), '900');
  assert.equal(out.expiresAt, '2026-01-02T03:19:05Z');
  assert.match(url.searchParams.get('X-Amz-Signature'), /^[0-9a-f]{64}$/);
});

test('secrets: round trip, bound to context, tamper detected', () => {
  const envelope = core.encryptSecret({ keyMaterial: 'salts', context: 'site:1|field:secret', plaintext: 'wJalr/secret' });
  assert.match(envelope, /^wps3:v1:/);
  assert.ok(!envelope.includes('wJalr'));
  assert.equal(core.decryptSecret({ keyMaterial: 'salts', context: 'site:1|field:secret', envelope }), 'wJalr/secret');
  throwsCode(() => core.decryptSecret({ keyMaterial: 'salts', context: 'site:2|field:secret', envelope }), 'DECRYPT_FAILED');
  throwsCode(() => core.decryptSecret({ keyMaterial: 'other', context: 'site:1|field:secret', envelope }), 'DECRYPT_FAILED');
  const flipped = envelope.slice(0, -2) + (envelope.at(-2) === 'A' ? 'B' : 'A') + envelope.at(-1);
  throwsCode(() => core.decryptSecret({ keyMaterial: 'salts', context: 'site:1|field:secret', envelope: flipped }), 'DECRYPT_FAILED');
  throwsCode(() => core.decryptSecret({ keyMaterial: 'salts', context: 'site:1|field:secret', envelope: 'wps3:v9:abc' }), 'UNSUPPORTED_ENVELOPE');
  assert.notEqual(envelope, core.encryptSecret({ keyMaterial: 'salts', context: 'site:1|field:secret', plaintext: 'wJalr/secret' }), 'a fresh nonce each time');
});

test('key templates', () => {
  assert.equal(core.renderKey({ title: 'Service Agreement', documentId: 42, now }), 'wpsigner/Service-Agreement_2026-01-02_42.pdf');
  assert.equal(
    core.renderKey({ title: 'Service Agreement', documentId: '42', now, pathPrefix: 'backups', template: '{path_prefix}{year}/{month}/{sanitized_title}_{document_id}.pdf' }),
    'backups/2026/01/Service-Agreement_42.pdf',
  );
  assert.equal(core.renderKey({ title: '../../etc/passwd', documentId: 1, now, pathPrefix: '/../x/./' }).startsWith('x/'), true);
});

test('S3 error bodies map to cause and fix', () => {
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>20260102T030405Z</RequestTime><ServerTime>2026-01-02T04:04:05Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>';
  const info = core.parseS3Error({ status: 403, body, now });
  assert.equal(info.s3Code, 'RequestTimeTooSkewed');
  assert.equal(info.clockSkewSeconds, 3600);
  assert.equal(info.retryable, true);
  assert.ok(info.fix.length > 20);
  const html = core.parseS3Error({ status: 502, body: '<html>Bad gateway</html>', headers: [] });
  assert.equal(html.bodyParsed, false);
  assert.equal(html.retryable, true);
});

test('payload hashing streams', () => {
  const h = new core.PayloadHasher();
  h.update(new TextEncoder().encode('Welcome to '));
  h.update(new TextEncoder().encode('Amazon S3.'));
  assert.equal(h.finish(), core.sha256Hex(new TextEncoder().encode('Welcome to Amazon S3.')));
  throwsCode(() => h.finish(), 'INVALID_ARGUMENT');
});

test('TypeScript declarations ship with both builds', () => {
  // pkg/web holds the admin page's subset only (tests/wasm-bundles.test.mjs).
  const declared = {
    node: ['presignUrl', 'presignPost', 'signRequest', 'renderKey', 'encryptSecret', 'parseS3Error', 'PayloadHasher', 'validateSettings'],
    web: ['renderKey', 'validateSettings', 'settingsSchema', 'contentDisposition', 'urlShape'],
  };
  for (const [flavour, names] of Object.entries(declared)) {
    const dts = readFileSync(fileURLToPath(new URL(`../pkg/${flavour}/wps3.d.ts`, import.meta.url)), 'utf8');
    for (const name of names) {
      assert.match(dts, new RegExp(`export (function|class) ${name}\\b`), `${flavour} d.ts declares ${name}`);
    }
    assert.ok(dts.includes('export interface SettingsReport'));
  }
});

test('Bucket signs like the stateless calls and validates once', () => {
  const bucket = new core.Bucket(storage, credentials);
  try {
    const when = Date.parse(now) / 1000;
    const stateless = core.presignUrl({ storage, credentials, now, method: 'GET', key: 'a b.pdf', expiresIn: 900, responseContentDisposition: 'attachment' });
    assert.equal(bucket.presignGet('a b.pdf', 900, when, 'attachment'), stateless.url);
    assert.deepEqual(bucket.presignUrl({ now, method: 'GET', key: 'a b.pdf', expiresIn: 900, responseContentDisposition: 'attachment' }), stateless);
    const req = { now, method: 'PUT', key: 'k', headers: [['Content-Type', 'application/pdf']], payloadHash: 'UNSIGNED-PAYLOAD' };
    assert.deepEqual(bucket.signRequest(req), core.signRequest({ storage, credentials, ...req }));
    throwsCode(() => bucket.presignGet('a', 0, when), 'INVALID_EXPIRES');
  } finally {
    bucket.free();
  }
  throwsCode(() => new core.Bucket({ ...storage, bucket: 'x' }, credentials), 'INVALID_BUCKET');
  throwsCode(() => new core.Bucket(storage, { accessKeyId: '', secretAccessKey: 's' }), 'INVALID_ARGUMENT');
});

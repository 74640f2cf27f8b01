// What each wasm bundle exports (Cargo features, tools/build-wasm.sh):
// production bundles hold no conformance-only bindings, the browser bundle
// holds only what the admin page uses and stays within its size budget, and
// the browser bundle answers exactly as the Node one does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const file = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const node = require(file('pkg/node/wps3.js'));
const nodeTest = require(file('pkg/node-test/wps3.js'));
const web = await import(pathToFileURL(file('pkg/web/wps3.js')).href);
web.initSync({ module: readFileSync(file('pkg/web/wps3_bg.wasm')) });

const CONFORMANCE_ONLY = ['sigv4Sign', 'deriveSigningKey'];
// The admin page's calls (issue 7): settings form, key and URL previews, IAM and CORS generators.
const PAGE = ['validateSettings', 'settingsSchema', 'resolveEndpoint', 'renderKey', 'sanitizeTitle', 'contentDisposition',
  'validateBucket', 'validateKey', 'urlShape', 'iamPolicy', 'corsRules', 'version'];
// Secret envelopes, XML parsing, signing with a secret, hashing, server-side transfers and diagnosis.
const SERVER_ONLY = ['encryptSecret', 'decryptSecret', 'parseS3Error', 'signRequest', 'presignUrl', 'presignPost', 'Bucket',
  'PayloadHasher', 'sha256Hex', 'retryDelay', 'transferUpload', 'diagnoseConnection', 'checkFileRoots', 'tcpHelloProof', 'tcpRequestValid'];

const has = (mod, name) => typeof mod[name] === 'function';

test('conformance-only bindings are only in pkg/node-test', () => {
  for (const name of CONFORMANCE_ONLY) {
    assert.equal(has(node, name), false, `pkg/node exports ${name}`);
    assert.equal(has(web, name), false, `pkg/web exports ${name}`);
    assert.equal(has(nodeTest, name), true, `pkg/node-test lacks ${name}`);
    for (const flavour of ['node', 'web']) {
      const dts = readFileSync(file(`pkg/${flavour}/wps3.d.ts`), 'utf8');
      assert.doesNotMatch(dts, new RegExp(`function ${name}\\b`), `pkg/${flavour}/wps3.d.ts declares ${name}`);
    }
  }
  // The test build is the production build plus those two, not something else.
  const exported = (mod) => Object.keys(mod).filter((k) => has(mod, k)).sort();
  assert.deepEqual(exported(nodeTest).filter((k) => !CONFORMANCE_ONLY.includes(k)), exported(node));
});

test('pkg/web holds what the page uses and none of the server-only bindings', () => {
  for (const name of PAGE) assert.equal(has(web, name), true, `pkg/web lacks ${name}`);
  for (const name of SERVER_ONLY) {
    assert.equal(has(web, name), false, `pkg/web exports ${name}`);
    assert.equal(has(node, name), true, `pkg/node lacks ${name}`);
  }
});

test('pkg/web is at most 100 KiB gzipped', (t) => {
  // Measured as tools/build-wasm.sh does (gzip -9); zlib's level 9 comes out about 3 % larger.
  const gz = execFileSync('gzip', ['-9c', file('pkg/web/wps3_bg.wasm')], { maxBuffer: 1 << 24 }).length;
  const zlib = gzipSync(readFileSync(file('pkg/web/wps3_bg.wasm')), { level: 9 }).length;
  t.diagnostic(`pkg/web/wps3_bg.wasm: ${gz} B gzip -9 (${zlib} B zlib -9)`);
  assert.ok(gz <= 100 * 1024, `${gz} B`);
});

test('pkg/web answers as pkg/node does', () => {
  const now = '2026-01-02T03:04:05Z';
  const forms = [
    { provider: 'amazon_s3', region: 'eu-west-1', bucket: 'good-bucket', pathPrefix: '/a\\b/' },
    { provider: 'cloudflare_r2', accountId: 'nope', bucket: 'Bad_Bucket', keyTemplate: '{nope}' },
    { provider: 'custom', endpoint: 'http://127.0.0.1:9000', bucket: 'b.example', addressingStyle: 'virtual', allowPrivateEndpoints: true },
    {},
  ];
  for (const f of forms) assert.deepEqual(web.validateSettings(f), node.validateSettings(f));
  assert.deepEqual(web.settingsSchema(), node.settingsSchema());
  const storage = { provider: 'amazon_s3', region: 'eu-west-1', bucket: 'good-bucket' };
  const shape = { storage, accessKeyId: 'AKIAIOSFODNN7EXAMPLE', key: 'wpsigner/Service-Agreement_2026-01-02_142.pdf', now, filename: 'Service Agreement.pdf' };
  assert.equal(web.urlShape(shape), node.urlShape(shape));
  assert.deepEqual(web.iamPolicy({ ...storage, pathPrefix: 'wpsigner/' }), node.iamPolicy({ ...storage, pathPrefix: 'wpsigner/' }));
  assert.deepEqual(web.corsRules('https://example.org'), node.corsRules('https://example.org'));
  const key = { title: 'Service Agreement', documentId: 142, now };
  assert.equal(web.renderKey(key), node.renderKey(key));
  assert.throws(() => web.validateBucket('No'), (e) => e instanceof Error && e.code === 'INVALID_BUCKET');
  assert.throws(() => web.validateSettings(null), (e) => e.code === 'INVALID_ARGUMENT');
});

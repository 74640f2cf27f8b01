// Issue 10, hole 1: the custom endpoint is not an internal port scanner.
// Link-local/metadata addresses are refused always, loopback and private
// ones unless the storage says allowPrivateEndpoints; every IPv4 spelling
// counts; a host NAME is checked again on what it resolves to when the
// sidecar connects (DNS rebinding). A refused endpoint's answer carries no
// status, latency or connect detail, and nothing is ever sent to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import { startSidecar, need } from './helpers.mjs';

let sc;
let listener;
let accepted = 0;
before(async (t) => {
  if (!need(t, ['core'])) return;
  sc = await startSidecar();
  // Anything that connects here is a request that should not have been made.
  listener = net.createServer((s) => {
    accepted++;
    s.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise((r) => listener.listen(0, '127.0.0.1', r));
});
after(async () => {
  await sc?.stop();
  listener?.close();
});

const base = { provider: 'custom', region: 'us-east-1', bucket: 'wps3-test', addressingStyle: 'path' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

function assertRefused(res, why) {
  assert.equal(res.ok, false, JSON.stringify(res));
  const e = res.error;
  assert.equal(e.code, 'EndpointRefused', JSON.stringify(e));
  assert.equal(e.adviceId, 'endpoint-refused');
  assert.equal(e.retry, 'never');
  assert.match(e.message, /refused/);
  assert.match(e.message, why);
  for (const leak of ['httpStatus', 'latencyMs', 'errno', 'observations', 's3Code', 'requestId']) {
    assert.equal(e[leak], undefined, `${leak} in ${JSON.stringify(e)}`);
  }
  assert.equal(res.result, undefined);
}

test('validate-settings refuses metadata always and private ranges unless allowed, in every spelling', async (t) => {
  if (!sc) return t.skip('no core');
  const always = ['http://169.254.169.254', 'http://2852039166', 'http://0xa9fea9fe', 'http://0251.0376.0251.0376',
    'http://169.254.43518', 'http://[fd00:ec2::254]', 'http://[fe80::1]:9000', 'http://[::ffff:169.254.169.254]',
    'http://[::ffff:a9fe:a9fe]'];
  const unlessAllowed = ['http://127.0.0.1:9000', 'http://2130706433:9000', 'http://0x7f000001:9000',
    'http://0177.0.0.1:9000', 'http://127.1:9000', 'http://0:9000', 'http://[::1]:9000', 'http://[::ffff:127.0.0.1]:9000',
    'http://10.0.0.5', 'http://172.16.0.1', 'http://192.168.1.1', 'http://100.64.0.1', 'http://localhost:9000'];
  let refused = 0;
  for (const allow of [false, true]) {
    for (const endpoint of [...always, ...(allow ? [] : unlessAllowed)]) {
      const r = await sc.op('validate-settings', { ...base, endpoint, allowPrivateEndpoints: allow });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.result.valid, false, `${endpoint} allow=${allow}`);
      assert.equal(r.result.endpoint, null, endpoint);
      assert.deepEqual(r.result.errors.map((e) => [e.field, e.adviceId, e.code]), [['endpoint', 'endpoint-refused', 'EndpointRefused']], endpoint);
      assert.match(r.result.errors[0].message, always.includes(endpoint) ? /link-local\/metadata/ : /private or loopback/, endpoint);
      refused++;
    }
  }
  assert.equal(refused, always.length * 2 + unlessAllowed.length);
  // Allowed, every spelling becomes the one address Node would connect to.
  for (const endpoint of ['http://2130706433:9000', 'http://0x7f.1:9000', 'http://0177.0.0.1:9000']) {
    const r = await sc.op('validate-settings', { ...base, endpoint, allowPrivateEndpoints: true });
    assert.equal(r.result.valid, true, JSON.stringify(r.result.errors));
    assert.equal(r.result.endpoint.bucketUrl, 'http://127.0.0.1:9000/wps3-test');
  }
  const pub = await sc.op('validate-settings', { ...base, endpoint: 'https://s3.example.com' });
  assert.equal(pub.result.valid, true);
});

test('test-connection, diagnose and s3 to a refused endpoint answer only the refusal; nothing connects', async (t) => {
  if (!sc) return t.skip('no core');
  const port = listener.address().port;
  const before = accepted;
  for (const endpoint of [`http://127.0.0.1:${port}`, `http://2130706433:${port}`, `http://0x7f.0.0.1:${port}`, `http://[::ffff:127.0.0.1]:${port}`]) {
    const storage = { ...base, endpoint };
    assertRefused(await sc.op('test-connection', { storage, credentials }), /private or loopback/);
    assertRefused(await sc.op('diagnose', { storage, credentials, pathPrefix: 'p/' }), /private or loopback/);
    assertRefused(await sc.op('s3', { storage, credentials, action: 'head_bucket', args: {} }), /private or loopback/);
    assertRefused(await sc.op('test-connection', { storage: { ...storage, endpoint: 'http://169.254.169.254', allowPrivateEndpoints: true }, credentials }), /link-local/);
  }
  assert.equal(accepted, before, 'a refused endpoint was connected to');
  // The same storage with private endpoints allowed does reach the listener.
  const allowed = await sc.op('test-connection', { storage: { ...base, endpoint: `http://127.0.0.1:${port}`, allowPrivateEndpoints: true }, credentials });
  assert.equal(allowed.ok, false);
  assert.notEqual(allowed.error.code, 'EndpointRefused');
  assert.ok(accepted > before, 'allowed endpoint never reached');
});

test('connect time: a host name is checked on the address it resolves to (DNS rebinding)', async (t) => {
  if (!sc) return t.skip('no core');
  const { checkedLookup, exchange } = await import('../../php-bridge/sidecar/s3client.mjs');
  // A resolver that first says "public", then "metadata": the second answer is what the socket would use.
  const answers = [[{ address: '52.216.0.1', family: 4 }], [{ address: '169.254.169.254', family: 4 }],
    [{ address: '52.216.0.1', family: 4 }, { address: '10.0.0.7', family: 4 }]];
  const fake = (host, opts, cb) => cb(null, answers.shift());
  const lookup = checkedLookup(false, fake);
  const call = (opts) => new Promise((resolve) => lookup('rebind.example', opts, (err, a, f) => resolve({ err, a, f })));
  const first = await call({});
  assert.equal(first.err, null);
  assert.deepEqual([first.a, first.f], ['52.216.0.1', 4]);
  const second = await call({ all: true });
  assert.equal(second.err?.code, 'EndpointRefused');
  assert.match(second.err.message, /rebind\.example resolves to a link-local\/metadata address/);
  assert.doesNotMatch(second.err.message, /169\.254/);
  const third = await call({});
  assert.equal(third.err?.code, 'EndpointRefused', 'one private answer among several is refused');

  // The real agents use it: a real name resolving to a private address never gets a connection.
  const name = os.hostname();
  const resolved = await dns.lookup(name, { all: true }).catch(() => []);
  if (!resolved.length || !resolved.every((a) => /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a.address))) {
    return t.skip(`${name} does not resolve to a private IPv4 address here`);
  }
  const port = listener.address().port;
  const before = accepted;
  const req = { method: 'GET', url: `http://${name}:${port}/`, headers: [] };
  await assert.rejects(exchange(req, { limit: 1024, timeoutMs: 5000 }), (e) => e.code === 'EndpointRefused');
  assert.equal(accepted, before);
  if (resolved.every((a) => a.address.startsWith('127.'))) {
    const res = await exchange(req, { limit: 1024, timeoutMs: 5000, allowPrivate: true });
    assert.equal(res.status, 403);
    assert.equal(accepted, before + 1);
  }
});

// Issue 10, hole 6: over the TCP fallback the sidecar proves it holds the
// token before PHP sends anything secret, and PHP proves it per request;
// the token itself never crosses the wire. PHP's side is played by
// helpers.mjs (node:crypto, independent of the core that computes the
// sidecar's side). docs/CONTRACTS.md, "TCP fallback", has the messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { startSidecar, need, proofSession, tcpConnection, hmacHex, EMPTY_SHA256 } from './helpers.mjs';

let sc;
before(async (t) => {
  if (!need(t, ['core'])) return;
  sc = await startSidecar({ mode: 'tcp' });
});
after(async () => sc?.stop());

const renderKey = { title: 'Proved', documentId: '7', now: 1_700_000_000 };

async function refused(answer, what, reason = 'bad_proof') {
  assert.equal(answer.status, 401, `${what}: ${answer.text}`);
  assert.equal(answer.json.error.code, 'UNAUTHORIZED', what);
  assert.equal(answer.json.error.reason, reason, `${what}: why (PHP proves a new connection only for no_session)`);
  assert.equal(answer.headers.connection, 'close', `${what}: the connection is closed`);
}

test('the sidecar proves the token over both ends of the connection; proved requests work in turn', async (t) => {
  if (!sc) return t.skip('no core');
  const s = await proofSession(sc.port, sc.token); // throws unless the proof is HMAC(token, hello message)
  try {
    assert.match(s.serverNonce, /^[0-9a-f]{64}$/);
    const health = await s.request({ path: '/v1/health' });
    assert.equal(health.status, 200, health.text);
    assert.equal(health.json.pid, sc.pid);
    const key = await s.request({ method: 'POST', path: '/v1/op/render-key', body: renderKey });
    assert.equal(key.json.result.key, 'wpsigner/Proved_2023-11-14_7.pdf', key.text);
    const again = await s.request({ method: 'POST', path: '/v1/op/render-key', body: renderKey });
    assert.equal(again.status, 200, 'the third request on the connection (seq 3) is accepted');
  } finally {
    s.conn.close();
  }
  // The same client nonce on another connection gets another server nonce and proof.
  const a = tcpConnection(sc.port), b = tcpConnection(sc.port);
  try {
    const nonce = 'ab'.repeat(32);
    const [ha, hb] = await Promise.all([a.send('GET', '/v1/hello', { 'X-WPS3-Nonce': nonce }), b.send('GET', '/v1/hello', { 'X-WPS3-Nonce': nonce })]);
    assert.notEqual(ha.json.result.nonce, hb.json.result.nonce);
    assert.notEqual(ha.json.result.proof, hb.json.result.proof);
    assert.doesNotMatch(ha.text + hb.text, new RegExp(sc.token), 'the token is never sent');
  } finally {
    a.close();
    b.close();
  }
});

test('a request without a valid PHP proof is refused and its connection closed', async (t) => {
  if (!sc) return t.skip('no core');
  const body = JSON.stringify(renderKey);
  const bodyHash = createHash('sha256').update(body).digest('hex');
  // The old bearer token, and any request before a hello.
  for (const headers of [{ Authorization: `Bearer ${sc.token}` }, {}, { 'X-WPS3-Proof': 'ab'.repeat(32), 'X-WPS3-Body-SHA256': 'cd'.repeat(32) }]) {
    const c = tcpConnection(sc.port);
    await refused(await c.send('POST', '/v1/op/render-key', headers, body), `no hello, headers ${Object.keys(headers)}`, 'no_session');
    c.close();
  }
  const cases = {
    'keyed with another token': (s) => s.request({ method: 'POST', path: '/v1/op/render-key', body, proof: hmacHex('f'.repeat(64), 'x') }),
    'no proof header': (s) => s.request({ method: 'POST', path: '/v1/op/render-key', body, headers: { 'X-WPS3-Proof': '' } }),
    'proof for another path': (s) => s.request({ method: 'POST', path: '/v1/op/render-key', body, proof: s.requestProof(1, 'POST', '/v1/op/health', bodyHash) }),
    'proof for another method': (s) => s.request({ method: 'POST', path: '/v1/health', proof: s.requestProof(1, 'GET', '/v1/health', EMPTY_SHA256) }),
    'body differs from its declared hash': (s) => s.request({ method: 'POST', path: '/v1/op/render-key', body, bodyHash: EMPTY_SHA256 }),
    'sequence number skipped': (s) => s.request({ method: 'POST', path: '/v1/op/render-key', body, seq: 2 }),
  };
  for (const [what, send] of Object.entries(cases)) {
    const s = await proofSession(sc.port, sc.token);
    await refused(await send(s), what);
    s.conn.close();
  }
  // Replay: the first request again on its connection, and on another connection.
  const s = await proofSession(sc.port, sc.token);
  const first = await s.request({ method: 'POST', path: '/v1/op/render-key', body });
  assert.equal(first.status, 200);
  await refused(await s.request({ method: 'POST', path: '/v1/op/render-key', body, seq: 1 }), 'replayed on its connection');
  s.conn.close();
  const other = await proofSession(sc.port, sc.token);
  const replay = await other.request({ method: 'POST', path: '/v1/op/render-key', body, proof: s.requestProof(1, 'POST', '/v1/op/render-key', bodyHash) });
  await refused(replay, 'proof of another connection');
  other.conn.close();
  // Malformed hello nonces are refused without a proof.
  for (const nonce of [undefined, '', 'ab'.repeat(31), 'AB'.repeat(32), 'zz'.repeat(32), `${'ab'.repeat(32)}\nx`]) {
    const c = tcpConnection(sc.port);
    const r = await c.send('GET', '/v1/hello', nonce === undefined ? {} : { 'X-WPS3-Nonce': nonce.replace('\n', ' ') });
    assert.equal(r.status, 400, `nonce ${JSON.stringify(nonce)}: ${r.text}`);
    assert.equal(r.json.result, undefined);
    c.close();
  }
});

test('a proof relayed from the real sidecar through another listener does not verify', async (t) => {
  if (!sc) return t.skip('no core');
  // Another process holds a port and forwards to the real sidecar: it sees
  // everything, but the sidecar's proof names the relay's connection.
  const seen = [];
  const relay = net.createServer((client) => {
    const up = net.connect(sc.port, '127.0.0.1');
    client.on('data', (d) => { seen.push(d.toString('latin1')); up.write(d); });
    up.pipe(client);
    for (const s of [client, up]) s.on('error', () => { client.destroy(); up.destroy(); });
  });
  await new Promise((r) => relay.listen(0, '127.0.0.1', r));
  try {
    await assert.rejects(proofSession(relay.address().port, sc.token), /did not prove itself/);
    assert.equal(seen.length, 1, 'only the hello went through the relay');
    assert.match(seen[0], /^GET \/v1\/hello /);
    assert.doesNotMatch(seen.join(''), new RegExp(sc.token));
  } finally {
    relay.close();
  }
});

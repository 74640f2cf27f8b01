// Over https the sidecar signs with UNSIGNED-PAYLOAD (TLS protects the body)
// instead of hashing it first. A TLS-terminating relay with a throwaway
// self-signed certificate sits in front of ministack, which still verifies
// every signature; the relay sees the decrypted requests, so it can check
// which payload hash was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { startSidecar, startStorage, need, tmpDir, makeFile, sha256File, downloadSha256, selfSigned, MiB } from './helpers.mjs';

test('https endpoint: UNSIGNED-PAYLOAD, no hashing pass; untrusted certificate is a clear error', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const dir = tmpDir();
  const s3 = await startStorage('ministack');
  const { key, cert } = selfSigned(dir);
  const seen = [];
  const backendPort = Number(new URL(s3.endpoint).port);
  const relay = tls.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (clear) => {
    const up = net.connect(backendPort, '127.0.0.1');
    clear.on('data', (c) => {
      const head = c.subarray(0, 4096).toString('latin1');
      const m = /^([A-Z]+) (\S+) HTTP\/1\.1\r\n([\s\S]*?)\r\n\r\n/.exec(head);
      if (m) seen.push({ method: m[1], path: m[2], sha: /x-amz-content-sha256: *(\S+)/i.exec(m[3])?.[1] });
    });
    clear.pipe(up).pipe(clear);
    clear.on('error', () => up.destroy());
    up.on('error', () => clear.destroy());
  });
  await new Promise((r) => relay.listen(0, '127.0.0.1', r));
  const storage = { ...s3.storage, endpoint: `https://127.0.0.1:${relay.address().port}` };
  const sc = await startSidecar({ env: { NODE_EXTRA_CA_CERTS: cert } });
  const untrusting = await startSidecar({ env: { NODE_EXTRA_CA_CERTS: '' } });
  t.after(async () => {
    await sc.stop();
    await untrusting.stop();
    relay.close();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const small = makeFile(`${dir}/s.bin`, 3 * MiB, 21);
  const big = makeFile(`${dir}/b.bin`, 12 * MiB, 22);
  const r1 = await sc.op('upload-file', { storage, credentials: s3.credentials, key: 'tls/s.bin', path: small });
  assert.equal(r1.ok, true, JSON.stringify(r1.error));
  const r2 = await sc.op('upload-file', { storage, credentials: s3.credentials, key: 'tls/b.bin', path: big, multipartThreshold: 5 * MiB, partSize: 5 * MiB });
  assert.equal(r2.ok, true, JSON.stringify(r2.error));
  assert.equal(r2.result.parts, 3);
  const puts = seen.filter((x) => x.method === 'PUT');
  assert.equal(puts.length, 4, JSON.stringify(seen));
  for (const p of puts) assert.equal(p.sha, 'UNSIGNED-PAYLOAD');
  // Downloaded over plain http straight from the server: same bytes.
  assert.equal((await downloadSha256(sc, s3, 'tls/s.bin')).sha256, await sha256File(small));
  assert.equal((await downloadSha256(sc, s3, 'tls/b.bin')).sha256, await sha256File(big));

  const bad = await untrusting.op('test-connection', { storage, credentials: s3.credentials });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 'NETWORK_ERROR');
  assert.equal(bad.error.retryable, false);
  assert.match(bad.error.errno, /CERT|SELF_SIGNED/);
  assert.ok(bad.error.fix);
});

// Issue 10, access suite: another OS user cannot use the sidecar. A client
// run as `nobody` (runuser) tries the unix socket and the TCP fallback of a
// sidecar started by this user; the same client run as this user succeeds,
// so a refusal is the sidecar's file modes (socket dir 0700, socket 0600,
// token file 0600), not a broken client. The folder above the sidecar's
// own is opened to everyone (0755) so only those modes stand in the way.
// Needs root (runuser); CI runs it as root, elsewhere it is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSidecar, need, tmpDir, CI } from './helpers.mjs';

const HELPERS = JSON.stringify(pathToFileURL(path.join(import.meta.dirname, 'helpers.mjs')).href);

// Prints one JSON line: { connect: 'ok' | errno, status?, tokenRead: 'ok' | errno }.
const CLIENT = `
const HELPERS = ${HELPERS};
const http = require('node:http');
const fs = require('node:fs');
const [target, tokenFile] = process.argv.slice(1);
let tokenRead = 'none', token = '';
if (tokenFile) { try { token = fs.readFileSync(tokenFile, 'utf8').trim(); tokenRead = 'ok'; } catch (e) { tokenRead = e.code; } }
const base = target.startsWith('/') ? { socketPath: target } : { host: '127.0.0.1', port: Number(target) };
if (token) {
  // The owner proves the token (TCP fallback) with the test helpers' PHP side.
  import(HELPERS).then((h) => h.rawRequest({ port: base.port, token }, { path: '/v1/health' }))
    .then((r) => console.log(JSON.stringify({ connect: 'ok', status: r.status, tokenRead })), (e) => console.log(JSON.stringify({ connect: e.code ?? String(e), tokenRead })));
} else {
  const req = http.request({ ...base, path: '/v1/health', agent: false }, (res) => {
    res.resume();
    res.on('end', () => console.log(JSON.stringify({ connect: 'ok', status: res.statusCode, tokenRead })));
  });
  req.on('error', (e) => console.log(JSON.stringify({ connect: e.code, tokenRead })));
  req.end();
}
`;

function runAs(user, args) {
  const cmd = user ? ['runuser', ['-u', user, '--', process.execPath, '-e', CLIENT, ...args]] : [process.execPath, ['-e', CLIENT, ...args]];
  const r = spawnSync(cmd[0], cmd[1], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(r.status, 0, `${user ?? 'self'}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function canRunAsNobody(t) {
  const root = process.getuid?.() === 0;
  const probe = root && spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', '0'], { encoding: 'utf8' });
  if (root && probe.status === 0) return true;
  const why = root ? `runuser -u nobody failed: ${probe.stderr}` : 'not root: runuser needs root';
  if (CI) throw new Error(`${why} — required in CI`);
  t.skip(why);
  return false;
}

function openDir() {
  const dir = tmpDir('wps3-other-user-');
  fs.chmodSync(dir, 0o755); // traversable by anyone: only the sidecar's own modes protect it
  return dir;
}

test('another OS user cannot connect to the unix socket', async (t) => {
  if (!need(t, ['core']) || !canRunAsNobody(t)) return;
  const sc = await startSidecar({ dir: openDir() });
  try {
    const runDir = path.dirname(sc.socket);
    assert.equal(fs.statSync(runDir).mode & 0o777, 0o700, 'socket dir mode');
    assert.equal(fs.statSync(sc.socket).mode & 0o777, 0o600, 'socket mode');
    assert.deepEqual(runAs(null, [sc.socket]), { connect: 'ok', status: 200, tokenRead: 'none' }, 'the owner connects');
    assert.deepEqual(runAs('nobody', [sc.socket]), { connect: 'EACCES', tokenRead: 'none' }, 'nobody is refused');
    // Even with the directory opened, the socket's own mode keeps them out.
    fs.chmodSync(runDir, 0o711);
    try {
      assert.deepEqual(runAs('nobody', [sc.socket]), { connect: 'EACCES', tokenRead: 'none' });
    } finally {
      fs.chmodSync(runDir, 0o700);
    }
  } finally {
    await sc.stop();
  }
});

test('another OS user cannot read the TCP token, and without it gets nothing but 401', async (t) => {
  if (!need(t, ['core']) || !canRunAsNobody(t)) return;
  const sc = await startSidecar({ mode: 'tcp', dir: openDir() });
  try {
    assert.equal(fs.statSync(sc.tokenFile).mode & 0o777, 0o600, 'token file mode');
    const port = String(sc.port);
    assert.deepEqual(runAs(null, [port, sc.tokenFile]), { connect: 'ok', status: 200, tokenRead: 'ok' }, 'the owner reads the token and connects');
    assert.deepEqual(runAs('nobody', [port, sc.tokenFile]), { connect: 'ok', status: 401, tokenRead: 'EACCES' }, 'nobody cannot read the token; the port answers 401');
  } finally {
    await sc.stop();
  }
});

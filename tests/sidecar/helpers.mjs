// Shared test plumbing: start a real sidecar process, talk to it over its
// Unix socket (or TCP), start real storage servers, and verify objects
// byte-for-byte. node:crypto hashing appears here ONLY to check results.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const SERVER = path.join(ROOT, 'php-bridge', 'sidecar', 'server.mjs');
export const CI = !!process.env.CI && process.env.CI !== 'false';
export const MiB = 1024 * 1024;
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function pkgDir() {
  if (process.env.WPS3_PKG_DIR) return process.env.WPS3_PKG_DIR;
  const bundled = path.join(ROOT, 'php-bridge', 'sidecar', 'wasm');
  return fs.existsSync(path.join(bundled, 'wps3.js')) ? bundled : path.join(ROOT, 'pkg', 'node');
}

// Skips (locally) or fails (CI) a test whose prerequisites are missing.
export function need(t, what) {
  const missing = [];
  if (what.includes('core') && !fs.existsSync(path.join(pkgDir(), 'wps3.js'))) missing.push('wasm core (bash tools/build-wasm.sh)');
  for (const kind of ['ministack', 'garage']) {
    if (what.includes(kind) && !storageAvailable(kind)) missing.push(`${kind} (bash tools/setup.sh storage)`);
  }
  if (!missing.length) return true;
  const msg = `missing: ${missing.join(', ')}`;
  if (CI) throw new Error(`${msg} — required in CI`);
  t.skip(msg);
  return false;
}

let storageMod = null;
async function storageModule() {
  storageMod ??= await import(path.join(ROOT, 'tests', 'support', 'storage.mjs'));
  return storageMod;
}
function storageAvailable(kind) {
  if (kind === 'garage') {
    const dirs = [process.env.GARAGE_BIN && path.dirname(process.env.GARAGE_BIN), ...(process.env.PATH || '').split(':'), path.join(process.env.CARGO_HOME || path.join(os.homedir(), '.cargo'), 'bin')];
    return dirs.some((d) => d && fs.existsSync(path.join(d, 'garage')));
  }
  const cache = process.env.WPS3_CACHE || path.join(os.homedir(), '.cache', 'wps3');
  return fs.existsSync(path.join(cache, 'ministack-venv', 'bin', 'ministack'));
}
export async function startStorage(kind) {
  return (await storageModule()).startStorage(kind);
}

export function tmpDir(prefix = 'wps3-sc-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o700);
  return d;
}

const toBuffer = (body) => (body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));

// One raw HTTP/1.1 connection to 127.0.0.1:port, requests in turn: the TCP
// fallback's proof and the requests it covers must share a connection,
// which Node's http client does not promise. The sidecar always answers
// with a Content-Length. send() resolves { status, headers, json, text },
// or { status: 0, closed: true } when the sidecar hung up instead.
export function tcpConnection(port) {
  const sock = net.connect({ host: '127.0.0.1', port });
  let buf = Buffer.alloc(0), closed = false, waiting = null;
  const parse = () => {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
    const headers = {};
    for (const l of lines) headers[l.slice(0, l.indexOf(':')).trim().toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    const len = Number(headers['content-length'] ?? 0);
    if (buf.length < end + 4 + len) return null;
    const text = buf.subarray(end + 4, end + 4 + len).toString('utf8');
    buf = buf.subarray(end + 4 + len);
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: Number(statusLine.split(' ')[1]), headers, json, text };
  };
  const pump = () => {
    if (!waiting) return;
    const r = parse() ?? (closed ? { status: 0, closed: true } : null);
    if (r) { const w = waiting; waiting = null; w(r); }
  };
  sock.on('data', (c) => { buf = Buffer.concat([buf, c]); pump(); });
  sock.on('close', () => { closed = true; pump(); });
  sock.on('error', () => {});
  const connected = new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  return {
    sock,
    async send(method, p, headers = {}, body = undefined) {
      await connected;
      const data = toBuffer(body);
      const h = { Host: `127.0.0.1:${port}`, ...headers };
      if (data) h['Content-Length'] = data.length;
      const head = `${method} ${p} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      const answer = new Promise((resolve) => { waiting = resolve; });
      sock.write(data ? Buffer.concat([Buffer.from(head, 'latin1'), data]) : head);
      pump();
      return answer;
    },
    close() { sock.destroy(); },
  };
}

export const hmacHex = (token, message) => createHmac('sha256', token).update(message).digest('hex');
const sha256Hex = (data) => createHash('sha256').update(data ?? Buffer.alloc(0)).digest('hex');

// PHP's side of the TCP fallback's proof (docs/CONTRACTS.md, "TCP fallback"):
// GET /v1/hello with a fresh nonce; the sidecar's proof must be the HMAC of
// both nonces and this connection's two ends; then every request carries
// PHP's HMAC of the nonces, its sequence number, method, path and body hash.
// Throws when the sidecar's proof is wrong. Resolves { conn, hello, request }.
export async function proofSession(port, token) {
  const conn = tcpConnection(port);
  const clientNonce = randomBytes(32).toString('hex');
  const hello = await conn.send('GET', '/v1/hello', { 'X-WPS3-Nonce': clientNonce });
  const serverNonce = hello.json?.result?.nonce;
  const ends = `${conn.sock.localAddress}:${conn.sock.localPort}\n${conn.sock.remoteAddress}:${conn.sock.remotePort}`;
  const expected = hmacHex(token, `wps3-tcp-hello-v1\n${clientNonce}\n${serverNonce}\n${ends}`);
  if (hello.status !== 200 || hello.json?.result?.proof !== expected) {
    conn.close();
    throw Object.assign(new Error(`the sidecar did not prove itself: ${hello.status} ${hello.text}`), { hello });
  }
  let seq = 0;
  const requestProof = (n, method, p, bodyHash) => hmacHex(token, `wps3-tcp-request-v1\n${clientNonce}\n${serverNonce}\n${n}\n${method}\n${p}\n${bodyHash}`);
  return {
    conn,
    hello,
    clientNonce,
    serverNonce,
    requestProof,
    // `proof`/`seq`/`bodyHash` override what is sent (tests of refusals).
    request({ method = 'GET', path: p = '/', body, headers = {}, seq: n = ++seq, bodyHash, proof } = {}) {
      const declared = bodyHash ?? sha256Hex(toBuffer(body));
      const h = { 'X-WPS3-Body-SHA256': declared, 'X-WPS3-Proof': proof ?? requestProof(n, method, p, declared), ...headers };
      return conn.send(method, p, h, body);
    },
  };
}

// Raw HTTP to the sidecar. Resolves { status, headers, json, text }. Over
// TCP (target.token) each request gets its own proved connection.
export async function rawRequest(target, opts = {}) {
  if (target.token) {
    const s = await proofSession(target.port, target.token);
    try {
      return await s.request(opts);
    } finally {
      s.conn.close();
    }
  }
  return httpRequest(target, opts);
}

function httpRequest(target, { method = 'GET', path: p = '/', body, headers = {}, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const data = toBuffer(body);
    const h = { ...headers };
    if (data) h['Content-Length'] = data.length;
    const base = target.socket ? { socketPath: target.socket } : { host: '127.0.0.1', port: target.port };
    const req = http.request({ ...base, method, path: p, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('test request timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

// Starts `node server.mjs` and waits for its "ready" line.
export async function startSidecar({ mode = 'socket', env = {}, extraArgs = [], dir = tmpDir() } = {}) {
  const args = [SERVER];
  const sc = { dir, stderr: '' };
  if (mode === 'socket') {
    sc.socket = path.join(dir, 'run', 'sidecar.sock');
    args.push('--socket', sc.socket);
  } else {
    sc.tokenFile = path.join(dir, 'token');
    args.push('--port', '0', '--token-file', sc.tokenFile);
  }
  sc.pidFile = path.join(dir, 'sidecar.pid');
  args.push('--pid-file', sc.pidFile, ...extraArgs);
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  sc.child = child;
  sc.pid = child.pid;
  child.stderr.on('data', (c) => { sc.stderr += c; if (sc.stderr.length > 1 << 20) sc.stderr = sc.stderr.slice(-(1 << 19)); });
  sc.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`sidecar not ready in 15 s\n${sc.stderr}`)), 15_000);
    child.stdout.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.includes('"ready"'));
      if (line) { clearTimeout(t); resolve(JSON.parse(line)); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`sidecar exited with ${code}\n${sc.stderr}`)); });
  });
  if (mode !== 'socket') {
    sc.port = ready.port;
    sc.token = fs.readFileSync(sc.tokenFile, 'utf8').trim();
  }
  sc.request = (opts) => rawRequest(sc, opts);
  sc.op = async (name, args) => (await sc.request({ method: 'POST', path: `/v1/op/${name}`, body: args })).json;
  sc.batch = async (ops) => (await sc.request({ method: 'POST', path: '/v1/batch', body: { ops } })).json;
  sc.stop = async (signal = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const r = await sc.exited;
    fs.rmSync(dir, { recursive: true, force: true });
    return r;
  };
  return sc;
}

// Writes a file of `size` bytes with a cheap deterministic pattern that
// differs per MiB (so storage cannot dedupe it into one block).
export function makeFile(file, size, seed = 1) {
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(MiB);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < MiB; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    block.writeUInt32LE(x, i);
  }
  for (let off = 0, n = 0; off < size; off += MiB, n++) {
    block.writeUInt32LE(n ^ seed, 0);
    fs.writeSync(fd, block, 0, Math.min(MiB, size - off));
  }
  fs.closeSync(fd);
  return file;
}

export async function sha256File(file) {
  const h = createHash('sha256');
  for await (const c of fs.createReadStream(file, { highWaterMark: MiB })) h.update(c);
  return h.digest('hex');
}

// Sends a request described by the sidecar's sign/presign result.
export function fetchSigned(signed, { hash = false } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(signed.url);
    const headers = {};
    for (const [k, v] of signed.headers || []) headers[k] = v;
    const req = http.request({ hostname: u.hostname, port: u.port, path: signed.url.slice(signed.url.indexOf('/', 8)), method: signed.method, headers, agent: false }, (res) => {
      const h = hash ? createHash('sha256') : null;
      const chunks = [];
      let size = 0;
      res.on('data', (c) => { size += c.length; if (h) h.update(c); else chunks.push(c); });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, size, sha256: h?.digest('hex'), body: h ? null : Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// Downloads an object through a presigned GET and returns its SHA-256.
export async function downloadSha256(sc, s3, key) {
  const p = await sc.op('presign', { storage: s3.storage, credentials: s3.credentials, method: 'GET', key, expiresIn: 600 });
  if (!p.ok) throw new Error(`presign failed: ${JSON.stringify(p.error)}`);
  const r = await fetchSigned(p.result, { hash: true });
  if (r.status !== 200) throw new Error(`presigned GET answered ${r.status}`);
  return r;
}

// Lists in-progress multipart uploads (signed by the sidecar's `sign` op).
export async function listUploads(sc, s3) {
  const s = await sc.op('sign', {
    storage: s3.storage, credentials: s3.credentials, method: 'GET', key: null,
    query: [['uploads', '']], headers: [], payloadHash: EMPTY_SHA256,
  });
  if (!s.ok) throw new Error(`sign failed: ${JSON.stringify(s.error)}`);
  const r = await fetchSigned(s.result);
  if (r.status !== 200) throw new Error(`ListMultipartUploads answered ${r.status}: ${r.body}`);
  return [...r.body.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)].map((m) => m[1]);
}

// Peak and current RSS of a process, in bytes, from /proc.
export function procMemory(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0) * 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

// A TCP proxy to 127.0.0.1:port that forwards the client->server direction
// at about `bytesPerSec`: makes an upload to a fast local server last long
// enough to be interrupted mid-way. SigV4 is unaffected (the Host header
// names the proxy and is forwarded as signed). Resolves { storage(s3), close() }.
export async function throttleProxy(s3, bytesPerSec) {
  const port = Number(new URL(s3.storage.endpoint).port);
  const conns = new Set();
  const server = net.createServer((client) => {
    const up = net.connect(port, '127.0.0.1');
    conns.add(client).add(up);
    for (const s of [client, up]) s.on('error', () => { client.destroy(); up.destroy(); });
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    up.pipe(client);
    client.on('data', (c) => {
      up.write(c);
      client.pause();
      setTimeout(() => client.resume(), (c.length / bytesPerSec) * 1000);
    });
    client.on('end', () => up.end());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    storage: { ...s3.storage, endpoint: `http://127.0.0.1:${server.address().port}` },
    close() {
      conns.forEach((s) => s.destroy());
      server.close();
    },
  };
}

// Starts an op on its own connection without waiting for the answer, so a
// test can hang up mid-request. Resolves `done` with the parsed answer, or
// with the connection error.
export function startOp(sc, name, args) {
  const data = Buffer.from(JSON.stringify(args));
  const req = http.request({ socketPath: sc.socket, method: 'POST', path: `/v1/op/${name}`, agent: false, headers: { 'Content-Length': data.length } });
  const done = new Promise((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve(JSON.parse(text)));
      res.on('error', (e) => resolve(e));
    });
    req.on('error', (e) => resolve(e));
  });
  req.end(data);
  return { req, done };
}

export async function waitFor(what, fn, timeoutMs = 10_000, everyMs = 25) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const inFlight = async (sc) => (await sc.request({ path: '/v1/health' })).json.inFlight;

// A throwaway self-signed certificate for 127.0.0.1 (TLS relays in front of
// http-only test servers). Resolves { key, cert } file paths in `dir`.
export function selfSigned(dir) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { key, cert };
}

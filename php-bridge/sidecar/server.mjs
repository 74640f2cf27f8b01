#!/usr/bin/env node
// wps3 sidecar: serves the PHP plugin over a Unix socket (or, where that is
// impossible, 127.0.0.1 with a token both sides prove, tcp-auth.mjs). CLI,
// socket safety and lifecycle live here; the protocol is in protocol.mjs.
//
//   node server.mjs --socket PATH [--pid-file F]
//   node server.mjs --port N --token-file F [--pid-file F]

import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { SidecarError, cancelled, httpStatusFor, toWireError } from './errors.mjs';
import { startCore, coreVersion } from './core.mjs';
import { createProtocol, loadedIo, BODY_LIMIT } from './protocol.mjs';
import { SIDECAR_VERSION } from './version.mjs';
import { log } from './log.mjs';

const SHUTDOWN_GRACE_MS = Number(process.env.WPS3_SHUTDOWN_GRACE_MS) || 30_000;
const HEADERS_TIMEOUT_MS = Number(process.env.WPS3_HEADERS_TIMEOUT_MS) || 10_000;
const BODY_TIMEOUT_MS = Number(process.env.WPS3_BODY_TIMEOUT_MS) || 30_000;
// Upper bound on aborting open multipart uploads when exiting.
const EXIT_ABORT_MS = 10_000;

function die(msg) {
  process.stderr.write(`wps3-sidecar: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--socket') o.socket = path.resolve(val());
    else if (a === '--port') o.port = Number(val());
    else if (a === '--token-file') o.tokenFile = path.resolve(val());
    else if (a === '--pid-file') o.pidFile = path.resolve(val());
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: server.mjs --socket PATH | --port N --token-file F  [--pid-file F]\n');
      process.exit(0);
    } else die(`unknown argument ${a}`);
  }
  if (!o.socket && o.port === undefined) die('give --socket PATH (preferred) or --port N --token-file F');
  if (o.socket && o.port !== undefined) die('give either --socket or --port, not both');
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) die('--port must be 0..65535');
  if (o.port !== undefined && !o.tokenFile) die('--port needs --token-file');
  return o;
}

// ---- socket directory safety ----

// The socket's directory is its access control: it must be ours and closed
// to group and others, or another local user could connect and sign.
function prepareSocketDir(dir) {
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) die(`${dir} is not a directory`);
  if (st.uid !== process.getuid()) die(`refusing to start: ${dir} is owned by uid ${st.uid}, not ${process.getuid()}`);
  if (st.mode & 0o077) die(`refusing to start: ${dir} is accessible to group/others (mode ${(st.mode & 0o777).toString(8)}); chmod 700 it`);
}

// A leftover socket from a crashed sidecar is removed only if nothing answers.
async function clearStaleSocket(p) {
  let st;
  try {
    st = fs.lstatSync(p);
  } catch {
    return;
  }
  if (!st.isSocket()) die(`refusing to start: ${p} exists and is not a socket`);
  const alive = await new Promise((resolve) => {
    const c = net.connect(p);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
  if (alive) die(`refusing to start: another process is serving ${p}`);
  fs.unlinkSync(p);
  log('info', 'removed stale socket', { socket: p });
}

// ---- token auth for the TCP fallback ----

function loadToken(file) {
  if (!fs.existsSync(file)) {
    // Random bytes are the one thing node:crypto is used for; loaded only
    // here (TCP mode), since loading it costs a socket sidecar's start-up.
    const token = createRequire(import.meta.url)('node:crypto').randomBytes(32).toString('hex');
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
    return token;
  }
  const st = fs.statSync(file);
  if (st.uid !== process.getuid()) die(`refusing to start: ${file} is owned by another user`);
  if (st.mode & 0o077) die(`refusing to start: ${file} is readable by group/others; chmod 600 it`);
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 32) die(`${file} holds a token shorter than 32 characters`);
  return token;
}

// ---- HTTP plumbing ----

function sendJson(res, status, obj, { close = false } = {}) {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(JSON.stringify(obj));
  const headers = { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-store' };
  if (close) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

function sendError(res, err, opts) {
  sendJson(res, httpStatusFor(err.code), { ok: false, error: toWireError(err, log) }, opts);
}

// Reads a request body of at most BODY_LIMIT bytes. An oversize body is
// drained (up to DRAIN_LIMIT) before the 413 goes out, because clients that
// are still writing when the server hangs up see EPIPE instead of the
// answer; past DRAIN_LIMIT the connection is simply closed after the 413.
const DRAIN_LIMIT = 8 * BODY_LIMIT;
const tooLarge = () => new SidecarError('PAYLOAD_TOO_LARGE', `request body over ${BODY_LIMIT} bytes`);

function readBody(req, signal) {
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(cancelled()), { once: true });
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > DRAIN_LIMIT) {
      reject(tooLarge());
      return;
    }
    const chunks = [];
    let size = 0;
    const timer = setTimeout(() => {
      reject(size > BODY_LIMIT ? tooLarge() : new SidecarError('REQUEST_TIMEOUT', 'request body took too long to arrive'));
    }, BODY_TIMEOUT_MS);
    req.on('data', (c) => {
      size += c.length;
      if (size <= BODY_LIMIT) chunks.push(c);
      else if (size > DRAIN_LIMIT) {
        clearTimeout(timer);
        req.pause();
        reject(tooLarge());
      } else chunks.length = 0; // draining: keep nothing
    });
    req.on('end', () => {
      clearTimeout(timer);
      if (size > BODY_LIMIT) reject(tooLarge());
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => { clearTimeout(timer); reject(new SidecarError('BAD_REQUEST', `request body failed: ${e.code || e.message}`)); });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // The wasm core compiles off the main thread while the server is set up
  // and listens. Every request waits for it (health included, which reports
  // the core's version), and "ready" is written only once it is loaded.
  let coreLoaded = false;
  const coreLoading = startCore().then(() => { coreLoaded = true; });
  coreLoading.catch(() => {}); // handled once listening, below

  // requests: the AbortController of every request being worked on.
  const state = { startedAt: Date.now(), inFlight: 0, shuttingDown: false, requests: new Set() };
  const protocol = createProtocol(state);
  // TCP mode only (it loads node:crypto, which a socket sidecar's start-up need not pay for).
  const tcpAuth = opts.tokenFile ? (await import('./tcp-auth.mjs')).createTcpAuth(loadToken(opts.tokenFile)) : null;

  const server = http.createServer({
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: BODY_TIMEOUT_MS + 5_000,
    keepAliveTimeout: 5_000,
    maxHeaderSize: 16 * 1024,
    // Check header/request deadlines every second, not every 30 s.
    connectionsCheckingInterval: 1_000,
  });

  // A connection that sends nothing at all is not covered by headersTimeout
  // until its first byte: an idle timer closes it, except while one of its
  // requests is being worked on (an upload can keep a client waiting for
  // minutes without traffic).
  const busy = new WeakMap();
  server.setTimeout(HEADERS_TIMEOUT_MS);
  server.on('timeout', (socket) => {
    if (!busy.get(socket)) socket.destroy();
  });

  // Over TCP nothing is worked on before PHP's proof of the request head
  // checked out (the body is checked against it once read). False when
  // refused (the answer is sent).
  const authorized = (req, res) => {
    if (tcpAuth === null || req.wps3BodySha256 !== undefined) return true;
    try {
      req.wps3BodySha256 = tcpAuth.authorize(req);
      return true;
    } catch (e) {
      sendError(res, e, { close: true });
      return false;
    }
  };

  // Whether the core is loaded, waiting for it; false when it cannot be
  // (the answer is sent).
  const coreReady = async (res) => {
    if (coreLoaded) return true;
    try {
      await coreLoading;
      return true;
    } catch {
      sendError(res, new SidecarError('INTERNAL', 'the wasm core could not be loaded; the sidecar is exiting (details in its log)'), { close: true });
      return false;
    }
  };

  // curl and PHP send "Expect: 100-continue" for larger bodies: refuse an
  // oversize or unproved one before the client sends it (the proof check
  // is the core's, so it waits for the core as every request does).
  server.on('checkContinue', async (req, res) => {
    if (Number(req.headers['content-length']) > BODY_LIMIT) {
      sendError(res, new SidecarError('PAYLOAD_TOO_LARGE', `request body over ${BODY_LIMIT} bytes`), { close: true });
      return;
    }
    if ((!coreLoaded && !(await coreReady(res))) || !authorized(req, res)) return;
    res.writeContinue();
    server.emit('request', req, res);
  });

  server.on('request', async (req, res) => {
    if (!coreLoaded && !(await coreReady(res))) return;
    if (state.shuttingDown) {
      sendError(res, new SidecarError('SHUTTING_DOWN', 'the sidecar is shutting down; retry shortly'), { close: true });
      return;
    }
    if (tcpAuth?.isHello(req)) {
      try {
        sendJson(res, 200, { ok: true, result: tcpAuth.hello(req) });
      } catch (e) {
        sendError(res, e, { close: true });
      }
      return;
    }
    if (!authorized(req, res)) return;
    // Health checks are instant and do not count as work to wait for.
    const counted = !(req.method === 'GET' || req.method === 'HEAD');
    if (counted) state.inFlight++;
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) || 0) + 1);
    // A client that hangs up (PHP timed out, its worker was killed) must
    // not leave its upload running: PHP's retry would start a second,
    // concurrent upload of the same document. Closing before the answer
    // was handed over cancels the work.
    const ac = new AbortController();
    state.requests.add(ac);
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    try {
      const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, ac.signal);
      tcpAuth?.checkBody(req, req.wps3BodySha256, body);
      const out = await protocol.handle(req.method, req.url, body, { signal: ac.signal });
      sendJson(res, out.status, out.json);
    } catch (e) {
      // Body not fully read (too large, timed out): close so the unread rest
      // is not parsed as the next request.
      const close = (e.code === 'PAYLOAD_TOO_LARGE' && !req.complete) || e.code === 'REQUEST_TIMEOUT' || e.code === 'UNAUTHORIZED';
      sendError(res, e, { close });
      if (close) res.on('finish', () => req.socket.destroySoon?.());
    } finally {
      state.requests.delete(ac);
      if (ac.signal.aborted) log('info', 'request cancelled', { why: state.forced ? 'sidecar exiting' : 'client disconnected' });
      if (counted) state.inFlight--;
      busy.set(socket, busy.get(socket) - 1);
      socket.setTimeout(HEADERS_TIMEOUT_MS); // re-arm the idle timer
      if (state.shuttingDown && state.inFlight === 0) {
        // Exit only once the last answer has been handed to the kernel.
        if (res.writableFinished) state.onIdle?.();
        else res.once('close', () => state.onIdle?.());
      }
    }
  });

  // Non-HTTP garbage, oversize headers, timeouts: answer JSON, drop socket.
  server.on('clientError', (err, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT';
    const tooBig = err.code === 'HPE_HEADER_OVERFLOW';
    const [status, code, msg] = timeout ? [408, 'REQUEST_TIMEOUT', 'request took too long']
      : tooBig ? [431, 'BAD_REQUEST', 'request headers too large']
        : [400, 'BAD_REQUEST', 'malformed HTTP request'];
    const body = JSON.stringify({ ok: false, error: new SidecarError(code, msg).toJSON() });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    socket.destroySoon?.();
  });

  // Signal handlers go in before the socket exists, so a supervisor that
  // signals right after "ready" never hits Node's default (abrupt) exit.
  // Only files this process created are removed: a refused start must not
  // delete the socket of the sidecar that is already running.
  const owned = { socket: false, pidFile: false };
  const cleanup = () => {
    if (owned.socket) try { fs.unlinkSync(opts.socket); } catch { /* already gone */ }
    if (owned.pidFile) try { fs.unlinkSync(opts.pidFile); } catch { /* already gone */ }
    owned.socket = owned.pidFile = false;
  };

  const finish = (code, why) => {
    log('info', 'exit', { why });
    cleanup();
    loadedIo.s3client?.destroyAgents();
    process.exit(code);
  };
  // Exiting with work still running: cancel every request, and abort every
  // multipart upload still open so it does not sit on storage (billed)
  // until a lifecycle rule removes it. Bounded: a dead storage must not
  // keep a stopping sidecar alive.
  const forceExit = async (why) => {
    if (state.forced) return;
    state.forced = true;
    for (const ac of state.requests) ac.abort();
    const bound = new Promise((r) => setTimeout(r, EXIT_ABORT_MS).unref());
    await Promise.race([loadedIo.upload?.abortAllUploads(EXIT_ABORT_MS / 2), bound]);
    finish(0, why);
  };

  // First SIGTERM/SIGINT: drain (in-flight requests may finish within the
  // grace period). Grace over, or a second signal: force.
  const shutdown = (signal) => {
    if (state.shuttingDown) {
      forceExit(`second ${signal} with ${state.inFlight} in flight`);
      return;
    }
    state.shuttingDown = true;
    log('info', 'shutting down', { signal, inFlight: state.inFlight });
    server.close(() => {});      // stop accepting (no-op if not listening yet)
    server.closeIdleConnections();
    const timer = setTimeout(() => forceExit(`grace period of ${SHUTDOWN_GRACE_MS} ms over with ${state.inFlight} in flight`), SHUTDOWN_GRACE_MS);
    timer.unref();
    state.onIdle = () => {
      if (!state.forced) finish(0, 'in-flight requests finished');
    };
    if (state.inFlight === 0) state.onIdle();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('exit', cleanup);

  if (opts.socket) {
    prepareSocketDir(path.dirname(opts.socket));
    await clearStaleSocket(opts.socket);
    // The socket file is created with the umask's mode; make that 0600 from
    // the start rather than racing a chmod (the 0700 dir already guards it).
    const old = process.umask(0o177);
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.socket, () => { server.off('error', reject); resolve(); });
    }).catch((e) => die(`cannot listen on ${opts.socket}: ${e.code || e.message}`));
    owned.socket = true;
    process.umask(old);
    fs.chmodSync(opts.socket, 0o600);
  } else {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
    }).catch((e) => die(`cannot listen on 127.0.0.1:${opts.port}: ${e.code || e.message}`));
  }
  if (opts.pidFile) {
    fs.writeFileSync(opts.pidFile, `${process.pid}\n`, { mode: 0o644 });
    owned.pidFile = true;
  }

  try {
    await coreLoading;
  } catch (e) {
    // Stop taking connections; those already waiting got their answer.
    server.close();
    log('error', 'wasm core not loaded', { err: String(e?.message ?? e) });
    setTimeout(() => die(String(e?.message ?? e)), 100);
    return;
  }
  const where = opts.socket ? { socket: opts.socket } : { host: '127.0.0.1', port: server.address().port };
  log('info', 'listening', { ...where, sidecarVersion: SIDECAR_VERSION, coreVersion: coreVersion(), pid: process.pid });
  // One machine-readable line on stdout tells a supervisor we are ready.
  process.stdout.write(JSON.stringify({ event: 'ready', pid: process.pid, ...where }) + '\n');

  // A bug in one request must not take the PHP site's backups down with it.
  process.on('uncaughtException', (e) => log('error', 'uncaught exception', { err: String(e?.stack ?? e) }));
  process.on('unhandledRejection', (e) => log('error', 'unhandled rejection', { err: String(e?.stack ?? e) }));
}

main().catch((e) => die(String(e?.stack ?? e)));

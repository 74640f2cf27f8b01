// Signed S3 requests. The core signs (signRequest); this module only moves
// bytes: it sends exactly the headers the core returned, reads bounded
// responses, hands failures to the core for its verdict, and corrects the
// clock when that verdict says so.

import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { pipeline } from 'node:stream';
import { SidecarError, cancelled, classify, localError } from './errors.mjs';
import { callCore, clockFor } from './core.mjs';
import { log } from './log.mjs';

// The SSRF guard at connect time: every address a storage host name
// resolves to goes through the core's rule (checkAddress) before the socket
// connects, so a name that points at a private or metadata address, or
// changes its answer after settings were checked (DNS rebinding), is
// refused. IP literals never reach a lookup; exchange() checks those.
export function checkedLookup(allowPrivate, resolve = dns.lookup) {
  return (hostname, options, callback) => {
    if (typeof options === 'function') [callback, options] = [options, {}];
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err);
      try {
        for (const a of addresses) callCore('checkAddress', { host: hostname, address: a.address, allowPrivateEndpoints: allowPrivate });
      } catch (e) {
        return callback(e);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

// Keep-alive so multipart parts reuse connections; maxSockets bounds the
// sockets (and so the memory) one sidecar can hold toward storage. One pool
// per SSRF verdict, so a socket opened for a storage that allows private
// endpoints is never reused for one that does not.
const agentPair = (allowPrivate) => ({
  'http:': new http.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8, lookup: checkedLookup(allowPrivate) }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8, lookup: checkedLookup(allowPrivate) }),
});
const pools = { public: agentPair(false), private: agentPair(true) };

const DEFAULT_TIMEOUT_MS = Number(process.env.WPS3_S3_TIMEOUT_MS) || 120_000;
const ERROR_BODY_LIMIT = 64 * 1024;

export function destroyAgents() {
  for (const pair of Object.values(pools)) for (const a of Object.values(pair)) a.destroy();
}

// Splits a URL without re-encoding it: the path must go out byte-for-byte
// as the core canonicalised and signed it.
function splitUrl(url) {
  const m = /^(https?):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?([^#]*)$/i.exec(url);
  if (!m) throw new SidecarError('INTERNAL', 'the core returned an unusable URL');
  const protocol = m[1].toLowerCase() + ':';
  const hostname = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  let p = m[4] || '/';
  if (p.startsWith('?')) p = '/' + p;
  return { protocol, hostname, port: m[3] ? Number(m[3]) : undefined, path: p };
}

// Errors a request body stream may end with once the socket is gone; the
// request's own 'error' event reports those, so the pipeline ignores them.
const SOCKET_GONE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ECONNABORTED', 'EADDRNOTAVAIL', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED', 'UND_ERR_SOCKET',
]);

// A failure on the way to storage, as the core classifies it (TLS
// verification and unbuildable requests are never retried; the rest may pass).
export function networkError(e, host, { built = true } = {}) {
  if (e instanceof SidecarError) return e;
  const errno = e?.code || 'ECONNRESET';
  return localError({ kind: 'network', errno, built, message: `cannot talk to storage at ${host}: ${e?.message || errno}` });
}

// Whether the core lets a request that failed with this errno be sent again.
export function networkRetryable(errno, { built = true } = {}) {
  return classify({ kind: 'network', errno, built, message: errno }).retry !== 'never';
}

// Bodies this big are sent with "Expect: 100-continue": a server that
// rejects the request (wrong secret, skewed clock, no bucket) answers before
// the body is sent. Without it, servers that answer early and hang up (Garage
// does) leave us with EPIPE — a "network error" that hides the real cause.
const EXPECT_MIN_BYTES = 1024 * 1024;
// A server that ignores Expect gets the body after this wait, and is then
// remembered so later requests to it skip the wait (as curl does, once).
const CONTINUE_WAIT_MS = 1000;
const noContinueHosts = new Set();

function headerPairs(rawHeaders) {
  const out = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) out.push([rawHeaders[i], rawHeaders[i + 1]]);
  return out;
}

// One HTTP exchange. body: undefined | Buffer | () => Readable (a factory,
// so a retry can replay it) | { pump(write) } (pump writes the body through
// `write(chunk)`, which resolves once the chunk has left for the socket, so
// the pump may reuse its buffers; may be called again for a retry). Resolves { status, headers, rawHeaders, body }
// with at most `limit` bytes of response body kept. allowPrivate: the
// storage's allowPrivateEndpoints (the core's SSRF rule decides).
export function exchange(signed, { body, contentLength, limit, timeoutMs, signal, allowPrivate = false }) {
  const u = splitUrl(signed.url);
  const host = u.hostname + (u.port ? ':' + u.port : '');
  const agents = allowPrivate === true ? pools.private : pools.public;
  return new Promise((resolve, reject) => {
    if (net.isIP(u.hostname)) {
      try {
        callCore('checkAddress', { host: u.hostname, address: u.hostname, allowPrivateEndpoints: allowPrivate === true });
      } catch (e) {
        reject(e);
        return;
      }
    }
    let settled = false;
    let responded = false;
    const fail = (e) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    const headers = {};
    for (const [k, v] of signed.headers) headers[k] = v;
    if (contentLength !== undefined) headers['Content-Length'] = String(contentLength);
    const expect = body !== undefined && (contentLength ?? 0) >= EXPECT_MIN_BYTES && !noContinueHosts.has(host);
    if (expect) headers.Expect = '100-continue';
    let bodyStarted = false;
    let waitTimer = null;
    const mod = u.protocol === 'https:' ? https : http;
    let req;
    try {
      req = mod.request({
        protocol: u.protocol, hostname: u.hostname, port: u.port, path: u.path,
        method: signed.method, headers, agent: agents[u.protocol],
      });
    } catch (e) {
      fail(networkError(e, host, { built: false }));
      return;
    }
    // Cancelled (client gone, sidecar exiting): drop the socket mid-request,
    // which also stops a streaming body; the caller cleans up on storage.
    const onAbort = () => {
      fail(cancelled());
      req.destroy();
    };
    if (signal) {
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    req.setTimeout(timeoutMs, () => {
      const e = new Error(`no answer for ${Math.round(timeoutMs / 1000)} s`);
      e.code = 'ETIMEDOUT';
      req.destroy(e);
    });
    req.on('error', (e) => {
      // After a response arrived (e.g. an early 403 while we were still
      // sending), a write error is expected noise: the response wins.
      if (responded) return;
      const err = networkError(e, host);
      err.staleSocket = req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE');
      fail(err);
    });
    req.on('response', (res) => {
      responded = true;
      clearTimeout(waitTimer);
      // Answered before we sent the body: this socket is mid-request and
      // must not go back to the pool.
      if (!bodyStarted && body !== undefined) res.once('end', () => req.destroy());
      const chunks = [];
      let kept = 0;
      res.on('data', (c) => {
        if (kept < limit) {
          const part = c.length > limit - kept ? c.subarray(0, limit - kept) : c;
          chunks.push(part);
          kept += part.length;
          // Over the limit: stop reading; the socket is dropped, not reused.
          if (kept >= limit) res.destroy();
        }
      });
      const done = () => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) });
      };
      res.on('end', done);
      res.on('close', () => (kept >= limit || res.complete ? done() : fail(networkError(Object.assign(new Error('response cut short'), { code: 'ECONNRESET' }), host))));
      res.on('error', (e) => (kept >= limit ? done() : fail(networkError(e, host))));
    });
    const sendBody = () => {
      clearTimeout(waitTimer);
      if (bodyStarted || responded || settled) return;
      bodyStarted = true;
      if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
        req.end(body);
        return;
      }
      if (typeof body.pump === 'function') {
        const write = (chunk) => new Promise((res, rej) => {
          if (settled || req.destroyed) return rej(Object.assign(new Error('request closed'), { code: 'ERR_STREAM_DESTROYED' }));
          req.write(chunk, (e) => (e ? rej(e) : res()));
        });
        body.pump(write).then(() => req.end(), (e) => {
          // File errors (e.g. FILE_CHANGED) must surface as themselves.
          if (e instanceof SidecarError) fail(e);
          else if (!responded && e?.code && !SOCKET_GONE.has(e.code)) fail(networkError(e, host));
          // A short body must never reach the server as complete; an answer
          // already on its way (an early 403) is still read to the end.
          if (!responded) req.destroy();
        });
        return;
      }
      pipeline(body(), req, (e) => {
        // File errors (e.g. FILE_CHANGED) must surface as themselves.
        if (e && e instanceof SidecarError) fail(e);
        else if (e && !responded && e.code && !SOCKET_GONE.has(e.code)) fail(networkError(e, host));
      });
    };
    if (body === undefined) {
      req.end();
    } else if (!expect) {
      sendBody();
    } else {
      req.flushHeaders();
      req.once('continue', sendBody);
      waitTimer = setTimeout(() => {
        if (!responded && !noContinueHosts.has(host)) {
          noContinueHosts.add(host);
          log('info', 'storage ignores Expect: 100-continue; sending bodies directly', { host });
        }
        sendBody();
      }, CONTINUE_WAIT_MS);
    }
  });
}

// One S3 action through the core: the core builds and signs the request
// (s3Request) and reads the answer (s3Response); this only moves bytes.
//   opts: { storage, credentials, action, args,
//           body (Buffer | () => Readable, for put_object/upload_part), contentLength,
//           responseLimit, timeoutMs, signal }
// Resolves { result, res }. Sent again once on a stale keep-alive socket,
// and once when the core's verdict is after-clock-fix and the server said
// its time (the clock is corrected first).
export async function s3Action(opts) {
  const { storage, credentials, action, args = {}, signal } = opts;
  const limit = opts.responseLimit ?? ERROR_BODY_LIMIT;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clock = clockFor(storage);
  let staleRetried = false;
  let skewRetried = false;
  for (;;) {
    if (signal?.aborted) throw cancelled();
    const now = clock.nowSeconds();
    const signed = callCore('s3Request', { storage, credentials, now, action, args });
    const coreBody = signed.body === undefined ? undefined : Buffer.from(signed.body, 'utf8');
    let res;
    try {
      res = await exchange(signed, {
        body: coreBody ?? opts.body,
        contentLength: coreBody ? coreBody.length : opts.contentLength,
        limit, timeoutMs, signal, allowPrivate: storage?.allowPrivateEndpoints === true,
      });
    } catch (e) {
      if (e.staleSocket && !staleRetried) {
        staleRetried = true;
        continue;
      }
      throw e;
    }
    const outcome = callCore('s3Response', {
      action, status: res.status, headers: headerPairs(res.rawHeaders), body: res.body.toString('utf8'), now,
    });
    if (outcome.ok) return { result: outcome.result, res };
    const p = outcome.error;
    if (!skewRetried && p.retry === 'after-clock-fix' && Number.isFinite(p.serverTime)) {
      skewRetried = true;
      clock.correctTo(p.serverTime * 1000, p.s3Code);
      continue;
    }
    throw SidecarError.of(p);
  }
}

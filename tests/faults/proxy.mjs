// A fault-injecting TCP proxy in front of an S3 server, for the fault suite (tests/faults/suite.mjs).
//
//   import { startProxy } from './proxy.mjs';
//   const p = await startProxy({ targetHost: '127.0.0.1', targetPort: 4566 });   // p.port
//   p.down(5000);                         // refuse connections (and drop open ones) for 5 s
//   p.answer(4, 503, 'SlowDown');         // the next 4 requests get 503 SlowDown from the proxy itself
//   p.cut(2, 300);                        // the next 2 requests with a body > 300 bytes are cut after 300 body bytes
//   p.delay(3, 1500);                     // the next 3 requests with a body wait 1.5 s before they are forwarded
//   p.onRequest = (req) => { ... };       // called for every request header seen ({ method, target, key, hasBody })
//   p.stats()                             // counts (see below); p.close()
//
// CLI:  node tests/faults/proxy.mjs LISTEN_PORT TARGET_HOST TARGET_PORT CONTROL_PORT
//   prints "ready" and takes commands as JSON over HTTP on CONTROL_PORT:
//   POST / {"cmd":"down","ms":5000} | {"cmd":"answer","n":4,"status":503,"code":"SlowDown"} |
//          {"cmd":"cut","n":2,"bytes":300} | {"cmd":"delay","n":3,"ms":1500} | {"cmd":"stats"}
//
// The proxy reads just enough HTTP/1.1 to find request boundaries (every body the sidecar sends has a
// Content-Length; it never pipelines) and the status line of each answer, so it can count, per object
// key, the writes storage acknowledged: a 2xx PutObject (PUT without uploadId) or CompleteMultipartUpload
// (POST with uploadId). Nothing else of the traffic is touched: signatures stay valid.
import http from 'node:http';
import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');

function parseHead(buf) {
  const text = buf.toString('latin1');
  const lines = text.split('\r\n');
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { first: lines[0], headers };
}

// The object key of a path-style request target (/bucket/key?query), decoded; '' for bucket-level requests.
export function keyOf(target) {
  const path = target.split('?')[0];
  const rest = path.replace(/^\/[^/]*\/?/, '');
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

// Which kind of S3 write a request is (what the counters below are keyed by).
export function kindOf(method, target) {
  const q = target.includes('?') ? target.slice(target.indexOf('?') + 1) : '';
  const has = (name) => new RegExp(`(^|&)${name}(=|&|$)`).test(q);
  if (method === 'PUT' && has('uploadId')) return 'part';
  if (method === 'PUT') return 'put';
  if (method === 'POST' && has('uploads')) return 'create-multipart';
  if (method === 'POST' && has('uploadId')) return 'complete-multipart';
  if (method === 'DELETE' && has('uploadId')) return 'abort-multipart';
  return method.toLowerCase();
}

function errorResponse(status, code) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the fault proxy</Message><RequestId>FAULTPROXY</RequestId></Error>`;
  const reason = http.STATUS_CODES[status] || 'Error';
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-amz-request-id: FAULTPROXY\r\nConnection: close\r\n\r\n${body}`,
    'latin1',
  );
}

export async function startProxy({ targetHost, targetPort, port = 0 }) {
  const sockets = new Set();
  const queue = { answer: [], cut: [], delay: [] }; // pending faults, consumed in order
  const counts = {
    connections: 0,
    refusedWhileDown: 0, // connections dropped because storage was "down"
    requests: 0,
    answered: {}, // "503 SlowDown" -> n (answered by the proxy)
    cut: 0,
    delayed: 0,
    upstreamStatus: {}, // "PUT put 200" -> n
    skewRejected: 0, // 403 RequestTimeTooSkewed answers from storage
  };
  const acked = new Map(); // key -> acknowledged final writes (put / complete-multipart)
  let downUntil = 0;
  let reopenTimer = null;
  const api = { port: 0, onRequest: null };

  const handle = (client) => {
    counts.connections++;
    if (Date.now() < downUntil) {
      counts.refusedWhileDown++;
      client.destroy();
      return;
    }
    sockets.add(client);
    let upstream = null;
    let closed = false;
    const pendingUp = []; // bytes for upstream before it connected
    const close = () => {
      if (closed) return;
      closed = true;
      client.destroy();
      upstream?.destroy();
      sockets.delete(client);
      if (upstream) sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);

    const toUpstream = (chunk) => {
      if (!upstream) {
        upstream = net.connect(targetPort, targetHost);
        sockets.add(upstream);
        upstream.on('error', close).on('close', close);
        upstream.on('data', onUpstreamData);
        upstream.on('connect', () => {
          for (const c of pendingUp.splice(0)) upstream.write(c);
        });
      }
      if (upstream.connecting) pendingUp.push(chunk);
      else upstream.write(chunk);
    };

    // ---- client -> upstream: request boundaries ----
    let head = Buffer.alloc(0); // bytes of a request head still being read
    let bodyLeft = 0; // body bytes of the current request still to come
    let cutAfter = -1; // forward this many more body bytes, then cut
    let swallow = false; // the proxy answers this request itself: drop its body
    let answerNow = null; // response to send once the body was read
    let held = null; // delayed request: chunks held until the timer fires
    const requests = []; // requests forwarded and not answered yet: { method, target, kind, key }

    const finishBody = () => {
      if (answerNow) {
        const r = answerNow;
        answerNow = null;
        client.end(r);
      }
      swallow = false;
    };

    const feedBody = (chunk) => {
      // Returns the bytes of chunk after the current body.
      const n = Math.min(bodyLeft, chunk.length);
      const part = chunk.subarray(0, n);
      bodyLeft -= n;
      if (!swallow) {
        if (cutAfter >= 0) {
          const send = part.subarray(0, cutAfter);
          if (send.length) toUpstream(send);
          cutAfter -= send.length;
          if (cutAfter === 0) {
            // Give the upstream write a moment to leave, then drop both sides mid-body.
            setTimeout(close, 20);
            return Buffer.alloc(0);
          }
        } else if (part.length) toUpstream(part);
      }
      if (bodyLeft === 0) finishBody();
      return chunk.subarray(n);
    };

    const onClientData = (chunk) => {
      if (held) {
        held.push(chunk);
        return;
      }
      while (chunk.length && !closed) {
        if (bodyLeft > 0) {
          chunk = feedBody(chunk);
          continue;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf(HEADER_END);
        if (end < 0) return;
        const headBytes = head.subarray(0, end + 4);
        chunk = head.subarray(end + 4);
        head = Buffer.alloc(0);
        const { first, headers } = parseHead(headBytes);
        const [method, target = '/'] = first.split(' ');
        // The previous answer is complete by now (no pipelining): look for this one's status line.
        awaiting = true;
        errorBody = null;
        const length = Number(headers['content-length'] || 0);
        const info = { method, target, kind: kindOf(method, target), key: keyOf(target), hasBody: length > 0, length };
        counts.requests++;
        try {
          api.onRequest?.(info);
        } catch {
          /* observers never break the proxy */
        }
        bodyLeft = length;
        cutAfter = -1;
        if (queue.answer.length) {
          const f = queue.answer[0];
          if (--f.n <= 0) queue.answer.shift();
          const label = `${f.status} ${f.code}`;
          counts.answered[label] = (counts.answered[label] || 0) + 1;
          swallow = true;
          const res = errorResponse(f.status, f.code);
          if (length === 0 || /100-continue/i.test(headers.expect || '')) {
            // Nothing (more) will come: answer now, as a server that refuses before the body does.
            client.end(res);
            return;
          }
          answerNow = res;
          continue;
        }
        if (queue.cut.length && length > queue.cut[0].bytes) {
          const f = queue.cut[0];
          if (--f.n <= 0) queue.cut.shift();
          counts.cut++;
          cutAfter = f.bytes;
        }
        requests.push(info);
        if (queue.delay.length && length > 0) {
          const f = queue.delay[0];
          if (--f.n <= 0) queue.delay.shift();
          counts.delayed++;
          held = [chunk];
          client.pause();
          setTimeout(() => {
            const rest = Buffer.concat(held);
            held = null;
            client.resume();
            if (closed) return;
            toUpstream(headBytes);
            onClientData(rest);
          }, f.ms);
          return;
        }
        toUpstream(headBytes);
        if (bodyLeft === 0) continue;
      }
    };
    client.on('data', (c) => onClientData(c));

    // ---- upstream -> client: the status of each answer ----
    let resHead = Buffer.alloc(0);
    let awaiting = true; // looking for the status line of requests[0]'s answer
    let errorBody = null; // first bytes of a 403 body (skew detection)
    const onUpstreamData = (chunk) => {
      client.write(chunk);
      let rest = chunk;
      while (rest.length) {
        if (errorBody) {
          errorBody.buf = Buffer.concat([errorBody.buf, rest]).subarray(0, 4096);
          if (/RequestTimeTooSkewed/.test(errorBody.buf.toString('latin1')) && !errorBody.counted) {
            errorBody.counted = true;
            counts.skewRejected++;
          }
          return;
        }
        if (!awaiting || !requests.length) return;
        resHead = Buffer.concat([resHead, rest]);
        const end = resHead.indexOf(HEADER_END);
        if (end < 0) return;
        const { first } = parseHead(resHead.subarray(0, end + 4));
        rest = resHead.subarray(end + 4);
        resHead = Buffer.alloc(0);
        const status = Number(first.split(' ')[1]);
        if (status >= 100 && status < 200) continue; // 100 Continue: the real answer follows
        const req = requests.shift();
        const label = `${req.method} ${req.kind} ${status}`;
        counts.upstreamStatus[label] = (counts.upstreamStatus[label] || 0) + 1;
        if (status >= 200 && status < 300 && (req.kind === 'put' || req.kind === 'complete-multipart')) {
          acked.set(req.key, (acked.get(req.key) || 0) + 1);
        }
        if (status === 403) errorBody = { buf: Buffer.alloc(0), counted: false };
        // Body bytes follow; the next status line comes only after the client's next request.
        awaiting = false;
      }
    };
  };

  let server = net.createServer(handle);
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  api.port = server.address().port;

  const dropAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };

  Object.assign(api, {
    // Storage unreachable for ms: open connections are dropped, new ones refused (the port is closed).
    down(ms) {
      downUntil = Date.now() + ms;
      dropAll();
      server.close();
      clearTimeout(reopenTimer);
      reopenTimer = setTimeout(() => {
        server = net.createServer(handle);
        server.on('error', () => {});
        server.listen(api.port, '127.0.0.1');
      }, ms);
    },
    answer(n, status, code) {
      queue.answer.push({ n, status, code });
    },
    cut(n, bytes) {
      queue.cut.push({ n, bytes });
    },
    delay(n, ms) {
      queue.delay.push({ n, ms });
    },
    pending() {
      return queue.answer.length + queue.cut.length + queue.delay.length;
    },
    clear() {
      queue.answer.length = queue.cut.length = queue.delay.length = 0;
    },
    acked() {
      return new Map(acked);
    },
    stats() {
      return JSON.parse(JSON.stringify(counts));
    },
    close() {
      clearTimeout(reopenTimer);
      dropAll();
      server.close();
    },
  });
  return api;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [listenPort, targetHost, targetPort, controlPort] = process.argv.slice(2);
  const p = await startProxy({ targetHost, targetPort: Number(targetPort), port: Number(listenPort) });
  const control = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      let out = { ok: true };
      try {
        const c = JSON.parse(body || '{}');
        if (c.cmd === 'down') p.down(Number(c.ms));
        else if (c.cmd === 'answer') p.answer(Number(c.n), Number(c.status), String(c.code));
        else if (c.cmd === 'cut') p.cut(Number(c.n), Number(c.bytes));
        else if (c.cmd === 'delay') p.delay(Number(c.n), Number(c.ms));
        else if (c.cmd === 'stats') out = { ...p.stats(), acked: Object.fromEntries(p.acked()) };
        else throw new Error(`unknown cmd '${c.cmd}'`);
      } catch (e) {
        res.statusCode = 400;
        out = { ok: false, error: e.message };
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(out));
    });
  });
  control.listen(Number(controlPort), '127.0.0.1', () => process.stdout.write(`ready ${p.port}\n`));
  process.on('SIGTERM', () => {
    p.close();
    process.exit(0);
  });
}

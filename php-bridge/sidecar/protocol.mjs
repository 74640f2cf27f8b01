// The sidecar's HTTP protocol (docs/CONTRACTS.md section 2): routing,
// request validation, op dispatch and error shaping. No I/O setup here;
// server.mjs owns sockets and lifecycle.

import { SidecarError, bad, cancelled, httpStatusFor, toWireError } from './errors.mjs';
import { callCore, clock, clockFor, coreError, coreVersion, resolveCredentials } from './core.mjs';
import { createSignerCache } from './signers.mjs';
import { SIDECAR_VERSION } from './version.mjs';
import { transferOps } from './transfers.mjs';
import { log } from './log.mjs';

export const BODY_LIMIT = 1024 * 1024;
export const MAX_BATCH_OPS = 1000;

// The ops that talk to storage (upload, objects, diagnose) and what they
// pull in (the S3 client with https/TLS and DNS, the hashing threads) are
// loaded by the first such op, not at start-up: a presign needs none of
// them, and importing them was half of the sidecar's start-up time.
// `loadedIo` holds them once loaded, for an exiting sidecar (open uploads
// to abort, agents to close); before that there is nothing to clean up.
export const loadedIo = { upload: null, s3client: null };
const ioModule = (load) => {
  let p = null;
  return () => (p ??= Promise.all([load(), import('./s3client.mjs')]).then(([m, s3client]) => {
    loadedIo.s3client = s3client;
    return m;
  }, (e) => {
    p = null; // a failed import is tried again by the next op
    throw e;
  }));
};
const uploadModule = ioModule(() => import('./upload.mjs').then((m) => (loadedIo.upload = m)));
const objectsModule = ioModule(() => import('./objects.mjs'));
const diagnoseModule = ioModule(() => import('./diagnose.mjs'));
const ioOp = (load, name) => async (a, ctx) => (await load())[name](a, ctx);

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// `now` defaults to the sidecar's corrected clock for every op that takes
// it: the clock of the op's storage origin when it names one.
const withNow = (a) => {
  if (a.now !== undefined && a.now !== null) return a;
  const c = isObject(a.storage) ? clockFor(a.storage) : clock;
  return { ...a, now: c.nowSeconds() };
};
const withCreds = (a) => ({ ...a, credentials: resolveCredentials(a.credentials) });
const str = (v, name) => {
  if (typeof v !== 'string') throw bad(`${name} must be a string`);
  return v;
};

const isSimplePresign = (a, now) =>
  typeof a.method === 'string' && typeof a.key === 'string' && typeof a.expiresIn === 'number' && typeof now === 'number'
  && (a.query === undefined || a.query === null || (Array.isArray(a.query) && a.query.length === 0))
  && (a.headers === undefined || a.headers === null || (Array.isArray(a.headers) && a.headers.length === 0))
  && [a.responseContentDisposition, a.responseContentType, a.responseCacheControl].every((v) => v === undefined || v === null || typeof v === 'string');

// A call into a cached signer, with the core's errors translated.
function signerCall(fn) {
  try {
    return fn();
  } catch (e) {
    throw coreError(e);
  }
}

// An op's args with `storage` and `credentials` the batch envelope states
// for every op that names none of its own. The args are the request body's
// own parsed objects, so they are filled in place (no copy per op).
const fromEnvelope = (env, args) => {
  if (!isObject(args)) return args;
  if (env.storage !== undefined && args.storage === undefined) args.storage = env.storage;
  if (env.credentials !== undefined && args.credentials === undefined) args.credentials = env.credentials;
  return args;
};

// expiresAt(now, expiresIn) from the core, remembered for the last pair:
// a page of links is signed at one second with one lifetime.
let lastExpiry = { now: NaN, expiresIn: NaN, at: '' };
function expiresAt(now, expiresIn) {
  if (lastExpiry.now !== now || lastExpiry.expiresIn !== expiresIn) {
    lastExpiry = { now, expiresIn, at: callCore('expiresAt', now, expiresIn) };
  }
  return lastExpiry.at;
}

// options.signers: a signer cache (tests pass one with a fake clock).
export function createProtocol(state, options = {}) {
  const signers = options.signers ?? createSignerCache();

  // presign and sign through the cached signer: the sealed secret is opened
  // once per signer, not once per op.
  function presign(a) {
    const s = signers.get(a.storage, a.credentials);
    const now = a.now === undefined || a.now === null ? s.clock.nowSeconds() : a.now;
    if (isSimplePresign(a, now)) {
      const url = signerCall(() => s.bucket.presignSimple(a.method, a.key, a.expiresIn, now,
        a.responseContentDisposition ?? undefined, a.responseContentType ?? undefined, a.responseCacheControl ?? undefined));
      return { method: a.method, url, headers: [], expiresAt: expiresAt(now, a.expiresIn) };
    }
    const { storage: _s, credentials: _c, ...fields } = a;
    return signerCall(() => s.bucket.presignUrl({ ...fields, now }));
  }
  // A page of links in one call into the core (Bucket.presignPage): the
  // keys and file names as arrays, only the URLs back. The core checks
  // every field; a link's own failure is in the answer's `errors`.
  function presignPage(a) {
    const s = signers.get(a.storage, a.credentials);
    const { storage: _s, credentials: _c, ...fields } = a;
    if (fields.now === undefined || fields.now === null) fields.now = s.clock.nowSeconds();
    const out = signerCall(() => s.bucket.presignPage(fields));
    // The core hands the URLs over as one string, a line each (a URL never
    // holds a line break; a failed link's line is empty and its error says why).
    const urls = out.urls === '' ? [] : out.urls.split('\n');
    for (const e of out.errors) urls[e.index] = null;
    return { ...out, urls };
  }
  // transferDownload on the cached signer; other argument shapes go the
  // stateless way, which reports what is wrong with them.
  function transferDownload(a) {
    if (typeof a.key !== 'string' || typeof a.filename !== 'string' || typeof a.expiresIn !== 'number'
      || !(a.now === undefined || a.now === null || typeof a.now === 'number')) return transferOps['transfer-download'](a);
    const s = signers.get(a.storage, a.credentials);
    const now = a.now ?? s.clock.nowSeconds();
    const url = signerCall(() => s.bucket.transferDownload(a.key, a.filename, a.expiresIn, now));
    return { url, expiresAt: expiresAt(now, a.expiresIn) };
  }
  function sign(a) {
    const s = signers.get(a.storage, a.credentials);
    const { storage: _s, credentials: _c, ...fields } = a;
    if (fields.now === undefined || fields.now === null) fields.now = s.clock.nowSeconds();
    return signerCall(() => s.bucket.signRequest(fields));
  }

  const health = () => ({
    ok: true,
    version: coreVersion(), // kept for older PHP; same as coreVersion
    sidecarVersion: SIDECAR_VERSION,
    coreVersion: coreVersion(),
    pid: process.pid,
    uptimeSeconds: Math.round((Date.now() - state.startedAt) / 1000),
    inFlight: state.inFlight,
  });

  const OPS = {
    health: () => health(),
    sign,
    presign,
    'presign-page': presignPage,
    'post-policy': (a) => callCore('presignPost', withNow(withCreds(a))),
    'render-key': (a) => ({ key: callCore('renderKey', withNow(a)) }),
    'content-disposition': (a) => {
      const filename = str(a.filename, 'filename');
      const d = a.disposition === undefined || a.disposition === null ? undefined : str(a.disposition, 'disposition');
      return { value: callCore('contentDisposition', filename, d) };
    },
    encrypt: (a) => ({ envelope: callCore('encryptSecret', a) }),
    decrypt: (a) => ({ plaintext: callCore('decryptSecret', a) }),
    'parse-error': (a) => callCore('parseS3Error', withNow(a)),
    'advice-catalog': () => callCore('adviceCatalog'), // every advice id with its English cause and fix (PHP's translation check)
    'validate-settings': (a) => callCore('validateSettings', a),
    'settings-schema': () => callCore('settingsSchema'),
    'retry-delay': (a) => callCore('retryDelay', a),
    'upload-file': ioOp(uploadModule, 'uploadFile'),
    'head-object': ioOp(objectsModule, 'headObject'),
    'delete-object': ioOp(objectsModule, 'deleteObject'),
    'test-connection': ioOp(objectsModule, 'testConnection'),
    s3: ioOp(objectsModule, 's3Op'),
    ...transferOps,
    'transfer-download': transferDownload,
    diagnose: ioOp(diagnoseModule, 'diagnose'),
    'diagnose-browser': ioOp(diagnoseModule, 'diagnoseBrowser'),
  };

  // Runs one op; always resolves to { ok, result } or { ok: false, error }.
  // ctx.signal: aborted when the client disconnects or the sidecar exits.
  async function runOp(name, args, ctx = {}) {
    return runOpNow(name, args, ctx);
  }

  // runOp for a batch: a synchronous op (presign, sign, …) answers at once
  // rather than a microtask later, so a page of links does not pay a
  // promise round per op; an op that does I/O answers with a promise.
  function runOpNow(name, args, ctx = {}) {
    const t0 = Date.now();
    let value;
    try {
      if (typeof name !== 'string' || !Object.hasOwn(OPS, name)) {
        throw new SidecarError('UNKNOWN_OP', `unknown op ${JSON.stringify(String(name)).slice(0, 80)}`);
      }
      if (args === undefined || args === null) args = {};
      if (!isObject(args)) throw bad('args must be a JSON object');
      if (ctx.signal?.aborted) throw cancelled();
      value = OPS[name](args, ctx);
    } catch (e) {
      return finished(name, t0, { ok: false, error: toWireError(e, log) });
    }
    if (value instanceof Promise) {
      return value.then(
        (result) => finished(name, t0, { ok: true, result }),
        (e) => finished(name, t0, { ok: false, error: toWireError(e, log) }),
      );
    }
    return finished(name, t0, { ok: true, result: value });
  }

  function finished(name, t0, out) {
    // Failures and uploads are always worth a line; cheap successes only in debug.
    const level = !out.ok || name === 'upload-file' ? 'info' : 'debug';
    // A page of links is hundreds of ops: build no line nobody will read.
    if (level !== 'debug' || process.env.WPS3_DEBUG) log(level, 'op', {
      op: String(name).slice(0, 40), ok: out.ok, code: out.error?.code, s3Code: out.error?.s3Code,
      size: out.result?.size, parts: out.result?.parts, ms: Date.now() - t0,
    });
    return out;
  }

  async function handle(method, url, body, ctx = {}) {
    const path = url.split('?')[0];
    if (path === '/v1/health') {
      if (method !== 'GET' && method !== 'HEAD') throw new SidecarError('METHOD_NOT_ALLOWED', 'use GET /v1/health');
      return { status: 200, json: health() };
    }
    if (path === '/v1/batch' || path.startsWith('/v1/op/')) {
      if (method !== 'POST') throw new SidecarError('METHOD_NOT_ALLOWED', `use POST ${path}`);
      const parsed = parseJson(body);
      if (path === '/v1/batch') return { status: 200, json: await batch(parsed, ctx) };
      let name;
      try {
        name = decodeURIComponent(path.slice('/v1/op/'.length));
      } catch {
        throw new SidecarError('UNKNOWN_OP', 'op name is not valid percent-encoding');
      }
      const out = await runOp(name, parsed, ctx);
      return { status: out.ok ? 200 : httpStatusFor(out.error.code), json: out };
    }
    throw new SidecarError('NOT_FOUND', `no route ${path.slice(0, 100)}; see docs/CONTRACTS.md section 2`);
  }

  // { op?: "batch", storage?, credentials?, ops: [ { op, args } ] } -> { results }.
  // storage and credentials given once for the batch stand for every op
  // whose args do not name their own (docs/CONTRACTS.md section 2).
  async function batch(env, ctx) {
    if (!isObject(env) || !Array.isArray(env.ops)) throw bad('batch body must be {"ops": [ {"op": …, "args": {…}}, … ]}');
    if (env.op !== undefined && env.op !== 'batch') throw bad('a batch body\'s "op" must be "batch"');
    if (env.ops.length > MAX_BATCH_OPS) throw bad(`a batch holds at most ${MAX_BATCH_OPS} ops`);
    for (const f of ['storage', 'credentials']) {
      if (env[f] !== undefined && !isObject(env[f])) throw bad(`the batch's ${f} must be an object`);
    }
    // In order, one at a time: results line up with ops and a batch never
    // starts more uploads at once than the caller can see.
    const results = [];
    for (const item of env.ops) {
      if (!isObject(item)) {
        results.push({ ok: false, error: bad('each op must be an object {"op": …, "args": {…}}').toJSON() });
        continue;
      }
      // runOp answers CANCELLED for every op left once the client is gone.
      const out = runOpNow(item.op, fromEnvelope(env, item.args ?? {}), ctx);
      results.push(out instanceof Promise ? await out : out);
    }
    return { results };
  }

  return { handle, runOp, signers };
}

// Fatal decoding: bytes that are not UTF-8 are refused, not turned into U+FFFD
// (a key or name would silently become another one).
const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(body) {
  if (body.length === 0) return {};
  let text;
  try {
    text = utf8.decode(body);
  } catch {
    throw bad('body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw bad('body is not valid JSON');
  }
}

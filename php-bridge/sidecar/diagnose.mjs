// Test Connection: the sidecar sends the requests, the core judges them.
//
//   diagnose  { storage, credentials, pathPrefix, directUploads, origin }
//     -> { diagnosis, observations, browserProbe? }
//     GetBucketLocation (a GET, so a wrong key comes back with S3's code),
//     HeadBucket (x-amz-bucket-region), a probe object put/get/delete under
//     the prefix, the storage Date, and — for direct uploads — CORS
//     preflights from the server plus presigned URLs for the browser's own
//     cross-origin probe.
//   diagnose-browser  { storage, credentials, pathPrefix, key, observations, browser }
//     -> { diagnosis }   removes the browser's probe and judges its outcome.
//
// No verdict is made here: `diagnoseConnection` in the core turns the
// observations into checklist rows.

import crypto from 'node:crypto';
import { SidecarError, bad, toWireError } from './errors.mjs';
import { callCore, clock, resolveCredentials, sha256Hex } from './core.mjs';
import { exchange, s3Action } from './s3client.mjs';
import { log } from './log.mjs';

// Presigned URLs handed to the browser probe live this long.
const BROWSER_PROBE_EXPIRES = 300;
const PREFLIGHT_TIMEOUT_MS = 15_000;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function target(args) {
  if (!isObject(args.storage)) throw bad('storage must be an object');
  const pathPrefix = args.pathPrefix ?? '';
  if (typeof pathPrefix !== 'string') throw bad('pathPrefix must be a string');
  // Resolving first turns a bad form into one clear error before any request.
  callCore('resolveEndpoint', args.storage);
  return { storage: args.storage, credentials: resolveCredentials(args.credentials), pathPrefix };
}

// One action's outcome in the shape the core's verdicts read. run() resolves
// s3Action's { result, res }.
async function observe(run) {
  try {
    const { result, res } = await run();
    return {
      ok: true,
      status: res.status,
      date: res.headers.date ?? null,
      // GetBucketLocation's region (the core read the XML), else HeadBucket's header.
      bucketRegion: (typeof result?.region === 'string' && result.region) || res.headers['x-amz-bucket-region'] || null,
      res,
    };
  } catch (e) {
    // A refused endpoint is no observation: the answer is the refusal alone,
    // with no status or timing an admin could scan the network with.
    if (!(e instanceof SidecarError) || e.code === 'EndpointRefused') throw e;
    const error = toWireError(e, log);
    return { ok: false, status: error.httpStatus ?? 0, error, bucketRegion: error.bucketRegion ?? null };
  }
}

const publicStep = ({ res, ...step }) => step;

// One core action: the core signs and reads it, this moves the bytes.
const act = (t, action, args, extra = {}) =>
  s3Action({ storage: t.storage, credentials: t.credentials, action, args, ...extra });

async function probe(t, signal) {
  const token = crypto.randomBytes(8).toString('hex');
  const p = callCore('probeObject', { pathPrefix: t.pathPrefix, token });
  const body = Buffer.from(p.body, 'utf8');
  // Over plain http the body is signed too (the core says when); over https TLS protects it.
  const payloadHash = callCore('payloadSigning', t.storage) === 'sha256' ? sha256Hex(body) : undefined;
  const put = await observe(() => act(t, 'put_object', { key: p.key, contentType: p.contentType, payloadHash }, {
    body, contentLength: body.length, signal,
  }));
  if (!put.ok) return { key: p.key, put };
  const get = await observe(() => act(t, 'get_object', { key: p.key }, { responseLimit: 4096, signal }));
  if (get.ok) get.bodyMatches = get.res.body.equals(body);
  const del = await observe(() => act(t, 'delete_object', { key: p.key }, { signal }));
  return { key: p.key, put, get, delete: del };
}

// A browser's preflight, sent from here: unsigned OPTIONS with the site's Origin.
async function preflights(t, origin, key, signal) {
  const cors = callCore('corsRules', origin);
  const url = callCore('objectUrl', t.storage, key);
  const out = [];
  for (const p of cors.preflights) {
    const headers = [['Origin', cors.origin], ['Access-Control-Request-Method', p.method], ['Access-Control-Request-Headers', p.requestHeaders]];
    try {
      const res = await exchange({ method: 'OPTIONS', url, headers }, {
        limit: 4096, timeoutMs: PREFLIGHT_TIMEOUT_MS, signal, allowPrivate: t.storage.allowPrivateEndpoints === true,
      });
      out.push({
        method: p.method,
        status: res.status,
        allowOrigin: res.headers['access-control-allow-origin'] ?? null,
        allowMethods: res.headers['access-control-allow-methods'] ?? null,
      });
    } catch (e) {
      if (e.code === 'EndpointRefused') throw e;
      out.push({ method: p.method, status: 0, error: toWireError(e, log) });
    }
  }
  return { origin: cors.origin, preflights: out };
}

function browserProbe(t) {
  const token = crypto.randomBytes(8).toString('hex');
  const p = callCore('probeObject', { pathPrefix: t.pathPrefix, token });
  const now = clock.nowSeconds();
  const base = { storage: t.storage, credentials: t.credentials, now, key: p.key, expiresIn: BROWSER_PROBE_EXPIRES };
  const put = callCore('presignUrl', { ...base, method: 'PUT', headers: [['content-type', p.contentType]] });
  const get = callCore('presignUrl', { ...base, method: 'GET' });
  return {
    key: p.key, body: p.body, contentType: p.contentType,
    put: { method: 'PUT', url: put.url, headers: put.headers },
    get: { method: 'GET', url: get.url },
  };
}

export async function diagnose(args, { signal } = {}) {
  const t = target(args);
  const direct = args.directUploads === true;
  // This server's own clock, not the one corrected toward storage: the offset is what is judged.
  const now = clock.nowSeconds();
  const location = await observe(() => act(t, 'get_bucket_location', {}, { signal }));
  const head = await observe(() => act(t, 'head_bucket', {}, { signal }));
  const reachable = location.status !== 0 || head.status !== 0;
  const probed = reachable ? await probe(t, signal) : {};
  const observations = {
    provider: String(t.storage.provider ?? ''),
    region: String(callCore('resolveEndpoint', t.storage).region),
    now,
    directUploads: direct,
    location: publicStep(location),
    head: publicStep(head),
  };
  for (const step of ['put', 'get', 'delete']) if (probed[step]) observations[step] = publicStep(probed[step]);
  let probeKey = null;
  if (probed.delete && !probed.delete.ok) probeKey = probed.key; // left behind: say which
  if (direct && typeof args.origin === 'string' && reachable) {
    const pf = await preflights(t, args.origin, probed.key ?? callCore('probeObject', { pathPrefix: t.pathPrefix, token: '0'.repeat(16) }).key, signal);
    observations.origin = pf.origin;
    observations.preflights = pf.preflights;
  }
  const diagnosis = callCore('diagnoseConnection', observations);
  const out = { diagnosis, observations, probeKeyLeft: probeKey };
  if (direct && diagnosis.rows.some((r) => r.id === 'browser-upload' && r.status === 'pending')) out.browserProbe = browserProbe(t);
  return out;
}

export async function diagnoseBrowser(args, { signal } = {}) {
  const t = target(args);
  if (typeof args.key !== 'string' || !callCore('isProbeKey', t.pathPrefix, args.key)) {
    throw bad('key is not a Test Connection probe under pathPrefix');
  }
  if (!isObject(args.observations) || !isObject(args.browser)) throw bad('observations and browser must be objects');
  // The probe goes whatever the browser saw; a failed delete is logged, the verdict stands.
  const del = await observe(() => act(t, 'delete_object', { key: args.key }, { signal }));
  if (!del.ok) log('warn', 'browser probe not removed', { code: del.error?.code, s3Code: del.error?.s3Code });
  const observations = { ...args.observations, browser: args.browser };
  return { diagnosis: callCore('diagnoseConnection', observations), removed: del.ok };
}

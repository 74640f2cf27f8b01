// Node signers against ours on the fixed workload (bench/lib/workload.mjs): (A) presigned GET with a
// response-content-disposition, (B) header-signed PUT with a given payload hash, (C) presigned POST policy.
//
//   node bench/node.mjs [--time=MS] [--rounds=N] [--warmup=CALLS] [--json]
//
// "ours (sidecar op)" is the sidecar's own op handler (php-bridge/sidecar/protocol.mjs runOp), called
// in process with the request PHP sends: the call shape the sidecar really uses, whatever path it takes
// inside (stateless wasm call, cached signer, fast path). Every competitor's output is checked against
// ours first; a disagreement exits 1 before anything is timed. Rounds interleave every candidate.
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import os from 'node:os';
import * as W from './lib/workload.mjs';
import { measureAll, versionOf, machine } from './lib/timing.mjs';

const require = createRequire(import.meta.url);
const arg = (name, def) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : def;
};
const JSON_OUT = process.argv.includes('--json');
const TIME_MS = arg('time', 300);
const ROUNDS = arg('rounds', 5);
const WARMUP = arg('warmup', 300);
const say = (...a) => (JSON_OUT ? process.stderr : process.stdout).write(a.join(' ') + '\n');

// Every library reads the same clock: some take a date argument, the rest (createPresignedPost,
// minio's POST policy) call `new Date()`, so the process clock is pinned to the workload's.
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...a) {
    if (a.length) super(...a);
    else super(W.NOW_MS);
  }
  static now() {
    return W.NOW_MS;
  }
};

const wps3 = require('../pkg/node/wps3.js');
const { createProtocol } = await import('../php-bridge/sidecar/protocol.mjs');
const { AwsV4Signer } = await import('aws4fetch');
const { SignatureV4 } = await import('@smithy/signature-v4');
const { Hash } = await import('@smithy/hash-node');
const { Sha256 } = await import('@aws-crypto/sha256-js');
const aws4 = (await import('aws4')).default;
const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
const { createPresignedPost } = await import('@aws-sdk/s3-presigned-post');
const Minio = await import('minio');

const creds = () => ({ ...W.CREDS });
const sigFromUrl = (u) => new URL(u).searchParams.get('X-Amz-Signature');
const sigFromAuth = (a) => /Signature=([0-9a-f]{64})/.exec(a ?? '')?.[1] ?? null;
const header = (pairs, name) => pairs.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

// ------------------------------------------------------------------ ours --
const protocol = createProtocol({ startedAt: RealDate.now(), inFlight: 0 });
// The envelope the plugin stores (sealed by the core's `encrypt` op, as Secret::seal() does).
const KEY_MATERIAL = 'bench-auth-salt|bench-secure-auth-salt';
const SEAL_CONTEXT = 'site:1|field:secret_access_key';
const sealed = await protocol.runOp('encrypt', { keyMaterial: KEY_MATERIAL, context: SEAL_CONTEXT, plaintext: W.CREDS.secretAccessKey });
if (!sealed.ok) throw new Error(`encrypt failed: ${JSON.stringify(sealed.error)}`);
const SEALED_CREDS = { accessKeyId: W.CREDS.accessKeyId, sealedSecret: { envelope: sealed.result.envelope, keyMaterial: KEY_MATERIAL, context: SEAL_CONTEXT } };

const presignArgs = (credentials) => ({
  storage: { ...W.STORAGE }, credentials, now: W.NOW_SECONDS, method: 'GET', key: W.KEY, expiresIn: W.GET_EXPIRES,
  query: [], headers: [], responseContentDisposition: W.CONTENT_DISPOSITION,
});
const signArgs = (credentials) => ({
  storage: { ...W.STORAGE }, credentials, now: W.NOW_SECONDS, method: 'PUT', key: W.KEY, query: [],
  headers: [['Content-Type', W.PUT_CONTENT_TYPE]], payloadHash: W.PAYLOAD_SHA256,
});
const POST_CONDITIONS = [['eq', '$Content-Type', W.POST_CONTENT_TYPE], ['content-length-range', W.POST_MIN, W.POST_MAX]];
const postArgs = (credentials) => ({
  storage: { ...W.STORAGE }, credentials, now: W.NOW_SECONDS, key: W.KEY, expiresIn: W.POST_EXPIRES,
  fields: [['Content-Type', W.POST_CONTENT_TYPE]], conditions: POST_CONDITIONS,
});
const op = async (name, args) => {
  const r = await protocol.runOp(name, args);
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.error)}`);
  return r.result;
};
const bucket = new wps3.Bucket({ ...W.STORAGE }, creds());

// ---------------------------------------------------------- competitors --
const aws4fetchCache = new Map(); // AwsClient keeps one signing-key cache across requests
const smithy = (sha256) =>
  new SignatureV4({ credentials: creds(), region: W.REGION, service: 's3', sha256, uriEscapePath: false, applyChecksum: true });
const smithyNode = smithy(Hash.bind(null, 'sha256'));
const smithyJs = smithy(Sha256);
const enc3986 = (v) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const smithyPresign = (signer) => async () => {
  const r = await signer.presign(
      {
        method: 'GET', protocol: 'https:', hostname: W.HOST, path: W.PATH,
        query: { 'response-content-disposition': W.CONTENT_DISPOSITION },
        headers: { host: W.HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      {
        signingDate: new Date(W.NOW_MS), expiresIn: W.GET_EXPIRES,
        unsignableHeaders: new Set(['x-amz-content-sha256']), unhoistableHeaders: new Set(['x-amz-content-sha256']),
      },
    );
  return `https://${r.hostname}${r.path}?${Object.entries(r.query).map(([k, v]) => `${enc3986(k)}=${enc3986(v)}`).join('&')}`;
};
const smithySign = (signer) => async () =>
  sigFromAuth(
    (
      await signer.sign(
        {
          method: 'PUT', protocol: 'https:', hostname: W.HOST, path: W.PATH, query: {},
          headers: { host: W.HOST, 'content-type': W.PUT_CONTENT_TYPE, 'x-amz-content-sha256': W.PAYLOAD_SHA256 },
        },
        { signingDate: new Date(W.NOW_MS) },
      )
    ).headers.authorization,
  );
// AWS SDK v3 as an app would configure it to give the same URL: the global us-east-1 endpoint, no
// checksum mode, and without the `x-id=GetObject` marker its serializer adds (signed, so it would
// change the signature).
const s3 = new S3Client({
  region: W.REGION, credentials: creds(), useGlobalEndpoint: true,
  responseChecksumValidation: 'WHEN_REQUIRED', requestChecksumCalculation: 'WHEN_REQUIRED',
});
s3.middlewareStack.add(
  (next) => async (args) => {
    if (args.request?.query) delete args.request.query['x-id'];
    return next(args);
  },
  { step: 'build', name: 'benchDropXId' },
);
const rcdQuery = `response-content-disposition=${enc3986(W.CONTENT_DISPOSITION)}`;
// minio always talks to the regional name (examplebucket.s3.us-east-1.amazonaws.com); it is checked
// against our core given that endpoint.
const minio = new Minio.Client({ endPoint: 's3.amazonaws.com', useSSL: true, accessKey: W.CREDS.accessKeyId, secretKey: W.CREDS.secretAccessKey, region: W.REGION });
const REGIONAL = { provider: 'custom', endpoint: 'https://s3.us-east-1.amazonaws.com', region: W.REGION, bucket: W.BUCKET, addressingStyle: 'virtual' };

// ----------------------------------------------------- checks of (C) --
const policyConditions = (b64) => {
  const doc = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  const set = new Set();
  for (const c of doc.conditions) {
    if (Array.isArray(c)) {
      const [opn, name, ...rest] = c;
      set.add(JSON.stringify([String(opn).toLowerCase(), String(name).toLowerCase(), ...rest]));
    } else {
      for (const [k, v] of Object.entries(c)) set.add(JSON.stringify(['eq', `$${k.toLowerCase()}`, v]));
    }
  }
  return { expiration: new RealDate(doc.expiration).getTime(), conditions: [...set].sort() };
};
const hmac = (k, s) => createHmac('sha256', k).update(s).digest();
const policySignature = (b64) => {
  const day = W.AMZ_DATE.slice(0, 8);
  const key = hmac(hmac(hmac(hmac(`AWS4${W.CREDS.secretAccessKey}`, day), W.REGION), 's3'), 'aws4_request');
  return createHmac('sha256', key).update(b64).digest('hex');
};
const field = (fields, name) => (Array.isArray(fields) ? fields : Object.entries(fields)).find(([k]) => k.toLowerCase() === name)?.[1];

// ------------------------------------------------------------- the ops --
// Each candidate: fn (returns what `check` compares), and `system` (the record's name).
const OPS = {
  A: {
    title: '(A) presigned GET, 900 s, response-content-disposition',
    ours: { 'ours (sidecar op, sealed secret)': async () => (await op('presign', presignArgs(SEALED_CREDS))).url },
    extra: {
      'ours (sidecar op, plain secret)': async () => (await op('presign', presignArgs(creds()))).url,
      'ours (wasm presignUrl)': () => wps3.presignUrl(presignArgs(creds())).url,
      'ours (wasm Bucket.presignGet)': () => bucket.presignGet(W.KEY, W.GET_EXPIRES, W.NOW_SECONDS, W.CONTENT_DISPOSITION),
    },
    compare: 'url',
    competitors: {
      aws4: () => {
        const r = aws4.sign(
          { host: W.HOST, path: `${W.PATH}?${rcdQuery}&X-Amz-Expires=${W.GET_EXPIRES}&X-Amz-Date=${W.AMZ_DATE}`, method: 'GET', service: 's3', region: W.REGION, signQuery: true },
          creds(),
        );
        return `https://${r.host}${r.path}`;
      },
      aws4fetch: async () => {
        const s = new AwsV4Signer({
          url: `https://${W.HOST}${W.PATH}?${rcdQuery}&X-Amz-Expires=${W.GET_EXPIRES}`, method: 'GET', ...creds(),
          service: 's3', region: W.REGION, signQuery: true, datetime: W.AMZ_DATE, cache: aws4fetchCache,
        });
        return (await s.sign()).url.toString();
      },
      'smithy (hash-node)': smithyPresign(smithyNode),
      'smithy (sha256-js)': smithyPresign(smithyJs),
      '@aws-sdk/s3-request-presigner': () =>
        getSignedUrl(s3, new GetObjectCommand({ Bucket: W.BUCKET, Key: W.KEY, ResponseContentDisposition: W.CONTENT_DISPOSITION }), {
          expiresIn: W.GET_EXPIRES, signingDate: new Date(W.NOW_MS),
          unhoistableHeaders: new Set(['x-amz-content-sha256']), unsignableHeaders: new Set(['x-amz-content-sha256']),
        }),
      minio: () => minio.presignedGetObject(W.BUCKET, W.KEY, W.GET_EXPIRES, { 'response-content-disposition': W.CONTENT_DISPOSITION }, new Date(W.NOW_MS)),
    },
    // Same signature and the same set of query parameters (order differs between libraries).
    reference: (name) => (name === 'minio' ? wps3.presignUrl({ ...presignArgs(creds()), storage: REGIONAL }).url : null),
  },
  B: {
    title: '(B) header-signed PUT, Content-Type, given payload hash',
    ours: { 'ours (sidecar op, sealed secret)': async () => header((await op('sign', signArgs(SEALED_CREDS))).headers, 'Authorization') },
    extra: {
      'ours (sidecar op, plain secret)': async () => header((await op('sign', signArgs(creds()))).headers, 'Authorization'),
      'ours (wasm signRequest)': () => header(wps3.signRequest(signArgs(creds())).headers, 'Authorization'),
      'ours (wasm Bucket.signRequest)': () =>
        header(bucket.signRequest({ now: W.NOW_SECONDS, method: 'PUT', key: W.KEY, headers: [['Content-Type', W.PUT_CONTENT_TYPE]], payloadHash: W.PAYLOAD_SHA256 }).headers, 'Authorization'),
    },
    compare: 'auth',
    competitors: {
      aws4: () =>
        aws4.sign(
          {
            host: W.HOST, path: W.PATH, method: 'PUT', service: 's3', region: W.REGION,
            headers: { 'Content-Type': W.PUT_CONTENT_TYPE, 'X-Amz-Content-Sha256': W.PAYLOAD_SHA256, 'X-Amz-Date': W.AMZ_DATE },
          },
          creds(),
        ).headers.Authorization,
      aws4fetch: async () => {
        const s = new AwsV4Signer({
          url: `https://${W.HOST}${W.PATH}`, method: 'PUT',
          headers: [['Content-Type', W.PUT_CONTENT_TYPE], ['X-Amz-Content-Sha256', W.PAYLOAD_SHA256]],
          ...creds(), service: 's3', region: W.REGION, datetime: W.AMZ_DATE, cache: aws4fetchCache, allHeaders: true,
        });
        return (await s.sign()).headers.get('Authorization');
      },
      'smithy (hash-node)': async () => `Signature=${await smithySign(smithyNode)()}`,
      'smithy (sha256-js)': async () => `Signature=${await smithySign(smithyJs)()}`,
    },
  },
  C: {
    title: '(C) presigned POST policy (eq key, eq Content-Type, content-length-range, 20 min)',
    ours: { 'ours (sidecar op, sealed secret)': async () => op('post-policy', postArgs(SEALED_CREDS)) },
    extra: {
      'ours (sidecar op, plain secret)': async () => op('post-policy', postArgs(creds())),
      'ours (wasm presignPost)': () => wps3.presignPost(postArgs(creds())),
    },
    compare: 'policy',
    competitors: {
      '@aws-sdk/s3-presigned-post': async () => {
        const p = await createPresignedPost(s3, {
          Bucket: W.BUCKET, Key: W.KEY, Conditions: POST_CONDITIONS, Fields: { 'Content-Type': W.POST_CONTENT_TYPE }, Expires: W.POST_EXPIRES,
        });
        return { fields: p.fields };
      },
      minio: async () => {
        const pp = minio.newPostPolicy();
        pp.setBucket(W.BUCKET);
        pp.setKey(W.KEY);
        pp.setContentType(W.POST_CONTENT_TYPE);
        pp.setContentLengthRange(W.POST_MIN, W.POST_MAX);
        pp.setExpires(new Date(W.NOW_MS + W.POST_EXPIRES * 1000));
        return { fields: (await minio.presignedPostPolicy(pp)).formData };
      },
    },
  },
};

// What a result must equal: URLs compare by signature + parameter set, Authorization headers by
// signature, POST forms by decoded policy (conditions as a set, expiration as an instant) and by a
// signature that is right for their own policy document.
function check(opKey, ourOut, theirOut, ref) {
  if (opKey === 'A') {
    const a = new URL(ref ?? ourOut);
    const b = new URL(theirOut);
    const params = (u) => [...u.searchParams.entries()].map(([k, v]) => `${k}=${v}`).sort().join('&');
    if (a.host !== b.host || a.pathname !== b.pathname) return `host/path differ: ${b.host}${b.pathname}`;
    if (params(a) !== params(b)) return `query differs: ${params(b)}`;
    return null;
  }
  if (opKey === 'B') {
    const s = sigFromAuth(ourOut);
    return s && s === sigFromAuth(theirOut) ? null : `signature ${sigFromAuth(theirOut)} != ours ${s}`;
  }
  const ourFields = Object.fromEntries(ourOut.fields);
  const ours = policyConditions(ourFields.policy);
  const theirB64 = field(theirOut.fields, 'policy');
  const theirs = policyConditions(theirB64);
  if (ours.expiration !== theirs.expiration) return `expiration differs: ${theirs.expiration}`;
  if (JSON.stringify(ours.conditions) !== JSON.stringify(theirs.conditions)) return `conditions differ: ${theirs.conditions.join(' ')}`;
  if (ourFields['x-amz-signature'] !== policySignature(ourFields.policy)) return 'our own signature is wrong';
  if (field(theirOut.fields, 'x-amz-signature') !== policySignature(theirB64)) return 'their signature does not sign their policy';
  return null;
}

// ------------------------------------------------------------------ main --
const systemVersions = {
  aws4: `aws4 ${versionOf('aws4')}`,
  aws4fetch: `aws4fetch ${versionOf('aws4fetch')}`,
  'smithy (hash-node)': `@smithy/signature-v4 ${versionOf('@smithy/signature-v4')} + @smithy/hash-node ${versionOf('@smithy/hash-node')}`,
  'smithy (sha256-js)': `@smithy/signature-v4 ${versionOf('@smithy/signature-v4')} + @aws-crypto/sha256-js ${versionOf('@aws-crypto/sha256-js')}`,
  '@aws-sdk/s3-request-presigner': `@aws-sdk/s3-request-presigner ${versionOf('@aws-sdk/s3-request-presigner')} + @aws-sdk/client-s3 ${versionOf('@aws-sdk/client-s3')}`,
  '@aws-sdk/s3-presigned-post': `@aws-sdk/s3-presigned-post ${versionOf('@aws-sdk/s3-presigned-post')} + @aws-sdk/client-s3 ${versionOf('@aws-sdk/client-s3')}`,
  minio: `minio ${versionOf('minio')}`,
};
const ourVersion = `wps3 ${wps3.version()} (pkg/node wasm), node ${process.version}`;
say(`node signers: median of ${ROUNDS} interleaved rounds x ${TIME_MS} ms; load ${os.loadavg()[0].toFixed(2)}`);

const records = [];
const checks = [];
let disagreements = 0;
for (const [key, o] of Object.entries(OPS)) {
  say(`\n== ${o.title}`);
  const [ourName, ourFn] = Object.entries(o.ours)[0];
  const ourOut = await ourFn();
  for (const [name, fn] of Object.entries(o.extra)) {
    const err = check(key, ourOut, await fn());
    checks.push({ operation: key, system: name, agree: !err, detail: err });
    if (err) disagreements++;
    say(`  check ${name.padEnd(34)} ${err ? `DISAGREE: ${err}` : 'agree'}`);
  }
  for (const [name, fn] of Object.entries(o.competitors)) {
    const err = check(key, ourOut, await fn(), o.reference?.(name) ?? null);
    checks.push({ operation: key, system: name, agree: !err, detail: err });
    if (err) disagreements++;
    say(`  check ${name.padEnd(34)} ${err ? `DISAGREE: ${err}` : 'agree'}`);
  }
  if (disagreements) break;
  const names = [ourName, ...Object.keys(o.extra), ...Object.keys(o.competitors)];
  const fns = [ourFn, ...Object.values(o.extra), ...Object.values(o.competitors)];
  const rates = await measureAll(fns, { timeMs: TIME_MS, rounds: ROUNDS, warmup: WARMUP });
  names.forEach((name, i) => {
    const r = rates[i];
    const ratio = rates[0].median / r.median;
    say(`  ${name.padEnd(40)} ${Math.round(r.median).toLocaleString('en-US').padStart(10)} ops/s  (${Math.round(r.min).toLocaleString('en-US')}..${Math.round(r.max).toLocaleString('en-US')})${i ? `  ours/theirs ${ratio.toFixed(2)}x` : ''}`);
    records.push({
      suite: 'node', system: name, operation: key, opsPerSec: r.median, opsPerSecRounds: r.all,
      p50Us: 1e6 / r.median, version: name.startsWith('ours') ? ourVersion : systemVersions[name],
      peakRssMiB: process.resourceUsage().maxRSS / 1024, rssNote: 'one process for every Node signer',
    });
  });
}
const out = { suite: 'node', machine: machine(), checks, records, disagreements };
if (JSON_OUT) process.stdout.write(JSON.stringify(out) + '\n');
if (disagreements) {
  say(`\n${disagreements} disagreement(s): nothing compared like with like, so nothing was timed.`);
  process.exit(1);
}

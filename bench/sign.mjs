// Signing benchmark: our wasm core (pkg/node/wps3.js) versus SigV4 signers from npm.
//
//   bash tools/build-wasm.sh      # once, builds pkg/node
//   node bench/sign.mjs [--time=MS] [--rounds=N]
//
// For each operation (presigned GET URL; header-signed PUT) every signer gets the same
// request, the same credentials and the same clock. First each competitor's signature
// is checked against ours ("agree"), then each is timed. See bench/README.md.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { AwsV4Signer } from 'aws4fetch';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { Sha256 } from '@aws-crypto/sha256-js';
import aws4 from 'aws4';

const require = createRequire(import.meta.url);
let wps3;
try {
  wps3 = require('../pkg/node/wps3.js');
} catch (e) {
  console.error(`cannot load pkg/node/wps3.js (${e.message}); run: bash tools/build-wasm.sh`);
  process.exit(2);
}

const arg = (name, def) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : def;
};
const TIME_MS = arg('time', 400); // time per candidate per round
const ROUNDS = arg('rounds', 5); // median of rounds is reported

// ------------------------------------------------------------------ inputs --
const NOW_ISO = '2026-11-23T12:34:56Z';
const NOW_DATE = new Date(NOW_ISO);
const NOW_SECONDS = NOW_DATE.getTime() / 1000;
const AMZ_DATE = '20261123T123456Z';
const REGION = 'eu-west-1';
const BUCKET = 'wps3-backups';
const HOST = `${BUCKET}.s3.${REGION}.amazonaws.com`;
const KEY = 'backups/2026/11/site-backup_2026-11-23 full.zip'; // has a space: exercises encoding
const PATH = '/' + KEY.split('/').map(encodeURIComponent).join('/');
const EXPIRES = 3600;
const CREDS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const BODY_SHA256 = createHash('sha256').update('example backup body').digest('hex');
const PUT_HEADERS = [
  ['Content-Type', 'application/zip'],
  ['x-amz-meta-site', 'example.com'],
];
const STORAGE = { provider: 'amazon_s3', region: REGION, bucket: BUCKET, addressingStyle: 'virtual' };
// Validated once and reused, as a server signing many requests would.
const SIGNER = new wps3.Bucket(STORAGE, CREDS);

// -------------------------------------------------------------- candidates --
const sigFromUrl = (u) => new URL(u).searchParams.get('X-Amz-Signature');
const sigFromAuth = (a) => /Signature=([0-9a-f]{64})/.exec(a)?.[1] ?? null;
const header = (pairsOrObj, name) => {
  const n = name.toLowerCase();
  if (Array.isArray(pairsOrObj)) return pairsOrObj.find(([k]) => k.toLowerCase() === n)?.[1];
  if (typeof pairsOrObj.get === 'function') return pairsOrObj.get(name);
  for (const [k, v] of Object.entries(pairsOrObj)) if (k.toLowerCase() === n) return v;
  return undefined;
};

const aws4fetchCache = new Map(); // AwsClient shares one signing-key cache across requests
const smithyHashNode = new SignatureV4({
  credentials: CREDS,
  region: REGION,
  service: 's3',
  sha256: Hash.bind(null, 'sha256'),
  uriEscapePath: false, // S3 rule: no double encoding (as the S3 client configures it)
  applyChecksum: true,
});
const smithySha256Js = new SignatureV4({
  credentials: CREDS,
  region: REGION,
  service: 's3',
  sha256: Sha256,
  uriEscapePath: false,
  applyChecksum: true,
});
// As @aws-sdk/s3-request-presigner does: UNSIGNED-PAYLOAD, neither signed nor hoisted.
const SMITHY_PRESIGN_OPTS = {
  signingDate: NOW_DATE,
  expiresIn: EXPIRES,
  unsignableHeaders: new Set(['x-amz-content-sha256']),
  unhoistableHeaders: new Set(['x-amz-content-sha256']),
};
const smithyPresign = (signer) => async () => {
  const r = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: HOST,
      path: PATH,
      query: {},
      headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    SMITHY_PRESIGN_OPTS,
  );
  return r.query['X-Amz-Signature'];
};
const smithySign = (signer) => async () => {
  const r = await signer.sign(
    {
      method: 'PUT',
      protocol: 'https:',
      hostname: HOST,
      path: PATH,
      query: {},
      headers: { host: HOST, 'x-amz-content-sha256': BODY_SHA256, ...Object.fromEntries(PUT_HEADERS) },
    },
    { signingDate: NOW_DATE },
  );
  return sigFromAuth(r.headers.authorization);
};

const OPS = {
  presignUrl: {
    title: 'presigned GET URL (expires 3600 s)',
    // A reusable wps3.Bucket, like smithy's SignatureV4 instance below.
    ours: () => sigFromUrl(SIGNER.presignGet(KEY, EXPIRES, NOW_SECONDS)),
    competitors: {
      'wps3 stateless presignUrl()': () =>
        sigFromUrl(
          wps3.presignUrl({
            storage: STORAGE,
            credentials: CREDS,
            now: NOW_ISO,
            method: 'GET',
            key: KEY,
            expiresIn: EXPIRES,
            query: [],
            headers: [],
          }).url,
        ),
      aws4fetch: async () => {
        const s = new AwsV4Signer({
          url: `https://${HOST}${PATH}?X-Amz-Expires=${EXPIRES}`,
          method: 'GET',
          ...CREDS,
          service: 's3',
          region: REGION,
          signQuery: true,
          datetime: AMZ_DATE,
          cache: aws4fetchCache,
        });
        return sigFromUrl((await s.sign()).url);
      },
      'smithy (hash-node)': smithyPresign(smithyHashNode),
      'smithy (sha256-js)': smithyPresign(smithySha256Js),
      aws4: () => {
        const r = aws4.sign(
          {
            host: HOST,
            path: `${PATH}?X-Amz-Expires=${EXPIRES}&X-Amz-Date=${AMZ_DATE}`,
            method: 'GET',
            service: 's3',
            region: REGION,
            signQuery: true,
          },
          CREDS,
        );
        return sigFromUrl(`https://${r.host}${r.path}`);
      },
    },
  },
  signRequest: {
    title: 'header-signed PUT (Content-Type, x-amz-meta-*, payload hash)',
    ours: () =>
      sigFromAuth(
        header(
          SIGNER.signRequest({ now: NOW_SECONDS, method: 'PUT', key: KEY, headers: PUT_HEADERS, payloadHash: BODY_SHA256 })
            .headers,
          'Authorization',
        ),
      ),
    competitors: {
      'wps3 stateless signRequest()': () =>
        sigFromAuth(
          header(
            wps3.signRequest({
              storage: STORAGE,
              credentials: CREDS,
              now: NOW_ISO,
              method: 'PUT',
              key: KEY,
              query: [],
              headers: PUT_HEADERS,
              payloadHash: BODY_SHA256,
            }).headers,
            'Authorization',
          ),
        ),
      aws4fetch: async () => {
        const s = new AwsV4Signer({
          url: `https://${HOST}${PATH}`,
          method: 'PUT',
          headers: [...PUT_HEADERS, ['X-Amz-Content-Sha256', BODY_SHA256]],
          ...CREDS,
          service: 's3',
          region: REGION,
          datetime: AMZ_DATE,
          cache: aws4fetchCache,
          allHeaders: true, // by default aws4fetch leaves Content-Type unsigned
        });
        return sigFromAuth((await s.sign()).headers.get('Authorization'));
      },
      'smithy (hash-node)': smithySign(smithyHashNode),
      'smithy (sha256-js)': smithySign(smithySha256Js),
      aws4: () => {
        const r = aws4.sign(
          {
            host: HOST,
            path: PATH,
            method: 'PUT',
            service: 's3',
            region: REGION,
            headers: {
              ...Object.fromEntries(PUT_HEADERS),
              'X-Amz-Content-Sha256': BODY_SHA256,
              'X-Amz-Date': AMZ_DATE,
            },
          },
          CREDS,
        );
        return sigFromAuth(r.headers.Authorization);
      },
    },
  },
};

// ------------------------------------------------------------------ timing --
// Each round times every candidate once, in turn, for TIME_MS (calls in growing
// batches); the median rate over the rounds is reported. Interleaving spreads
// load changes on a shared machine over all candidates alike. Async fns are
// awaited one by one (sequential latency, which is how a request path uses a signer).
function batcher(fn) {
  const isAsync = fn() instanceof Promise;
  return isAsync
    ? async (n) => {
        for (let i = 0; i < n; i++) await fn();
      }
    : (n) => {
        for (let i = 0; i < n; i++) fn();
      };
}

async function timeOnce(runBatch) {
  let n = 0;
  let batch = 50;
  const t0 = process.hrtime.bigint();
  let el = 0;
  while (el < TIME_MS) {
    await runBatch(batch);
    n += batch;
    el = Number(process.hrtime.bigint() - t0) / 1e6;
    if (el < TIME_MS / 10) batch *= 2;
  }
  return (n / el) * 1000;
}

async function measureAll(fns) {
  const runners = fns.map(batcher);
  for (const run of runners) await run(500); // warm-up (JIT, key caches)
  const rates = fns.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < runners.length; i++) rates[i].push(await timeOnce(runners[i]));
  }
  return rates.map((rs) => rs.sort((x, y) => x - y)[Math.floor(rs.length / 2)]);
}

const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(11);
const versions = (() => {
  const v = (p) => {
    try {
      const dir = new URL(`../node_modules/${p}/package.json`, import.meta.url);
      return JSON.parse(fs.readFileSync(dir, 'utf8')).version;
    } catch {
      return '?';
    }
  };
  return {
    aws4fetch: v('aws4fetch'),
    'smithy (hash-node)': `@smithy/signature-v4 ${v('@smithy/signature-v4')} + @smithy/hash-node ${v('@smithy/hash-node')}`,
    'smithy (sha256-js)': `@smithy/signature-v4 ${v('@smithy/signature-v4')} + @aws-crypto/sha256-js ${v('@aws-crypto/sha256-js')}`,
    aws4: v('aws4'),
  };
})();

console.log(`wps3 ${wps3.version()} (wasm) vs npm SigV4 signers`);
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, load ${os.loadavg()[0].toFixed(2)}`);
console.log(`median of ${ROUNDS} interleaved rounds x ${TIME_MS} ms; ratio = ours / theirs (> 1: ours is faster)`);
for (const [name, ver] of Object.entries(versions)) console.log(`  ${name.padEnd(19)} ${name.startsWith('smithy') ? ver : `${name} ${ver}`}`);

let disagreements = 0;
for (const [opName, op] of Object.entries(OPS)) {
  console.log(`\n== ${opName}: ${op.title}`);
  const ourSig = op.ours();
  if (!/^[0-9a-f]{64}$/.test(ourSig ?? '')) throw new Error(`${opName}: no signature from wps3`);
  for (const [name, fn] of Object.entries(op.competitors)) {
    const theirs = await fn();
    const ok = theirs === ourSig;
    if (!ok) disagreements++;
    console.log(`  ${name.padEnd(19)} ${ok ? 'agree' : `DISAGREE: ours ${ourSig}, theirs ${theirs}`}`);
  }
  const names = Object.keys(op.competitors);
  const [ours, ...theirs] = await measureAll([op.ours, ...Object.values(op.competitors)]);
  console.log(`  ${'wps3 (wasm)'.padEnd(19)} ${fmt(ours)} ops/s`);
  names.forEach((name, i) => {
    console.log(`  ${name.padEnd(19)} ${fmt(theirs[i])} ops/s   ours/theirs ${(ours / theirs[i]).toFixed(2)}x`);
  });
}
if (disagreements) {
  console.log(`\n${disagreements} signature disagreement(s): the timings above do not compare like with like.`);
  process.exit(1);
}

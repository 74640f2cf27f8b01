// Runs every conformance case in CONFORMANCE_DIR through the built wasm
// (pkg/node-test: pkg/node plus the conformance-only sigv4Sign and
// deriveSigningKey), so the bytes Node signs are checked too, not only the
// native build. Same formats and rules as tests/conformance.rs: a missing
// format file is skipped with a message; an unparseable case is a failure.
// `anyKey: true` (honoured by the conformance build only) signs the SDK cases
// whose keys this product would refuse to create (leading '/', '..', a tab).
import { createRequire } from 'node:module';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const core = createRequire(import.meta.url)(join(root, 'pkg/node-test/wps3.js'));
const dir = process.env.CONFORMANCE_DIR || join(root, '../shared/conformance');
console.log(`conformance data: ${dir} (wasm ${core.version()})`);

const tallies = [];
function tally(format) {
  const t = { format, passed: 0, failures: [] };
  tallies.push(t);
  return t;
}
function record(t, id, fn) {
  try {
    fn();
    t.passed++;
  } catch (e) {
    t.failures.push([id, e.message]);
  }
}
function eq(what, got, want) {
  if (got !== want) throw new Error(`${what} differs\n      got:  ${JSON.stringify(got)}\n      want: ${JSON.stringify(want)}`);
}
function eqJson(what, got, want) {
  eq(what, JSON.stringify(got), JSON.stringify(want));
}
const str = (o, f) => {
  if (typeof o?.[f] !== 'string') throw new Error(`missing string field '${f}'`);
  return o[f];
};

function parseHttp(text) {
  const i = text.indexOf('\n\n');
  const head = i >= 0 ? text.slice(0, i) : text.replace(/\n+$/, '');
  const body = i >= 0 ? text.slice(i + 2) : '';
  const lines = head.split('\n').map((l) => l.replace(/\r$/, ''));
  const first = lines.shift();
  const sp = first.indexOf(' ');
  if (sp < 0 || !first.endsWith(' HTTP/1.1')) throw new Error('bad request line');
  const target = first.slice(sp + 1, -' HTTP/1.1'.length);
  const q = target.indexOf('?');
  const headers = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!headers.length) throw new Error('continuation before any header');
      headers[headers.length - 1][1] += '\n' + line;
    } else {
      const c = line.indexOf(':');
      if (c < 0) throw new Error(`bad header line ${JSON.stringify(line)}`);
      headers.push([line.slice(0, c), line.slice(c + 1)]);
    }
  }
  return {
    method: first.slice(0, sp),
    path: q >= 0 ? target.slice(0, q) : target,
    query: q >= 0 ? target.slice(q + 1) : '',
    headers,
    body,
  };
}

// --- AWS SigV4 test suite, aws-c-auth layout -------------------------------
const awsDir = join(dir, 'aws-signing-test-suite/v4');
if (existsSync(awsDir)) {
  const t = tally('aws-signing-test-suite');
  for (const name of readdirSync(awsDir).sort()) {
    const caseDir = join(awsDir, name);
    if (!existsSync(join(caseDir, 'context.json'))) continue;
    for (const location of ['header', 'query']) {
      record(t, `${name} (${location})`, () => {
        const read = (f) => readFileSync(join(caseDir, f), 'utf8');
        const ctx = JSON.parse(read('context.json'));
        const req = parseHttp(read('request.txt'));
        const out = core.sigv4Sign({
          signer: 'generic', location, ...req,
          region: ctx.region, service: ctx.service, now: ctx.timestamp,
          credentials: {
            accessKeyId: ctx.credentials.access_key_id,
            secretAccessKey: ctx.credentials.secret_access_key,
            sessionToken: ctx.credentials.token ?? null,
          },
          expiresIn: ctx.expiration_in_seconds, normalize: ctx.normalize,
          signBody: ctx.sign_body, omitSessionToken: ctx.omit_session_token ?? false,
        });
        eq('canonical request', out.canonicalRequest, read(`${location}-canonical-request.txt`));
        eq('string to sign', out.stringToSign, read(`${location}-string-to-sign.txt`));
        eq('signature', out.signature, read(`${location}-signature.txt`).trim());
      });
    }
  }
} else console.log(`skip aws-signing-test-suite: ${awsDir} not found`);

// --- botocore's copy of the suite (.req/.creq/.sts/.authz) ----------------
const botoDir = join(dir, 'botocore-aws4-testsuite');
if (existsSync(botoDir)) {
  const t = tally('botocore-aws4-testsuite');
  const reqs = [];
  const walk = (d) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.req')) reqs.push(p);
    }
  };
  walk(botoDir);
  for (const reqPath of reqs.sort()) {
    record(t, relative(botoDir, reqPath), () => {
      const stem = reqPath.slice(0, -4);
      const name = stem.split('/').pop();
      const req = parseHttp(readFileSync(reqPath, 'utf8'));
      req.headers = req.headers.filter(([n]) => n.toLowerCase() !== 'x-amz-date');
      let token = null;
      if (name === 'get-vanilla-with-session-token') token = '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267';
      if (name.startsWith('post-sts-header')) {
        token = readFileSync(join(dirname(dirname(reqPath)), 'readme.txt'), 'utf8').trim().split(/\s+/).pop();
      }
      if (req.headers.some(([n]) => n.toLowerCase() === 'x-amz-security-token')) token = null;
      const out = core.sigv4Sign({
        signer: 'generic', location: 'header', ...req,
        region: 'us-east-1', service: 'service', now: '2015-08-30T12:36:00Z',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: token },
        omitSessionToken: name === 'post-sts-header-after',
      });
      eq('canonical request', out.canonicalRequest, readFileSync(`${stem}.creq`, 'utf8'));
      eq('string to sign', out.stringToSign, readFileSync(`${stem}.sts`, 'utf8'));
      eq('authorization', out.authorization, readFileSync(`${stem}.authz`, 'utf8').trim());
    });
  }
} else console.log(`skip botocore-aws4-testsuite: ${botoDir} not found`);

// --- botocore-generated S3 vectors, through the product API ---------------
const storageOf = (i) => ({
  provider: 'custom', region: i.region, bucket: i.bucket, endpoint: i.endpoint, addressingStyle: i.addressing_style, allowPrivateEndpoints: true,
});
const credsOf = (i) => ({ accessKeyId: i.access_key_id, secretAccessKey: i.secret_access_key, sessionToken: i.session_token });

const runners = {
  's3-presign-get.jsonl': presignCase,
  's3-presign-put.jsonl': presignCase,
  's3-sign-headers.jsonl': headerCase,
  's3-presign-post.jsonl': postCase,
  'signing-key.jsonl': signingKeyCase,
  'sigv4-s3-vs-generic.jsonl': s3VsGenericCase,
};

function presignCase({ input: i, expected: e }) {
  if (i.payload_hash !== 'UNSIGNED-PAYLOAD') throw new Error('presigned URLs are always UNSIGNED-PAYLOAD');
  const out = core.presignUrl({
    storage: storageOf(i), credentials: credsOf(i), now: i.timestamp, method: i.method, key: i.key,
    expiresIn: i.expires_in, query: i.query_params, headers: i.headers, anyKey: true,
  });
  eq('url', out.url, str(e, 'url'));
  eqJson('headers to send', out.headers, i.headers);
  const signature = new URL(out.url).searchParams.get('X-Amz-Signature');
  eq('signature', signature, str(e, 'signature'));
  // The sidecar's fast path (Bucket.presignSimple) for vectors of its shape:
  // no signed headers, a query of response overrides only, in presignUrl's order.
  const order = ['response-content-disposition', 'response-content-type', 'response-cache-control'];
  const at = i.query_params.map(([n]) => order.indexOf(n));
  if (i.headers.length === 0 && at.every((x, n) => x >= 0 && (n === 0 || x > at[n - 1]))) {
    const v = Object.fromEntries(i.query_params);
    const bucket = new core.Bucket(storageOf(i), credsOf(i));
    // The product signs a write only for a key it would create (the strict check, which anyKey skipped
    // above); the fast path has no such switch, so for those keys it must refuse exactly as the core does.
    let refused = null;
    if (/^(PUT|POST)$/.test(i.method)) {
      try { core.validateKey(i.key); } catch (err) { refused = err.code; }
    }
    try {
      const fast = () => bucket.presignSimple(i.method, i.key, i.expires_in, Date.parse(i.timestamp) / 1000, ...order.map((n) => v[n]));
      if (refused) {
        let code = null;
        try { fast(); } catch (err) { code = err.code; }
        eq('fast path refuses a key the product would not create', code, refused);
        fastPathRefused += 1;
      } else eq('fast path url', fast(), out.url);
      fastPathCases += 1;
    } finally {
      bucket.free();
    }
  }
}
let fastPathCases = 0;
let fastPathRefused = 0;

function headerCase({ input: i, expected: e }) {
  const payloadHash = { sha256: i.body_sha256, unsigned: 'UNSIGNED-PAYLOAD', 'streaming-unsigned-payload-trailer': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }[i.payload_hash_mode];
  if (!payloadHash) throw new Error(`unknown payload_hash_mode ${i.payload_hash_mode}`);
  const out = core.signRequest({
    storage: storageOf(i), credentials: credsOf(i), now: i.timestamp, method: i.method, key: i.key,
    query: i.query_params, headers: i.headers, payloadHash, anyKey: true,
  });
  eq('url', out.url, str(e, 'url'));
  const auth = out.headers.find(([n]) => n === 'Authorization');
  eq('authorization', auth?.[1], str(e, 'authorization'));
  eqJson('headers sent', out.headers.filter(([n]) => n !== 'Authorization'), e.signed_request_headers);
}

function postCase({ input: i, expected: e }) {
  const out = core.presignPost({
    storage: storageOf(i), credentials: credsOf(i), now: i.timestamp, key: i.key,
    expiresIn: i.expires_in, fields: i.fields, conditions: i.conditions, anyKey: true,
  });
  eq('url', out.url, str(e, 'url'));
  eq('expiration', out.expiration, str(e, 'expiration'));
  eq('policy json', out.policy, str(e, 'policy_json'));
  eqJson('fields', out.fields, e.fields);
  for (const v of e.policy_signing ?? []) {
    const got = core.deriveSigningKey({
      secretAccessKey: i.secret_access_key, date: e.x_amz_date.slice(0, 8), region: i.region, service: 's3', stringToSign: v.policy_base64,
    }).signature;
    eq(`${v.layout} layout signature`, got, v.expected_signature);
  }
}

function signingKeyCase({ input: i, expected: e }) {
  const out = core.deriveSigningKey({
    secretAccessKey: i.secret_access_key, date: i.date, region: i.region, service: i.service, stringToSign: i.string_to_sign,
  });
  eq('kDate', out.kDate, e.k_date_hex);
  eq('kRegion', out.kRegion, e.k_region_hex);
  eq('kService', out.kService, e.k_service_hex);
  eq('kSigning', out.kSigning, e.signing_key_hex);
  eq('signature', out.signature, e.signature);
}

function s3VsGenericCase({ input: i, expected: e }) {
  const rest = i.url.slice(i.url.indexOf('://') + 3);
  const slash = rest.indexOf('/');
  const pathAndQuery = slash >= 0 ? rest.slice(slash) : '/';
  const q = pathAndQuery.indexOf('?');
  const location = i.auth === 'header' ? 'header' : 'query';
  const out = core.sigv4Sign({
    signer: i.signer, location, method: i.method,
    path: q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery, query: q >= 0 ? pathAndQuery.slice(q + 1) : '',
    headers: i.headers, body: i.body_utf8 ?? '',
    payloadHash: i.signer === 's3' && location === 'query' ? 'UNSIGNED-PAYLOAD' : undefined,
    region: i.region, service: i.service, credentials: credsOf(i), now: i.timestamp,
    expiresIn: i.expires_in ?? undefined,
  });
  eq('canonical request', out.canonicalRequest, str(e, 'canonical_request'));
  eq('string to sign', out.stringToSign, str(e, 'string_to_sign'));
  eq('signature', out.signature, str(e, 'signature'));
  if (location === 'header') eq('authorization', out.authorization, str(e, 'authorization'));
}

for (const [file, run] of Object.entries(runners)) {
  const path = join(dir, 'generated', file);
  if (!existsSync(path)) {
    console.log(`skip ${file}: ${path} not found`);
    continue;
  }
  const t = tally(file);
  readFileSync(path, 'utf8').split('\n').forEach((line, n) => {
    if (!line.trim()) return;
    let c;
    try {
      c = JSON.parse(line);
    } catch (err) {
      t.failures.push([`line ${n + 1}`, `unparseable JSON: ${err.message}`]);
      return;
    }
    record(t, c.id ?? `line ${n + 1}`, () => run(c));
  });
}

let passed = 0;
let failed = 0;
for (const t of tallies) {
  console.log(`${t.format.padEnd(28)} ${String(t.passed).padStart(4)} passed, ${String(t.failures.length).padStart(3)} failed`);
  for (const [id, why] of t.failures) console.log(`    FAIL ${id}: ${why}`);
  passed += t.passed;
  failed += t.failures.length;
}
if (!tallies.length) {
  console.log(`no conformance data found in ${dir}`);
  process.exitCode = 1;
}
console.log(`fast path (Bucket.presignSimple): ${fastPathCases - fastPathRefused} presign vectors byte-equal to presignUrl, ${fastPathRefused} writes refused alike (keys the product never creates)`);
console.log(`${passed} passed, ${failed} failed`);
if (failed) process.exitCode = 1;

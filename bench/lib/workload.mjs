// The fixed workload of bench/run (issue 9): every system gets exactly these inputs.
// Other languages read the same values from `node bench/lib/workload.mjs` (JSON on stdout).
import { pathToFileURL } from 'node:url';

export const NOW_ISO = '2026-11-23T12:34:56Z';
export const NOW_MS = Date.parse(NOW_ISO);
export const NOW_SECONDS = NOW_MS / 1000;
export const AMZ_DATE = '20261123T123456Z';
export const CREDS = Object.freeze({
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
});
export const REGION = 'us-east-1';
export const BUCKET = 'examplebucket';
// us-east-1's legacy global virtual-hosted name: what our core, botocore and the AWS SDK resolve.
export const HOST = `${BUCKET}.s3.amazonaws.com`;
export const KEY = 'uploads/42/a1b2c3d4_report final (v2).pdf';
// S3's canonical URI: each segment RFC 3986-encoded once (space and parentheses too).
export const PATH = '/' + KEY.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');
export const STORAGE = Object.freeze({ provider: 'amazon_s3', region: REGION, bucket: BUCKET });

// (A) presigned GET, 900 s, with a response-content-disposition (the value our core's
// contentDisposition() gives for the key's file name; given literally to everyone).
export const GET_EXPIRES = 900;
export const CONTENT_DISPOSITION =
  "attachment; filename=\"a1b2c3d4_report final (v2).pdf\"; filename*=UTF-8''a1b2c3d4_report%20final%20%28v2%29.pdf";

// (B) header-signed PUT with a given payload hash (SHA-256 of the 1 KiB body below).
export const PUT_CONTENT_TYPE = 'application/pdf';
export const PAYLOAD_SHA256 = '49abd65bbf7f7e40c7055093ed2e3fd75f2f602f2c5fcf955c213e3135eb03f7'; // sha256 of 1024 'x'

// (C) presigned POST policy: eq key, eq Content-Type, content-length-range, 20 min.
export const POST_EXPIRES = 1200;
export const POST_CONTENT_TYPE = 'application/pdf';
export const POST_MIN = 1;
export const POST_MAX = 10 * 1024 * 1024;

export const workload = {
  nowIso: NOW_ISO, nowSeconds: NOW_SECONDS, amzDate: AMZ_DATE, credentials: CREDS, region: REGION, bucket: BUCKET,
  host: HOST, key: KEY, path: PATH, storage: STORAGE, getExpires: GET_EXPIRES, contentDisposition: CONTENT_DISPOSITION,
  putContentType: PUT_CONTENT_TYPE, payloadSha256: PAYLOAD_SHA256, postExpires: POST_EXPIRES,
  postContentType: POST_CONTENT_TYPE, postMin: POST_MIN, postMax: POST_MAX,
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(JSON.stringify(workload) + '\n');

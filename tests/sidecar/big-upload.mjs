#!/usr/bin/env node
// Uploads one large file through a real sidecar to a real S3 server and
// reports the sidecar's peak RSS and the throughput.
//
//   node tests/sidecar/big-upload.mjs [SIZE_MIB=1024] [--storage garage|ministack]
//        [--part-size MIB] [--concurrency N] [--no-verify] [--json]
//
// Peak RSS is the kernel's VmHWM for the sidecar process (exact, not
// sampled); VmRSS is also sampled every 50 ms to show the curve's ceiling.
// The file is generated in a temp dir (a cheap pattern, distinct per MiB so
// storage cannot dedupe it) and removed afterwards.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSidecar, startStorage, tmpDir, makeFile, sha256File, downloadSha256, procMemory, MiB } from './helpers.mjs';

function parse(argv) {
  const o = { sizeMiB: 1024, storage: null, partSizeMiB: 8, concurrency: 4, verify: true, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--storage') o.storage = argv[++i];
    else if (a === '--part-size') o.partSizeMiB = Number(argv[++i]);
    else if (a === '--concurrency') o.concurrency = Number(argv[++i]);
    else if (a === '--no-verify') o.verify = false;
    else if (a === '--json') o.json = true;
    else if (/^\d+$/.test(a)) o.sizeMiB = Number(a);
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

export async function bigUpload(o) {
  const kind = o.storage || 'garage';
  const dir = tmpDir('wps3-big-');
  const s3 = await startStorage(kind);
  const sc = await startSidecar();
  try {
    const file = makeFile(path.join(dir, 'big.bin'), o.sizeMiB * MiB, 11);
    const baseline = procMemory(sc.pid);
    let sampledMax = baseline.rss;
    const sampler = setInterval(() => {
      try { sampledMax = Math.max(sampledMax, procMemory(sc.pid).rss); } catch { /* exited */ }
    }, 50);
    const t0 = process.hrtime.bigint();
    const r = await sc.op('upload-file', {
      storage: s3.storage, credentials: s3.credentials, key: 'big/big.bin', path: file,
      partSize: o.partSizeMiB * MiB, concurrency: o.concurrency,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(sampler);
    const mem = procMemory(sc.pid);
    if (!r.ok) throw new Error(`upload failed: ${JSON.stringify(r.error)}`);
    let verified = null;
    if (o.verify) {
      const [dl, local] = await Promise.all([downloadSha256(sc, s3, 'big/big.bin'), sha256File(file)]);
      verified = dl.sha256 === local && dl.size === o.sizeMiB * MiB;
      if (!verified) throw new Error('downloaded object differs from the file');
    }
    return {
      storage: kind,
      sizeMiB: o.sizeMiB,
      partSizeMiB: o.partSizeMiB,
      concurrency: o.concurrency,
      parts: r.result.parts,
      seconds: Math.round(seconds * 100) / 100,
      mbPerSec: Math.round((o.sizeMiB * MiB) / 1e6 / seconds * 10) / 10,
      baselineRssMB: Math.round(baseline.rss / 1e5) / 10,
      peakRssMB: Math.round(mem.hwm / 1e5) / 10,
      sampledMaxRssMB: Math.round(sampledMax / 1e5) / 10,
      verified,
    };
  } finally {
    await sc.stop();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parse(process.argv.slice(2));
  bigUpload(o).then((res) => {
    if (o.json) process.stdout.write(JSON.stringify(res) + '\n');
    else {
      process.stdout.write(`${res.sizeMiB} MiB to ${res.storage} in ${res.parts} parts: ${res.seconds} s, ${res.mbPerSec} MB/s; `
        + `sidecar RSS baseline ${res.baselineRssMB} MB, peak ${res.peakRssMB} MB (VmHWM)${res.verified ? ', verified' : ''}\n`);
      process.stdout.write(JSON.stringify(res) + '\n');
    }
  }, (e) => {
    process.stderr.write(`big-upload: ${e.stack || e}\n`);
    process.exit(1);
  });
}

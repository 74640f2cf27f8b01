// One payload-hashing thread (see hash-pool.mjs). It has its own instance of
// the wasm core and hashes byte ranges of a file the main thread opened: the
// file descriptor is shared by all threads of the process, and positional
// reads need no shared offset. One reused read buffer, so a thread's memory
// does not grow with the part size.

import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadCore, newHasher } from './core.mjs';
import { SidecarError } from './errors.mjs';

const CHUNK = 1024 * 1024;

// workerData.wasmModule: the main thread's compiled core, shared rather
// than compiled again per thread.
loadCore(workerData?.pkgDir ? { ...process.env, WPS3_PKG_DIR: workerData.pkgDir } : process.env, workerData?.wasmModule ?? null);
const buf = Buffer.allocUnsafeSlow(CHUNK);

// Test hook: WPS3_TEST_FAULT=hash-worker-crash:N kills this thread while it
// hashes part N, as a crash (or an out-of-memory kill of the isolate) would.
const crashAt = Number(/^hash-worker-crash:(\d+)$/.exec(process.env.WPS3_TEST_FAULT || '')?.[1] ?? 0);

function hashRange(fd, start, len) {
  const h = newHasher();
  try {
    let pos = start;
    const end = start + len;
    while (pos < end) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, end - pos), pos);
      if (n === 0) return { changed: true };
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      pos += n;
    }
    return { hash: h.finish() };
  } finally {
    h.dispose();
  }
}

parentPort.on('message', ({ id, fd, start, len, part }) => {
  if (crashAt && part === crashAt) process.exit(70);
  try {
    parentPort.postMessage({ id, ...hashRange(fd, start, len) });
  } catch (e) {
    // The core's errors travel as their error model, file errors as their errno.
    const error = e instanceof SidecarError
      ? { problem: e.toJSON() }
      : { errno: typeof e?.code === 'string' ? e.code : null, message: String(e?.message ?? e) };
    parentPort.postMessage({ id, error });
  }
});

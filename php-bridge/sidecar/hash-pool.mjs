// Payload hashing off the event loop. Over plain http every part's SHA-256
// must be in its signature before its first byte is sent; the core's wasm
// SHA-256 runs at about one part per 60 ms on one core, so on the event
// loop it capped uploads at the hash speed and stalled every other client.
// Here a few worker threads (hash-worker.mjs), each with its own wasm core,
// hash parts ahead of the senders: the cryptography stays in the core, the
// threads only give it more cores.
//
// Threads start on first use and stop after HASH_IDLE_MS without work, so an
// idle sidecar carries none. A thread that dies fails the jobs it held with
// a clear error (the upload then aborts its multipart upload) and is
// replaced for later jobs.
//
// WPS3_HASH_WORKERS=0 hashes on the main thread instead (the reference path
// the tests compare against).

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { SidecarError, cancelled } from './errors.mjs';
import { fileError } from './files.mjs';
import { compiledCore, newHasher, resolvePkgDir } from './core.mjs';
import { log } from './log.mjs';

const WORKER_URL = new URL('./hash-worker.mjs', import.meta.url);
const HASH_IDLE_MS = Number(process.env.WPS3_HASH_IDLE_MS) || 15_000;
const CHUNK = 1024 * 1024;
// Ranges up to this size are hashed on the main thread (about 5 ms): a
// small document should not wake, or start, a thread.
const MAIN_THREAD_MAX = CHUNK;

// Threads by default: one per core but one, at most 2. One thread (wasm
// SIMD SHA-256, ~200 MiB/s per core) keeps up with a fast local server; the
// core left over is for the sender, TLS and the storage server itself. Each
// thread costs ~11 MB RSS (its own isolate and compiled wasm), and the
// sidecar's memory budget during an upload is 32 MiB over idle.
export function hashThreads(env = process.env) {
  const v = env.WPS3_HASH_WORKERS;
  if (v !== undefined && v !== '' && Number.isInteger(Number(v)) && Number(v) >= 0) return Math.min(16, Number(v));
  return Math.max(1, Math.min(2, (os.availableParallelism?.() ?? os.cpus().length) - 1));
}

const changed = (p) => new SidecarError('FILE_CHANGED', `${p} shrank while it was being uploaded`);

// A worker's failure as a sidecar error: the core's own error model, or a
// file errno (classified by the core).
function workerFailure(error, p) {
  if (error.problem) return SidecarError.of(error.problem);
  return fileError({ code: error.errno, message: error.message }, p);
}

class HashPool {
  constructor(size) {
    this.size = size;
    this.idle = [];
    this.all = new Set();
    this.queue = [];
    this.nextId = 1;
    this.idleTimer = null;
  }

  // Resolves the hex SHA-256 of [start, start+len) of fd. job.path names
  // the file in errors; job.part is the part number (for logs, test faults).
  hash(job) {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...job, id: this.nextId++, resolve, reject });
      this.dispatch();
    });
  }

  // Drops queued jobs of one upload (those `owner` matches) that have not
  // started: they reject as cancelled.
  drop(owner) {
    const keep = [];
    for (const j of this.queue) {
      if (j.owner === owner) j.reject(cancelled());
      else keep.push(j);
    }
    this.queue = keep;
  }

  dispatch() {
    clearTimeout(this.idleTimer);
    while (this.queue.length) {
      let w = this.idle.pop();
      if (!w) {
        if (this.all.size >= this.size) return;
        try {
          w = this.spawn();
        } catch (e) {
          // No thread to be had (out of memory, thread limit): this job fails
          // clearly; later ones try again.
          const job = this.queue.shift();
          log('error', 'payload hashing thread could not start', { err: String(e?.message ?? e) });
          job.reject(new SidecarError('INTERNAL', `a payload hashing thread could not start (${e?.message ?? e}); the upload was stopped`));
          continue;
        }
      }
      const job = this.queue.shift();
      w.job = job;
      w.ref();
      w.postMessage({ id: job.id, fd: job.fd, start: job.start, len: job.len, part: job.part });
    }
    if (this.all.size && this.idle.length === this.all.size) {
      this.idleTimer = setTimeout(() => this.stopIdle(), HASH_IDLE_MS);
      this.idleTimer.unref();
    }
  }

  spawn() {
    const w = new Worker(WORKER_URL, {
      workerData: { pkgDir: resolvePkgDir(), wasmModule: compiledCore() },
      // A hashing thread allocates one read buffer; a small heap keeps its
      // RSS small and bounds what a runaway thread could take.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 },
      stdout: false,
      stderr: false,
    });
    w.job = null;
    this.all.add(w);
    w.on('message', (m) => {
      const job = w.job;
      if (!job || m.id !== job.id) return;
      w.job = null;
      w.unref();
      this.idle.push(w);
      if (m.error) job.reject(workerFailure(m.error, job.path));
      else if (m.changed) job.reject(changed(job.path));
      else job.resolve(m.hash);
      this.dispatch();
    });
    const gone = (why) => {
      if (!this.all.delete(w)) return;
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      const job = w.job;
      w.job = null;
      if (job) {
        log('error', 'payload hashing thread failed', { why, part: job.part });
        job.reject(new SidecarError('INTERNAL', `the payload hashing thread failed (${why}) while hashing part ${job.part}; the upload was stopped`));
      }
      this.dispatch();
    };
    w.on('error', (e) => gone(String(e?.message ?? e)));
    w.on('exit', (code) => gone(`exit code ${code}`));
    return w;
  }

  stopIdle() {
    for (const w of this.idle.splice(0)) {
      this.all.delete(w);
      w.terminate();
    }
  }

  // For an exiting sidecar.
  async stop() {
    clearTimeout(this.idleTimer);
    this.queue.splice(0).forEach((j) => j.reject(cancelled()));
    const all = [...this.all];
    this.all.clear();
    this.idle = [];
    await Promise.all(all.map((w) => w.terminate()));
  }
}

let pool = null;
const getPool = () => (pool ??= new HashPool(hashThreads()));

export function stopHashPool() {
  return pool ? pool.stop() : Promise.resolve();
}

// The reference path: the core's SHA-256 on this thread, reading fh.
async function hashOnMainThread(fh, start, len, p, signal) {
  const h = newHasher();
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, len || 1));
  try {
    for (let pos = start, end = start + len; pos < end;) {
      if (signal?.aborted) throw cancelled();
      let bytesRead;
      try {
        ({ bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos));
      } catch (e) {
        throw fileError(e, p);
      }
      if (bytesRead === 0) throw changed(p);
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return h.finish();
  } finally {
    h.dispose();
  }
}

// Hashing for one upload of one open file. hash() may run ahead of the
// senders; close() drops what has not started and waits for what has, so
// the caller may close the file afterwards (a thread still reading a
// closed, reused descriptor would hash the wrong file).
export function fileHasher(fh, p, { signal } = {}) {
  const threads = hashThreads();
  const owner = {};
  const started = new Set();
  return {
    threads,
    hash(start, len, part) {
      if (signal?.aborted) return Promise.reject(cancelled());
      const pr = threads === 0 || len <= MAIN_THREAD_MAX
        ? hashOnMainThread(fh, start, len, p, signal)
        : getPool().hash({ owner, fd: fh.fd, start, len, part, path: p });
      const tracked = pr.finally(() => started.delete(tracked));
      tracked.catch(() => {}); // the sender that awaits it sees the error
      started.add(tracked);
      return tracked;
    },
    async close() {
      if (pool) pool.drop(owner);
      await Promise.allSettled([...started]);
    },
  };
}

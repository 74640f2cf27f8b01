// Opening the files an upload reads, within the roots PHP allows.
//
// PHP resolves the path (realpath) and names the allowed roots
// (`allowedRoots`: the uploads folder plus the `wps3_allowed_roots` filter).
// Between PHP's check and this open a folder could be swapped for a symlink,
// so the file is judged by what was actually opened: the real path of the
// open descriptor (/proc/self/fd on Linux), compared with the core's rule
// (checkFileRoots). O_NOFOLLOW refuses a final symlink outright.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { SidecarError, bad, localError } from './errors.mjs';
import { callCore } from './core.mjs';

// undefined/null: the caller set no roots (tests, internal callers); else a
// list of absolute folder paths.
export function rootsArg(roots) {
  if (roots === undefined || roots === null) return null;
  if (!Array.isArray(roots) || roots.length > 64 || !roots.every((r) => typeof r === 'string' && r.length <= 4096)) {
    throw bad('allowedRoots must be a list of at most 64 folder paths');
  }
  return roots;
}

// A file error as the core classifies it (FILE_NOT_FOUND, FILE_UNREADABLE;
// whether it may pass is the core's call).
export function fileError(e, p) {
  if (e instanceof SidecarError) return e;
  const errno = e?.code ?? null;
  const missing = errno === 'ENOENT' || errno === 'ENOTDIR';
  return localError({ kind: 'file', errno, message: missing ? `no file at ${p}` : `cannot read ${p}: ${errno || e?.message}` });
}

async function realPathOf(fh, p) {
  try {
    return await fsp.readlink(`/proc/self/fd/${fh.fd}`);
  } catch {
    return fsp.realpath(p); // no procfs: the path as it resolves now
  }
}

// Opens `p` for reading; with `roots`, refuses (FileOutsideAllowedRoots,
// never retried) a file whose real path is outside all of them.
export async function openWithin(p, roots) {
  const flags = roots ? fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW : 'r';
  let fh;
  try {
    fh = await fsp.open(p, flags);
  } catch (e) {
    // The last component is a symlink (PHP passes resolved paths, so it was
    // swapped in since): outside by definition, whatever it points at.
    if (roots && e?.code === 'ELOOP') callCore('checkFileRoots', { path: p, roots: [] });
    throw fileError(e, p);
  }
  if (!roots) return fh;
  try {
    const real = await realPathOf(fh, p);
    const resolved = [];
    for (const r of roots) {
      try { resolved.push(await fsp.realpath(r)); } catch { /* a missing root allows nothing */ }
    }
    callCore('checkFileRoots', { path: real, roots: resolved });
    return fh;
  } catch (e) {
    await fh.close().catch(() => {});
    throw fileError(e, p);
  }
}

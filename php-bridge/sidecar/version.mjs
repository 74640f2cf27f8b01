// The sidecar's own version, reported by `health` as `sidecarVersion` so
// PHP can restart a sidecar left running from an older plugin version.
//
// It is the plugin's "Version:" header (../wps3.php), read once at start:
// the running process keeps reporting the version it was started from,
// and the two can never disagree after an update (which would make PHP
// restart the sidecar forever). The constant is the fallback for a sidecar
// deployed without the plugin file next to it; tests keep them equal.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FALLBACK_VERSION = '0.1.0';

export function readPluginVersion(file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'wps3.php')) {
  try {
    // The header sits in the first docblock; 8 KiB is WordPress's own limit.
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(8192);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    const m = /^[ \t/*#@]*Version:[ \t]*([^\r\n]+?)[ \t]*$/im.exec(buf.toString('utf8', 0, n));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

export const SIDECAR_VERSION = readPluginVersion() ?? FALLBACK_VERSION;

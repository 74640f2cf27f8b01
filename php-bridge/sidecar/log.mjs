// One JSON line per event on stderr. Callers pass only non-secret fields:
// op names, codes, sizes, durations — never credentials or request bodies.
export function log(level, msg, fields = {}) {
  if (level === 'debug' && !process.env.WPS3_DEBUG) return;
  try {
    process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields }) + '\n');
  } catch {
    // stderr gone (parent died): nothing useful left to do with a log line.
  }
}

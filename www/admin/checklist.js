// Test Connection's answer as a checklist: one row per check, as the core
// judged it (status, advice id, cause, fix). This file only words and draws
// rows, and runs the browser's own cross-origin probe with the URLs the
// server presigned.

import { h } from './dom.js';

const { __, sprintf } = window.wp.i18n;

const LABELS = () => ({
  credentials: __('Credentials accepted', 'wps3'),
  bucket: __('Bucket exists', 'wps3'),
  region: __('Bucket region', 'wps3'),
  write: __('Write a test object under the prefix', 'wps3'),
  read: __('Read it back', 'wps3'),
  delete: __('Delete it', 'wps3'),
  clock: __('Server clock', 'wps3'),
  'cors-preflight': __('CORS preflight for this site', 'wps3'),
  'browser-upload': __('Upload from this browser', 'wps3'),
  'browser-download': __('Download in this browser', 'wps3'),
});

const STATUS = () => ({
  pass: [__('Passed', 'wps3'), 'dashicons-yes-alt'],
  warn: [__('Warning', 'wps3'), 'dashicons-warning'],
  fail: [__('Failed', 'wps3'), 'dashicons-dismiss'],
  skip: [__('Not checked', 'wps3'), 'dashicons-minus'],
  pending: [__('Checking in this browser…', 'wps3'), 'dashicons-update'],
});

function detail(row) {
  if (row.status === 'skip' || row.status === 'pending') return '';
  const d = row.data || {};
  switch (row.id) {
    case 'region':
      if (d.bucketRegion && row.status === 'fail') {
        return sprintf(__('The bucket is in %1$s; the settings say %2$s.', 'wps3'), d.bucketRegion, d.formRegion);
      }
      if (d.bucketRegion) return sprintf(__('%s, as in the settings.', 'wps3'), d.bucketRegion);
      if (d.verifiedBy === 'write') return __('Not reported by storage; a write signed for this region was accepted.', 'wps3');
      return '';
    case 'clock':
      return typeof d.offsetSeconds === 'number'
        ? sprintf(__('%d seconds from the storage service’s clock.', 'wps3'), d.offsetSeconds)
        : '';
    case 'cors-preflight':
      return d.origin ? sprintf(__('Origin %s', 'wps3'), d.origin) : '';
    default:
      return d.httpStatus ? sprintf(__('HTTP %d', 'wps3'), d.httpStatus) : '';
  }
}

/**
 * Draws the checklist. onOffer(offer) is called when the admin accepts the
 * core's correction (the bucket's real region).
 */
export function renderChecklist(list, result, { onOffer }) {
  const labels = LABELS();
  const statuses = STATUS();
  list.replaceChildren();
  for (const row of result.rows) {
    const [statusText, icon] = statuses[row.status] || statuses.skip;
    const extra = [];
    const text = detail(row);
    if (text) extra.push(h('span', { class: 'wps3-check-detail' }, ' — ', text));
    const explain = [];
    if ((row.status === 'fail' || row.status === 'warn') && (row.cause || row.fix)) {
      if (row.cause) explain.push(h('p', { class: 'wps3-cause' }, row.s3Code ? h('code', {}, row.s3Code) : null, row.s3Code ? ' ' : null, row.cause));
      if (row.fix) explain.push(h('p', { class: 'wps3-fix' }, h('strong', {}, __('How to fix:', 'wps3')), ' ', row.fix));
    }
    if (row.id === 'region' && result.offer && result.offer.field === 'region') {
      explain.push(h('p', {}, h('button', {
        type: 'button',
        class: 'button wps3-fix-region',
        onclick: () => onOffer(result.offer),
      }, sprintf(__('Use %s and test again', 'wps3'), result.offer.value))));
    }
    if (row.id === 'delete' && row.status === 'fail' && result.probeKeyLeft) {
      explain.push(h('p', { class: 'description' }, sprintf(__('The test object %s could not be removed; delete it by hand once the key may delete.', 'wps3'), result.probeKeyLeft)));
    }
    list.append(h('li', { class: `wps3-check wps3-check-${row.status}`, 'data-check': row.id, 'data-status': row.status },
      h('span', { class: `dashicons ${icon}`, 'aria-hidden': 'true' }),
      h('span', { class: 'screen-reader-text' }, statusText, ': '),
      h('strong', {}, labels[row.id] || row.id), ...extra, ...explain));
  }
}

/** One sentence for screen readers and the notice above the list. */
export function summary(result) {
  const failed = result.rows.filter((r) => r.status === 'fail').length;
  const warned = result.rows.filter((r) => r.status === 'warn').length;
  if (failed) return sprintf(__('Connection test: %1$d of %2$d checks failed.', 'wps3'), failed, result.rows.length);
  if (warned) return sprintf(__('Connection test passed with %d warning(s).', 'wps3'), warned);
  return __('Connection test passed: every check is green.', 'wps3');
}

/**
 * The browser's own round trip: PUT the probe with the presigned URL, GET it
 * back. Outcomes only — the server's core judges them.
 */
export async function browserProbe(probe) {
  const outcome = { put: { ok: false, status: 0 }, get: { ok: false, status: 0 } };
  try {
    const put = await fetch(probe.put.url, {
      method: 'PUT', mode: 'cors', credentials: 'omit', headers: Object.fromEntries(probe.put.headers || []), body: probe.body,
    });
    outcome.put = { ok: put.ok, status: put.status };
  } catch (e) {
    outcome.put = { ok: false, status: 0, error: { message: String(e.message || e) } };
    return outcome;
  }
  if (!outcome.put.ok) return outcome;
  try {
    const get = await fetch(probe.get.url, { mode: 'cors', credentials: 'omit', cache: 'no-store' });
    const text = await get.text();
    outcome.get = { ok: get.ok, status: get.status, bodyMatches: get.ok ? text === probe.body : undefined };
  } catch (e) {
    outcome.get = { ok: false, status: 0, error: { message: String(e.message || e) } };
  }
  return outcome;
}

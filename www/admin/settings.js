// Settings → S3 Backups: the storage settings, live checks and previews by
// the wasm core (pkg/web), Save and Test Connection through the plugin's REST
// routes. Rules live in the core and on the server; this module draws the
// form, asks the core, and words the answers.
//
// Longer than ~400 lines would be a reason to split; it is one screen's
// controller (form, previews, two actions) and stays under that.

import { h, busy, copy } from './dom.js';
import { renderChecklist, summary, browserProbe } from './checklist.js';

const { apiFetch, i18n, a11y } = window.wp;
const { __, sprintf } = i18n;
const config = window.wps3SettingsPage;
const app = document.getElementById('wps3-settings-app');
const now = () => Math.floor(Date.now() / 1000);

// Field name (the core's) -> label and help.
const FIELDS = () => ({
  provider: [__('Provider', 'wps3'), ''],
  region: [__('Region', 'wps3'), __('The bucket’s region. Test Connection reads the real one and offers to fix a mismatch.', 'wps3')],
  endpoint: [__('Endpoint', 'wps3'), __('The S3-compatible service’s URL, e.g. https://s3.example.com or http://127.0.0.1:9000.', 'wps3')],
  accountId: [__('Cloudflare account ID', 'wps3'), __('32 hexadecimal characters, from the R2 dashboard.', 'wps3')],
  bucket: [__('Bucket', 'wps3'), ''],
  pathPrefix: [__('Path prefix', 'wps3'), __('Folder inside the bucket, e.g. wpsigner/.', 'wps3')],
  accessKeyId: [__('Access key ID', 'wps3'), ''],
  secretAccessKey: [__('Secret access key', 'wps3'), __('Stored encrypted with this site’s salts; it is never shown or sent back.', 'wps3')],
  addressingStyle: [__('Addressing style', 'wps3'), __('Auto: virtual-hosted (bucket.host) unless the bucket name has dots or the endpoint is custom.', 'wps3')],
});

let core;
let schema;
let state; // GET /settings payload
const controls = {};
const ui = {}; // buttons and spinners
const errors = {};
const rows = {};
let notice;
let checklist;

function fatal(message) {
  app.replaceChildren(h('div', { class: 'notice notice-error inline' }, h('p', {}, message)));
}

function say(type, message) {
  notice.className = `notice notice-${type} inline wps3-notice`;
  notice.replaceChildren(h('p', {}, message));
  notice.hidden = false;
  a11y.speak(message, type === 'error' ? 'assertive' : 'polite');
}

function provider() {
  return schema.providers.find((p) => p.id === controls.provider.value) || schema.providers[0];
}

function values() {
  const out = {};
  for (const name of Object.keys(controls)) {
    if (name === 'secretAccessKey' || name === 'directUploads') continue;
    out[name] = controls[name].value.trim();
  }
  const p = provider();
  if (!p.needsEndpoint && !state.locked.endpoint) out.endpoint = '';
  if (!p.needsAccountId && !state.locked.accountId) out.accountId = '';
  return out;
}

function body(extra = {}) {
  const secret = controls.secretAccessKey.value;
  return { settings: values(), secretAccessKey: secret === '' ? undefined : secret, directUploads: controls.directUploads.checked, ...extra };
}

// ---- the form ------------------------------------------------------------

function lockNote(name) {
  const constant = state.locked[name];
  if (constant) return h('span', { class: 'wps3-locked description' }, sprintf(__('Set by %s in wp-config.php', 'wps3'), constant));
  if (name === 'endpoint' && !state.canEditEndpoint) return h('span', { class: 'wps3-locked description' }, __('Only a network administrator can change the endpoint.', 'wps3'));
  return null;
}

function fieldRow(name, control) {
  const [label, help] = FIELDS()[name];
  const id = `wps3-${name}`;
  control.id = id;
  control.name = name;
  const err = h('p', { class: 'wps3-field-error', id: `${id}-error`, hidden: true });
  const helpEl = help ? h('p', { class: 'description', id: `${id}-help` }, help) : null;
  control.setAttribute('aria-describedby', [helpEl && `${id}-help`, `${id}-error`].filter(Boolean).join(' '));
  if (state.locked[name] || (name === 'endpoint' && !state.canEditEndpoint)) {
    control.disabled = true;
  }
  controls[name] = control;
  errors[name] = err;
  const tr = h('tr', { class: `wps3-row-${name}` }, h('th', { scope: 'row' }, h('label', { for: id }, label)),
    h('td', {}, control, ' ', lockNote(name), helpEl, err));
  rows[name] = tr;
  return tr;
}

const text = (value, extra = {}) => h('input', { type: 'text', class: 'regular-text', value: value ?? '', autocomplete: 'off', spellcheck: 'false', ...extra });

function regionControl(value) {
  const p = provider();
  if (!p.regions.length) return text(value, { placeholder: p.defaultRegion || 'us-east-1' });
  const select = h('select', {});
  const known = p.regions.some((r) => r.id === value);
  for (const r of p.regions) {
    const label = r.optIn ? sprintf(__('%1$s — %2$s (opt-in)', 'wps3'), r.id, r.label) : `${r.id} — ${r.label}`;
    select.append(h('option', { value: r.id }, label));
  }
  if (value && !known) select.append(h('option', { value }, sprintf(__('%s (not in the list)', 'wps3'), value)));
  select.value = value || p.defaultRegion;
  return select;
}

function swapRegion(value) {
  const old = controls.region;
  const fresh = regionControl(value);
  for (const a of ['id', 'name', 'aria-describedby']) fresh.setAttribute(a, old.getAttribute(a));
  fresh.disabled = old.disabled;
  fresh.addEventListener('input', refresh);
  fresh.addEventListener('change', refresh);
  old.replaceWith(fresh);
  controls.region = fresh;
}

function buildForm() {
  const s = state.settings;
  const providerSelect = h('select', {}, schema.providers.map((p) => h('option', { value: p.id }, p.label)));
  providerSelect.value = s.provider || schema.providers[0].id;
  const secret = h('input', {
    type: 'password', class: 'regular-text', value: '', autocomplete: 'new-password', spellcheck: 'false',
    placeholder: state.secretSet ? __('A secret is stored — type a new one to replace it', 'wps3') : '',
  });
  const style = h('select', {}, ['auto', 'virtual', 'path'].map((v) => h('option', { value: v }, v)));
  style.value = s.addressingStyle || 'auto';
  controls.provider = providerSelect; // regionControl reads it before the row exists
  const tbody = h('tbody', {},
    fieldRow('provider', providerSelect),
    fieldRow('region', h('input')),
    fieldRow('endpoint', text(s.endpoint, { type: 'url' })),
    fieldRow('accountId', text(s.accountId)),
    fieldRow('bucket', text(s.bucket)),
    fieldRow('pathPrefix', text(s.pathPrefix)),
    fieldRow('accessKeyId', text(s.accessKeyId)),
    fieldRow('secretAccessKey', secret));
  swapRegion(s.region);
  const secretState = h('p', { class: 'wps3-secret-state description', id: 'wps3-secret-state' },
    state.secretSet ? __('A secret access key is stored (encrypted).', 'wps3') : __('No secret access key is stored yet.', 'wps3'));
  if (state.locked.secretAccessKey) secretState.textContent = '';
  secret.closest('td').insertBefore(secretState, secret);
  const direct = h('input', { type: 'checkbox', id: 'wps3-directUploads', checked: state.directUploads });
  controls.directUploads = direct;
  const advanced = h('details', { class: 'wps3-advanced' }, h('summary', {}, __('Advanced', 'wps3')),
    h('table', { class: 'form-table', role: 'presentation' }, h('tbody', {}, fieldRow('addressingStyle', style))));
  providerSelect.addEventListener('change', () => {
    swapRegion('');
    refresh();
  });
  for (const c of Object.values(controls)) {
    if (c === providerSelect || c === controls.region) continue;
    c.addEventListener('input', refresh);
    c.addEventListener('change', refresh);
  }
  return h('form', { id: 'wps3-settings-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); save(); } },
    h('table', { class: 'form-table', role: 'presentation' }, tbody),
    h('p', {}, h('label', { for: 'wps3-directUploads' }, direct, ' ', __('Direct browser uploads and downloads (members’ files go to the bucket without passing through this server)', 'wps3'))),
    advanced);
}

// ---- live checks and previews (all by the core) ----------------------------

function showErrors(list) {
  for (const [name, el] of Object.entries(errors)) {
    const mine = list.filter((e) => e.field === name);
    el.hidden = !mine.length;
    el.textContent = mine.map((e) => e.message).join(' ');
    if (controls[name]) controls[name].setAttribute('aria-invalid', mine.length ? 'true' : 'false');
  }
  return list.filter((e) => !errors[e.field]);
}

function validate() {
  const secret = controls.secretAccessKey.value;
  const report = core.validateSettings({ ...values(), keyTemplate: config.keyTemplate || undefined, allowPrivateEndpoints: config.allowPrivate === true, ...(secret ? { secretAccessKey: secret } : {}) });
  return report;
}

function setPreview(id, value, empty) {
  const el = document.getElementById(id);
  el.textContent = value ?? empty;
  el.classList.toggle('wps3-preview-empty', value === null || value === undefined);
}

let timer = null;
function refresh() {
  clearTimeout(timer);
  timer = setTimeout(update, 120);
}

function update() {
  const p = provider();
  rows.endpoint.hidden = !p.needsEndpoint && !state.locked.endpoint;
  rows.accountId.hidden = !p.needsAccountId && !state.locked.accountId;
  const report = validate();
  const stray = showErrors(report.errors);
  document.getElementById('wps3-form-errors').textContent = stray.map((e) => e.message).join(' ');
  const s = report.settings;
  const fine = (field) => !report.errors.some((e) => e.field === field);
  let key = null;
  try {
    if (fine('pathPrefix')) {
      key = core.renderKey({ template: s.keyTemplate || undefined, pathPrefix: s.pathPrefix, title: config.sample.title, documentId: config.sample.id, now: now(), ...(config.site ? { site: config.site } : {}) });
    }
  } catch (e) {
    key = null;
  }
  setPreview('wps3-key-preview', key, __('Fix the path prefix to see the key.', 'wps3'));
  let url = null;
  if (report.valid && key) {
    try {
      const storage = { provider: s.provider, region: s.region, bucket: s.bucket, endpoint: s.endpoint || undefined, accountId: s.accountId || undefined, addressingStyle: s.addressingStyle || undefined };
      url = core.urlShape({ storage, accessKeyId: s.accessKeyId, key, now: now(), expiresIn: 900, filename: key.split('/').pop() });
    } catch (e) {
      url = null;
    }
  }
  setPreview('wps3-url-preview', url, __('Complete the settings to see the link’s shape.', 'wps3'));
  let policy = null;
  if (fine('bucket') && fine('pathPrefix') && s.bucket) {
    try {
      policy = core.iamPolicy({ provider: s.provider, region: s.region, bucket: s.bucket, pathPrefix: s.pathPrefix, directUploads: controls.directUploads.checked });
    } catch (e) {
      policy = null;
    }
  }
  setPreview('wps3-iam-policy', policy && policy.json, __('Enter a valid bucket name to see the policy.', 'wps3'));
  document.getElementById('wps3-iam-notes').replaceChildren(...noteTexts(policy));
  document.getElementById('wps3-lifecycle-box').hidden = !policy?.lifecycle;
  document.getElementById('wps3-lifecycle').textContent = policy?.lifecycle ? JSON.stringify(policy.lifecycle, null, 2) : '';
  const corsBox = document.getElementById('wps3-cors');
  corsBox.hidden = !controls.directUploads.checked;
  return report;
}

function noteTexts(policy) {
  if (!policy) return [];
  const words = {
    'lifecycle-abort-multipart': __('Add a lifecycle rule that aborts incomplete multipart uploads after a day (below): it backs up the plugin’s own cleanup of abandoned uploads.', 'wps3'),
    'r2-api-token': __('Cloudflare R2 has no IAM policies: create an R2 API token with Object Read & Write, limited to this bucket.', 'wps3'),
    'wasabi-policy': __('Wasabi accepts this policy for a sub-user (Users → Policies).', 'wps3'),
    'custom-policy-dialect': __('S3-compatible services differ: MinIO and Garage accept this shape or their own equivalent; check the service’s documentation.', 'wps3'),
  };
  return policy.notes.filter((n) => words[n]).map((n) => h('li', {}, words[n]));
}

function previews() {
  const copyButton = (target) => h('button', {
    type: 'button', class: 'button button-small wps3-copy',
    onclick: async (e) => {
      const ok = await copy(document.getElementById(target).textContent, document.getElementById(target));
      a11y.speak(ok ? __('Copied.', 'wps3') : __('Select the text and copy it.', 'wps3'));
      e.target.textContent = ok ? __('Copied', 'wps3') : __('Selected', 'wps3');
      setTimeout(() => { e.target.textContent = __('Copy', 'wps3'); }, 2000);
    },
  }, __('Copy', 'wps3'));
  const cors = core.corsRules(state.origin);
  return h('div', { class: 'wps3-previews' },
    h('h3', {}, __('Object key of a sample document', 'wps3')),
    h('p', { class: 'description' }, sprintf(__('“%1$s”, today, document #%2$d:', 'wps3'), config.sample.title, config.sample.id)),
    h('code', { id: 'wps3-key-preview', class: 'wps3-preview' }),
    h('h3', {}, __('Shape of a download link', 'wps3')),
    h('p', { class: 'description' }, __('A presigned GET valid for 15 minutes; the access key ID and the signature are masked here.', 'wps3')),
    h('code', { id: 'wps3-url-preview', class: 'wps3-preview wps3-url' }),
    h('h3', {}, __('IAM policy', 'wps3'), ' ', copyButton('wps3-iam-policy')),
    h('p', { class: 'description' }, __('The least the access key needs for this bucket, prefix and the features enabled above.', 'wps3')),
    h('pre', { id: 'wps3-iam-policy', class: 'wps3-code', tabindex: '0' }),
    h('ul', { id: 'wps3-iam-notes', class: 'wps3-notes' }),
    h('div', { id: 'wps3-lifecycle-box', hidden: true },
      h('h3', {}, __('Lifecycle rule for abandoned uploads', 'wps3'), ' ', copyButton('wps3-lifecycle')),
      h('pre', { id: 'wps3-lifecycle', class: 'wps3-code', tabindex: '0' })),
    h('div', { id: 'wps3-cors' },
      h('h3', {}, __('CORS rule for this site', 'wps3'), ' ', copyButton('wps3-cors-rules')),
      h('p', { class: 'description' }, sprintf(__('Paste it into the bucket’s CORS configuration. It allows only %s, never every origin.', 'wps3'), cors.origin)),
      h('pre', { id: 'wps3-cors-rules', class: 'wps3-code', tabindex: '0' }, cors.json)));
}

// ---- Save and Test Connection ------------------------------------------------

function explain(error) {
  if (error instanceof Response) return __('Security check failed — refresh the page', 'wps3');
  if (error && error.code === 'rest_cookie_invalid_nonce') return __('Security check failed — refresh the page', 'wps3');
  if (error && error.code === 'wps3_invalid_settings' && Array.isArray(error.data?.errors)) {
    const stray = showErrors(error.data.errors);
    return [error.message, ...stray.map((e) => e.message)].join(' ');
  }
  if (error && typeof error.message === 'string' && error.message !== '') return error.message;
  return __('The request failed. Nothing you typed was lost; try again.', 'wps3');
}

function refuseInvalid(report) {
  if (report.valid) return false;
  say('error', __('Correct the fields marked below; nothing was sent.', 'wps3'));
  const first = report.errors.find((e) => controls[e.field] && !rows[e.field]?.hidden);
  if (first) controls[first.field].focus();
  return true;
}

async function save() {
  const report = update();
  if (refuseInvalid(report)) return;
  await busy(ui.saveButton, ui.saveSpinner, async () => {
    try {
      const res = await apiFetch({ path: config.route, method: 'POST', data: body() });
      state = { ...state, ...res };
      controls.secretAccessKey.value = '';
      controls.secretAccessKey.placeholder = state.secretSet ? __('A secret is stored — type a new one to replace it', 'wps3') : '';
      const secretState = document.getElementById('wps3-secret-state');
      if (secretState && !state.locked.secretAccessKey) secretState.textContent = state.secretSet ? __('A secret access key is stored (encrypted).', 'wps3') : __('No secret access key is stored yet.', 'wps3');
      say('success', __('Settings saved.', 'wps3'));
    } catch (e) {
      say('error', explain(e));
    }
  });
}

async function test() {
  const report = update();
  if (refuseInvalid(report)) return;
  await busy(ui.testButton, ui.testSpinner, async () => {
    checklist.replaceChildren();
    try {
      let result = await apiFetch({ path: `${config.route}/test`, method: 'POST', data: body() });
      renderChecklist(checklist, result, { onOffer });
      if (result.browserProbe) {
        const outcome = await browserProbe(result.browserProbe);
        result = await apiFetch({ path: `${config.route}/test`, method: 'POST', data: body({ phase: 'browser', probeKey: result.browserProbe.key, browser: outcome }) });
        renderChecklist(checklist, result, { onOffer });
      }
      say(result.ok ? 'success' : 'error', summary(result));
    } catch (e) {
      say('error', explain(e));
    }
  });
}

function onOffer(offer) {
  if (offer.field !== 'region' || controls.region.disabled) return;
  swapRegion(offer.value);
  controls.region.value = offer.value;
  update();
  say('info', sprintf(__('Region set to %s. Save the settings to keep it.', 'wps3'), offer.value));
  test();
}

// ---- start -------------------------------------------------------------------

async function start() {
  try {
    core = await import(config.wasm);
    await core.default();
    schema = core.settingsSchema();
  } catch (e) {
    fatal(sprintf(__('The settings page could not load its WebAssembly core (%s). Check that the plugin’s pkg/web/ folder was installed.', 'wps3'), String(e.message || e)));
    return;
  }
  try {
    state = await apiFetch({ path: config.route });
  } catch (e) {
    fatal(explain(e));
    return;
  }
  notice = h('div', { class: 'notice inline wps3-notice', hidden: true, role: 'status', 'aria-live': 'polite' });
  const form = buildForm();
  const saveSpinner = h('span', { class: 'spinner' });
  const testSpinner = h('span', { class: 'spinner' });
  ui.saveButton = h('button', { type: 'submit', class: 'button button-primary', id: 'wps3-save', form: 'wps3-settings-form' }, __('Save settings', 'wps3'));
  ui.testButton = h('button', { type: 'button', class: 'button', id: 'wps3-test', onclick: test }, __('Test connection', 'wps3'));
  ui.saveSpinner = saveSpinner;
  ui.testSpinner = testSpinner;
  checklist = h('ul', { id: 'wps3-checklist', class: 'wps3-checklist', 'aria-label': __('Connection test results', 'wps3') });
  // The answer appears next to the buttons that asked for it.
  app.replaceChildren(
    form,
    h('p', { id: 'wps3-form-errors', class: 'wps3-field-error', role: 'alert' }),
    h('p', { class: 'submit wps3-actions' }, ui.saveButton, saveSpinner, ' ', ui.testButton, testSpinner,
      h('span', { class: 'description' }, ' ', __('Tests the values in the form, saved or not (an empty secret field uses the stored secret).', 'wps3'))),
    notice,
    checklist,
    previews());
  update();
}

start().catch((e) => fatal(String(e.message || e)));

// The "My files" page ([wps3_files] shortcode / wps3/my-files block): pick a
// file, upload it with a progress bar (cancellable), list, download, delete.

import { upload, download, listFiles, deleteFile } from './transfers.js';

const __ = globalThis.wp?.i18n?.__ ?? ((s) => s);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children);
  return node;
}

function humanSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function mount(root) {
  const input = el('input', { type: 'file', 'data-wps3': 'file', 'aria-label': __('File to upload'), accept: (globalThis.wps3Transfers?.allowedTypes ?? []).join(',') || false });
  const start = el('button', { type: 'button', class: 'button', 'data-wps3': 'upload' }, __('Upload'));
  const cancel = el('button', { type: 'button', class: 'button', 'data-wps3': 'cancel', hidden: true }, __('Cancel'));
  const bar = el('progress', { max: 100, value: 0, hidden: true, 'data-wps3': 'progress', 'aria-label': __('Upload progress') });
  const status = el('p', { role: 'status', 'aria-live': 'polite', 'data-wps3': 'status' });
  const tbody = el('tbody');
  const table = el('table', { class: 'wps3-files-table', 'data-wps3': 'list' },
    el('thead', {}, el('tr', {}, el('th', {}, __('File')), el('th', {}, __('Size')), el('th', {}, __('Uploaded')), el('th', {}, ''))),
    tbody);
  root.replaceChildren(el('div', { class: 'wps3-files-upload' }, input, start, cancel, bar), status, table);

  const say = (text, kind = 'info') => {
    status.textContent = text;
    status.dataset.kind = kind;
  };

  async function refresh() {
    let files;
    try {
      files = await listFiles();
    } catch (e) {
      say(e.message, 'error');
      return;
    }
    tbody.replaceChildren(...(files.length ? files.map(row) : [el('tr', {}, el('td', { colspan: 4 }, __('No files yet.')))]));
  }

  function row(f) {
    const dl = el('button', { type: 'button', class: 'button-link', 'data-wps3': 'download', 'data-id': f.id, onclick: async () => {
      try {
        await download(f.id);
      } catch (e) {
        say(e.message, 'error');
      }
    } }, __('Download'));
    const del = el('button', { type: 'button', class: 'button-link', 'data-wps3': 'delete', 'data-id': f.id, onclick: async () => {
      if (!globalThis.confirm(__('Delete this file?'))) return;
      try {
        await deleteFile(f.id);
        say(__('Deleted.'));
        await refresh();
      } catch (e) {
        say(e.message, 'error');
      }
    } }, __('Delete'));
    return el('tr', { 'data-id': f.id }, el('td', {}, f.filename), el('td', {}, humanSize(f.size)), el('td', {}, new Date(f.created_at).toLocaleString()), el('td', {}, dl, ' ', del));
  }

  let controller = null;
  start.addEventListener('click', async () => {
    const file = input.files?.[0];
    if (!file) {
      say(__('Pick a file first.'), 'error');
      return;
    }
    controller = new AbortController();
    start.disabled = true;
    cancel.hidden = false;
    bar.hidden = false;
    bar.value = 0;
    say(__('Uploading…'));
    try {
      await upload(file, {
        signal: controller.signal,
        onProgress: (sent, total) => {
          bar.value = total ? Math.floor((sent / total) * 100) : 100;
          bar.dataset.sent = String(sent);
        },
      });
      say(__('Uploaded.'), 'success');
      input.value = '';
      await refresh();
    } catch (e) {
      say(e.message, e.code === 'cancelled' ? 'info' : 'error');
    } finally {
      start.disabled = false;
      cancel.hidden = true;
      controller = null;
    }
  });
  cancel.addEventListener('click', () => controller?.abort());

  refresh();
}

for (const root of document.querySelectorAll('[data-wps3-files]')) mount(root);

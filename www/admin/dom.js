// Tiny DOM helpers for the settings page (no framework, no build step).

/** h('p', { class: 'x', onclick }, 'text', child) — attributes, then children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Marks a button busy (disabled, aria-busy, a spinner) until the promise settles. */
export async function busy(button, spinner, run) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  spinner.classList.add('is-active');
  try {
    return await run();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    spinner.classList.remove('is-active');
  }
}

/** Copies text; falls back to selecting it when the clipboard API is refused (http sites). */
export async function copy(text, pre) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(pre);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    return document.execCommand && document.execCommand('copy');
  }
}

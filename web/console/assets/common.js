// Shared helpers of the console pages: the JSON API with the CSRF header,
// DOM building without innerHTML, toasts, copy buttons, the header.

export const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// api calls the console API. State-changing calls carry the CSRF token;
// a 401 means the session ended: back to the sign-in page.
export async function api(method, path, body, headers = {}) {
  const opts = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD') opts.headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch {
    throw new ApiError(0, 'network', 'relaydesk cannot be reached; check your connection.');
  }
  if (res.status === 401) {
    location.assign('/console/login');
    throw new ApiError(401, 'unauthorized', 'Your session ended; sign in again.');
  }
  let data = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error?.code, data?.error?.message || `${res.status} ${res.statusText}`);
  return data;
}

// el builds an element: el('td', {class: 'x', dataset: {id: 1}}, 'text', child).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// toast shows a short notice in #toasts; onOpen adds an "Open" button,
// action {label, run, testid} a button of its own (Undo).
export function toast(text, { error = false, onOpen = null, action = null, timeout = 8000 } = {}) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = el('div', { class: 'toast' + (error ? ' error' : ''), role: error ? 'alert' : null },
    el('span', { class: 'toast-text', text }));
  if (onOpen) t.append(el('button', { type: 'button', onclick: () => { onOpen(); t.remove(); } }, 'Open'));
  if (action) t.append(el('button', { type: 'button', dataset: { testid: action.testid || '' }, onclick: () => { action.run(); t.remove(); } }, action.label));
  t.append(el('button', { type: 'button', 'aria-label': 'Dismiss', onclick: () => t.remove() }, '×'));
  box.append(t);
  if (timeout) setTimeout(() => t.remove(), timeout);
}

export function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
}

export function fmtBytes(n) {
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1).replace(/\.0$/, '') + ' MB';
  if (n >= 1 << 10) return Math.round(n / (1 << 10)) + ' KB';
  return n + ' bytes';
}

// Copy buttons: data-copy names the input whose value to copy.
export function wireCopyButtons(root = document) {
  root.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-copy]');
    if (!b) return;
    const input = document.getElementById(b.dataset.copy);
    if (!input) return;
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select();
      document.execCommand('copy');
    }
    const was = b.textContent;
    b.textContent = 'Copied';
    setTimeout(() => { b.textContent = was; }, 1500);
  });
}

// wireAvailability makes the header's status picker work; onChange hears
// the new status.
export function wireAvailability(onChange) {
  const sel = document.getElementById('availability');
  if (!sel) return;
  sel.addEventListener('change', async () => {
    const want = sel.value;
    const was = document.body.dataset.availability;
    try {
      const me = await api('POST', '/console/api/me/availability', { availability: want });
      document.body.dataset.availability = me.availability;
      if (me.availability === 'available' && 'Notification' in window && Notification.permission === 'default') {
        Notification.requestPermission().catch(() => {});
      }
      onChange?.(me.availability);
    } catch (err) {
      sel.value = was;
      toast(err.message, { error: true });
    }
  });
}

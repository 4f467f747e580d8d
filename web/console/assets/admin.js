// The admin page: companies, technicians, access grants and the admin log.
// Every change goes through the admin API; the page then reloads to show
// the result. What a change answered is shown next to the form or row
// that made it, not at the top of the page.
import { api, wireAvailability } from './common.js';

const SAVED = 'relaydesk-admin-status';
const PICK = 'relaydesk-admin-grant-tech';

// statusOf is the status line beside el: in its row, else in its form.
function statusOf(el) {
  const box = el.closest('tr') || el.closest('form') || el.closest('section');
  return box?.querySelector('.form-status') || null;
}

// where names the status line of el so that it can be found again after
// the reload: its row's or form's id, or its section's.
function where(el) {
  const row = el.closest('tr[data-id]');
  if (row) return { row: row.dataset.id, table: row.closest('table').id };
  const form = el.closest('form[id]');
  if (form) return { form: form.id };
  return { section: el.closest('section')?.id };
}

function find(w) {
  if (w.row) return document.querySelector(`#${w.table} tr[data-id="${CSS.escape(w.row)}"] .form-status`);
  if (w.form) return document.querySelector(`#${w.form} .form-status`);
  return document.querySelector(`#${w.section} .form-status`);
}

function say(line, msg, error = false) {
  if (!line) return;
  line.textContent = msg;
  line.classList.toggle('error', error);
}

// Messages survive the reload that shows a change, beside what made it.
const saved = sessionStorage.getItem(SAVED);
if (saved) {
  sessionStorage.removeItem(SAVED);
  try {
    const { msg, at } = JSON.parse(saved);
    const line = find(at);
    say(line, msg);
    line?.closest('tr, form')?.scrollIntoView({ block: 'center' });
  } catch { /* an old message: drop it */ }
}

// The technician just added is the one to grant access to next.
const pick = sessionStorage.getItem(PICK);
if (pick) {
  sessionStorage.removeItem(PICK);
  const sel = document.getElementById('grant-tech');
  if (sel && [...sel.options].some((o) => o.value === pick)) sel.value = pick;
}

async function run(origin, what, fn) {
  const line = statusOf(origin);
  say(line, 'Working…');
  try {
    const out = await fn();
    sessionStorage.setItem(SAVED, JSON.stringify({ msg: typeof what === 'function' ? what(out) : what, at: where(origin) }));
    location.reload();
  } catch (err) {
    say(line, err.message, true);
  }
}

// confirmed asks for a second click on a button whose action is hard to
// undo: the first one turns it into "Really ...?" for a few seconds.
function confirmed(b, question) {
  if (b.dataset.armed === '1') return true;
  b.dataset.armed = '1';
  const was = b.textContent;
  b.textContent = question;
  b.classList.add('armed');
  setTimeout(() => {
    b.dataset.armed = '';
    b.textContent = was;
    b.classList.remove('armed');
  }, 5000);
  return false;
}

const exts = (s) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
const mb = (s) => (s === '' ? 0 : Math.round(Number(s) * 1024 * 1024));
const path = (kind, id, tail = '') => `/console/api/admin/${kind}/${encodeURIComponent(id)}${tail}`;

document.addEventListener('submit', (e) => {
  const form = e.target;
  const f = form.elements;
  let done = true;
  if (form.id === 'company-create') {
    run(form, `Company ${f.name.value} added.`, () => api('POST', '/console/api/admin/companies', {
      name: f.name.value, slug: f.slug.value, allowed_exts: exts(f.exts.value), max_file_bytes: mb(f.max_mb.value),
    }));
  } else if (form.id === 'tech-create') {
    run(form, (t) => {
      if (t.role === 'admin') return `Admin ${t.name} added; admins serve every company.`;
      sessionStorage.setItem(PICK, t.id);
      return `Technician ${t.name} added. Grant them access to companies below.`;
    }, () => api('POST', '/console/api/admin/technicians', {
      name: f.name.value, email: f.email.value, role: f.role.value, password: f.password.value,
    }));
  } else if (form.id === 'grant-form') {
    run(form, 'Access granted.', () => api('POST', '/console/api/admin/access/grant', { technician: f.technician.value, company: f.company.value }));
  } else if (form.matches('form.company-edit')) {
    const body = { allowed_exts: exts(f.exts.value) };
    if (f.max_mb.value !== '') body.max_file_bytes = mb(f.max_mb.value);
    run(form, 'Upload settings saved.', () => api('PATCH', path('companies', form.dataset.id), body));
  } else if (form.matches('form.company-rename')) {
    run(form, (c) => `Renamed to ${c.name}.`, () => api('POST', path('companies', form.dataset.id, '/rename'), { name: f.name.value }));
  } else if (form.matches('form.set-role')) {
    run(form, (t) => `${t.name} is now ${t.role === 'admin' ? 'an admin' : 'a technician'}.`, () =>
      api('POST', path('technicians', form.dataset.id, '/role'), { role: f.role.value }));
  } else if (form.matches('form.set-password')) {
    run(form, 'Password set; they were signed out everywhere.', () =>
      api('POST', path('technicians', form.dataset.id, '/password'), { password: f.password.value }));
  } else {
    done = false;
  }
  if (done) e.preventDefault();
});

async function copy(b) {
  const code = document.getElementById(b.dataset.copyCode);
  if (!code) return;
  const text = code.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission: copy the selected text the old way.
    const range = document.createRange();
    range.selectNodeContents(code);
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    document.execCommand('copy');
  }
  b.textContent = 'Copied';
  setTimeout(() => { b.textContent = 'Copy'; }, 2000);
}

document.addEventListener('click', (e) => {
  const b = e.target.closest('button');
  if (!b) return;
  const d = b.dataset;
  if (d.copyCode) {
    copy(b);
  } else if (d.revokeTech) {
    run(b, 'Access revoked.', () => api('POST', '/console/api/admin/access/revoke', { technician: d.revokeTech, company: d.revokeCompany }));
  } else if (d.clearSignIns) {
    run(b, `${d.name} can sign in again: their failed sign-ins no longer count.`, () =>
      api('POST', path('technicians', d.clearSignIns, '/clear-sign-ins')));
  } else if (d.deactivate) {
    if (!confirmed(b, `Really deactivate ${d.name}?`)) return;
    run(b, (t) => `${t.name} is deactivated: signed out everywhere, chat accounts unlinked.` +
      (Number(b.closest('tr').querySelector('td.num')?.textContent) > 0 ? ' Their open requests stay theirs until an admin returns them to the queue or closes them.' : ''),
    () => api('POST', path('technicians', d.deactivate, '/deactivate')));
  } else if (d.returnRequests) {
    if (!confirmed(b, `Really put ${d.name}'s open requests back in the queue?`)) return;
    run(b, (res) => `${res.returned} request(s) of ${d.name} are back in the queue, New for anyone available to take.`, () =>
      api('POST', path('technicians', d.returnRequests, '/return-requests')));
  } else if (d.reactivate) {
    run(b, (t) => `${t.name} can sign in again; chat accounts must be linked again.`, () =>
      api('POST', path('technicians', d.reactivate, '/reactivate')));
  } else if (d.archive) {
    if (!confirmed(b, `Really archive ${d.name}?`)) return;
    run(b, (c) => `${c.name} is archived: it takes no new requests.`, () => api('POST', path('companies', d.archive, '/archive')));
  } else if (d.unarchive) {
    run(b, (c) => `${c.name} takes new requests again.`, () => api('POST', path('companies', d.unarchive, '/unarchive')));
  } else if (d.rotate) {
    if (!confirmed(b, 'Really? The old snippet stops working')) return;
    run(b, 'New portal key issued: update the snippet on the website.', () => api('POST', path('companies', d.rotate, '/rotate-key')));
  }
});

wireAvailability();

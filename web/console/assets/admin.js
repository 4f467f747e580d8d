// The admin page: companies, technicians and access grants. Every change
// goes through the admin API; the page then reloads to show the result.
import { api, wireAvailability, wireCopyButtons } from './common.js';

const status = document.getElementById('admin-status');

function say(msg, error = false) {
  status.textContent = msg;
  status.classList.toggle('error', error);
}

// Messages survive the reload that shows a change.
const saved = sessionStorage.getItem('relaydesk-admin-status');
if (saved) {
  say(saved);
  sessionStorage.removeItem('relaydesk-admin-status');
}

async function run(what, fn) {
  try {
    await fn();
    sessionStorage.setItem('relaydesk-admin-status', what);
    location.reload();
  } catch (err) {
    say(err.message, true);
  }
}

const exts = (s) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
const mb = (s) => (s === '' ? 0 : Math.round(Number(s) * 1024 * 1024));

document.getElementById('company-create').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = e.target.elements;
  run(`Company ${f.name.value} added.`, () => api('POST', '/console/api/admin/companies', {
    name: f.name.value, slug: f.slug.value, allowed_exts: exts(f.exts.value), max_file_bytes: mb(f.max_mb.value),
  }));
});

document.addEventListener('submit', (e) => {
  const form = e.target;
  if (form.matches('form.company-edit')) {
    e.preventDefault();
    const f = form.elements;
    const body = { allowed_exts: exts(f.exts.value) };
    if (f.max_mb.value !== '') body.max_file_bytes = mb(f.max_mb.value);
    run('Company settings saved.', () => api('PATCH', `/console/api/admin/companies/${encodeURIComponent(form.dataset.id)}`, body));
  } else if (form.matches('form.set-password')) {
    e.preventDefault();
    const pw = form.elements.password.value;
    run('Password set; that technician was signed out everywhere.', () =>
      api('POST', `/console/api/admin/technicians/${encodeURIComponent(form.dataset.id)}/password`, { password: pw }));
  }
});

document.getElementById('tech-create').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = e.target.elements;
  run(`Technician ${f.name.value} added. Grant them access to companies below.`, () => api('POST', '/console/api/admin/technicians', {
    name: f.name.value, email: f.email.value, role: f.role.value, password: f.password.value,
  }));
});

document.getElementById('grant-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = e.target.elements;
  run('Access granted.', () => api('POST', '/console/api/admin/access/grant', { technician: f.technician.value, company: f.company.value }));
});

document.addEventListener('click', (e) => {
  const revoke = e.target.closest('[data-revoke-tech]');
  if (revoke) {
    run('Access revoked.', () => api('POST', '/console/api/admin/access/revoke',
      { technician: revoke.dataset.revokeTech, company: revoke.dataset.revokeCompany }));
    return;
  }
  const clear = e.target.closest('[data-clear-sign-ins]');
  if (clear) {
    run(`${clear.dataset.name} can sign in again: their failed sign-ins no longer count.`, () =>
      api('POST', `/console/api/admin/technicians/${encodeURIComponent(clear.dataset.clearSignIns)}/clear-sign-ins`));
    return;
  }
  const rotate = e.target.closest('[data-rotate]');
  if (rotate) {
    if (!confirm(`Issue a new portal key for ${rotate.dataset.name}? The widget snippet on their website stops working until it is replaced.`)) return;
    run('New portal key issued: update the snippet on the website.', () =>
      api('POST', `/console/api/admin/companies/${encodeURIComponent(rotate.dataset.rotate)}/rotate-key`));
  }
});

wireCopyButtons();
wireAvailability();

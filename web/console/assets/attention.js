// Attention: the unread count of the technician's requests in the page's
// title and icon, and an optional chime when it grows.
import { $ } from './state.js';

const baseTitle = document.title;
const baseIcon = document.querySelector('link[rel="icon"]')?.href;
let lastUnread = 0;

// attention shows the unread count of the technician's requests in the
// page title and icon, and sounds once when it grows, if asked to.
export function attention(unread = lastUnread) {
  document.title = unread ? `(${unread}) ${baseTitle}` : baseTitle;
  const icon = document.querySelector('link[rel="icon"]');
  if (icon) icon.href = unread ? badgeIcon(unread) : baseIcon;
  if (unread > lastUnread && $('sound')?.checked) chime();
  lastUnread = unread;
}

function badgeIcon(n) {
  const t = n > 99 ? '99+' : String(n);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#17213a"/>` +
    `<circle cx="22" cy="10" r="10" fill="#e5484d"/><text x="22" y="14.5" font-family="Arial,sans-serif" font-size="${t.length > 2 ? 9 : 13}" font-weight="700" fill="#fff" text-anchor="middle">${t}</text></svg>`;
  return 'data:image/svg+xml,' + encodeURIComponent(svg);
}

let audio = null;
function chime() {
  try {
    audio = audio || new AudioContext();
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.15, audio.currentTime);
    g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
    o.connect(g).connect(audio.destination);
    o.start();
    o.stop(audio.currentTime + 0.35);
  } catch { /* no audio: the title and icon still say it */ }
}

export function wireSound() {
  const box = $('sound');
  if (!box) return;
  box.checked = localStorage.getItem('relaydesk.sound') === 'on';
  box.addEventListener('change', () => localStorage.setItem('relaydesk.sound', box.checked ? 'on' : 'off'));
}

// What the Support Center's modules share: the page's state and a few
// small helpers.
export const $ = (id) => document.getElementById(id);

export const VIEWS = ['mine', 'new', 'active', 'completed', 'all'];

export const state = {
  me: document.body.dataset.me,
  view: 'mine',
  sort: 'updated',
  desc: true,
  filter: '',
  rows: [],
  next: '',
  known: null, // request IDs already listed: rows that appear later flash
  openId: null,
  detail: null,
  colleaguesFor: null,
  pos: document.querySelector('meta[name="log-position"]')?.content || '',
  mine: [], // the rows of My Support Requests, for counts and attention
};

export const availability = () => document.body.dataset.availability;

export const statusLabel = { new: 'New', active: 'Active', completed: 'Completed' };
export const chatLabel = { waiting: 'Chat not joined yet', live: 'Chat live', ended: 'Chat ended' };

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// Narrow screens show one pane at a time: the list, the conversation or its
// information.
export const narrow = () => window.matchMedia('(max-width: 760px)').matches;

export function showScreen(name) {
  $('workspace').dataset.screen = name;
}

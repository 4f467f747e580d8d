// Rendering of a message's text in relaydesk's pages. The server sends each
// message's body together with its Doc: the body parsed by core/markup into
// blocks (p, quote, list, code) of inlines (text, br, b, i, s, code, a).
// This module turns a Doc into DOM nodes with createElement and text nodes
// only: nothing a person wrote is ever handed to an HTML parser, so it can
// never become markup, script or an image.

// messageContent is the content of a message: its Doc rendered, or, when
// the server sent none, its body as plain text.
export function messageContent(doc, body) {
  const out = document.createDocumentFragment();
  if (!Array.isArray(doc)) {
    out.append(body || '');
    return out;
  }
  for (const b of doc) out.append(block(b));
  return out;
}

function block(b) {
  switch (b.kind) {
    case 'code': {
      const pre = document.createElement('pre');
      pre.append(node('code', b.text));
      return pre;
    }
    case 'list': {
      const list = document.createElement(b.ordered ? 'ol' : 'ul');
      for (const item of b.items || []) list.append(inlines(document.createElement('li'), item));
      return list;
    }
    case 'quote':
      return inlines(document.createElement('blockquote'), b.inlines);
    default: // 'p', and kinds this page does not know yet
      return inlines(document.createElement('p'), b.inlines);
  }
}

const spans = { b: 'strong', i: 'em', s: 's' };

function inlines(parent, xs) {
  for (const x of xs || []) {
    if (x.kind === 'text') parent.append(x.text || '');
    else if (x.kind === 'br') parent.append(document.createElement('br'));
    else if (x.kind === 'code') parent.append(node('code', x.text));
    else if (x.kind === 'a') parent.append(link(x));
    else if (spans[x.kind]) parent.append(inlines(document.createElement(spans[x.kind]), x.children));
    else inlines(parent, x.children); // a kind this page does not know: its words
  }
  return parent;
}

// link is a link that opens in a new tab, tells the target nothing of the
// page and vouches for nothing; a URL that is not http, https or mailto
// leaves its text as plain text.
function link(x) {
  const href = safeURL(x.url);
  if (!href) return inlines(document.createDocumentFragment(), x.children);
  const a = inlines(document.createElement('a'), x.children);
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer nofollow';
  return a;
}

function safeURL(s) {
  let u;
  try {
    u = new URL(String(s || ''));
  } catch {
    return '';
  }
  if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host) return u.href;
  if (u.protocol === 'mailto:' && u.pathname) return u.href;
  return '';
}

function node(tag, text) {
  const e = document.createElement(tag);
  e.textContent = text || '';
  return e;
}

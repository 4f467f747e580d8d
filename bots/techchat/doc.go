// Package techchat is what relaydesk does alike on every chat platform
// technicians work from (Slack, Discord): a card per request in its
// company's queue channel, kept up to date in place; the card's thread as
// the request's chat, with the thread rule (the owner's and invited
// colleagues' messages go to the customer once they joined the live chat;
// anything else, and anything starting with a note marker, is a private
// note); direct messages about new requests and to invited technicians;
// the /support commands and the card's buttons, both rendered from the
// engine's action vocabulary (core.Action).
//
// A platform package keeps only what is truly its own: wire formats,
// transports, signatures and rate limits. It implements Platform (post,
// edit and find a card, start its thread, post a line, upload a file, send
// a direct message, and classify the platform's errors), fills a Config
// with its Markup and texts, and hands what its users send to Chat: a
// parsed Command, a pressed button (Press), a message written in a
// thread (ThreadMessage). A third technician platform (Microsoft Teams,
// Mattermost, Matrix) is those methods, a parser for its command and
// button payloads, its signature check and its transport: a few hundred
// lines.
//
// Edits and deletions in a thread edit and withdraw the message relaydesk
// stored (Chat.ThreadMessage with Edit, Chat.Withdraw), found through the
// copy recorded when it was stored; each line posted with a message's body
// is recorded as a copy too, and edited in place (Platform.EditLine) when
// the message is edited or withdrawn elsewhere (edits.go).
//
// The state Chat keeps (cards and their threads, posting markers,
// notification settings) lives in typed store tables, read and written
// through Store.
package techchat

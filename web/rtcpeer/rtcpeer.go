// Package rtcpeer is the browser side of a live session's media
// connection, shared by the customer's chat and the console: one
// RTCPeerConnection to relaydesk's media room, negotiated over the live
// WebSocket as the impolite side of WebRTC's perfect negotiation (the room
// gives way when both offer at once).
package rtcpeer

import _ "embed"

// Script is peer.js, an ES module exporting RoomPeer.
//
//go:embed peer.js
var Script []byte

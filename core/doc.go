// Package core is relaydesk's domain: companies, technicians, customers,
// support requests and their append-only event log, and the Engine that
// applies every action of a request's life under the product's rules.
//
// core depends on the standard library only (plus a content sniffer for
// file validation). Storage, blob storage and platforms are reached
// through the small interfaces declared here and implemented elsewhere.
package core

// Package migrations holds relaydesk's schema as plain SQL files, one folder
// per database, embedded in the binary. Files are applied in name order; a
// test keeps the two folders in step.
package migrations

import "embed"

// FS holds sqlite/NNNN_name.sql and postgres/NNNN_name.sql.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS

package sqlstore_test

import (
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// notBackedUp are the tables a backup leaves out on purpose (see
// sqlstore.BackupTables).
var notBackedUp = []string{"schema_migrations", "dispatch_cursors", "dispatch_failures", "dispatch_convs", "dispatch_members",
	"sessions", "blobs", "blob_chunks", "live_rooms", "live_mail"}

// TestBackupCoversEveryTable: each table of the schema is either in a
// backup or left out on purpose, so a new table cannot be forgotten.
func TestBackupCoversEveryTable(t *testing.T) {
	s := storetest.SQLite(t)
	var tables []string
	if err := s.DB().Select(&tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if !slices.Contains(sqlstore.BackupTables, tb) && !slices.Contains(notBackedUp, tb) {
			t.Errorf("table %s is neither backed up (sqlstore.BackupTables) nor left out on purpose", tb)
		}
	}
	for _, tb := range sqlstore.BackupTables {
		if !slices.Contains(tables, tb) {
			t.Errorf("sqlstore.BackupTables names %s, which the schema lacks", tb)
		}
	}
}

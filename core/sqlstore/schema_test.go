package sqlstore_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestSchemasAgree: the SQLite and PostgreSQL migrations build the same
// schema: the same tables, columns (by name, by type family, since the
// databases name their types differently, and by nullability) and indexes
// (by name, columns, uniqueness and whether they are partial). Indexes that
// back a primary key or a UNIQUE constraint are named by each database in
// its own way, so they are compared by table and columns.
func TestSchemasAgree(t *testing.T) {
	t.Parallel()
	lite := sqliteCatalog(t, storetest.SQLite(t).DB())
	pg := postgresCatalog(t, storetest.Postgres(t).DB())
	if len(lite) == 0 || len(pg) == 0 {
		t.Fatalf("empty catalogs: sqlite %d entries, postgres %d", len(lite), len(pg))
	}
	keys := slices.Sorted(maps.Keys(lite))
	for k := range pg {
		if _, ok := lite[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if l, p := lite[k], pg[k]; l != p {
			t.Errorf("%s: sqlite has %q, postgres %q", k, l, p)
		}
	}
}

// A catalog describes a schema as entries a test can compare across
// databases: "table T", "column T.C" (its type family and nullability),
// "primary key T (cols)", "unique T (cols)" and "index NAME" (its table,
// columns, uniqueness and partiality). An entry one side lacks reads "".
type catalog map[string]string

func sqliteCatalog(t *testing.T, db *sqlx.DB) catalog {
	t.Helper()
	c := catalog{}
	var tables []string
	must(t, db.Select(&tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`))
	for _, tb := range tables {
		c["table "+tb] = "yes"
		var cols []struct {
			Name    string `db:"name"`
			Type    string `db:"type"`
			NotNull bool   `db:"notnull"`
			PK      int    `db:"pk"`
		}
		must(t, db.Select(&cols, `SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, tb))
		pk := map[int]string{}
		for _, col := range cols {
			// A primary key column may hold NULL on SQLite, for
			// compatibility with its old versions; relaydesk never stores
			// one, and PostgreSQL refuses it.
			c["column "+tb+"."+col.Name] = describeColumn(col.Type, col.NotNull || col.PK > 0)
			if col.PK > 0 {
				pk[col.PK] = col.Name
			}
		}
		if len(pk) > 0 {
			var names []string
			for i := 1; i <= len(pk); i++ {
				names = append(names, pk[i])
			}
			c[fmt.Sprintf("primary key %s (%s)", tb, strings.Join(names, ", "))] = "yes"
		}
		var idxs []struct {
			Name    string `db:"name"`
			Unique  bool   `db:"unique"`
			Origin  string `db:"origin"`
			Partial bool   `db:"partial"`
		}
		must(t, db.Select(&idxs, `SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, tb))
		for _, ix := range idxs {
			var names []string
			must(t, db.Select(&names, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix.Name))
			switch ix.Origin {
			case "pk": // described by the table's columns above
			case "u":
				c[fmt.Sprintf("unique %s (%s)", tb, strings.Join(names, ", "))] = "yes"
			default:
				c["index "+ix.Name] = describeIndex(tb, names, ix.Unique, ix.Partial)
			}
		}
	}
	return c
}

func postgresCatalog(t *testing.T, db *sqlx.DB) catalog {
	t.Helper()
	c := catalog{}
	var tables []string
	must(t, db.Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`))
	for _, tb := range tables {
		c["table "+tb] = "yes"
		var cols []struct {
			Name     string `db:"column_name"`
			Type     string `db:"data_type"`
			Nullable string `db:"is_nullable"`
		}
		must(t, db.Select(&cols, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`, tb))
		for _, col := range cols {
			c["column "+tb+"."+col.Name] = describeColumn(col.Type, col.Nullable == "NO")
		}
	}
	var idxs []struct {
		Name       string `db:"name"`
		Table      string `db:"tbl"`
		Columns    string `db:"columns"`
		Unique     bool   `db:"indisunique"`
		Primary    bool   `db:"indisprimary"`
		Partial    bool   `db:"partial"`
		Constraint string `db:"contype"`
	}
	// pg_indexes shows an index only as its CREATE statement: its columns,
	// in order, come from pg_index.
	must(t, db.Select(&idxs, `SELECT i.indexname AS name, i.tablename AS tbl, x.indisunique, x.indisprimary,
			x.indpred IS NOT NULL AS partial, COALESCE(con.contype::text, '') AS contype,
			array_to_string(ARRAY(
				SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
				JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.n), ', ') AS columns
		FROM pg_indexes i
		JOIN pg_class ic ON ic.relname = i.indexname
		JOIN pg_namespace ns ON ns.oid = ic.relnamespace AND ns.nspname = i.schemaname
		JOIN pg_index x ON x.indexrelid = ic.oid
		LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u')
		WHERE i.schemaname = current_schema()`))
	for _, ix := range idxs {
		switch {
		case ix.Primary:
			c[fmt.Sprintf("primary key %s (%s)", ix.Table, ix.Columns)] = "yes"
		case ix.Constraint == "u":
			c[fmt.Sprintf("unique %s (%s)", ix.Table, ix.Columns)] = "yes"
		default:
			c["index "+ix.Name] = describeIndex(ix.Table, strings.Split(ix.Columns, ", "), ix.Unique, ix.Partial)
		}
	}
	return c
}

func describeColumn(typ string, notNull bool) string {
	if notNull {
		return typeFamily(typ) + " not null"
	}
	return typeFamily(typ)
}

func describeIndex(table string, columns []string, unique, partial bool) string {
	s := fmt.Sprintf("on %s (%s)", table, strings.Join(columns, ", "))
	if unique {
		s = "unique " + s
	}
	if partial {
		s += " partial"
	}
	return s
}

// typeFamily groups a column type as both databases spell it (SQLite's
// declared type, PostgreSQL's information_schema data_type) by what it
// stores, as SQLite's type affinity rules read a declared type.
func typeFamily(typ string) string {
	t := strings.ToLower(typ)
	switch {
	case strings.Contains(t, "bool"):
		return "boolean"
	case strings.Contains(t, "int"), strings.Contains(t, "serial"):
		return "integer"
	case strings.Contains(t, "char"), strings.Contains(t, "clob"), strings.Contains(t, "text"):
		return "text"
	case t == "", strings.Contains(t, "blob"), t == "bytea":
		return "blob"
	case strings.Contains(t, "real"), strings.Contains(t, "floa"), strings.Contains(t, "doub"):
		return "real"
	}
	return t
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

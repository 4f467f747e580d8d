#!/usr/bin/env bash
# pgbench.sh measures the physical limit the engine's chat-message benchmark
# is compared with: one-row INSERT transactions on the same PostgreSQL server,
# with 1 and 16 clients, 10 seconds each. It creates the table bench_insert
# in the database and drops it again when done (or interrupted).
#
# Connection: the usual libpq variables; defaults are those of the test
# server that core's benchmarks use (127.0.0.1:5432, database "test").
# DURATION (seconds per run, default 10) shortens or lengthens the runs.
set -euo pipefail

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGDATABASE="${PGDATABASE:-test}"
duration="${DURATION:-10}"

script="$(mktemp)"
cleanup() {
	psql -q -X -v ON_ERROR_STOP=1 -c 'DROP TABLE IF EXISTS bench_insert' >/dev/null || true
	rm -f "$script"
}
trap cleanup EXIT

psql -q -X -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_insert;
CREATE TABLE bench_insert (id bigserial PRIMARY KEY, body text, created_at bigint);
SQL

# One transaction = one autocommitted single-row INSERT, with a body the size
# of the engine benchmark's chat line.
cat >"$script" <<'SQL'
INSERT INTO bench_insert (body, created_at) VALUES ('Could you open the printer settings and tell me what the status line says?', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);
SQL

run() { # clients threads
	local out tps
	out="$(pgbench -n -f "$script" -c "$1" -j "$2" -T "$duration" 2>&1)" || {
		printf '%s\n' "$out" >&2
		return 1
	}
	tps="$(printf '%s\n' "$out" | awk '/^tps = / { print $3; exit }')"
	printf 'pgbench one-row INSERT, clients=%-2s threads=%s: %s tps\n' "$1" "$2" "$tps"
}

run 1 1
run 16 2

#!/bin/bash
# First start: initdb with PGUSER/PGPASSWORD (the password via a file, never on the command line), then the two
# databases. Every start: exec postgres listening on all container addresses.
set -euo pipefail
: "${PGPASSWORD:?set PGPASSWORD (the password of $PGUSER)}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp)
  printf '%s\n' "$PGPASSWORD" >"$pw"
  initdb -D "$PGDATA" -U "$PGUSER" --pwfile="$pw" --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pw"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /run/postgresql" -w start >/dev/null
  for db in "$PGDATABASE" "$REGISTRY_PGDATABASE"; do
    [[ "$db" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "database name '$db' must match [a-z_][a-z0-9_]*" >&2; exit 2; }
    psql -h /run/postgresql -U "$PGUSER" -d postgres -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$db\"" >/dev/null
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -k /run/postgresql -c max_connections=200 -c shared_buffers=128MB

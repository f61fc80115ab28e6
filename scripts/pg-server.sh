# A PostgreSQL server of a script's own, for the benchmarks: `. scripts/pg-server.sh`, then `pg_start DIR` (initdb in
# DIR/pg, a free loopback port in $pgport, default durability: fsync and synchronous_commit on, as a deployment runs it),
# `pg_createdb NAME`, and `pg_stop DIR` in the script's cleanup. Needs scripts/free-port.sh sourced first.
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pgport=""
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() { # DIR
  [ -x "$pgbin/initdb" ] || { echo "PostgreSQL is needed (Debian: apt-get install postgresql)" >&2; exit 1; }
  [ "$(id -u)" -eq 0 ] && chown postgres "$1"
  pgport=$(free_port)
  as_pg "$pgbin/initdb" -D "$1/pg" -U xos --auth=trust -E UTF8 --locale=C >/dev/null
  printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = '127.0.0.1'\nmax_connections = 400\nshared_buffers = 256MB\n" "$pgport" "$1" >> "$1/pg/postgresql.conf"
  as_pg "$pgbin/pg_ctl" -D "$1/pg" -l "$1/pg.log" -w start >/dev/null
}
pg_createdb() { psql -h 127.0.0.1 -p "$pgport" -U xos -d postgres -qc "CREATE DATABASE $1"; }
pg_stop() { [ -n "$pgport" ] && as_pg "$pgbin/pg_ctl" -D "$1/pg" -m immediate stop >/dev/null 2>&1 || true; }

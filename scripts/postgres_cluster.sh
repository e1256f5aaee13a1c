#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `start DIR PORT` initialises DIR (owned by an unprivileged
# user: PostgreSQL refuses to run as root) and starts it on 127.0.0.1:PORT with trust authentication on
# loopback only; prints the URL the tests take (ROLEGATE_TEST_POSTGRES_URL). `stop DIR` stops it.
# Debian's postgresql package installs the binaries under /usr/lib/postgresql/<major>/bin.
set -euo pipefail
action=${1:?start|stop}; dir=${2:?data directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install -y postgresql)" >&2; exit 1; }
run_as=()
if [ "$(id -u)" = 0 ]; then run_as=(runuser -u "${PG_USER:-postgres}" --); fi
case "$action" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown "${PG_USER:-postgres}" "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      "${run_as[@]}" "$bin/initdb" -D "$dir" -U rolegate --auth=trust -E UTF8 --no-locale >"$dir.initdb.log"
    fi
    # fsync stays on: the fault tests count acknowledged writes across a restart of this cluster.
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o \
      "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" start >/dev/null
    echo "postgresql+psycopg://rolegate@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] && "${run_as[@]}" "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (tests/conftest.py's "postgres" store backend and
# tests/test_postgres.py): installs PostgreSQL from Debian when it is missing, starts a cluster of its own
# in a new temporary folder, listening on 127.0.0.1 only (trust authentication; fsync off unless
# XINWEN_PG_DURABLE=1: it holds test data), and prints the shell lines that point the tests at it:
#
#     eval "$(.ci/postgres.sh)"                      # exports XINWEN_TEST_PG_DSN and XINWEN_TEST_PG_DIR
#     .ci/postgres.sh stop "$XINWEN_TEST_PG_DIR"     # stop it and remove its folder
#
# The DSN names the superuser `xinwen` and the database `postgres`; the tests create a database of their
# own for each store. Extra server settings: XINWEN_PG_SETTINGS="-c shared_buffers=1GB ...".
# Everything else the script says goes to stderr, so that stdout holds only the export lines.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

bindir() {  # the newest installed server's programs (Debian keeps them out of PATH)
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; fi
}

as_owner() {  # initdb and the server refuse to run as root: as root, run them as the postgres user
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = stop ]; then
    dir=${2:?usage: postgres.sh stop DIR}
    bin=$(bindir)
    if [ -n "$bin" ] && [ -d "$dir/data" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    exit 0
fi

if [ -z "$(bindir)" ]; then
    log "installing PostgreSQL from Debian"
    export DEBIAN_FRONTEND=noninteractive
    # the package lists another step fetched are enough; `apt-get update` only when they are not
    apt-get install -y -q postgresql >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        apt-get install -y -q postgresql >/dev/null
    }
fi
bin=$(bindir)
if [ -z "$bin" ]; then
    log "no PostgreSQL server programs under /usr/lib/postgresql after installing"
    exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/xinwen-pg.XXXXXX")
chmod 755 "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner "$bin/initdb" -D "$dir/data" -U xinwen --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
}
settings="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200"
if [ "${XINWEN_PG_DURABLE:-0}" != 1 ]; then
    settings="$settings -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
settings="$settings ${XINWEN_PG_SETTINGS:-}"
if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$settings" -w -t 60 start >/dev/null; then
    cat "$dir/server.log" >&2
    exit 1
fi
log "PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir"
echo "export XINWEN_TEST_PG_DSN=postgresql://xinwen@127.0.0.1:$port/postgres"
echo "export XINWEN_TEST_PG_DIR=$dir"

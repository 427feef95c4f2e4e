#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on a loopback port, for the store tests and the bench.
#   pg_test_cluster.sh start DIR [PORT]   initdb (password auth over TCP), start, create the
#                                         database qct; prints the owner's URL
#   pg_test_cluster.sh restart DIR        a fast restart (connections are cut, as in a real one)
#   pg_test_cluster.sh halt DIR           stops the server and keeps its data (start brings it back)
#   pg_test_cluster.sh stop DIR           stops it and removes its data
# As root, the server runs as the postgres user (initdb refuses root), with its data in a folder
# of its own under /tmp (DIR may sit under a path that user cannot enter); DIR/cluster names it.
set -euo pipefail
# The server outlives this script: it must not inherit the caller's descriptors beyond 0–2 (a
# caller that learns of the script's end when such a descriptor closes would wait for the server).
for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true; done
cmd=$1; mkdir -p "$2"; dir=$(cd "$2" && pwd); port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "${bin:-}/initdb" ] || { echo "pg_test_cluster: the PostgreSQL server is not installed (apt-get install postgresql-15)" >&2; exit 2; }
root=false; [ "$(id -u)" = 0 ] && root=true
# As root, the server runs from its own folder: the caller's may be closed to the postgres user.
as_owner() { if $root; then (cd "$home" && runuser -u postgres -- "$@"); else "$@"; fi; }
if [ -f "$dir/cluster" ]; then home=$(cat "$dir/cluster")
elif $root; then home=$(mktemp -d /tmp/qct-pgtest.XXXXXX); chown postgres "$home"; echo "$home" > "$dir/cluster"
else home=$dir; echo "$home" > "$dir/cluster"; fi
data=$home/data
case $cmd in
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      echo qct-owner-secret > "$home/pwfile"; $root && chown postgres "$home/pwfile"
      as_owner "$bin/initdb" -D "$data" -U qct_owner --pwfile="$home/pwfile" --auth-host=scram-sha-256 --auth-local=trust \
        --locale=C.UTF-8 --encoding=UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 2; }
    fi
    if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $home -c fsync=off -c max_connections=200" start >/dev/null
    fi
    as_owner "$bin/psql" -h "$home" -p "$port" -U qct_owner -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = 'qct'" | grep -q 1 \
      || as_owner "$bin/createdb" -h "$home" -p "$port" -U qct_owner qct
    echo "postgresql://qct_owner:qct-owner-secret@127.0.0.1:$port/qct"
    ;;
  restart)
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 restart >/dev/null
    ;;
  halt)
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    if [ "$home" != "$dir" ]; then rm -rf "$home"; else rm -rf "$data" "$home/pwfile" "$home/server.log"; fi
    rm -f "$dir/cluster"
    ;;
  *) echo "usage: pg_test_cluster.sh start|restart|halt|stop DIR [PORT]" >&2; exit 2 ;;
esac

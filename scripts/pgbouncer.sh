#!/usr/bin/env bash
# PgBouncer in transaction pooling mode (what managed PostgreSQL poolers use) on 127.0.0.1:6432, in front of the
# PostgreSQL server on 127.0.0.1:5432. Every database name is forwarded (wildcard entry), so the tests' per-run
# databases work through it; users are trusted, as the test server trusts them.
#
#   scripts/pgbouncer.sh start   # start it unless it is running; waits until it answers
#   scripts/pgbouncer.sh stop
#   scripts/pgbouncer.sh status
#
# The test URL is postgres://postgres@127.0.0.1:6432/<database>.
set -euo pipefail

BASE="${PGBOUNCER_DIR:-/var/tmp/piccolo-pgbouncer}"
PORT="${PGBOUNCER_PORT:-6432}"
RUN_AS=postgres # PgBouncer refuses to run as root

ensure_package() {
  if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    echo "Installing pgbouncer"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
    # The package starts its own instance on 6432 from /etc/pgbouncer; this script runs its own.
    service pgbouncer stop >/dev/null 2>&1 || true
  fi
}

write_config() {
  mkdir -p "$BASE"
  cat >"$BASE/userlist.txt" <<'EOF'
"postgres" ""
EOF
  cat >"$BASE/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $BASE/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
; The tests make a database per run: close idle server connections soon, and cap them per user, so the
; server's max_connections (shared with direct connections) is never used up by idle pools.
max_user_connections = 40
server_idle_timeout = 5
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
pidfile = $BASE/pgbouncer.pid
logfile = $BASE/pgbouncer.log
EOF
  chown -R "$RUN_AS" "$BASE"
}

running_pid() {
  local pid
  pid=$(cat "$BASE/pgbouncer.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && ps -o comm= -p "$pid" 2>/dev/null | grep -q pgbouncer; then echo "$pid"; fi
}

answers() { psql "postgres://postgres@127.0.0.1:$PORT/postgres" -Atc 'SELECT 1' >/dev/null 2>&1; }

start() {
  ensure_package
  if [ -n "$(running_pid)" ]; then
    echo "PgBouncer already running on 127.0.0.1:$PORT"
    return 0
  fi
  write_config
  rm -f "$BASE/pgbouncer.pid"
  echo "Starting PgBouncer on 127.0.0.1:$PORT"
  su -s /bin/sh "$RUN_AS" -c "pgbouncer -d '$BASE/pgbouncer.ini'"
  for _ in $(seq 1 30); do
    if answers; then
      echo "PgBouncer ready: postgres://postgres@127.0.0.1:$PORT/<database>"
      return 0
    fi
    sleep 1
  done
  echo "PgBouncer did not answer within 30s; see $BASE/pgbouncer.log" >&2
  return 1
}

stop() {
  local pid
  pid=$(running_pid)
  [ -n "$pid" ] || return 0
  echo "Stopping PgBouncer"
  kill -INT "$pid"
  for _ in $(seq 1 30); do
    [ -n "$(running_pid)" ] || return 0
    sleep 1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if [ -n "$(running_pid)" ]; then echo "PgBouncer running (pid $(running_pid)) on 127.0.0.1:$PORT"; else echo "PgBouncer stopped"; fi ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac

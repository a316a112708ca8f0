#!/usr/bin/env bash
# A 3-node MariaDB Galera cluster on loopback, for the cluster tests, the cluster bench and docs/deployment.md.
#
#   scripts/galera.sh start    # start whatever is not running (bootstraps node 1 when none is), wait for size 3
#   scripts/galera.sh stop     # stop every node (node 1 last, so it holds the newest state for the next bootstrap)
#   scripts/galera.sh status   # one line per node
#
# Nodes: SQL ports 3311-3313 (root, no password, 127.0.0.1 only), Galera group ports 4571-4573, IST 4581-4583,
# rsync SST 4591-4593. Data lives under $GALERA_DIR (default /var/tmp/piccolo-galera), owned by `mysql`: the
# servers run as that user, because the rsync state transfer fails on file permissions when they run as root.
# The test URL is mysql://root@127.0.0.1:3311,127.0.0.1:3312,127.0.0.1:3313/<database>.
set -euo pipefail

BASE="${GALERA_DIR:-/var/tmp/piccolo-galera}"
NODES=(1 2 3)
PROVIDER=/usr/lib/galera/libgalera_smm.so
GCOMM="gcomm://127.0.0.1:4571,127.0.0.1:4572,127.0.0.1:4573"

sql_port() { echo $((3310 + $1)); }
dir() { echo "$BASE/node$1"; }

ensure_packages() {
  local missing=()
  [ -f "$PROVIDER" ] || missing+=(galera-4)
  command -v rsync >/dev/null 2>&1 || missing+=(rsync)
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# Failure detection: Galera's defaults (a node is suspected after 5 s of silence) are made for WANs; while a
# dead node is still a member, commits and causal reads wait for it. On one machine (or a LAN) 1.5 s is ample.
write_config() { # node
  local n=$1 d
  d=$(dir "$n")
  cat >"$d/my.cnf" <<EOF
[mariadbd]
user=mysql
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$(sql_port "$n")
bind-address=127.0.0.1
skip-name-resolve
performance_schema=OFF
max_connections=300
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
innodb_flush_log_at_trx_commit=0
default_storage_engine=InnoDB
binlog_format=ROW
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=piccolo_test
wsrep_cluster_address=$GCOMM
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:$((4570 + n))
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$((4590 + n))
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$((4570 + n));ist.recv_addr=127.0.0.1:$((4580 + n));gcache.size=64M;evs.keepalive_period=PT0.3S;evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT1.5S;evs.inactive_timeout=PT3S"
EOF
}

prepare_node() { # node
  local n=$1 d
  d=$(dir "$n")
  mkdir -p "$d/data"
  write_config "$n"
  # Only node 1 is initialised: the others receive its data by state transfer when they join.
  if [ "$n" = 1 ] && [ ! -d "$d/data/mysql" ]; then
    mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=normal \
      --skip-test-db >"$d/install.log" 2>&1
  fi
  chown -R mysql:mysql "$BASE"
  chmod 755 "$BASE"
}

pid_of() { # node → the running server's pid, or nothing
  local pidfile
  pidfile="$(dir "$1")/mysqld.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  # Alive, not a zombie waiting to be reaped, and still a mariadbd (pids are reused).
  if [ -n "$pid" ] && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ] &&
    ps -o comm= -p "$pid" 2>/dev/null | grep -q mariadbd; then echo "$pid"; fi
}

query() { # node, sql → the value(s), or nothing when the node does not answer
  mariadb -uroot -h127.0.0.1 -P"$(sql_port "$1")" --connect-timeout=2 -N -B -e "$2" 2>/dev/null || true
}

status_var() { # node, variable
  query "$1" "SHOW GLOBAL STATUS LIKE '$2'" | awk '{print $2}'
}

node_ready() { # node: answers, is synced and sees all three
  [ "$(status_var "$1" wsrep_ready)" = ON ] && [ "$(status_var "$1" wsrep_cluster_size)" = 3 ] &&
    [ "$(status_var "$1" wsrep_local_state_comment)" = Synced ]
}

launch() { # node, extra args...
  local n=$1 d
  shift
  d=$(dir "$n")
  rm -f "$d/mysqld.pid"
  echo "Starting Galera node $n (port $(sql_port "$n"))"
  setsid /usr/sbin/mariadbd --defaults-file="$d/my.cnf" "$@" </dev/null >>"$d/stdout.log" 2>&1 &
}

wait_until() { # seconds, description, command...
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 "$seconds"); do
    if "$@"; then return 0; fi
    sleep 1
  done
  echo "Galera: $what did not happen within ${seconds}s; see $BASE/node*/error.log" >&2
  return 1
}

node_answers() { # node: answers SQL; a server that exited instead stops the script with its log's end
  if [ -n "$(status_var "$1" wsrep_ready)" ]; then return 0; fi
  if ! pgrep -f -- "--defaults-file=$(dir "$1")/my.cnf" >/dev/null; then
    echo "Galera node $1 exited while starting; the end of its log:" >&2
    tail -n 15 "$(dir "$1")/error.log" >&2
    exit 1
  fi
  return 1
}
all_ready() { for n in "${NODES[@]}"; do node_ready "$n" || return 1; done; }

start() {
  ensure_packages
  local running=()
  for n in "${NODES[@]}"; do
    prepare_node "$n"
    if [ -n "$(pid_of "$n")" ]; then running+=("$n"); fi
  done
  if [ ${#running[@]} -eq 0 ]; then
    # A new cluster from node 1, which was stopped last and so has the newest state. The others are sent
    # a fresh copy (their old state may be behind or, after a kill, unknown).
    sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$(dir 1)/data/grastate.dat" 2>/dev/null || true
    rm -f "$(dir 2)/data/grastate.dat" "$(dir 3)/data/grastate.dat"
    launch 1 --wsrep-new-cluster
    wait_until 60 "node 1 bootstrap" node_answers 1
    running=(1)
  fi
  for n in "${NODES[@]}"; do
    if [ -z "$(pid_of "$n")" ]; then
      launch "$n"
      # One joiner at a time: two state transfers from one donor at once slow each other down.
      wait_until 90 "node $n joining" node_answers "$n"
    fi
  done
  wait_until 120 "cluster size 3, all synced" all_ready
  echo "Galera cluster ready: 127.0.0.1:3311,127.0.0.1:3312,127.0.0.1:3313"
}

stop_node() { # node
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] || return 0
  echo "Stopping Galera node $1"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  for n in 3 2 1; do stop_node "$n"; done
}

status() {
  for n in "${NODES[@]}"; do
    local pid
    pid=$(pid_of "$n")
    if [ -z "$pid" ]; then
      echo "node $n: stopped"
    else
      echo "node $n: pid $pid, port $(sql_port "$n"), ready=$(status_var "$n" wsrep_ready)," \
        "size=$(status_var "$n" wsrep_cluster_size), state=$(status_var "$n" wsrep_local_state_comment)"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac

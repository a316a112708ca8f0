#!/usr/bin/env bash
# A Redis Cluster of 3 primaries and 3 replicas on loopback (127.0.0.1:7001-7006), from Debian's
# redis-server, for the Redis session and rate-limit tests. Nothing is persisted (a test cluster).
#
#   scripts/redis-cluster.sh start    # start what is not running, create the cluster once, put the
#                                     # primaries back on 7001-7003 (after a failover), wait until it answers
#   scripts/redis-cluster.sh stop
#   scripts/redis-cluster.sh status
#
# The test URL is redis+cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003.
set -euo pipefail

BASE="${REDIS_CLUSTER_DIR:-/var/tmp/piccolo-redis-cluster}"
FIRST_PORT="${REDIS_CLUSTER_FIRST_PORT:-7001}"
PORTS=()
for i in 0 1 2 3 4 5; do PORTS+=($((FIRST_PORT + i))); done
PRIMARIES=("${PORTS[@]:0:3}")

ensure_package() {
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    echo "Installing redis-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
  fi
}

cli() { local port=$1; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }
answers() { [ "$(cli "$1" PING 2>/dev/null)" = "PONG" ]; }
# $2 is a command and its words (e.g. "CLUSTER INFO"), split on purpose.
info_field() { cli "$1" $2 2>/dev/null | tr -d '\r' | sed -n "s/^$3:\(.*\)$/\1/p"; }

start_node() {
  local port=$1 dir="$BASE/$1"
  if answers "$port"; then return 0; fi
  mkdir -p "$dir"
  # cluster-node-timeout 2 s: a killed primary is replaced within a few seconds.
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode no --daemonize yes \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --save "" --appendonly no \
    --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 2000
  for _ in $(seq 1 50); do answers "$port" && return 0; sleep 0.1; done
  echo "Redis on 127.0.0.1:$port did not start (see $dir/redis.log)" >&2
  return 1
}

cluster_ok() { [ "$(info_field "$1" "CLUSTER INFO" cluster_state)" = "ok" ]; }
slots_assigned() { [ "$(info_field "$1" "CLUSTER INFO" cluster_slots_assigned)" = "16384" ]; }

wait_ok() {
  for _ in $(seq 1 150); do
    local all=1
    for port in "${PORTS[@]}"; do cluster_ok "$port" || all=0; done
    [ "$all" = 1 ] && return 0
    sleep 0.2
  done
  echo "The Redis Cluster did not reach cluster_state:ok" >&2
  return 1
}

# After a failover, the node that was a primary comes back as a replica: hand its role back.
reset_roles() {
  for port in "${PRIMARIES[@]}"; do
    if [ "$(info_field "$port" "INFO replication" role)" = "slave" ]; then
      for _ in $(seq 1 100); do
        [ "$(info_field "$port" "INFO replication" master_link_status)" = "up" ] && break
        sleep 0.1
      done
      echo "Handing the primary role back to 127.0.0.1:$port"
      cli "$port" CLUSTER FAILOVER >/dev/null
      for _ in $(seq 1 100); do
        [ "$(info_field "$port" "INFO replication" role)" = "master" ] && break
        sleep 0.1
      done
    fi
  done
}

start() {
  ensure_package
  for port in "${PORTS[@]}"; do start_node "$port"; done
  if ! slots_assigned "${PORTS[0]}"; then
    echo "Creating the Redis Cluster on 127.0.0.1:${PORTS[0]}-${PORTS[5]}"
    local nodes=()
    for port in "${PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >/dev/null
  fi
  wait_ok
  reset_roles
  wait_ok
  echo "Redis Cluster ready: redis+cluster://127.0.0.1:${PORTS[0]},127.0.0.1:${PORTS[1]},127.0.0.1:${PORTS[2]}"
}

stop() {
  for port in "${PORTS[@]}"; do
    if answers "$port"; then cli "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true; fi
  done
  echo "Redis Cluster stopped"
}

status() {
  for port in "${PORTS[@]}"; do
    if answers "$port"; then
      echo "127.0.0.1:$port $(info_field "$port" "INFO replication" role) cluster_state=$(info_field "$port" "CLUSTER INFO" cluster_state)"
    else
      echo "127.0.0.1:$port down"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

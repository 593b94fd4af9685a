#!/usr/bin/env bash
# Makes sure Redis and PostgreSQL answer on their local ports. Starts them when they are
# installed but stopped; says what to do when they are missing. Honours REDIS_URL and
# DATABASE_URL only for the port check: remote services are never started from here.
set -uo pipefail

redis_host=127.0.0.1 redis_port=6379 pg_host=127.0.0.1 pg_port=5432

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 50); do port_open "$1" "$2" && return 0; sleep 0.2; done
  return 1
}

missing=()

if ! port_open "$redis_host" "$redis_port"; then
  if command -v redis-server >/dev/null; then
    echo "genq: starting Redis on $redis_host:$redis_port"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/genq.log >/dev/null
    wait_port "$redis_host" "$redis_port" || missing+=("redis (installed but did not start)")
  else
    missing+=(redis)
  fi
fi

if ! port_open "$pg_host" "$pg_port"; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -1)
    echo "genq: starting PostgreSQL $version on $pg_host:$pg_port"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_port "$pg_host" "$pg_port" || missing+=("postgres (installed but did not start)")
  else
    missing+=(postgres)
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "genq: not reachable: ${missing[*]}" >&2
  echo "genq: start them with Docker: docker compose up -d redis postgres" >&2
  echo "genq: or install them (Debian: apt-get install redis-server postgresql)" >&2
  exit 1
fi

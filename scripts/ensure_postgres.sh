#!/usr/bin/env bash
# Prints a DATABASE_URL for a PostgreSQL on 127.0.0.1:5432: the one that answers there, or one
# installed from Debian's packages and started here. Progress goes to stderr.
set -euo pipefail
HOST=127.0.0.1
PORT=5432
URL="postgres://postgres:postgres@$HOST:$PORT/test"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
answers() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

if ! answers; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "ensure_postgres: installing postgresql" >&2
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "ensure_postgres: no cluster under /etc/postgresql" >&2
    exit 1
  fi
  echo "ensure_postgres: starting PostgreSQL $version" >&2
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2
  for _ in $(seq 1 60); do answers && break; sleep 0.5; done
  answers || { echo "ensure_postgres: PostgreSQL did not answer on $HOST:$PORT" >&2; exit 1; }
  # A fresh install authenticates TCP clients by password: give `postgres` the one in $URL.
  as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >&2
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\"" \
    | grep -q 1 || as_root su postgres -c "createdb test" >&2
fi
echo "$URL"

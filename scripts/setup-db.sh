#!/usr/bin/env bash
# Make sure the local PostgreSQL runs and has the ntm-map databases with PostGIS.
# Uses the trust-auth cluster on 127.0.0.1:5432 of our machines.
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
    echo "Starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    for _ in $(seq 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi

for db in "$@"; do
    if ! psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        createdb "$db"
    fi
    psql -q -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis"
done

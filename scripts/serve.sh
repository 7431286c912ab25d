#!/usr/bin/env bash
# Serve as in production (`make demo`, `make serve`): gunicorn's web workers (`ntm serve`) and
# one export worker (`ntm worker`) beside them; Ctrl-C stops both.
# The session secret is kept in instance/secret-key (made once by the Makefile) unless
# NTM_SECRET_KEY is set.
set -euo pipefail
VENV=${VENV:-.venv}
if [ -z "${NTM_SECRET_KEY:-}" ]; then
    NTM_SECRET_KEY=$(cat instance/secret-key)
    export NTM_SECRET_KEY
fi
"$VENV/bin/ntm" worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
"$VENV/bin/ntm" serve "$@"

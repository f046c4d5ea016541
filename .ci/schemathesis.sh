#!/usr/bin/env bash
# Fuzz the REST API against its own OpenAPI schema with Schemathesis 4.
#
# Starts the app on 127.0.0.1:8765 on the database DATABASE_URL names (a throw-away SQLite
# file when it is unset), loads the demo city, and runs Schemathesis as the demo administrator
# with the checks "no 5xx" and "responses match the schema". Tasks run eagerly in the web
# process (REDIS_URL is not passed on), so routing runs for every filed issue.
# Exits non-zero when Schemathesis reports a failure.
#
# Environment: SCHEMATHESIS_MAX_EXAMPLES (default 20), SCHEMATHESIS_PHASES
# (default examples,coverage,fuzzing), SCHEMATHESIS_SEED, SCHEMATHESIS_PORT (default 8765),
# SCHEMATHESIS_REPORT_DIR (a JUnit report is written there when set).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PORT=${SCHEMATHESIS_PORT:-8765}
BASE="http://127.0.0.1:${PORT}"
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

export DJANGO_DEBUG=1
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-schemathesis-only-not-a-secret}
export DATABASE_URL=${DATABASE_URL:-sqlite:///${WORK}/schemathesis.sqlite3}
unset REDIS_URL
# Tracebacks of 500s go to the server log, which is printed when the run fails.
export LOG_LEVEL=${LOG_LEVEL:-WARNING}

echo "==> database: ${DATABASE_URL%%://*}; migrate and load the demo city"
$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo --quiet
TOKEN=$($PY manage.py shell -v 0 -c '
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
print(Token.objects.get_or_create(user=get_user_model().objects.get(username="admin"))[0].key)
' | tail -n 1)
[ -n "$TOKEN" ] || { echo "no token for admin" >&2; exit 1; }

# Thousands of generated requests come from one address: lift the per-address limits here
# (tests/test_rate_limits.py checks them) so the fuzzer explores answers, not 429s.
export RATE_LIMIT_SUBMIT=100000/hour RATE_LIMIT_TRACK=100000/hour RATE_LIMIT_TOKEN=100000/hour
echo "==> runserver on ${BASE}"
$PY manage.py runserver "127.0.0.1:${PORT}" --noreload >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  if curl -fsS "${BASE}/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the server exited:" >&2
    cat "$WORK/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS "${BASE}/healthz" >/dev/null

REPORT=()
if [ -n "${SCHEMATHESIS_REPORT_DIR:-}" ]; then
  REPORT=(--report junit --report-dir "$SCHEMATHESIS_REPORT_DIR")
fi
SEED=()
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then
  SEED=(--seed "$SCHEMATHESIS_SEED")
fi

echo "==> schemathesis"
status=0
.venv/bin/schemathesis run "${BASE}/api/schema/?format=json" \
  --checks not_a_server_error,response_schema_conformance \
  --header "Authorization: Token ${TOKEN}" \
  --phases "${SCHEMATHESIS_PHASES:-examples,coverage,fuzzing}" \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-20}" \
  --workers 1 \
  --request-timeout 30 \
  --generation-database none \
  --no-color \
  "${SEED[@]}" "${REPORT[@]}" || status=$?

if [ "$status" -ne 0 ]; then
  echo "==> server log (last 200 lines)"
  tail -n 200 "$WORK/server.log"
fi
exit "$status"

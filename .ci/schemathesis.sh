#!/usr/bin/env bash
# Fuzz the REST API against its own OpenAPI schema with Schemathesis 4, as the people who use it.
#
# Starts the app on 127.0.0.1:8765 on the database DATABASE_URL names (a throw-away SQLite
# file when it is unset), loads the demo city, and gives it real work
# (.ci/schemathesis_world.py: reports filed and routed, one accepted, one resolved, a
# bounce-back asked for, one left to triage). Then Schemathesis runs as each role on the
# operations that role uses — the dispatcher (everything but the administrators' resources),
# the staff of the organisation leading the most cases (its queue, its cases, filing and
# tracking), the administrator (organisations, rule sets, figures) — each with the role's
# token and the ids it can see (path parameters take a real id most of the time), in all
# four phases: examples, coverage, fuzzing and stateful, where the schema's OpenAPI links
# chain create → act (file an issue, then dispatch it; list the queue, then accept and
# resolve; ask for a bounce-back, then approve it).
# Checks: no 5xx, and every answer matches the schema. Tasks run eagerly in the web process
# (REDIS_URL is not passed on), so routing runs for every filed issue.
# Exits non-zero when Schemathesis reports a failure for either role.
#
# Environment: SCHEMATHESIS_MAX_EXAMPLES (default 10), SCHEMATHESIS_PHASES
# (default examples,coverage,fuzzing,stateful), SCHEMATHESIS_ROLES (default
# "staff admin dispatcher"), SCHEMATHESIS_SEED, SCHEMATHESIS_PORT (default 8765),
# SCHEMATHESIS_REPORT_DIR (JUnit reports are written there, one directory per role).
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
# Notifications stay in memory (the console backend would print every one).
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend

echo "==> database: ${DATABASE_URL%%://*}; migrate, load the demo city and give it work"
$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo --quiet
$PY .ci/schemathesis_world.py "$WORK"

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

SEED=()
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then
  SEED=(--seed "$SCHEMATHESIS_SEED")
fi

# The operations each role uses. Administrators' resources answer 403 to everyone else; the
# dispatcher's acts on an issue answer staff 404; what anyone may call (filing, tracking,
# categories, tokens) the dispatcher's run covers.
ADMIN_ONLY='^/api/v1/(agencies|rulesets)/'
STAFF_WORK='^/api/v1/(assignments/|issues/)'
DISPATCHER_ACTS='^/api/v1/issues/\{id\}/(dispatch|escalate|merge)/'
filters() {
  case "$1" in
    dispatcher) echo --exclude-path-regex "$ADMIN_ONLY" ;;
    staff) echo --include-path-regex "$STAFF_WORK" --exclude-path-regex "$DISPATCHER_ACTS" ;;
    admin) echo --include-path-regex "${ADMIN_ONLY%/}|^/api/v1/stats/" ;;
  esac
}

status=0
# Staff first: the dispatcher's acts (dispatch, merge, approve) would empty their queue.
for role in ${SCHEMATHESIS_ROLES:-staff admin dispatcher}; do
  REPORT=()
  if [ -n "${SCHEMATHESIS_REPORT_DIR:-}" ]; then
    REPORT=(--report junit --report-dir "$SCHEMATHESIS_REPORT_DIR/$role")
  fi
  read -r -a FILTER <<<"$(filters "$role")"
  echo "==> schemathesis as the ${role}"
  .venv/bin/schemathesis --config-file "$WORK/$role.toml" run "${BASE}/api/schema/?format=json" \
    --checks not_a_server_error,response_schema_conformance \
    --phases "${SCHEMATHESIS_PHASES:-examples,coverage,fuzzing,stateful}" \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-10}" \
    --workers 1 \
    --request-timeout 30 \
    --generation-database none \
    --no-color \
    "${FILTER[@]}" "${SEED[@]}" "${REPORT[@]}" || status=$?
done

if [ "$status" -ne 0 ]; then
  echo "==> server log (last 200 lines)"
  tail -n 200 "$WORK/server.log"
fi
exit "$status"

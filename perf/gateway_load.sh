#!/usr/bin/env bash
# Load figures for daap-gateway with wrk, against a running stack (hack/dev.sh, then
# `source .dev/env` for DAAP_URL and DAAP_API_KEY, a platform-team key):
#   1. creates/s end to end: POST /databases for 20 s on a "bench" tier with a large quota;
#   2. seeds up to $DAAP_BENCH_DATABASES (default 10000) databases the same way, then waits
#      (up to $DAAP_BENCH_SETTLE seconds, default 600) until the operator has provisioned them,
#      so that the read figures are the gateway's and not the operator's backlog; at its
#      default 50 requests/s the operator needs ~8 writes per database: start the stack with
#      `DAAP_QPS=2000 DAAP_BURST=4000 hack/dev.sh --background` to settle in minutes;
#   3. one page of 100 from all of them: GET /databases?limit=100;
#   4. authenticated GET /databases/{id}, 64 connections.
# Then prints the audit writer's counters and the gateway's RSS ($DAAP_GATEWAY_PID_FILE, default
# .dev/gateway.pid). Results go to perf/RESULTS.md by hand, with the machine's load (`uptime`).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DAAP_URL:?source .dev/env first}" "${DAAP_API_KEY:?source .dev/env first}"
target=${DAAP_BENCH_DATABASES:-10000}
duration=${DAAP_BENCH_DURATION:-30s}

curl -fsS -o /dev/null -X POST "$DAAP_URL/tiers" -H "X-API-Key: $DAAP_API_KEY" \
  -H 'Content-Type: application/json' -d '{"name":"bench","description":"Load tests.",
  "postgres_version":17,"instances":1,"resources":{"cpu":"1m","memory":"1Mi"},
  "storage":{"size":"1Mi"},"destruction":{"strategy":"hard"},
  "quota":{"max_databases":100000,"max_cpu":"1000","max_memory":"1000Gi","max_storage":"1000Gi"}}' \
  || echo "bench tier exists"

count() {
  curl -fsS "$DAAP_URL/tiers/bench/quota" -H "X-API-Key: $DAAP_API_KEY" |
    sed -n 's/.*"usage":{"databases":\([0-9]*\).*/\1/p'
}

echo "== creates (POST /databases, 16 connections, 20 s)"
wrk -t2 -c16 -d20s --latency -s perf/wrk/create_databases.lua "$DAAP_URL/databases"
while [[ $(count) -lt $target ]]; do
  wrk -t2 -c16 -d2s -s perf/wrk/create_databases.lua "$DAAP_URL/databases" >/dev/null
done
echo "databases on the bench tier: $(count)"

provisioning() {
  curl -fsS "$DAAP_URL/databases?limit=1&tier=bench&status=provisioning" \
    -H "X-API-Key: $DAAP_API_KEY" | grep -c '"id"' || true
}
deadline=$((SECONDS + ${DAAP_BENCH_SETTLE:-600}))
while [[ $(provisioning) -gt 0 && $SECONDS -lt $deadline ]]; do
  sleep 5
done
if [[ $(provisioning) -gt 0 ]]; then
  echo "the operator is still provisioning: the figures below include its work"
else
  echo "every database provisioned; the operator is idle"
fi

echo "== one page of 100 (GET /databases?limit=100&tier=bench), one client: the page's latency"
wrk -t1 -c1 -d"$duration" --latency -s perf/wrk/list_databases.lua \
  "$DAAP_URL/databases?limit=100&tier=bench"
echo "== the same, 16 connections: throughput (latency is then mostly queueing)"
wrk -t2 -c16 -d"$duration" --latency -s perf/wrk/list_databases.lua \
  "$DAAP_URL/databases?limit=100&tier=bench"

id=$(curl -fsS "$DAAP_URL/databases?limit=1&tier=bench" -H "X-API-Key: $DAAP_API_KEY" |
  sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' | head -n 1)
echo "== GET /databases/$id (64 connections)"
wrk -t2 -c64 -d"$duration" --latency -s perf/wrk/get_database.lua "$DAAP_URL/databases/$id"

# Every request above wrote one audit row: none may have been dropped.
curl -fsS "$DAAP_URL/metrics" | grep -E '^daap_gateway_audit_' || true
pid_file=${DAAP_GATEWAY_PID_FILE:-.dev/gateway.pid}
if [[ -f "$pid_file" ]]; then
  echo "gateway RSS: $(ps -o rss= -p "$(cat "$pid_file")") KiB"
fi

#!/usr/bin/env bash
# The gateway part of the local stack (hack/dev.sh calls it once the devcluster runs):
#   hack/dev-gateway.sh start   platform PostgreSQL in .dev/postgres (port 54329), then
#                               daap-gateway on 127.0.0.1:8080 against .dev/kubeconfig; a
#                               bootstrap platform-team key is generated once and kept in
#                               .dev/bootstrap-api-key; DAAP_URL and DAAP_API_KEY are appended
#                               to .dev/env.
#   hack/dev-gateway.sh stop    stops both.
# Expects ${DAAP_DEV_BUILD_DIR:-build/release}/gateway/daap-gateway (hack/dev.sh builds it) and
# .dev/kubeconfig.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dev="$root/.dev"
port=${DAAP_GATEWAY_PORT:-8080}
pg_port=${DAAP_PLATFORM_POSTGRES_PORT:-54329}
binary=${DAAP_GATEWAY_BINARY:-${DAAP_DEV_BUILD_DIR:-$root/build/release}/gateway/daap-gateway}
# shellcheck source=hack/lib.sh
source hack/lib.sh

# SIGTERM: in-flight requests finish, queued audit rows are written.
stop_gateway() { stop_pid_file gateway "$dev/gateway.pid" 10; }

case "${1:-}" in
  stop)
    stop_gateway
    hack/platform-postgres.sh stop "$dev/postgres"
    exit 0
    ;;
  start) ;;
  *) echo "usage: hack/dev-gateway.sh start|stop" >&2; exit 2 ;;
esac

mkdir -p "$dev"
stop_gateway
database_url=$(hack/platform-postgres.sh start "$dev/postgres" "$pg_port")

# One key for the life of .dev/: daap_<8 [a-z0-9]>_<64 hex>, shown to the developer via .dev/env.
if [[ ! -s "$dev/bootstrap-api-key" ]]; then
  prefix=$(openssl rand -hex 4)
  secret=$(openssl rand -hex 32)
  (umask 077 && echo "daap_${prefix}_${secret}" >"$dev/bootstrap-api-key")
fi
api_key=$(cat "$dev/bootstrap-api-key")

DAAP_DATABASE_URL="$database_url" DAAP_BOOTSTRAP_API_KEY="$api_key" \
  "$binary" --kubeconfig="$dev/kubeconfig" --address=127.0.0.1 --port="$port" \
  --migrations-dir="$root/migrations" \
  >"$dev/gateway.out" 2>"$dev/gateway.log" &
echo $! >"$dev/gateway.pid"
if ! wait_ready gateway "$dev/gateway.pid" "$dev/gateway.out" "daap-gateway ready" \
  "$dev/gateway.log" 20; then
  stop_gateway
  exit 1
fi

touch "$dev/env"
sed -i '/^export DAAP_URL=/d; /^export DAAP_API_KEY=/d' "$dev/env"
cat >>"$dev/env" <<ENV
export DAAP_URL="http://127.0.0.1:$port"
export DAAP_API_KEY="$api_key"
ENV
echo "dev: gateway at http://127.0.0.1:$port (platform key in .dev/env as DAAP_API_KEY)"

#!/usr/bin/env bash
# Starts DAAP locally: the devcluster (a Kubernetes API server with the DAAP and CNPG CRDs, and
# a CNPG stand-in in fast mode), daap-operator against it, the example tiers, a platform
# PostgreSQL in .dev/postgres and daap-gateway on 127.0.0.1:8080.
#   hack/dev.sh               run in the foreground until Ctrl-C
#   hack/dev.sh --background  return once everything is ready
#   hack/dev.sh --stop        stop what --background started
# State lives in .dev/: the devcluster's data, .dev/kubeconfig, and .dev/env to source; logs in
# .dev/devcluster.log, .dev/operator.log and .dev/gateway.log. .dev/env exports KUBECONFIG,
# DAAP_URL and DAAP_API_KEY (a platform-team key). The operator's /metrics, /healthz and /readyz
# listen on 127.0.0.1:${DAAP_OPERATOR_METRICS_PORT:-8081}. The binaries are built in
# ${DAAP_DEV_BUILD_DIR:-build/release}.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dev="$root/.dev"
build=${DAAP_DEV_BUILD_DIR:-$root/build/release}
export DAAP_DEV_BUILD_DIR=$build
mode=${1:-foreground}
# shellcheck source=hack/lib.sh
source hack/lib.sh

stop_all() {
  if [[ -f "$dev/gateway.pid" || -f "$dev/postgres/postmaster.pid" ]]; then
    hack/dev-gateway.sh stop
  fi
  stop_pid_file daap-operator "$dev/operator.pid" 5
  stop_pid_file devcluster "$dev/devcluster.pid" 5
}

case "$mode" in
  --stop) stop_all; exit 0 ;;
  --background|foreground) ;;
  *) echo "usage: hack/dev.sh [--background|--stop]" >&2; exit 2 ;;
esac

hack/deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target devcluster daap-operator daap-gateway

mkdir -p "$dev"
stop_all
port=${DAAP_DEVCLUSTER_PORT:-6443}
"$build/hack/devcluster/devcluster" \
  --port="$port" --data-dir="$dev/devcluster" --kubeconfig="$dev/kubeconfig" \
  --crd-dir="$root/crds" --crd-dir="$root/hack/devcluster/cnpg-crds" \
  >"$dev/devcluster.out" 2>"$dev/devcluster.log" &
echo $! >"$dev/devcluster.pid"
if ! wait_ready devcluster "$dev/devcluster.pid" "$dev/devcluster.out" "devcluster ready" \
  "$dev/devcluster.log" 10; then
  stop_all
  exit 1
fi

# One local replica: no leader election needed.
"$build/operator/daap-operator" \
  --kubeconfig="$dev/kubeconfig" --leader-election=false \
  --metrics-port="${DAAP_OPERATOR_METRICS_PORT:-8081}" \
  >"$dev/operator.out" 2>"$dev/operator.log" &
echo $! >"$dev/operator.pid"
if ! wait_ready daap-operator "$dev/operator.pid" "$dev/operator.out" "daap-operator ready" \
  "$dev/operator.log" 10; then
  stop_all
  exit 1
fi
echo "dev: daap-operator running (metrics on 127.0.0.1:${DAAP_OPERATOR_METRICS_PORT:-8081})"

cat >"$dev/env" <<ENV
export KUBECONFIG="$dev/kubeconfig"
ENV
echo "dev: devcluster at $(sed -n 's/devcluster ready //p' "$dev/devcluster.out")"

KUBECONFIG="$dev/kubeconfig" kubectl apply -f manifests/examples/tier-dev.yaml \
  -f manifests/examples/tier-staging.yaml -f manifests/examples/tier-production.yaml >/dev/null
echo "dev: example tiers applied (dev, staging, production)"

# Platform PostgreSQL and the gateway; appends DAAP_URL and DAAP_API_KEY to .dev/env.
if ! hack/dev-gateway.sh start; then
  stop_all
  exit 1
fi
echo "dev: run 'source .dev/env', then see README.md for a curl walkthrough"

if [[ "$mode" == "--background" ]]; then
  exit 0
fi
trap 'stop_all; exit 0' INT TERM
wait "$(cat "$dev/devcluster.pid")"

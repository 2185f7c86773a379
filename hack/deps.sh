#!/usr/bin/env bash
# Installs every Debian and npm dependency DAAP needs to build, test and run locally.
# Idempotent and quiet when everything is present: apt-get runs only for what is missing.
set -euo pipefail

debian_packages=(
  build-essential cmake ninja-build pkg-config openssl ca-certificates curl
  libcurl4-openssl-dev rapidjson-dev libyaml-cpp-dev libpqxx-dev libpq-dev libssl-dev
  libboost-dev libboost-program-options-dev libgoogle-glog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-15-pgaudit pgbouncer wrk jq clang-format clang-tidy clang libclang-rt-14-dev
)

missing=()
for package in "${debian_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "deps: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Node.js and npm run the OpenAPI lint and the generated TypeScript client. A machine that
# already has them (e.g. from NodeSource) keeps its own; otherwise Debian's are installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "deps: installing nodejs npm"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    nodejs npm >/dev/null
fi

# kubectl is the oracle of the e2e suite and the platform team's client. Debian bookworm's own
# kubernetes-client is 1.20, too old for the API this project speaks, so it is never installed
# from there: a machine without a recent kubectl is told so plainly.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "deps: kubectl (1.28 or newer) is required on PATH; install it from your distribution's" \
    "Kubernetes packages" >&2
  exit 1
fi

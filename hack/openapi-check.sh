#!/usr/bin/env bash
# Checks the OpenAPI contract with the npm tools CI uses:
#   1. npm ci in openapi/ (from package-lock.json, into openapi/node_modules);
#   2. @redocly/cli lint: any error fails;
#   3. openapi-typescript generates the client types and tsc type-checks the client flow
#      (openapi/client/flow.ts) against them.
# The route <-> spec drift test and the response validation run in ctest (gateway_test,
# gateway_e2e_test); the e2e suite also runs the compiled client flow against a live gateway.
set -euo pipefail
cd "$(dirname "$0")/../openapi"
if [[ ! -d node_modules/.bin || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
node_modules/.bin/redocly lint openapi.yaml
node_modules/.bin/openapi-typescript openapi.yaml -o client/schema.d.ts
node_modules/.bin/tsc -p client/tsconfig.json
echo "openapi-check: ok"

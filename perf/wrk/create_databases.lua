-- wrk -t2 -c16 -d20s --latency -s perf/wrk/create_databases.lua "$DAAP_URL/databases"
-- POST /databases end to end (quota reservation, namespace, DaapDatabase write, mirror), each
-- request a new name. Needs a tier "bench" with room (see perf/gateway_load.sh).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["X-API-Key"] = os.getenv("DAAP_API_KEY")
  wrk.headers["Content-Type"] = "application/json"
  wrk.method = "POST"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"name":"bench-%d-%d-%d","owner_team":"bench","purpose":"load test","tier":"bench"}',
    id, os.time() % 100000, counter)
  return wrk.format(nil, nil, nil, body)
end

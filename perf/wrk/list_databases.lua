-- wrk -t2 -c16 -d30s --latency -s perf/wrk/list_databases.lua "$DAAP_URL/databases?limit=100"
-- One page of 100 databases (of however many exist), as a platform-team key sees them.
wrk.headers["X-API-Key"] = os.getenv("DAAP_API_KEY")

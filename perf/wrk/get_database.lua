-- wrk -t2 -c64 -d30s --latency -s perf/wrk/get_database.lua "$DAAP_URL/databases/$ID"
-- Authenticated GET of one database; the key comes from DAAP_API_KEY.
wrk.headers["X-API-Key"] = os.getenv("DAAP_API_KEY")

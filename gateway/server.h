#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/contract.h"
#include "gateway/handlers/api_keys.h"
#include "gateway/handlers/audit_logs.h"
#include "gateway/handlers/common.h"
#include "gateway/handlers/databases.h"
#include "gateway/handlers/tiers.h"
#include "gateway/middleware/access_log.h"
#include "gateway/middleware/audit_writer.h"
#include "gateway/middleware/authenticator.h"
#include "gateway/mirror/mirror.h"
#include "gateway/options.h"
#include "lib/auth/rbac.h"
#include "lib/http/router.h"
#include "lib/http/server.h"
#include "lib/kube/client.h"
#include "lib/metrics/metrics.h"
#include "lib/pg/api_keys.h"
#include "lib/pg/audit.h"
#include "lib/pg/mirror.h"
#include "lib/pg/pool.h"
#include "lib/pg/quota_ledger.h"

namespace daap::gateway {

// One row of THE routes table. openapi/openapi.yaml has exactly one operation per row and no
// other (checked by test/gateway/openapi_drift_test.cc).
struct Route {
  http::Method method;
  std::string_view path;
  std::string_view name;               // Metrics label, access log and audit action.
  std::string_view resource_type;      // Audit column; empty for system routes (not audited).
  std::optional<auth::Action> action;  // Empty: no API key needed (health, spec, metrics).
};

const std::vector<Route>& routeTable();

// What the gateway is made of; main wires these and keeps them alive longer than the Gateway.
struct Dependencies {
  const Options& options;
  const Contract& contract;
  pg::Pool& pool;
  kube::Client& kube;
  // A client without retries and with a short timeout, so /health answers quickly.
  kube::Client& kube_probe;
  Mirror& mirror;
  Authenticator& authenticator;
  AuditWriter& audit;
  metrics::Registry& metrics;
};

// The REST front: the router built from routeTable(), each API route wrapped in the same
// steps: authenticate, check the role (owner-dependent checks are the handlers'), run the
// handler, render the {data, error, meta} envelope, queue one audit row. Also the server
// options that render server-made errors in the envelope and count every exchange.
// Thread-safe once constructed.
class Gateway {
public:
  explicit Gateway(const Dependencies& deps);

  const http::Router& router() const { return router_; }
  // options.max_body_bytes, timeouts, TLS, threads, plus the envelope and the observer.
  http::ServerOptions serverOptions();

private:
  // A handler's answer from memory alone; nullopt when it would have to block.
  using FastApiHandler = std::function<std::optional<Result<Reply>>(Call& call)>;

  http::Response serve(const Route& route, const ApiHandler& handler, http::Request& request);
  // serve() on an I/O thread: nullopt (nothing recorded) whenever a step would block, so the
  // request goes to a worker and serve().
  std::optional<http::Response> serveFast(const Route& route, const FastApiHandler& handler,
                                          http::Request& request);
  static pg::AuditEntry auditEntryOf(const Route& route, const http::Request& request);
  // The response when the caller is not authenticated or its role may not call the route.
  static std::optional<http::Response> deny(const Route& route, const Result<Caller>& caller,
                                            const http::Request& request, pg::AuditEntry& audit);
  static http::Response respond(const Route& route, Result<Reply> reply, const Call& call,
                                pg::AuditEntry& audit);
  http::Response health(http::Request& request);
  void observe(const http::Exchange& exchange);

  Dependencies deps_;
  pg::ApiKeyRepository keys_;
  pg::AuditRepository audit_repository_;
  pg::MirrorRepository mirror_repository_;
  pg::QuotaLedger ledger_;
  DatabaseHandlers databases_;
  TierHandlers tiers_;
  ApiKeyHandlers api_keys_;
  AuditLogHandlers audit_logs_;
  http::Router router_;
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& latency_;
  std::mutex mu_;
  // Guarded by mu_. Metric handles by "route status" / route, made once each.
  std::unordered_map<std::string, metrics::Counter> request_counters_;
  std::unordered_map<std::string, metrics::Histogram> latency_histograms_;
  // Null when --access-log=false.
  std::unique_ptr<AccessLog> access_log_;
};

}  // namespace daap::gateway

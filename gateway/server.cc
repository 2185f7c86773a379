#include "gateway/server.h"

#include <unistd.h>

#include <array>
#include <charconv>
#include <chrono>
#include <utility>

#include <glog/logging.h>

#include "gateway/envelope.h"

namespace daap::gateway {

using auth::Action;
using http::Method;

const std::vector<Route>& routeTable() {
  static const std::vector<Route> kRoutes = {
      {Method::Get, "/health", "health", "", std::nullopt},
      {Method::Get, "/openapi.json", "openapi", "", std::nullopt},
      {Method::Get, "/metrics", "metrics", "", std::nullopt},
      {Method::Post, "/databases", "database.create", "database", Action::DatabaseCreate},
      {Method::Get, "/databases", "database.list", "database", Action::DatabaseList},
      {Method::Get, "/databases/{id}", "database.get", "database", Action::DatabaseGet},
      {Method::Patch, "/databases/{id}", "database.update", "database", Action::DatabaseUpdate},
      {Method::Delete, "/databases/{id}", "database.destroy", "database", Action::DatabaseDestroy},
      {Method::Post, "/databases/{id}/restore", "database.restore", "database",
       Action::DatabaseRestore},
      {Method::Post, "/databases/{id}/unfreeze", "database.unfreeze", "database",
       Action::DatabaseUnfreeze},
      {Method::Get, "/tiers", "tier.list", "tier", Action::TierList},
      {Method::Post, "/tiers", "tier.create", "tier", Action::TierCreate},
      {Method::Get, "/tiers/{id}", "tier.get", "tier", Action::TierGet},
      {Method::Patch, "/tiers/{id}", "tier.update", "tier", Action::TierUpdate},
      {Method::Delete, "/tiers/{id}", "tier.delete", "tier", Action::TierDelete},
      {Method::Get, "/tiers/{id}/quota", "quota.get", "quota", Action::QuotaGet},
      {Method::Put, "/tiers/{id}/quota", "quota.put", "quota", Action::QuotaPut},
      {Method::Post, "/api-keys", "api-key.create", "api-key", Action::ApiKeyCreate},
      {Method::Get, "/api-keys", "api-key.list", "api-key", Action::ApiKeyList},
      {Method::Delete, "/api-keys/{id}", "api-key.revoke", "api-key", Action::ApiKeyRevoke},
      {Method::Get, "/audit-logs", "audit-log.list", "audit-log", Action::AuditLogList},
  };
  return kRoutes;
}

namespace {

// Database actions are decided by the handler once it knows the owner (a 404 for another
// team's database must not be preceded by a 403); every other action depends on the role only.
bool decidedByHandler(Action action) {
  switch (action) {
    case Action::DatabaseCreate:
    case Action::DatabaseList:
    case Action::DatabaseGet:
    case Action::DatabaseUpdate:
    case Action::DatabaseDestroy:
    case Action::DatabaseRestore:
    case Action::DatabaseUnfreeze:
      return true;
    default:
      return false;
  }
}

}  // namespace

Gateway::Gateway(const Dependencies& deps)
    : deps_(deps),
      keys_(deps.pool),
      audit_repository_(deps.pool),
      mirror_repository_(deps.pool),
      ledger_(deps.pool),
      databases_(deps.options, deps.contract, deps.kube, deps.mirror, mirror_repository_, ledger_),
      tiers_(deps.contract, deps.kube, deps.mirror, mirror_repository_, ledger_),
      api_keys_(deps.contract, keys_, deps.authenticator),
      audit_logs_(audit_repository_),
      requests_(deps.metrics.counter("daap_gateway_requests_total",
                                     "HTTP requests answered, by route, method and status.",
                                     {"route", "method", "status"})),
      latency_(deps.metrics.histogram(
          "daap_gateway_request_duration_seconds",
          "Time from the request read to the response written, by route.", {"route"},
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})) {
  if (deps.options.access_log) {
    access_log_ = std::make_unique<AccessLog>(STDERR_FILENO);  // glog's stream.
    access_log_->start();
  }
  const std::unordered_map<std::string_view, ApiHandler> handlers = {
      {"database.create",
       [this](Call& c) {
         return databases_.create(c);
       }},
      {"database.list",
       [this](Call& c) {
         return databases_.list(c);
       }},
      {"database.get",
       [this](Call& c) {
         return databases_.get(c);
       }},
      {"database.update",
       [this](Call& c) {
         return databases_.update(c);
       }},
      {"database.destroy",
       [this](Call& c) {
         return databases_.destroy(c);
       }},
      {"database.restore",
       [this](Call& c) {
         return databases_.restore(c);
       }},
      {"database.unfreeze",
       [this](Call& c) {
         return databases_.unfreeze(c);
       }},
      {"tier.list",
       [this](Call& c) {
         return tiers_.list(c);
       }},
      {"tier.create",
       [this](Call& c) {
         return tiers_.create(c);
       }},
      {"tier.get",
       [this](Call& c) {
         return tiers_.get(c);
       }},
      {"tier.update",
       [this](Call& c) {
         return tiers_.update(c);
       }},
      {"tier.delete",
       [this](Call& c) {
         return tiers_.remove(c);
       }},
      {"quota.get",
       [this](Call& c) {
         return tiers_.getQuota(c);
       }},
      {"quota.put",
       [this](Call& c) {
         return tiers_.putQuota(c);
       }},
      {"api-key.create",
       [this](Call& c) {
         return api_keys_.create(c);
       }},
      {"api-key.list",
       [this](Call& c) {
         return api_keys_.list(c);
       }},
      {"api-key.revoke",
       [this](Call& c) {
         return api_keys_.revoke(c);
       }},
      {"audit-log.list",
       [this](Call& c) {
         return audit_logs_.list(c);
       }},
  };
  // The audit writer's queue and what it lost, so a PostgreSQL that cannot keep up (requests
  // slowed by backpressure) or is down (rows dropped after the wait) shows on /metrics.
  AuditWriter& audit = deps.audit;
  deps.metrics.callbackGauge("daap_gateway_audit_queue_rows",
                             "Audit rows waiting to be written to PostgreSQL.",
                             [&audit] { return static_cast<double>(audit.stats().queued); });
  deps.metrics.callbackGauge("daap_gateway_audit_rows_written",
                             "Audit rows written to PostgreSQL since start.",
                             [&audit] { return static_cast<double>(audit.stats().written); });
  deps.metrics.callbackGauge(
      "daap_gateway_audit_rows_dropped",
      "Audit rows lost since start (queue full for too long or PostgreSQL down at shutdown).",
      [&audit] { return static_cast<double>(audit.stats().dropped); });
  deps.metrics.callbackGauge("daap_gateway_audit_backpressure_waits",
                             "Requests that waited for room in the full audit queue since start.",
                             [&audit] { return static_cast<double>(audit.stats().waited); });
  // The hot read, GET /databases/{id}, answered on the I/O thread when the key is cached and
  // the database is in the in-process index (the common case): no hop to a worker and back.
  const std::unordered_map<std::string_view, FastApiHandler> fast_handlers = {
      {"database.get",
       [this](Call& c) {
         return databases_.getCached(c);
       }},
  };
  for (const Route& route : routeTable()) {
    http::Handler handler;
    http::FastHandler fast_handler;
    if (route.name == "health") {
      handler = [this](http::Request& request) {
        return health(request);
      };
    } else if (route.name == "openapi") {
      handler = [this](http::Request&) {
        return http::Response::json(200, deps_.contract.json());
      };
    } else if (route.name == "metrics") {
      handler = [this](http::Request&) {
        http::Response response = http::Response::text(200, deps_.metrics.exposition());
        response.content_type = std::string(metrics::kExpositionContentType);
        return response;
      };
    } else {
      auto found = handlers.find(route.name);
      CHECK(found != handlers.end()) << "route without a handler: " << route.name;
      handler = [this, &route, api = found->second](http::Request& request) {
        return serve(route, api, request);
      };
      if (auto fast = fast_handlers.find(route.name); fast != fast_handlers.end()) {
        fast_handler = [this, &route, api = fast->second](http::Request& request) {
          return serveFast(route, api, request);
        };
      }
    }
    router_.add(route.method, std::string(route.path), std::string(route.name), std::move(handler),
                std::move(fast_handler));
  }
}

pg::AuditEntry Gateway::auditEntryOf(const Route& route, const http::Request& request) {
  pg::AuditEntry audit;
  audit.request_id = request.request_id;
  audit.action = std::string(route.name);
  audit.resource_type = std::string(route.resource_type);
  audit.resource_id = std::string(request.pathParam("id"));
  return audit;
}

http::Response Gateway::respond(const Route& route, Result<Reply> reply, const Call& call,
                                pg::AuditEntry& audit) {
  if (!call.resource_id.empty()) {
    audit.resource_id = call.resource_id;
  }
  if (reply && reply->data_json != nullptr) {
    return http::Response::json(reply->status,
                                renderRawData(*reply->data_json, call.request.request_id));
  }
  if (reply) {
    return http::Response::json(reply->status, renderData(reply->data, call.request.request_id,
                                                          reply->list, reply->next_cursor));
  }
  if (reply.error().code == ErrorCode::Internal || reply.error().code == ErrorCode::Unavailable) {
    LOG_EVERY_N(WARNING, 10) << "request failed route=" << route.name
                             << " request_id=" << call.request.request_id
                             << " error=" << reply.error().toString();
  }
  return errorResponse(reply.error(), call.request.request_id);
}

std::optional<http::Response> Gateway::deny(const Route& route, const Result<Caller>& caller,
                                            const http::Request& request, pg::AuditEntry& audit) {
  if (!caller) {
    return errorResponse(caller.error(), request.request_id);
  }
  audit.team = caller->principal.team;
  audit.key_id = caller->key_uuid;
  audit.role = std::string(auth::roleName(caller->principal.role));
  const bool precheck = !decidedByHandler(*route.action);
  if (precheck &&
      auth::authorize(caller->principal, *route.action, std::nullopt) != auth::Decision::Allow) {
    return errorResponse(forbidden("the " + audit.role + " role may not " + audit.action),
                         request.request_id);
  }
  return std::nullopt;
}

http::Response Gateway::serve(const Route& route, const ApiHandler& handler,
                              http::Request& request) {
  pg::AuditEntry audit = auditEntryOf(route, request);
  const Result<Caller> caller = deps_.authenticator.authenticate(request.header("X-API-Key"));
  std::optional<http::Response> response = deny(route, caller, request, audit);
  if (!response) {
    Call call{request, *caller, {}};
    Result<Reply> reply = handler(call);
    response = respond(route, std::move(reply), call, audit);
  }
  audit.outcome = response->status;
  deps_.audit.record(std::move(audit));
  return std::move(*response);
}

std::optional<http::Response> Gateway::serveFast(const Route& route, const FastApiHandler& handler,
                                                 http::Request& request) {
  const std::optional<Result<Caller>> caller =
      deps_.authenticator.authenticateCached(request.header("X-API-Key"));
  if (!caller) {
    return std::nullopt;  // The key must be looked up in PostgreSQL.
  }
  pg::AuditEntry audit = auditEntryOf(route, request);
  std::optional<http::Response> response = deny(route, *caller, request, audit);
  if (!response) {
    Call call{request, **caller, {}};
    std::optional<Result<Reply>> reply = handler(call);
    if (!reply) {
      return std::nullopt;  // Not in memory: the worker asks PostgreSQL.
    }
    response = respond(route, std::move(*reply), call, audit);
  }
  audit.outcome = response->status;
  if (!deps_.audit.tryRecord(audit)) {
    return std::nullopt;  // The audit queue is full: the worker waits for room, not this thread.
  }
  return response;
}

http::Response Gateway::health(http::Request& request) {
  json::Document data;
  data.SetObject();
  auto& a = data.GetAllocator();
  auto check = [&](std::string_view name, const Result<void>& result) {
    json::Value entry(rapidjson::kObjectType);
    json::setString(entry, "status", result ? "ok" : "down", a);
    if (!result) {
      json::setString(entry, "message", result.error().message, a);
    }
    json::set(data, name, std::move(entry), a);
    return static_cast<bool>(result);
  };
  Result<void> kube_ok;
  if (Result<kube::RawResponse> answer = deps_.kube_probe.request("GET", "/apis/daap.io/v1alpha1");
      !answer) {
    kube_ok = Error::unavailable("Kubernetes API unreachable");
  } else if (answer->http_status != 200) {
    kube_ok =
        Error::unavailable("Kubernetes API answered HTTP " + std::to_string(answer->http_status));
  }
  Result<void> pg_ok = deps_.pool.healthy();
  if (!pg_ok) {
    pg_ok = Error::unavailable("PostgreSQL unreachable");
  }
  const bool healthy = check("kubernetes", kube_ok) & check("postgres", pg_ok);
  json::setString(data, "status", healthy ? "ok" : "degraded", a);
  if (healthy) {
    return http::Response::json(200, renderData(data, request.request_id));
  }
  // The 503 keeps the per-dependency report in data, with the error beside it.
  std::string body = renderData(data, request.request_id);
  const std::string marker = "\"error\":null";
  if (const size_t at = body.find(marker); at != std::string::npos) {
    body.replace(at, marker.size(),
                 R"("error":{"code":"unavailable","message":"a dependency is down"})");
  }
  http::Response response = http::Response::json(503, std::move(body));
  response.headers.set("Retry-After", "1");
  return response;
}

void Gateway::observe(const http::Exchange& exchange) {
  const std::string route =
      exchange.route_name.empty() ? std::string("unmatched") : std::string(exchange.route_name);
  const std::string status = std::to_string(exchange.status);
  const std::string method(http::methodName(exchange.method));
  metrics::Counter counter;
  metrics::Histogram histogram;
  {
    std::lock_guard lock(mu_);
    const std::string key = route + " " + method + " " + status;
    auto found = request_counters_.find(key);
    if (found == request_counters_.end()) {
      found = request_counters_.emplace(key, requests_.withLabels({route, method, status})).first;
    }
    counter = found->second;
    auto hist = latency_histograms_.find(route);
    if (hist == latency_histograms_.end()) {
      hist = latency_histograms_.emplace(route, latency_.withLabels({route})).first;
    }
    histogram = hist->second;
  }
  counter.inc();
  histogram.observe(std::chrono::duration<double>(exchange.duration).count());
  // Requests no route took (404/405, or a body over the limit) reached the router too: one
  // audit row each, without a principal (the key was never looked at).
  if (exchange.route_name.empty()) {
    pg::AuditEntry audit;
    audit.request_id = std::string(exchange.request_id);
    audit.action = "unmatched";
    audit.resource_type = "none";
    audit.outcome = exchange.status;
    deps_.audit.record(std::move(audit));
  }
  if (access_log_ != nullptr) {
    std::string line =
        "request method=" + method + " route=" + route + " status=" + status + " elapsed_ms=";
    std::array<char, 32> elapsed{};
    const auto [end, ec] =
        std::to_chars(elapsed.data(), elapsed.data() + elapsed.size(),
                      std::chrono::duration<double, std::milli>(exchange.duration).count(),
                      std::chars_format::fixed, 3);
    line.append(elapsed.data(), end);
    line += " request_id=";
    line += exchange.request_id;
    line += " remote=";
    line += exchange.remote_address;
    access_log_->write(line);
  }
}

http::ServerOptions Gateway::serverOptions() {
  const Options& options = deps_.options;
  http::ServerOptions server;
  server.address = options.address;
  server.port = options.port;
  server.io_threads = options.io_threads;
  server.worker_threads = options.worker_threads;
  server.max_body_bytes = options.max_body_bytes;
  server.header_timeout = options.header_timeout;
  server.body_timeout = options.body_timeout;
  server.idle_timeout = options.idle_timeout;
  if (!options.tls_cert_file.empty()) {
    server.tls = http::TlsFiles{options.tls_cert_file, options.tls_key_file};
  }
  server.render_error = [](const http::ServerError& error) {
    std::string_view code = error.code;
    if (code == "bad_request") {
      code = "invalid_argument";
    } else if (code == "headers_too_large") {
      code = "payload_too_large";
    } else if (code == "not_implemented") {
      code = "method_not_allowed";
    }
    return http::Response::json(error.status,
                                renderError(code, error.message, {}, error.request_id));
  };
  server.observer = [this](const http::Exchange& exchange) {
    observe(exchange);
  };
  return server;
}

}  // namespace daap::gateway

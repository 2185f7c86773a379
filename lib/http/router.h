#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/http/request.h"
#include "lib/http/response.h"

namespace daap::http {

// A handler runs on a server worker thread and may block (e.g. on PostgreSQL). It may fill
// the request's fields it likes (the router already set path_params and route_name).
using Handler = std::function<Response(Request&)>;

// An optional fast path of a route, tried on the server's I/O thread before the request is
// handed to a worker: it answers when it can do so without blocking (all it needs is in
// memory, e.g. a cache hit) and returns nullopt otherwise, and the route's Handler then runs on
// a worker as usual. It must never block (no I/O, no waiting on a lock held across I/O): it
// runs among every connection of its I/O thread. Saves two thread hops per request on a hot
// read path.
using FastHandler = std::function<std::optional<Response>(Request&)>;

// One row of the routing table, e.g. {Post, "/databases/{id}/restore", "databases.restore"}.
struct RouteInfo {
  Method method = Method::Other;
  std::string path_template;
  std::string name;  // Stable, low-cardinality: used as the metrics label and in access logs.

  bool operator==(const RouteInfo&) const = default;
};

// Why a request got no handler: no route has its path (404) or some do, but not for its
// method (405, with the methods that would match in `allowed`).
struct RouteMiss {
  int status = 404;
  std::vector<Method> allowed;  // Only for 405, in registration order.
};

// Maps method + path template to handlers. Templates are literal segments and whole-segment
// parameters: "/tiers/{id}/quota". A literal segment wins over a parameter at the same place
// ("/databases/search" before "/databases/{id}"), whatever the registration order.
// Built once before the server starts, then only read: lookups are thread-safe, add() is not.
class Router {
public:
  // CHECK-fails on a malformed template ("{}", "{a", empty segment, missing leading '/') or a
  // duplicate method + template: both are programming errors in the routes table.
  void add(Method method, std::string path_template, std::string name, Handler handler,
           FastHandler fast = nullptr);

  // Finds the handler for request.method and the request path (matched segment by segment on
  // the still-encoded target, each segment decoded afterwards, so "%2F" stays inside one
  // parameter). On a match fills request.path_params and request.route_name and returns the
  // handler; otherwise returns nullptr and fills `miss`. With `fast`, also sets *fast to the
  // route's FastHandler (null when it has none, or when nothing matched).
  const Handler* match(Request& request, RouteMiss& miss, const FastHandler** fast = nullptr) const;

  // The table in registration order, so a test can compare it with the OpenAPI spec.
  std::vector<RouteInfo> routes() const;

private:
  struct Route {
    RouteInfo info;
    std::vector<std::string> segments;  // "{id}" for a parameter, the literal otherwise.
    Handler handler;
    FastHandler fast;
  };
  std::vector<Route> routes_;
};

// "GET, POST": the Allow header value for a 405.
std::string allowHeader(const std::vector<Method>& methods);

}  // namespace daap::http

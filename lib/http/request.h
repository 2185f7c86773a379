#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace daap::http {

// The methods the router dispatches on. Anything else is Other and never matches a route.
enum class Method { Get, Head, Post, Put, Patch, Delete, Options, Other };

// "GET", "POST", ...; "OTHER" for Method::Other.
std::string_view methodName(Method method);
// Exact, case-sensitive (RFC 9110 method names are case-sensitive); Other when unknown.
Method parseMethod(std::string_view name);

// An ordered list of header fields with case-insensitive lookup. Values are kept as sent.
class Headers {
public:
  // Appends a field; a repeated name keeps both values.
  void add(std::string name, std::string value);
  // Replaces every field of that name with one value.
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  // The first value of that name, case-insensitively.
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& all() const { return fields_; }

private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// One parsed HTTP request as a handler sees it. The server fills everything but path_params
// and route_name, which the router fills once it matched a route. Handlers may read it from
// any thread; it is owned by the one request in flight.
struct Request {
  Method method = Method::Other;
  std::string target;  // As sent: path and query, still percent-encoded.
  std::string path;    // The path part of target, percent-decoded.
  // Query parameters in order, names and values percent-decoded ('+' is a space).
  std::multimap<std::string, std::string> query;
  Headers headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:54321".
  // Taken from a well-formed incoming X-Request-Id (1-128 chars of [A-Za-z0-9._-]), otherwise
  // generated (32 hex chars). The server echoes it in the response's X-Request-Id.
  std::string request_id;
  // Filled by the router: {"id": "db-1"} for /databases/{id}; each value percent-decoded.
  std::map<std::string, std::string, std::less<>> path_params;
  std::string route_name;  // The matched route's name; empty when nothing matched.

  // The first value of a header, case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
  // A path parameter; empty when the route has no such parameter.
  std::string_view pathParam(std::string_view name) const;
  // The first value of a query parameter.
  std::optional<std::string_view> queryParam(std::string_view name) const;
  // Every value of a query parameter, in order.
  std::vector<std::string_view> queryParams(std::string_view name) const;
};

}  // namespace daap::http

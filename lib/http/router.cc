#include "lib/http/router.h"

#include <algorithm>

#include <glog/logging.h>

#include "lib/http/uri.h"

namespace daap::http {
namespace {

bool isParameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// "/a/b" -> {"a", "b"}; "/" -> {}. The caller has checked the leading '/'.
std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.size() <= 1) {
    return segments;
  }
  path.remove_prefix(1);
  for (;;) {
    const size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      return segments;
    }
    path.remove_prefix(slash + 1);
  }
}

// True when `a` should win over `b` for the same path: the first segment where one is a
// literal and the other a parameter decides.
bool moreSpecific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const bool a_param = isParameter(a[i]);
    const bool b_param = isParameter(b[i]);
    if (a_param != b_param) {
      return !a_param;
    }
  }
  return false;
}

}  // namespace

void Router::add(Method method, std::string path_template, std::string name, Handler handler,
                 FastHandler fast) {
  CHECK(!path_template.empty() && path_template.front() == '/')
      << "route template must start with '/': " << path_template;
  CHECK(method != Method::Other) << "route needs a concrete method: " << path_template;
  CHECK(handler) << "route without handler: " << path_template;
  std::vector<std::string> segments;
  for (const std::string_view segment : splitPath(path_template)) {
    CHECK(!segment.empty()) << "empty segment in route template: " << path_template;
    const bool braces = segment.find_first_of("{}") != std::string_view::npos;
    CHECK(!braces ||
          (isParameter(segment) &&
           segment.substr(1, segment.size() - 2).find_first_of("{}") == std::string_view::npos))
        << "malformed parameter in route template: " << path_template;
    segments.emplace_back(segment);
  }
  for (const Route& route : routes_) {
    CHECK(!(route.info.method == method && route.info.path_template == path_template))
        << "duplicate route: " << methodName(method) << " " << path_template;
  }
  routes_.push_back(Route{RouteInfo{method, std::move(path_template), std::move(name)},
                          std::move(segments), std::move(handler), std::move(fast)});
}

const Handler* Router::match(Request& request, RouteMiss& miss, const FastHandler** fast) const {
  if (fast != nullptr) {
    *fast = nullptr;
  }
  const std::string_view target = request.target;
  const std::string_view raw_path = target.substr(0, target.find('?'));
  const std::vector<std::string_view> segments = splitPath(raw_path);

  const Route* best = nullptr;
  miss = RouteMiss{};
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) {
      continue;
    }
    bool matches = true;
    for (size_t i = 0; i < segments.size() && matches; ++i) {
      matches =
          isParameter(route.segments[i]) ? !segments[i].empty() : route.segments[i] == segments[i];
    }
    if (!matches) {
      continue;
    }
    if (route.info.method != request.method) {
      if (std::find(miss.allowed.begin(), miss.allowed.end(), route.info.method) ==
          miss.allowed.end()) {
        miss.allowed.push_back(route.info.method);
      }
      continue;
    }
    if (best == nullptr || moreSpecific(route.segments, best->segments)) {
      best = &route;
    }
  }
  if (best == nullptr) {
    miss.status = miss.allowed.empty() ? 404 : 405;
    return nullptr;
  }

  std::map<std::string, std::string, std::less<>> params;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = best->segments[i];
    if (!isParameter(segment)) {
      continue;
    }
    Result<std::string> value = percentDecode(segments[i], false);
    if (!value) {
      // An undecodable id cannot name anything.
      miss = RouteMiss{404, {}};
      return nullptr;
    }
    params.emplace(segment.substr(1, segment.size() - 2), std::move(*value));
  }
  request.path_params = std::move(params);
  request.route_name = best->info.name;
  if (fast != nullptr && best->fast) {
    *fast = &best->fast;
  }
  return &best->handler;
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> table;
  table.reserve(routes_.size());
  for (const Route& route : routes_) {
    table.push_back(route.info);
  }
  return table;
}

std::string allowHeader(const std::vector<Method>& methods) {
  std::string out;
  for (const Method method : methods) {
    if (!out.empty()) {
      out += ", ";
    }
    out += methodName(method);
  }
  return out;
}

}  // namespace daap::http

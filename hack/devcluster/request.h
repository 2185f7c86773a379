#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "lib/base/result.h"

namespace daap::devcluster {

// A request path and query, split the way the API server routes them.
struct RequestPath {
  enum class Kind {
    Version,         // /version
    CoreGroups,      // /api
    Groups,          // /apis
    Group,           // /apis/{g}
    GroupVersion,    // /api/v1, /apis/{g}/{v}
    Resource,        // a collection or an object
    OpenApiV2,       // /openapi/v2
    OpenApiV3,       // /openapi/v3
    OpenApiV3Group,  // /openapi/v3/apis/{g}/{v}, /openapi/v3/api/v1
    Health,          // /healthz, /livez, /readyz
  };
  Kind kind = Kind::Resource;
  std::string group;
  std::string version;
  std::string namespace_;
  std::string plural;
  std::string name;         // Empty: the collection.
  std::string subresource;  // "status" or empty.
};

struct ParsedTarget {
  RequestPath path;
  std::map<std::string, std::string, std::less<>> query;

  std::string_view param(std::string_view key) const {
    const auto it = query.find(key);
    return it == query.end() ? std::string_view{} : std::string_view(it->second);
  }
  bool flag(std::string_view key) const {
    const std::string_view value = param(key);
    return value == "1" || value == "true";
  }
};

// NotFound for paths the server does not route.
Result<ParsedTarget> parseTarget(std::string_view target);

std::string percentDecode(std::string_view text);

}  // namespace daap::devcluster

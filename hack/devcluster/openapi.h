#pragma once

#include <string>
#include <string_view>

#include "hack/devcluster/registry.h"
#include "lib/base/result.h"

namespace daap::devcluster {

// GET /openapi/v3: the index of group-version documents.
std::string openApiV3Index(const Registry& registry);
// GET /openapi/v3/apis/{group}/{version}: the schemas of the kinds served there, with the
// x-kubernetes-group-version-kind markers kubectl uses to find a kind's schema and to learn
// that the server validates fields itself.
Result<std::string> openApiV3Document(const Registry& registry, std::string_view group,
                                      std::string_view version);

}  // namespace daap::devcluster

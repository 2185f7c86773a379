#pragma once

#include <string>
#include <string_view>

#include "hack/devcluster/registry.h"
#include "lib/base/result.h"

namespace daap::devcluster {

// The legacy (non-aggregated) discovery documents kubectl falls back to.
std::string versionDocument();
std::string coreVersionsDocument();                       // GET /api
std::string groupListDocument(const Registry& registry);  // GET /apis
Result<std::string> groupDocument(const Registry& registry, std::string_view group);
Result<std::string> resourceListDocument(const Registry& registry, std::string_view group,
                                         std::string_view version);

}  // namespace daap::devcluster

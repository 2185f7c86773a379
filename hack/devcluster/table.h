#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "hack/devcluster/registry.h"
#include "lib/json/json.h"

namespace daap::devcluster {

// True when the Accept header asks for a meta.k8s.io Table (kubectl get does).
bool wantsTable(std::string_view accept);

// A meta.k8s.io/v1 Table of `objects`: the kind's printer columns (a CRD's
// additionalPrinterColumns, or the built-in columns kubectl shows for core kinds), one row per
// object carrying its metadata as a PartialObjectMetadata (or the whole object when
// include_object is "Object").
json::Document buildTable(const ResourceType& type, const std::vector<const json::Value*>& objects,
                          std::string_view resource_version, std::string_view continue_token,
                          std::string_view include_object,
                          std::chrono::system_clock::time_point now);

}  // namespace daap::devcluster

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::devcluster {

// Small accessors over an object's metadata, shared by the API layer and the collector.
std::string_view metaString(const json::Value& object, std::string_view key);
uint64_t parseResourceVersion(std::string_view text);  // 0 when absent or not a number.
bool hasFinalizers(const json::Value& object);
bool isDeleting(const json::Value& object);

struct OwnerRef {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool block_owner_deletion = false;
};
std::vector<OwnerRef> ownerReferences(const json::Value& object);

// A random RFC 4122 version 4 UUID.
std::string newUid();

// Name rules: DNS-1123 subdomain (most kinds) or label (namespaces). Empty when valid,
// otherwise the API server's message.
std::string validateSubdomain(std::string_view name);
std::string validateLabel(std::string_view name);

}  // namespace daap::devcluster

#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "lib/kube/informer.h"
#include "operator/database_index.h"
#include "operator/owned_projection.h"

namespace daap::controller {

// The informer caches the reconcilers read, all owned by the Manager. Reads are thread-safe.
struct Cache {
  kube::Informer& tiers;
  kube::Informer& databases;
  kube::Informer& clusters;
  kube::Informer& poolers;
  kube::Informer& object_stores;
  kube::Informer& scheduled_backups;
  kube::Informer& network_policies;
  // Secrets DAAP wrote next to databases (copies of tier backup credentials).
  kube::Informer& managed_secrets;
  // Secrets in the DAAP namespace (tier backup credentials).
  kube::Informer& daap_secrets;
  const DatabaseIndex& index;
  // What the owned informers digest; the reconciler digests its renderings the same way.
  const OwnedShapes& shapes;
};

// "namespace/name" (or "name" for a cluster-scoped object), the work queue key.
inline std::string objectKey(std::string_view namespace_, std::string_view name) {
  if (namespace_.empty()) {
    return std::string(name);
  }
  std::string key(namespace_);
  key += '/';
  key += name;
  return key;
}

// The reverse of objectKey.
inline std::pair<std::string, std::string> splitKey(std::string_view key) {
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    return {std::string(), std::string(key)};
  }
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

}  // namespace daap::controller

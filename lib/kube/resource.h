#pragma once

#include <string>
#include <string_view>

namespace daap::kube {

// A kind as the API addresses it: group ("" for core), version, plural, scope.
struct Resource {
  std::string group;
  std::string version;
  std::string plural;
  std::string kind;
  bool namespaced = true;

  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
};

// The kinds DAAP reads and writes.
namespace resources {
const Resource& daapTiers();
const Resource& daapDatabases();
const Resource& cnpgClusters();
const Resource& cnpgPoolers();
const Resource& cnpgScheduledBackups();
const Resource& cnpgBackups();
const Resource& barmanObjectStores();
const Resource& secrets();
const Resource& namespaces();
const Resource& events();
const Resource& leases();
const Resource& networkPolicies();
}  // namespace resources

// "/apis/daap.io/v1alpha1/namespaces/ns/daapdatabases" (namespace empty: all namespaces, or
// the cluster-scoped path).
std::string collectionPath(const Resource& resource, std::string_view namespace_);
// ".../daapdatabases/name" plus "/status" when `subresource` is set.
std::string objectPath(const Resource& resource, std::string_view namespace_, std::string_view name,
                       std::string_view subresource = {});

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), for
// a path segment or a query parameter value: "a in (x,y)" -> "a%20in%20%28x%2Cy%29".
std::string percentEncode(std::string_view text);

}  // namespace daap::kube

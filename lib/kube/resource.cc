#include "lib/kube/resource.h"

namespace daap::kube {

namespace resources {

// Function-local statics: built on first use, so no initialization order issue across
// translation units.
const Resource& daapTiers() {
  static const Resource kResource{"daap.io", "v1alpha1", "daaptiers", "DaapTier", false};
  return kResource;
}

const Resource& daapDatabases() {
  static const Resource kResource{"daap.io", "v1alpha1", "daapdatabases", "DaapDatabase", true};
  return kResource;
}

const Resource& cnpgClusters() {
  static const Resource kResource{"postgresql.cnpg.io", "v1", "clusters", "Cluster", true};
  return kResource;
}

const Resource& cnpgPoolers() {
  static const Resource kResource{"postgresql.cnpg.io", "v1", "poolers", "Pooler", true};
  return kResource;
}

const Resource& cnpgScheduledBackups() {
  static const Resource kResource{"postgresql.cnpg.io", "v1", "scheduledbackups", "ScheduledBackup",
                                  true};
  return kResource;
}

const Resource& cnpgBackups() {
  static const Resource kResource{"postgresql.cnpg.io", "v1", "backups", "Backup", true};
  return kResource;
}

const Resource& barmanObjectStores() {
  static const Resource kResource{"barmancloud.cnpg.io", "v1", "objectstores", "ObjectStore", true};
  return kResource;
}

const Resource& secrets() {
  static const Resource kResource{"", "v1", "secrets", "Secret", true};
  return kResource;
}

const Resource& namespaces() {
  static const Resource kResource{"", "v1", "namespaces", "Namespace", false};
  return kResource;
}

const Resource& events() {
  static const Resource kResource{"", "v1", "events", "Event", true};
  return kResource;
}

const Resource& leases() {
  static const Resource kResource{"coordination.k8s.io", "v1", "leases", "Lease", true};
  return kResource;
}

const Resource& networkPolicies() {
  static const Resource kResource{"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy",
                                  true};
  return kResource;
}

}  // namespace resources

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' ||
                            byte == '_' || byte == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

std::string collectionPath(const Resource& resource, std::string_view namespace_) {
  std::string path = resource.group.empty() ? "/api/" : "/apis/" + resource.group + "/";
  path += resource.version;
  if (resource.namespaced && !namespace_.empty()) {
    path += "/namespaces/";
    path += percentEncode(namespace_);
  }
  path += '/';
  path += resource.plural;
  return path;
}

std::string objectPath(const Resource& resource, std::string_view namespace_, std::string_view name,
                       std::string_view subresource) {
  std::string path = collectionPath(resource, namespace_);
  path += '/';
  path += percentEncode(name);
  if (!subresource.empty()) {
    path += '/';
    path += subresource;
  }
  return path;
}

}  // namespace daap::kube

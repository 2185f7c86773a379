#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"
#include "lib/schema/schema.h"

namespace daap::devcluster {

struct PrinterColumn {
  std::string name;
  std::string type;  // string, integer, number, boolean, date
  std::string json_path;
  std::string description;
  int priority = 0;
};

// One served kind at one group/version: what discovery lists and what the API layer needs to
// route, validate and print it. Immutable once registered; shared with in-flight requests.
struct ResourceType {
  std::string group;  // "" for core.
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;
  // Custom resources need a resourceVersion on update and are validated against `schema`.
  bool custom = false;
  std::vector<PrinterColumn> printer_columns;
  std::shared_ptr<const schema::Schema> schema;  // Null: not validated (built-in kinds).
  // The schema as written in the CRD, for the OpenAPI documents kubectl reads.
  std::shared_ptr<const json::Document> open_api_schema;

  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  // The store's resource name: "<group>/<plural>". Versions of one kind share storage.
  std::string storageKey() const { return group + "/" + plural; }
};

// What the server serves: the built-in kinds plus every kind a stored CRD registers.
// Thread-safe: lookups take a shared lock, CRD changes an exclusive one.
class Registry {
public:
  Registry();

  std::shared_ptr<const ResourceType> find(std::string_view group, std::string_view version,
                                           std::string_view plural) const;
  std::vector<std::shared_ptr<const ResourceType>> all() const;

  // Registers (or re-registers) every served version of a CRD; an invalid CRD is an error whose
  // causes name the fields. Returns the registered types.
  Result<std::vector<std::shared_ptr<const ResourceType>>> registerCrd(const json::Value& crd);
  // Removes the kinds of the CRD named `crd_name` (plural.group).
  void unregisterCrd(std::string_view crd_name);

private:
  using Key = std::tuple<std::string, std::string, std::string>;  // group, version, plural
  mutable std::shared_mutex mu_;
  // Guarded by mu_.
  std::map<Key, std::shared_ptr<const ResourceType>> types_;
  // Guarded by mu_. CRD name -> the keys it registered.
  std::map<std::string, std::vector<Key>, std::less<>> crd_keys_;
};

}  // namespace daap::devcluster

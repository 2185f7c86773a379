#include "hack/devcluster/registry.h"

#include <mutex>
#include <utility>

namespace daap::devcluster {

namespace {

std::shared_ptr<const ResourceType> builtin(std::string group, std::string version,
                                            std::string plural, std::string singular,
                                            std::string kind, bool namespaced,
                                            std::vector<std::string> short_names = {}) {
  auto type = std::make_shared<ResourceType>();
  type->group = std::move(group);
  type->version = std::move(version);
  type->plural = std::move(plural);
  type->singular = std::move(singular);
  type->list_kind = kind + "List";
  type->kind = std::move(kind);
  type->namespaced = namespaced;
  type->short_names = std::move(short_names);
  return type;
}

std::vector<std::string> stringArray(const json::Value* array) {
  std::vector<std::string> out;
  if (array != nullptr && array->IsArray()) {
    for (const json::Value& item : array->GetArray()) {
      if (item.IsString()) {
        out.emplace_back(json::view(item));
      }
    }
  }
  return out;
}

void require(const json::Value& object, std::string_view key, std::string_view field,
             std::vector<ErrorCause>& causes) {
  const json::Value* value = json::find(object, key);
  if (value == nullptr || !value->IsString() || value->GetStringLength() == 0) {
    causes.push_back({std::string(field), "FieldValueRequired", "Required value"});
  }
}

}  // namespace

Registry::Registry() {
  const std::shared_ptr<const ResourceType> builtins[] = {
      builtin("", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}),
      builtin("", "v1", "secrets", "secret", "Secret", true),
      builtin("", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}),
      builtin("", "v1", "events", "event", "Event", true, {"ev"}),
      builtin("events.k8s.io", "v1", "events", "event", "Event", true, {"ev"}),
      builtin("coordination.k8s.io", "v1", "leases", "lease", "Lease", true),
      builtin("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true,
              {"netpol"}),
      builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
              "CustomResourceDefinition", false, {"crd", "crds"}),
  };
  for (const auto& type : builtins) {
    types_[{type->group, type->version, type->plural}] = type;
  }
  // Namespaces report their phase through status, written only by the server.
  auto namespaces = std::make_shared<ResourceType>(*types_[{"", "v1", "namespaces"}]);
  namespaces->status_subresource = true;
  types_[{"", "v1", "namespaces"}] = namespaces;
  auto crds = std::make_shared<ResourceType>(
      *types_[{"apiextensions.k8s.io", "v1", "customresourcedefinitions"}]);
  crds->status_subresource = true;
  types_[{"apiextensions.k8s.io", "v1", "customresourcedefinitions"}] = crds;
}

std::shared_ptr<const ResourceType> Registry::find(std::string_view group, std::string_view version,
                                                   std::string_view plural) const {
  const std::shared_lock lock(mu_);
  const auto it = types_.find({std::string(group), std::string(version), std::string(plural)});
  return it == types_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const ResourceType>> Registry::all() const {
  const std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<const ResourceType>> out;
  out.reserve(types_.size());
  for (const auto& [key, type] : types_) {
    out.push_back(type);
  }
  return out;
}

Result<std::vector<std::shared_ptr<const ResourceType>>> Registry::registerCrd(
    const json::Value& crd) {
  std::vector<ErrorCause> causes;
  const json::Value* spec = json::find(crd, "spec");
  if (spec == nullptr || !spec->IsObject()) {
    Error error = Error::invalidArgument("CustomResourceDefinition has no spec");
    error.causes.push_back({"spec", "FieldValueRequired", "Required value"});
    return error;
  }
  const json::Value* names = json::find(*spec, "names");
  static const json::Value kEmptyObject(rapidjson::kObjectType);
  const json::Value& names_ref = names != nullptr ? *names : kEmptyObject;
  require(*spec, "group", "spec.group", causes);
  require(names_ref, "plural", "spec.names.plural", causes);
  require(names_ref, "kind", "spec.names.kind", causes);
  const std::string_view scope = json::getString(*spec, "scope");
  if (scope != "Namespaced" && scope != "Cluster") {
    causes.push_back({"spec.scope", "FieldValueNotSupported",
                      R"(Unsupported value: ")" + std::string(scope) +
                          R"(": supported values: "Cluster", "Namespaced")"});
  }
  const std::string group(json::getString(*spec, "group"));
  const std::string plural(json::getString(names_ref, "plural"));
  const std::string expected_name = plural + "." + group;
  const json::Value* crd_name = json::findPath(crd, {"metadata", "name"});
  if (crd_name == nullptr || !crd_name->IsString() || json::view(*crd_name) != expected_name) {
    causes.push_back(
        {"metadata.name", "FieldValueInvalid",
         "Invalid value: must be spec.names.plural+\".\"+spec.group (" + expected_name + ")"});
  }

  std::vector<std::shared_ptr<const ResourceType>> registered;
  const json::Value* versions = json::find(*spec, "versions");
  if (versions == nullptr || !versions->IsArray() || versions->Empty()) {
    causes.push_back({"spec.versions", "FieldValueRequired", "Required value"});
  } else {
    int storage_versions = 0;
    for (rapidjson::SizeType i = 0; i < versions->Size(); ++i) {
      const json::Value& version = (*versions)[i];
      const std::string field = "spec.versions[" + std::to_string(i) + "]";
      const json::Value* storage = json::find(version, "storage");
      if (storage != nullptr && storage->IsTrue()) {
        ++storage_versions;
      }
      const json::Value* served = json::find(version, "served");
      if (served == nullptr || !served->IsTrue()) {
        continue;
      }
      auto type = std::make_shared<ResourceType>();
      type->group = group;
      type->version = std::string(json::getString(version, "name"));
      type->plural = plural;
      type->singular = std::string(json::getString(names_ref, "singular"));
      if (type->singular.empty()) {
        type->singular = plural;
      }
      type->kind = std::string(json::getString(names_ref, "kind"));
      type->list_kind = std::string(json::getString(names_ref, "listKind", type->kind + "List"));
      if (type->list_kind.empty()) {
        type->list_kind = type->kind + "List";
      }
      type->namespaced = scope == "Namespaced";
      type->short_names = stringArray(json::find(names_ref, "shortNames"));
      type->categories = stringArray(json::find(names_ref, "categories"));
      type->custom = true;
      type->status_subresource = json::findPath(version, {"subresources", "status"}) != nullptr;
      if (const json::Value* columns = json::find(version, "additionalPrinterColumns");
          columns != nullptr && columns->IsArray()) {
        for (const json::Value& column : columns->GetArray()) {
          PrinterColumn printer;
          printer.name = std::string(json::getString(column, "name"));
          printer.type = std::string(json::getString(column, "type", "string"));
          printer.json_path = std::string(json::getString(column, "jsonPath"));
          printer.description = std::string(json::getString(column, "description"));
          if (const json::Value* priority = json::find(column, "priority");
              priority != nullptr && priority->IsInt()) {
            printer.priority = priority->GetInt();
          }
          type->printer_columns.push_back(std::move(printer));
        }
      }
      const json::Value* open_api = json::findPath(version, {"schema", "openAPIV3Schema"});
      if (open_api == nullptr) {
        causes.push_back({field + ".schema.openAPIV3Schema", "FieldValueRequired",
                          "Required value: schemas are required"});
        continue;
      }
      Result<schema::Schema> compiled = schema::Schema::compile(*open_api);
      if (!compiled) {
        causes.push_back(
            {field + ".schema.openAPIV3Schema", "FieldValueInvalid", compiled.error().message});
        continue;
      }
      type->schema = std::make_shared<const schema::Schema>(std::move(compiled).value());
      type->open_api_schema = std::make_shared<const json::Document>(json::clone(*open_api));
      registered.push_back(std::move(type));
    }
    if (storage_versions != 1) {
      causes.push_back({"spec.versions", "FieldValueInvalid",
                        "Invalid value: must have exactly one version marked as storage version"});
    }
  }
  if (!causes.empty()) {
    Error error = Error::invalidArgument("CustomResourceDefinition.apiextensions.k8s.io \"" +
                                         expected_name + "\" is invalid");
    error.causes = std::move(causes);
    return error;
  }

  const std::unique_lock lock(mu_);
  if (const auto previous = crd_keys_.find(expected_name); previous != crd_keys_.end()) {
    for (const Key& key : previous->second) {
      types_.erase(key);
    }
  }
  std::vector<Key>& keys = crd_keys_[expected_name];
  keys.clear();
  for (const auto& type : registered) {
    Key key{type->group, type->version, type->plural};
    if (const auto clash = types_.find(key); clash != types_.end() && !clash->second->custom) {
      continue;  // Built-in kinds cannot be redefined.
    }
    types_[key] = type;
    keys.push_back(std::move(key));
  }
  return registered;
}

void Registry::unregisterCrd(std::string_view crd_name) {
  const std::unique_lock lock(mu_);
  const auto it = crd_keys_.find(crd_name);
  if (it == crd_keys_.end()) {
    return;
  }
  for (const Key& key : it->second) {
    types_.erase(key);
  }
  crd_keys_.erase(it);
}

}  // namespace daap::devcluster

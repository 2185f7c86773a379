#include "hack/devcluster/openapi.h"

#include <set>

namespace daap::devcluster {

namespace {

std::string pathPrefix(const ResourceType& type) {
  return type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
}

// "daap.io" -> "io.daap", as Kubernetes names definitions.
std::string reverseDomain(std::string_view group) {
  if (group.empty()) {
    return "io.k8s.api.core";
  }
  std::string out;
  size_t end = group.size();
  while (true) {
    const size_t dot = group.rfind('.', end - 1);
    const size_t start = dot == std::string_view::npos ? 0 : dot + 1;
    if (!out.empty()) {
      out += '.';
    }
    out += group.substr(start, end - start);
    if (dot == std::string_view::npos) {
      break;
    }
    end = dot;
  }
  return out;
}

json::Value gvk(const ResourceType& type, json::Allocator& allocator) {
  json::Value marker(rapidjson::kObjectType);
  json::setString(marker, "group", type.group, allocator);
  json::setString(marker, "kind", type.kind, allocator);
  json::setString(marker, "version", type.version, allocator);
  return marker;
}

json::Value operation(const ResourceType& type, std::string_view verb, json::Allocator& allocator) {
  json::Value op(rapidjson::kObjectType);
  json::setString(op, "operationId", std::string(verb) + type.kind, allocator);
  json::setString(op, "x-kubernetes-action", verb, allocator);
  json::set(op, "x-kubernetes-group-version-kind", gvk(type, allocator), allocator);
  json::Value parameters(rapidjson::kArrayType);
  if (verb == "post" || verb == "put" || verb == "patch") {
    // kubectl looks for this parameter to learn that the server validates fields.
    for (const char* name : {"dryRun", "fieldManager", "fieldValidation"}) {
      json::Value parameter(rapidjson::kObjectType);
      json::setString(parameter, "name", name, allocator);
      json::setString(parameter, "in", "query", allocator);
      json::Value schema(rapidjson::kObjectType);
      json::setString(schema, "type", "string", allocator);
      json::set(parameter, "schema", std::move(schema), allocator);
      json::set(parameter, "uniqueItems", json::Value(true), allocator);
      parameters.PushBack(parameter, allocator);
    }
  }
  json::set(op, "parameters", std::move(parameters), allocator);
  json::Value responses(rapidjson::kObjectType);
  json::Value ok(rapidjson::kObjectType);
  json::setString(ok, "description", "OK", allocator);
  json::set(responses, "200", std::move(ok), allocator);
  json::set(op, "responses", std::move(responses), allocator);
  return op;
}

}  // namespace

std::string openApiV3Index(const Registry& registry) {
  json::Document index(rapidjson::kObjectType);
  auto& allocator = index.GetAllocator();
  json::Value paths(rapidjson::kObjectType);
  std::set<std::string> seen;
  for (const auto& type : registry.all()) {
    const std::string key = pathPrefix(*type).substr(1);
    if (!seen.insert(key).second) {
      continue;
    }
    json::Value entry(rapidjson::kObjectType);
    json::setString(entry, "serverRelativeURL", "/openapi/v3/" + key, allocator);
    json::set(paths, key, std::move(entry), allocator);
  }
  json::set(index, "paths", std::move(paths), allocator);
  return json::serialize(index);
}

Result<std::string> openApiV3Document(const Registry& registry, std::string_view group,
                                      std::string_view version) {
  json::Document document(rapidjson::kObjectType);
  auto& allocator = document.GetAllocator();
  json::setString(document, "openapi", "3.0.0", allocator);
  json::Value info(rapidjson::kObjectType);
  json::setString(info, "title", "Kubernetes", allocator);
  json::setString(info, "version", "v1.32.0", allocator);
  json::set(document, "info", std::move(info), allocator);
  json::Value paths(rapidjson::kObjectType);
  json::Value schemas(rapidjson::kObjectType);
  bool any = false;
  for (const auto& type : registry.all()) {
    if (type->group != group || type->version != version) {
      continue;
    }
    any = true;
    const std::string scope = type->namespaced ? "/namespaces/{namespace}/" : "/";
    const std::string collection = pathPrefix(*type) + scope + type->plural;
    json::Value collection_ops(rapidjson::kObjectType);
    json::set(collection_ops, "get", operation(*type, "list", allocator), allocator);
    json::set(collection_ops, "post", operation(*type, "post", allocator), allocator);
    json::set(paths, collection, std::move(collection_ops), allocator);
    json::Value item_ops(rapidjson::kObjectType);
    json::set(item_ops, "get", operation(*type, "get", allocator), allocator);
    json::set(item_ops, "put", operation(*type, "put", allocator), allocator);
    json::set(item_ops, "patch", operation(*type, "patch", allocator), allocator);
    json::set(item_ops, "delete", operation(*type, "delete", allocator), allocator);
    json::set(paths, collection + "/{name}", std::move(item_ops), allocator);

    json::Value schema(rapidjson::kObjectType);
    if (type->open_api_schema != nullptr) {
      schema.CopyFrom(*type->open_api_schema, allocator);
    } else {
      json::setString(schema, "type", "object", allocator);
      json::set(schema, "x-kubernetes-preserve-unknown-fields", json::Value(true), allocator);
    }
    json::Value markers(rapidjson::kArrayType);
    markers.PushBack(gvk(*type, allocator), allocator);
    json::set(schema, "x-kubernetes-group-version-kind", std::move(markers), allocator);
    json::set(schemas, reverseDomain(type->group) + "." + type->version + "." + type->kind,
              std::move(schema), allocator);
  }
  if (!any) {
    return Error::notFound("no OpenAPI document for " + std::string(group) + "/" +
                           std::string(version));
  }
  json::set(document, "paths", std::move(paths), allocator);
  json::Value components(rapidjson::kObjectType);
  json::set(components, "schemas", std::move(schemas), allocator);
  json::set(document, "components", std::move(components), allocator);
  return json::serialize(document);
}

}  // namespace daap::devcluster

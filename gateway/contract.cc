#include "gateway/contract.h"

#include <algorithm>
#include <set>

#include "lib/json/yaml.h"

namespace daap::gateway {

struct Contract::Compiled {
  std::vector<schema::Schema> variants;
  // The root object's declared properties: lib/schema keeps apiVersion, kind and metadata at a
  // root as Kubernetes does, so unknown root members are caught here instead.
  std::vector<std::set<std::string, std::less<>>> root_properties;
};

namespace {

constexpr std::string_view kRefPrefix = "#/components/schemas/";

// Replaces every {"$ref": "#/components/schemas/X"} below `node` with a copy of X.
Result<void> resolveRefs(json::Value& node, const json::Value& schemas, json::Allocator& allocator,
                         int depth) {
  if (depth > 64) {
    return Error::invalidArgument("openapi: $ref nesting too deep (a cycle?)");
  }
  if (node.IsObject()) {
    if (const json::Value* ref = json::find(node, "$ref"); ref != nullptr && ref->IsString()) {
      const std::string_view target = json::view(*ref);
      if (target.substr(0, kRefPrefix.size()) != kRefPrefix) {
        return Error::invalidArgument("openapi: unsupported $ref " + std::string(target));
      }
      const json::Value* resolved = json::find(schemas, target.substr(kRefPrefix.size()));
      if (resolved == nullptr) {
        return Error::invalidArgument("openapi: dangling $ref " + std::string(target));
      }
      node.CopyFrom(*resolved, allocator);
      return resolveRefs(node, schemas, allocator, depth + 1);
    }
    for (auto& member : node.GetObject()) {
      if (Result<void> done = resolveRefs(member.value, schemas, allocator, depth + 1); !done) {
        return done;
      }
    }
  } else if (node.IsArray()) {
    for (auto& item : node.GetArray()) {
      if (Result<void> done = resolveRefs(item, schemas, allocator, depth + 1); !done) {
        return done;
      }
    }
  }
  return {};
}

// Expands the first oneOf found (depth first) into one schema per alternative, recursively,
// so every returned schema is free of oneOf.
void expandOneOf(const json::Value& schema, std::vector<json::Document>& out) {
  json::Document copy = json::clone(schema);
  // Finds the first oneOf node by walking the copy.
  std::vector<json::Value*> stack{&copy};
  json::Value* found = nullptr;
  while (!stack.empty() && found == nullptr) {
    json::Value* node = stack.back();
    stack.pop_back();
    if (node->IsObject()) {
      if (json::Value* one_of = json::find(*node, "oneOf");
          one_of != nullptr && one_of->IsArray()) {
        found = node;
        break;
      }
      for (auto& member : node->GetObject()) {
        stack.push_back(&member.value);
      }
    } else if (node->IsArray()) {
      for (auto& item : node->GetArray()) {
        stack.push_back(&item);
      }
    }
  }
  if (found == nullptr) {
    out.push_back(std::move(copy));
    return;
  }
  const json::Document alternatives = json::clone(*json::find(*found, "oneOf"));
  for (const auto& alternative : alternatives.GetArray()) {
    found->CopyFrom(alternative, copy.GetAllocator());
    expandOneOf(copy, out);
  }
}

// additionalProperties: false makes lib/schema report one error at the object; without it the
// same fields are pruned and reported one by one with their paths, which is what a 400 names.
void dropClosedObjects(json::Value& node) {
  if (node.IsObject()) {
    if (const json::Value* additional = json::find(node, "additionalProperties");
        additional != nullptr && additional->IsBool() && !additional->GetBool()) {
      json::erase(node, "additionalProperties");
    }
    for (auto& member : node.GetObject()) {
      dropClosedObjects(member.value);
    }
  } else if (node.IsArray()) {
    for (auto& item : node.GetArray()) {
      dropClosedObjects(item);
    }
  }
}

std::set<std::string, std::less<>> rootProperties(const json::Value& schema) {
  std::set<std::string, std::less<>> names;
  if (const json::Value* properties = json::find(schema, "properties");
      properties != nullptr && properties->IsObject()) {
    for (const auto& member : properties->GetObject()) {
      names.emplace(json::view(member.name));
    }
  }
  return names;
}

}  // namespace

Result<Contract> Contract::load(std::string_view yaml) {
  Result<std::vector<json::Document>> documents = json::parseYaml(yaml);
  if (!documents) {
    return documents.error();
  }
  if (documents->size() != 1 || !(*documents)[0].IsObject()) {
    return Error::invalidArgument("openapi: expected one YAML document holding an object");
  }
  Contract contract;
  contract.document_ = std::move((*documents)[0]);
  contract.json_ = json::serialize(contract.document_);
  const json::Value* schemas = json::findPath(contract.document_, {"components", "schemas"});
  if (schemas == nullptr || !schemas->IsObject()) {
    return Error::invalidArgument("openapi: components.schemas is missing");
  }
  for (const auto& member : schemas->GetObject()) {
    json::Document resolved = json::clone(member.value);
    if (Result<void> done = resolveRefs(resolved, *schemas, resolved.GetAllocator(), 0); !done) {
      return done.error();
    }
    dropClosedObjects(resolved);
    std::vector<json::Document> variants;
    expandOneOf(resolved, variants);
    auto compiled = std::make_shared<Compiled>();
    for (const json::Document& variant : variants) {
      Result<schema::Schema> schema = schema::Schema::compile(variant);
      if (!schema) {
        return Error::invalidArgument("openapi: schema " + std::string(json::view(member.name)) +
                                      ": " + schema.error().message);
      }
      compiled->variants.push_back(std::move(*schema));
      compiled->root_properties.push_back(rootProperties(variant));
    }
    contract.schemas_.emplace(std::string(json::view(member.name)), std::move(compiled));
  }
  return contract;
}

std::vector<Operation> Contract::operations() const {
  std::vector<Operation> operations;
  const json::Value* paths = json::find(document_, "paths");
  if (paths == nullptr || !paths->IsObject()) {
    return operations;
  }
  static const std::set<std::string_view> kMethods = {"get",   "put",     "post", "delete",
                                                      "patch", "options", "head", "trace"};
  for (const auto& path : paths->GetObject()) {
    if (!path.value.IsObject()) {
      continue;
    }
    for (const auto& method : path.value.GetObject()) {
      std::string name(json::view(method.name));
      if (kMethods.count(name) == 0) {
        continue;
      }
      std::transform(name.begin(), name.end(), name.begin(),
                     [](char c) { return static_cast<char>(c - 'a' + 'A'); });
      operations.push_back({name, std::string(json::view(path.name))});
    }
  }
  std::sort(operations.begin(), operations.end());
  return operations;
}

Result<void> Contract::check(const Compiled& compiled, json::Value& value,
                             json::Allocator& allocator) const {
  std::vector<ErrorCause> first_failure;
  for (size_t i = 0; i < compiled.variants.size(); ++i) {
    json::Document attempt = json::clone(value);
    schema::ValidationResult result =
        compiled.variants[i].admit(attempt, nullptr, attempt.GetAllocator());
    std::vector<ErrorCause> causes = std::move(result.errors);
    for (const std::string& unknown : result.unknown_fields) {
      causes.push_back({unknown, "FieldValueNotSupported", "unknown field"});
    }
    if (value.IsObject()) {
      for (const auto& member : value.GetObject()) {
        const std::string_view name = json::view(member.name);
        if ((name == "apiVersion" || name == "kind" || name == "metadata") &&
            compiled.root_properties[i].count(name) == 0) {
          causes.push_back({std::string(name), "FieldValueNotSupported", "unknown field"});
        }
      }
    }
    if (causes.empty()) {
      value.CopyFrom(attempt, allocator);  // With the schema's defaults applied.
      return {};
    }
    if (i == 0) {
      first_failure = std::move(causes);
    }
  }
  Error error = Error::invalidArgument(schema::summarize(first_failure));
  error.causes = std::move(first_failure);
  return error;
}

Result<void> Contract::validate(std::string_view name, json::Value& value,
                                json::Allocator& allocator) const {
  auto found = schemas_.find(name);
  if (found == schemas_.end()) {
    return Error::notFound("openapi: no schema " + std::string(name));
  }
  return check(*found->second, value, allocator);
}

Result<void> Contract::validateResponse(std::string_view method, std::string_view path, int status,
                                        const json::Value& body) const {
  std::string method_key(method);
  std::transform(method_key.begin(), method_key.end(), method_key.begin(), [](char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  const json::Value* operation = json::findPath(document_, {"paths", path, method_key});
  if (operation == nullptr) {
    return Error::notFound("openapi: no operation " + std::string(method) + " " +
                           std::string(path));
  }
  const std::string status_key = std::to_string(status);
  const json::Value* response = json::findPath(*operation, {"responses", status_key});
  if (response == nullptr) {
    return Error::notFound("openapi: " + std::string(method) + " " + std::string(path) +
                           " declares no " + status_key + " response");
  }
  if (const json::Value* ref = json::find(*response, "$ref"); ref != nullptr && ref->IsString()) {
    constexpr std::string_view kResponses = "#/components/responses/";
    const std::string_view target = json::view(*ref);
    response = json::findPath(
        document_,
        {"components", "responses", target.substr(std::min(kResponses.size(), target.size()))});
    if (response == nullptr) {
      return Error::invalidArgument("openapi: dangling $ref " + std::string(target));
    }
  }
  const json::Value* schema = json::findPath(*response, {"content", "application/json", "schema"});
  if (schema == nullptr) {
    return Error::notFound("openapi: no application/json schema for " + status_key);
  }
  json::Document copy = json::clone(body);
  if (const json::Value* ref = json::find(*schema, "$ref"); ref != nullptr && ref->IsString()) {
    const std::string_view target = json::view(*ref);
    if (target.substr(0, kRefPrefix.size()) == kRefPrefix) {
      return validate(target.substr(kRefPrefix.size()), copy, copy.GetAllocator());
    }
  }
  // An inline schema (e.g. /openapi.json's bare object): only its type is checked.
  if (json::getString(*schema, "type") == "object" && !body.IsObject()) {
    return Error::invalidArgument("response is not an object");
  }
  return {};
}

}  // namespace daap::gateway

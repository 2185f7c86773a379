// The write verbs of Api: create, update, patch, delete, and the admission every write
// passes through.
#include <random>
#include <set>
#include <utility>

#include <glog/logging.h>

#include "hack/devcluster/api.h"
#include "hack/devcluster/garbage_collector.h"
#include "hack/devcluster/object_meta.h"
#include "lib/base/base64.h"
#include "lib/base/clock.h"
#include "lib/json/patch.h"
#include "lib/json/yaml.h"

namespace daap::devcluster {

HttpResponse errorResponse(const Error& error);

namespace {

constexpr int kPatchAttempts = 5;

HttpResponse objectResponse(unsigned status, const json::Value& object,
                            const std::vector<std::string>& warnings) {
  HttpResponse response;
  response.status = status;
  response.body = json::serialize(object);
  for (const std::string& warning : warnings) {
    response.headers.emplace_back("Warning", "299 - \"" + warning + "\"");
  }
  return response;
}

Error invalid(const ResourceType& type, std::string_view name, std::vector<ErrorCause> causes) {
  const ApiStatus status = ApiStatus::invalid(type.group, type.kind, name, causes);
  Error error = Error::invalidArgument(status.message);
  error.causes = std::move(causes);
  return error;
}

Error notFound(const ResourceType& type, std::string_view name) {
  return Error::notFound(ApiStatus::notFound(type.group, type.plural, name).message);
}

Error conflict(const ResourceType& type, std::string_view name) {
  return Error::conflict(ApiStatus::conflict(type.group, type.plural, name,
                                             "the object has been modified; please apply your "
                                             "changes to the latest version and try again")
                             .message);
}

Result<json::Document> decodeBody(const HttpRequest& request) {
  if (request.content_type.find("yaml") != std::string::npos) {
    Result<std::vector<json::Document>> documents = json::parseYaml(request.body);
    if (!documents) {
      return Error::invalidArgument(documents.error().message);
    }
    if (documents->size() != 1) {
      return Error::invalidArgument("expected exactly one YAML document");
    }
    return std::move((*documents)[0]);
  }
  Result<json::Document> parsed = json::parse(request.body);
  if (!parsed) {
    return Error::invalidArgument("the body of the request was in an unknown format: " +
                                  parsed.error().message);
  }
  return parsed;
}

// The API server only keeps these under metadata; strict validation names anything else.
bool isKnownMetadataField(std::string_view field) {
  static const std::set<std::string_view, std::less<>> kKnown = {"name",
                                                                 "generateName",
                                                                 "namespace",
                                                                 "selfLink",
                                                                 "uid",
                                                                 "resourceVersion",
                                                                 "generation",
                                                                 "creationTimestamp",
                                                                 "deletionTimestamp",
                                                                 "deletionGracePeriodSeconds",
                                                                 "labels",
                                                                 "annotations",
                                                                 "ownerReferences",
                                                                 "finalizers",
                                                                 "managedFields"};
  return kKnown.contains(field);
}

// Everything but metadata and status: what a generation counts.
bool specChanged(const json::Value& before, const json::Value& after) {
  auto count_other = [](const json::Value& object) {
    size_t count = 0;
    for (const auto& member : object.GetObject()) {
      const std::string_view key = json::view(member.name);
      if (key != "metadata" && key != "status") {
        ++count;
      }
    }
    return count;
  };
  if (count_other(before) != count_other(after)) {
    return true;
  }
  for (const auto& member : after.GetObject()) {
    const std::string_view key = json::view(member.name);
    if (key == "metadata" || key == "status") {
      continue;
    }
    const json::Value* old_value = json::find(before, key);
    if (old_value == nullptr || !json::equal(*old_value, member.value)) {
      return true;
    }
  }
  return false;
}

bool tracksGeneration(const ResourceType& type) {
  return type.custom || type.plural == "networkpolicies" ||
         type.plural == "customresourcedefinitions";
}

std::string randomSuffix() {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out;
  for (int i = 0; i < 5; ++i) {
    out += kAlphabet[pick(rng)];
  }
  return out;
}

// What the built-in kinds' own strategies do on every write.
Result<void> prepareBuiltin(const ResourceType& type, json::Document& object) {
  auto& allocator = object.GetAllocator();
  json::Value& metadata = object["metadata"];
  if (type.plural == "namespaces" && type.group.empty()) {
    json::Value& labels = json::ensureObject(metadata, "labels", allocator);
    json::setString(labels, "kubernetes.io/metadata.name", json::getString(metadata, "name"),
                    allocator);
    json::Value& spec = json::ensureObject(object, "spec", allocator);
    if (json::find(spec, "finalizers") == nullptr) {
      json::Value finalizers(rapidjson::kArrayType);
      finalizers.PushBack(json::stringValue("kubernetes", allocator), allocator);
      json::set(spec, "finalizers", std::move(finalizers), allocator);
    }
  }
  if (type.plural == "secrets" && type.group.empty()) {
    std::vector<ErrorCause> causes;
    if (json::Value* data = json::find(object, "data"); data != nullptr && data->IsObject()) {
      for (const auto& member : data->GetObject()) {
        if (!member.value.IsString() || !isBase64(json::view(member.value))) {
          causes.push_back({"data[" + std::string(json::view(member.name)) + "]",
                            "FieldValueInvalid", "Invalid value: must be base64 encoded"});
        }
      }
    }
    if (!causes.empty()) {
      Error error =
          Error::invalidArgument("Secret \"" + std::string(json::getString(metadata, "name")) +
                                 "\" is invalid: " + causes.front().message);
      error.causes = std::move(causes);
      return error;
    }
    // stringData is a write-only convenience: merged into data, never stored.
    if (json::Value* string_data = json::find(object, "stringData");
        string_data != nullptr && string_data->IsObject()) {
      json::Value& data = json::ensureObject(object, "data", allocator);
      for (const auto& member : string_data->GetObject()) {
        if (member.value.IsString()) {
          json::setString(data, json::view(member.name), encodeBase64(json::view(member.value)),
                          allocator);
        }
      }
      json::erase(object, "stringData");
    }
    if (json::find(object, "type") == nullptr) {
      json::setString(object, "type", "Opaque", allocator);
    }
  }
  return {};
}

}  // namespace

Result<void> Api::admit(const ResourceType& type, json::Document& object,
                        const json::Value* old_object, std::string_view field_validation,
                        std::vector<std::string>& warnings) {
  std::vector<std::string> unknown;
  if (const json::Value* metadata = json::find(object, "metadata")) {
    for (const auto& member : metadata->GetObject()) {
      if (!isKnownMetadataField(json::view(member.name))) {
        unknown.push_back("metadata." + std::string(json::view(member.name)));
      }
    }
  }
  std::vector<ErrorCause> causes;
  if (type.schema != nullptr) {
    schema::ValidationResult result = type.schema->admit(object, old_object, object.GetAllocator());
    unknown.insert(unknown.end(), result.unknown_fields.begin(), result.unknown_fields.end());
    causes = std::move(result.errors);
  }
  if (!unknown.empty()) {
    if (field_validation == "Strict") {
      std::string message = "strict decoding error: ";
      for (size_t i = 0; i < unknown.size(); ++i) {
        message += (i > 0 ? ", " : "") + std::string("unknown field \"") + unknown[i] + "\"";
      }
      return Error::invalidArgument(message);
    }
    if (field_validation != "Ignore") {
      for (const std::string& field : unknown) {
        warnings.push_back("unknown field \\\"" + field + "\\\"");
      }
    }
  }
  if (!causes.empty()) {
    return invalid(type, metaString(object, "name"), std::move(causes));
  }
  return {};
}

Result<json::Document> Api::createObject(const ResourceType& type, json::Document object,
                                         const std::string& path_namespace,
                                         std::string_view field_validation,
                                         std::vector<std::string>& warnings) {
  if (!object.IsObject()) {
    return Error::invalidArgument("the body of the request must be a JSON object");
  }
  const std::string_view kind = json::getString(object, "kind");
  const std::string_view api_version = json::getString(object, "apiVersion");
  if (kind.empty()) {
    return Error::invalidArgument("Object 'Kind' is missing in '" + json::serialize(object) + "'");
  }
  if (kind != type.kind || api_version != type.apiVersion()) {
    return Error::invalidArgument("the API version in the data (" + std::string(api_version) +
                                  ") or kind (" + std::string(kind) +
                                  ") does not match the expected " + type.apiVersion() + ", " +
                                  type.kind);
  }
  auto& allocator = object.GetAllocator();
  json::Value& metadata = json::ensureObject(object, "metadata", allocator);
  std::string name(json::getString(metadata, "name"));
  if (name.empty()) {
    const std::string_view prefix = json::getString(metadata, "generateName");
    if (prefix.empty()) {
      return invalid(type, "",
                     {{"metadata.name", "FieldValueRequired",
                       "Required value: name or generateName is required"}});
    }
    name = std::string(prefix) + randomSuffix();
    json::setString(metadata, "name", name, allocator);
  }
  const std::string name_error =
      type.plural == "namespaces" ? validateLabel(name) : validateSubdomain(name);
  if (!name_error.empty()) {
    return invalid(type, name, {{"metadata.name", "FieldValueInvalid", name_error}});
  }
  std::string namespace_(json::getString(metadata, "namespace"));
  if (type.namespaced) {
    if (namespace_.empty()) {
      namespace_ = path_namespace;
    } else if (namespace_ != path_namespace) {
      return Error::invalidArgument(
          "the namespace of the provided object does not match the namespace sent on the "
          "request");
    }
    if (namespace_.empty()) {
      return Error::invalidArgument("a namespace is required to create a " + type.kind);
    }
    json::setString(metadata, "namespace", namespace_, allocator);
    const auto namespaces = registry_.find("", "v1", "namespaces");
    Result<StoredObject> owner_namespace = store_.get(objectKey(*namespaces, "", namespace_));
    if (!owner_namespace) {
      return notFound(*namespaces, namespace_);
    }
    if (owner_namespace->json->find("\"deletionTimestamp\"") != std::string::npos) {
      Error forbidden = Error::invalidArgument(type.plural + " \"" + name +
                                               "\" is forbidden: unable to create new content in "
                                               "namespace " +
                                               namespace_ + " because it is being terminated");
      forbidden.code = ErrorCode::PermissionDenied;
      return forbidden;
    }
  } else {
    json::erase(metadata, "namespace");
  }
  if (!json::getString(metadata, "resourceVersion").empty()) {
    return Error::invalidArgument("resourceVersion should not be set on objects to be created");
  }
  json::setString(metadata, "uid", newUid(), allocator);
  json::setString(metadata, "creationTimestamp", formatRfc3339(clock_.now()), allocator);
  json::erase(metadata, "deletionTimestamp");
  json::erase(metadata, "deletionGracePeriodSeconds");
  json::erase(metadata, "managedFields");
  if (tracksGeneration(type)) {
    json::set(metadata, "generation", json::Value(1), allocator);
  } else {
    json::erase(metadata, "generation");
  }
  if (type.status_subresource && type.custom) {
    json::erase(object, "status");  // Only /status writes status.
  }
  if (Result<void> prepared = prepareBuiltin(type, object); !prepared) {
    return prepared.error();
  }
  if (type.plural == "namespaces" && type.group.empty()) {
    json::Value& status = json::ensureObject(object, "status", allocator);
    json::setString(status, "phase", "Active", allocator);
  }
  if (Result<void> admitted = admit(type, object, nullptr, field_validation, warnings); !admitted) {
    return admitted.error();
  }
  if (type.plural == "customresourcedefinitions") {
    Result<std::vector<std::shared_ptr<const ResourceType>>> registered =
        registry_.registerCrd(object);
    if (!registered) {
      return registered.error();
    }
    markCrdEstablished(object);
  }
  Result<StoredObject> stored =
      store_.create(objectKey(type, namespace_, name), json::clone(object));
  if (!stored) {
    if (stored.error().code == ErrorCode::AlreadyExists) {
      return Error::alreadyExists(ApiStatus::alreadyExists(type.group, type.plural, name).message);
    }
    return stored.error();
  }
  Result<json::Document> created = json::parse(*stored->json);
  if (created) {
    afterWrite(type, &created.value(), false);
  }
  return created;
}

void Api::markCrdEstablished(json::Document& crd) {
  auto& allocator = crd.GetAllocator();
  json::Value& status = json::ensureObject(crd, "status", allocator);
  if (const json::Value* names = json::findPath(crd, {"spec", "names"})) {
    json::Value accepted;
    accepted.CopyFrom(*names, allocator);
    json::set(status, "acceptedNames", std::move(accepted), allocator);
  }
  json::Value conditions(rapidjson::kArrayType);
  for (const char* condition : {"NamesAccepted", "Established"}) {
    json::Value entry(rapidjson::kObjectType);
    json::setString(entry, "type", condition, allocator);
    json::setString(entry, "status", "True", allocator);
    json::setString(
        entry, "reason",
        condition == std::string_view("Established") ? "InitialNamesAccepted" : "NoConflicts",
        allocator);
    json::setString(entry, "lastTransitionTime", formatRfc3339(clock_.now()), allocator);
    conditions.PushBack(entry, allocator);
  }
  json::set(status, "conditions", std::move(conditions), allocator);
  json::Value stored_versions(rapidjson::kArrayType);
  if (const json::Value* versions = json::findPath(crd, {"spec", "versions"});
      versions != nullptr && versions->IsArray()) {
    for (const json::Value& version : versions->GetArray()) {
      const json::Value* storage = json::find(version, "storage");
      if (storage != nullptr && storage->IsTrue()) {
        stored_versions.PushBack(json::stringValue(json::getString(version, "name"), allocator),
                                 allocator);
      }
    }
  }
  json::set(status, "storedVersions", std::move(stored_versions), allocator);
}

Result<json::Document> Api::writeUpdate(const ResourceType& type, json::Document incoming,
                                        const StoredObject& current, bool status_only,
                                        std::string_view field_validation,
                                        std::vector<std::string>& warnings) {
  Result<json::Document> old_result = json::parse(*current.json);
  if (!old_result) {
    return old_result.error();
  }
  const json::Document& old = *old_result;
  const std::string name(metaString(old, "name"));
  if (!incoming.IsObject()) {
    return Error::invalidArgument("the body of the request must be a JSON object");
  }
  json::Document next;
  if (status_only) {
    // Writes to /status change status and nothing else.
    next.CopyFrom(old, next.GetAllocator());
    json::erase(next, "status");
    if (const json::Value* status = json::find(incoming, "status")) {
      json::Value copy;
      copy.CopyFrom(*status, next.GetAllocator());
      json::set(next, "status", std::move(copy), next.GetAllocator());
    }
  } else {
    next = std::move(incoming);
    auto& allocator = next.GetAllocator();
    const std::string_view kind = json::getString(next, "kind");
    const std::string_view api_version = json::getString(next, "apiVersion");
    if ((!kind.empty() && kind != type.kind) ||
        (!api_version.empty() && api_version != type.apiVersion())) {
      return Error::invalidArgument("the API version in the data (" + std::string(api_version) +
                                    ") or kind (" + std::string(kind) +
                                    ") does not match the expected " + type.apiVersion() + ", " +
                                    type.kind);
    }
    json::setString(next, "kind", type.kind, allocator);
    json::setString(next, "apiVersion", type.apiVersion(), allocator);
    json::Value& metadata = json::ensureObject(next, "metadata", allocator);
    const std::string_view new_name = json::getString(metadata, "name");
    if (!new_name.empty() && new_name != name) {
      return Error::invalidArgument("the name of the object (" + std::string(new_name) +
                                    ") does not match the name on the URL (" + name + ")");
    }
    // Fields the server owns survive any client write.
    for (const char* field : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "generation"}) {
      json::erase(metadata, field);
      if (const json::Value* kept = json::findPath(old, {"metadata", field})) {
        json::Value copy;
        copy.CopyFrom(*kept, allocator);
        json::set(metadata, field, std::move(copy), allocator);
      }
    }
    json::erase(metadata, "managedFields");
    if (type.status_subresource) {
      json::erase(next, "status");
      if (const json::Value* status = json::find(old, "status")) {
        json::Value copy;
        copy.CopyFrom(*status, allocator);
        json::set(next, "status", std::move(copy), allocator);
      }
    }
    if (isDeleting(old)) {
      std::set<std::string, std::less<>> before;
      if (const json::Value* finalizers = json::findPath(old, {"metadata", "finalizers"});
          finalizers != nullptr && finalizers->IsArray()) {
        for (const json::Value& f : finalizers->GetArray()) {
          before.emplace(json::view(f));
        }
      }
      if (const json::Value* finalizers = json::find(metadata, "finalizers");
          finalizers != nullptr && finalizers->IsArray()) {
        for (const json::Value& f : finalizers->GetArray()) {
          if (!before.contains(json::view(f))) {
            return invalid(type, name,
                           {{"metadata.finalizers", "FieldValueForbidden",
                             "Forbidden: no new finalizers can be added if the object is being "
                             "deleted, found new finalizers []string{\"" +
                                 std::string(json::view(f)) + "\"}"}});
          }
        }
      }
    }
    if (Result<void> prepared = prepareBuiltin(type, next); !prepared) {
      return prepared.error();
    }
    if (tracksGeneration(type) && specChanged(old, next)) {
      const json::Value* generation = json::findPath(old, {"metadata", "generation"});
      const int64_t bumped =
          (generation != nullptr && generation->IsInt64() ? generation->GetInt64() : 0) + 1;
      json::set(metadata, "generation", json::Value(bumped), allocator);
    }
  }
  json::setString(next["metadata"], "resourceVersion", std::to_string(current.resource_version),
                  next.GetAllocator());
  if (Result<void> admitted = admit(type, next, &old, field_validation, warnings); !admitted) {
    return admitted.error();
  }
  if (type.plural == "customresourcedefinitions" && !status_only) {
    if (Result<std::vector<std::shared_ptr<const ResourceType>>> registered =
            registry_.registerCrd(next);
        !registered) {
      return registered.error();
    }
    markCrdEstablished(next);
  }
  const ObjectKey key = objectKey(type, metaString(old, "namespace"), name);
  if (json::equal(old, next)) {
    return json::clone(old);  // A no-op write: no new resourceVersion, no event.
  }
  if (isDeleting(next) && !hasFinalizers(next)) {
    Result<StoredObject> removed = store_.remove(key, current.resource_version);
    if (!removed) {
      return removed.error().code == ErrorCode::Conflict ? conflict(type, name) : removed.error();
    }
    afterWrite(type, &next, true);
    return next;
  }
  Result<StoredObject> stored = store_.update(key, json::clone(next), current.resource_version);
  if (!stored) {
    if (stored.error().code == ErrorCode::Conflict) {
      return conflict(type, name);
    }
    if (stored.error().code == ErrorCode::NotFound) {
      return notFound(type, name);
    }
    return stored.error();
  }
  Result<json::Document> written = json::parse(*stored->json);
  if (written) {
    afterWrite(type, &written.value(), false);
  }
  return written;
}

Result<json::Document> Api::updateObject(const ResourceType& type, const json::Value& object,
                                         bool status_only, bool allow_unconditional) {
  const std::string name(metaString(object, "name"));
  const ObjectKey key = objectKey(type, metaString(object, "namespace"), name);
  for (int attempt = 0;; ++attempt) {
    Result<StoredObject> current = store_.get(key);
    if (!current) {
      return notFound(type, name);
    }
    const uint64_t wanted = parseResourceVersion(metaString(object, "resourceVersion"));
    if (wanted != 0 && wanted != current->resource_version) {
      return conflict(type, name);
    }
    std::vector<std::string> warnings;
    Result<json::Document> written =
        writeUpdate(type, json::clone(object), *current, status_only, "Ignore", warnings);
    if (written || written.error().code != ErrorCode::Conflict || !allow_unconditional ||
        attempt + 1 >= kPatchAttempts) {
      return written;
    }
  }
}

HttpResponse Api::create(const HttpRequest& request, const ParsedTarget& target,
                         const ResourceType& type) {
  Result<json::Document> body = decodeBody(request);
  if (!body) {
    return errorResponse(body.error());
  }
  std::vector<std::string> warnings;
  Result<json::Document> created =
      createObject(type, std::move(body).value(), target.path.namespace_,
                   target.param("fieldValidation"), warnings);
  if (!created) {
    return errorResponse(created.error());
  }
  return objectResponse(201, *created, warnings);
}

HttpResponse Api::replace(const HttpRequest& request, const ParsedTarget& target,
                          const ResourceType& type) {
  Result<json::Document> body = decodeBody(request);
  if (!body) {
    return errorResponse(body.error());
  }
  const RequestPath& path = target.path;
  Result<StoredObject> current = store_.get(objectKey(type, path.namespace_, path.name));
  if (!current) {
    return errorResponse(notFound(type, path.name));
  }
  const std::string_view wanted = body->IsObject() ? metaString(*body, "resourceVersion") : "";
  if (wanted.empty() && type.custom) {
    return errorResponse(invalid(type, path.name,
                                 {{"metadata.resourceVersion", "FieldValueInvalid",
                                   "Invalid value: 0x0: must be specified for an update"}}));
  }
  if (!wanted.empty() && parseResourceVersion(wanted) != current->resource_version) {
    return errorResponse(conflict(type, path.name));
  }
  std::vector<std::string> warnings;
  Result<json::Document> written =
      writeUpdate(type, std::move(body).value(), *current, path.subresource == "status",
                  target.param("fieldValidation"), warnings);
  if (!written) {
    return errorResponse(written.error());
  }
  return objectResponse(200, *written, warnings);
}

HttpResponse Api::patch(const HttpRequest& request, const ParsedTarget& target,
                        const ResourceType& type) {
  const RequestPath& path = target.path;
  const std::string& content_type = request.content_type;
  const bool merge = content_type.starts_with("application/merge-patch+json");
  const bool json_patch = content_type.starts_with("application/json-patch+json");
  // Strategic merge patch is for built-in kinds only; for the kinds served here (labels,
  // annotations, data, spec fields without merge keys) it reduces to a merge patch once its
  // $-directives are dropped.
  const bool strategic = content_type.starts_with("application/strategic-merge-patch+json");
  if (strategic && type.custom) {
    return statusResponse(ApiStatus::unsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/apply-patch+yaml"));
  }
  if (!merge && !json_patch && !strategic) {
    return statusResponse(ApiStatus::unsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json" +
        std::string(type.custom ? "" : ", application/strategic-merge-patch+json")));
  }
  Result<json::Document> patch_body = json::parse(request.body);
  if (!patch_body) {
    return errorResponse(Error::invalidArgument(patch_body.error().message));
  }
  if (strategic) {
    dropDirectives(*patch_body);
  }
  const ObjectKey key = objectKey(type, path.namespace_, path.name);
  for (int attempt = 0;; ++attempt) {
    Result<StoredObject> current = store_.get(key);
    if (!current) {
      return errorResponse(notFound(type, path.name));
    }
    Result<json::Document> patched = json::parse(*current->json);
    if (!patched) {
      return errorResponse(patched.error());
    }
    if (json_patch) {
      if (Result<void> applied = json::applyJsonPatch(*patched, *patch_body); !applied) {
        return errorResponse(
            invalid(type, path.name, {{"", "FieldValueInvalid", applied.error().message}}));
      }
    } else {
      json::applyMergePatch(*patched, *patch_body, patched->GetAllocator());
    }
    const uint64_t wanted = parseResourceVersion(metaString(*patched, "resourceVersion"));
    const bool pinned = wanted != current->resource_version;
    if (pinned) {
      return errorResponse(conflict(type, path.name));
    }
    std::vector<std::string> warnings;
    Result<json::Document> written =
        writeUpdate(type, std::move(patched).value(), *current, path.subresource == "status",
                    target.param("fieldValidation"), warnings);
    if (written) {
      return objectResponse(200, *written, warnings);
    }
    if (written.error().code != ErrorCode::Conflict || attempt + 1 >= kPatchAttempts) {
      return errorResponse(written.error());
    }
  }
}

Result<json::Document> Api::deleteObject(const ResourceType& type, const std::string& namespace_,
                                         const std::string& name, const DeleteOptions& options) {
  const ObjectKey key = objectKey(type, namespace_, name);
  for (int attempt = 0;; ++attempt) {
    Result<StoredObject> current = store_.get(key);
    if (!current) {
      return notFound(type, name);
    }
    Result<json::Document> object = json::parse(*current->json);
    if (!object) {
      return object.error();
    }
    if (!options.precondition_uid.empty() &&
        options.precondition_uid != metaString(*object, "uid")) {
      return Error::conflict(
          ApiStatus::conflict(
              type.group, type.plural, name,
              "Precondition failed: UID in precondition: " + options.precondition_uid +
                  ", UID in object meta: " + std::string(metaString(*object, "uid")))
              .message);
    }
    if (!options.precondition_resource_version.empty() &&
        parseResourceVersion(options.precondition_resource_version) != current->resource_version) {
      return Error::conflict(
          ApiStatus::conflict(
              type.group, type.plural, name,
              "Precondition failed: ResourceVersion in precondition: " +
                  options.precondition_resource_version +
                  ", ResourceVersion in object meta: " + std::to_string(current->resource_version))
              .message);
    }
    if (isDeleting(*object)) {
      return object;  // Already terminating: deletion is idempotent.
    }
    auto& allocator = object->GetAllocator();
    json::Value& metadata = (*object)["metadata"];
    const bool is_namespace = type.plural == "namespaces" && type.group.empty();
    if (options.propagation == "Orphan" || options.propagation == "Foreground") {
      if (!metadata.HasMember("finalizers") || !metadata["finalizers"].IsArray()) {
        json::set(metadata, "finalizers", json::Value(rapidjson::kArrayType), allocator);
      }
      metadata["finalizers"].PushBack(
          json::stringValue(options.propagation == "Orphan" ? "orphan" : "foregroundDeletion",
                            allocator),
          allocator);
    }
    Result<StoredObject> written = Error::internal("unset");
    if (hasFinalizers(*object) || is_namespace) {
      json::setString(metadata, "deletionTimestamp", formatRfc3339(clock_.now()), allocator);
      json::set(metadata, "deletionGracePeriodSeconds", json::Value(0), allocator);
      if (is_namespace) {
        json::setString(json::ensureObject(*object, "status", allocator), "phase", "Terminating",
                        allocator);
      }
      written = store_.update(key, json::clone(*object), current->resource_version);
      if (written) {
        Result<json::Document> terminating = json::parse(*written->json);
        if (terminating) {
          afterWrite(type, &terminating.value(), false);
        }
        return terminating;
      }
    } else {
      written = store_.remove(key, current->resource_version);
      if (written) {
        Result<json::Document> last = json::parse(*written->json);
        if (last) {
          afterWrite(type, &last.value(), true);
        }
        return last;
      }
    }
    if (written.error().code != ErrorCode::Conflict || attempt + 1 >= kPatchAttempts) {
      return written.error().code == ErrorCode::Conflict ? conflict(type, name) : written.error();
    }
  }
}

HttpResponse Api::remove(const HttpRequest& request, const ParsedTarget& target,
                         const ResourceType& type) {
  DeleteOptions options;
  options.propagation = std::string(target.param("propagationPolicy"));
  if (!request.body.empty()) {
    Result<json::Document> body = json::parse(request.body);
    if (!body || !body->IsObject()) {
      return errorResponse(Error::invalidArgument("invalid DeleteOptions"));
    }
    if (options.propagation.empty()) {
      options.propagation = std::string(json::getString(*body, "propagationPolicy"));
    }
    if (const json::Value* orphan = json::find(*body, "orphanDependents");
        orphan != nullptr && orphan->IsBool() && options.propagation.empty()) {
      options.propagation = orphan->GetBool() ? "Orphan" : "Background";
    }
    if (const json::Value* preconditions = json::find(*body, "preconditions")) {
      options.precondition_uid = std::string(json::getString(*preconditions, "uid"));
      options.precondition_resource_version =
          std::string(json::getString(*preconditions, "resourceVersion"));
    }
  }
  if (!options.propagation.empty() && options.propagation != "Orphan" &&
      options.propagation != "Background" && options.propagation != "Foreground") {
    return errorResponse(invalid(type, target.path.name,
                                 {{"propagationPolicy", "FieldValueNotSupported",
                                   "Unsupported value: \"" + options.propagation +
                                       "\": supported values: \"Foreground\", \"Background\", "
                                       "\"Orphan\""}}));
  }
  Result<json::Document> deleted =
      deleteObject(type, target.path.namespace_, target.path.name, options);
  if (!deleted) {
    return errorResponse(deleted.error());
  }
  return objectResponse(200, *deleted, {});
}

HttpResponse Api::removeCollection(const HttpRequest& request, const ParsedTarget& target,
                                   const ResourceType& type) {
  // Reuse list for selectors and scoping, then delete each item.
  HttpRequest list_request = request;
  list_request.accept = "application/json";
  HttpResponse listed = list(list_request, target, type);
  if (listed.status != 200) {
    return listed;
  }
  Result<json::Document> items = json::parse(listed.body);
  if (!items) {
    return errorResponse(items.error());
  }
  for (const json::Value& item : (*items)["items"].GetArray()) {
    Result<json::Document> deleted = deleteObject(
        type, std::string(metaString(item, "namespace")), std::string(metaString(item, "name")),
        {std::string(target.param("propagationPolicy")), {}, {}});
    if (!deleted && deleted.error().code != ErrorCode::NotFound) {
      return errorResponse(deleted.error());
    }
  }
  HttpResponse response;
  response.body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"})";
  return response;
}

Result<void> Api::applyManifest(const json::Value& manifest) {
  const std::string_view api_version = json::getString(manifest, "apiVersion");
  const size_t slash = api_version.find('/');
  const std::string group(slash == std::string_view::npos ? "" : api_version.substr(0, slash));
  const std::string version(slash == std::string_view::npos ? api_version
                                                            : api_version.substr(slash + 1));
  std::shared_ptr<const ResourceType> type;
  for (const auto& candidate : registry_.all()) {
    if (candidate->group == group && candidate->version == version &&
        candidate->kind == json::getString(manifest, "kind")) {
      type = candidate;
    }
  }
  if (type == nullptr) {
    return Error::notFound("no kind " + std::string(json::getString(manifest, "kind")) + " in " +
                           std::string(api_version));
  }
  const std::string namespace_(metaString(manifest, "namespace"));
  const std::string name(metaString(manifest, "name"));
  std::vector<std::string> warnings;
  Result<StoredObject> current = store_.get(objectKey(*type, namespace_, name));
  if (!current) {
    Result<json::Document> created =
        createObject(*type, json::clone(manifest), namespace_, "Strict", warnings);
    return created ? Result<void>() : Result<void>(created.error());
  }
  Result<json::Document> updated =
      writeUpdate(*type, json::clone(manifest), *current, false, "Strict", warnings);
  return updated ? Result<void>() : Result<void>(updated.error());
}

void Api::afterWrite(const ResourceType& type, const json::Value* object, bool removed) {
  if (removed && type.plural == "customresourcedefinitions") {
    registry_.unregisterCrd(metaString(*object, "name"));
  }
  if (collector_) {
    collector_->observe(type, *object, removed);
  }
  for (const Observer& observer : observers_) {
    observer(type, *object, removed);
  }
}

void Api::addObserver(Observer observer) {
  observers_.push_back(std::move(observer));
}

Result<json::Document> Api::createObject(const ResourceType& type, json::Document object) {
  const std::string namespace_(object.IsObject() ? metaString(object, "namespace") : "");
  std::vector<std::string> warnings;
  return createObject(type, std::move(object), namespace_, "Strict", warnings);
}

void Api::dropDirectives(json::Value& patch) {  // NOLINT(misc-no-recursion)
  if (patch.IsObject()) {
    for (auto member = patch.MemberBegin(); member != patch.MemberEnd();) {
      if (json::view(member->name).starts_with("$")) {
        member = patch.EraseMember(member);
      } else {
        dropDirectives(member->value);
        ++member;
      }
    }
  } else if (patch.IsArray()) {
    for (json::Value& item : patch.GetArray()) {
      dropDirectives(item);
    }
  }
}

}  // namespace daap::devcluster

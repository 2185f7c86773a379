#include "operator/owned_projection.h"

#include <glog/logging.h>

#include "lib/cnpg/render.h"

namespace daap::controller {
namespace {

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";
// A member no Kubernetes object has: the cache holds projections, not API objects.
constexpr std::string_view kDigestMember = "ownedDigest";

// Members of `from` whose names `shape` has, recursing where both are objects.
void copyShaped(const json::Value& from, const json::Value& shape, json::Value& to,
                json::Allocator& allocator) {
  for (auto member = from.MemberBegin(); member != from.MemberEnd(); ++member) {
    const json::Value* shaped = json::find(shape, json::view(member->name));
    if (shaped == nullptr) {
      continue;
    }
    if (shaped->IsObject() && member->value.IsObject() && !shaped->ObjectEmpty()) {
      json::Value nested(rapidjson::kObjectType);
      copyShaped(member->value, *shaped, nested, allocator);
      to.AddMember(json::Value(member->name, allocator), std::move(nested), allocator);
    } else {
      to.AddMember(json::Value(member->name, allocator), json::Value(member->value, allocator),
                   allocator);
    }
  }
}

const json::Value& statusShape() {
  static const json::Document kShape = [] {
    Result<json::Document> shape = json::parse(
        R"({"phase":"","phaseReason":"","instances":0,"readyInstances":0,"currentPrimary":"",)"
        R"("serverRecoveryWindow":null})");
    CHECK(shape.has_value());
    return std::move(shape).value();
  }();
  return kShape;
}

// Status members health and backup status read; of the conditions only Ready.
json::Value projectStatus(const json::Value& status, json::Allocator& allocator) {
  json::Value kept(rapidjson::kObjectType);
  copyShaped(status, statusShape(), kept, allocator);
  if (const json::Value* conditions = json::find(status, "conditions");
      conditions != nullptr && conditions->IsArray()) {
    json::Value ready(rapidjson::kArrayType);
    for (const json::Value& condition : conditions->GetArray()) {
      if (json::getString(condition, "type") == "Ready") {
        ready.PushBack(json::Value(condition, allocator), allocator);
      }
    }
    json::set(kept, "conditions", std::move(ready), allocator);
  }
  return kept;
}

}  // namespace

OwnedShapes::OwnedShapes() {
  const cnpg::DatabaseRef sample{"shape", "shape", "00000000-0000-0000-0000-000000000000", "team"};
  model::TierParameters full;
  full.tier_generation = 1;
  full.postgres_version = 17;
  full.instances = 2;
  full.storage_class = "standard";
  full.cpu = model::Quantity::fromMilli(1000);
  full.memory = model::Quantity::fromMilli(int64_t{1} << 40);
  full.storage_size = model::Quantity::fromMilli(int64_t{1} << 44);
  full.backup =
      model::BackupSettings{"0 0 2 * * *", 7, {"http://s3", "s3://bucket/", "s", "a", "b"}};
  for (json::Document& rendered : cnpg::renderAll(sample, full, cnpg::RenderOptions{})) {
    shapes_.emplace(std::string(json::getString(rendered, "kind")), std::move(rendered));
  }
  Result<json::Document> source = json::parse(
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"daap-system"},)"
      R"("data":{"a":"YQ==","b":"Yg=="}})");
  CHECK(source.has_value());
  Result<json::Document> secret = cnpg::renderBackupCredentials(sample, full, *source);
  CHECK(secret.has_value()) << secret.error().toString();
  // Its data keys are named by each tier: digest the whole map, whatever the names.
  json::set(*secret, "data", json::Value(rapidjson::kObjectType), secret->GetAllocator());
  shapes_.emplace("Secret", std::move(secret).value());
}

const json::Value* OwnedShapes::forKind(std::string_view kind) const {
  const auto found = shapes_.find(kind);
  return found == shapes_.end() ? nullptr : &found->second;
}

uint64_t ownedDigest(const json::Value& object, const json::Value& shape) {
  json::Document owned(rapidjson::kObjectType);
  json::Allocator& allocator = owned.GetAllocator();
  for (auto member = object.MemberBegin(); member != object.MemberEnd(); ++member) {
    const std::string_view name = json::view(member->name);
    json::Value kept(rapidjson::kObjectType);
    if (name == "metadata" && member->value.IsObject()) {
      for (const std::string_view field : {"labels", "annotations", "ownerReferences"}) {
        if (const json::Value* value = json::find(member->value, field)) {
          json::set(kept, field, json::Value(*value, allocator), allocator);
        }
      }
      if (json::Value* annotations = json::find(kept, "annotations")) {
        json::erase(*annotations, kLastApplied);
        if (annotations->IsObject() && annotations->ObjectEmpty()) {
          json::erase(kept, "annotations");
        }
      }
    } else if (const json::Value* shaped = json::find(shape, name);
               shaped != nullptr && name != "status") {
      if (shaped->IsObject() && member->value.IsObject() && !shaped->ObjectEmpty()) {
        copyShaped(member->value, *shaped, kept, allocator);
      } else {
        kept.CopyFrom(member->value, allocator);
      }
    } else {
      continue;
    }
    owned.AddMember(json::Value(member->name, allocator), std::move(kept), allocator);
  }
  return json::digest(owned);
}

json::Document projectOwned(const json::Value& object, const json::Value& shape) {
  json::Document projected(rapidjson::kObjectType);
  json::Allocator& allocator = projected.GetAllocator();
  if (const json::Value* metadata = json::find(object, "metadata")) {
    json::Value meta(rapidjson::kObjectType);
    for (const std::string_view field : {"name", "namespace", "uid", "deletionTimestamp"}) {
      if (const json::Value* value = json::find(*metadata, field)) {
        json::set(meta, field, json::Value(*value, allocator), allocator);
      }
    }
    if (const json::Value* labels = json::find(*metadata, "labels")) {
      if (const json::Value* id = json::find(*labels, cnpg::kDatabaseIdLabel)) {
        json::Value kept_labels(rapidjson::kObjectType);
        json::set(kept_labels, cnpg::kDatabaseIdLabel, json::Value(*id, allocator), allocator);
        json::set(meta, "labels", std::move(kept_labels), allocator);
      }
    }
    // The controlling owner's kind and name are how an event on the object finds its database.
    if (const json::Value* owners = json::find(*metadata, "ownerReferences");
        owners != nullptr && owners->IsArray()) {
      json::Value controllers(rapidjson::kArrayType);
      for (const json::Value& owner : owners->GetArray()) {
        if (const json::Value* controller = json::find(owner, "controller");
            controller != nullptr && controller->IsTrue()) {
          json::Value kept(rapidjson::kObjectType);
          for (const std::string_view field : {"kind", "name", "controller"}) {
            if (const json::Value* value = json::find(owner, field)) {
              json::set(kept, field, json::Value(*value, allocator), allocator);
            }
          }
          controllers.PushBack(std::move(kept), allocator);
        }
      }
      json::set(meta, "ownerReferences", std::move(controllers), allocator);
    }
    json::set(projected, "metadata", std::move(meta), allocator);
  }
  // Health compares the instances CNPG reports with those asked for.
  if (const json::Value* instances = json::findPath(object, {"spec", "instances"})) {
    json::Value spec(rapidjson::kObjectType);
    json::set(spec, "instances", json::Value(*instances, allocator), allocator);
    json::set(projected, "spec", std::move(spec), allocator);
  }
  if (const json::Value* status = json::find(object, "status");
      status != nullptr && status->IsObject()) {
    json::set(projected, "status", projectStatus(*status, allocator), allocator);
  }
  json::set(projected, kDigestMember, json::Value(ownedDigest(object, shape)), allocator);
  return projected;
}

std::optional<uint64_t> cachedOwnedDigest(const json::Value& cached) {
  const json::Value* digest = json::find(cached, kDigestMember);
  if (digest == nullptr || !digest->IsUint64()) {
    return std::nullopt;
  }
  return digest->GetUint64();
}

}  // namespace daap::controller

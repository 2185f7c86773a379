#include "operator/tier_reconciler.h"

#include <utility>
#include <vector>

#include <glog/logging.h>

#include "lib/kube/objects.h"
#include "lib/kube/resource.h"
#include "lib/model/tier_codec.h"
#include "operator/database_reconciler.h"

namespace daap::controller {

namespace {

json::Document finalizerPatch(const kube::ObjectMeta& meta, bool add) {
  json::Document patch(rapidjson::kArrayType);
  json::Allocator& allocator = patch.GetAllocator();
  json::Value test(rapidjson::kObjectType);
  json::setString(test, "op", "test", allocator);
  json::setString(test, "path", "/metadata/resourceVersion", allocator);
  json::setString(test, "value", meta.resource_version, allocator);
  patch.PushBack(test, allocator);
  json::Value op(rapidjson::kObjectType);
  if (add) {
    json::setString(op, "op", "add", allocator);
    if (meta.finalizers.empty()) {
      json::setString(op, "path", "/metadata/finalizers", allocator);
      json::Value list(rapidjson::kArrayType);
      list.PushBack(json::stringValue(kTierFinalizer, allocator), allocator);
      json::set(op, "value", std::move(list), allocator);
    } else {
      json::setString(op, "path", "/metadata/finalizers/-", allocator);
      json::setString(op, "value", kTierFinalizer, allocator);
    }
  } else {
    size_t index = 0;
    while (index < meta.finalizers.size() && meta.finalizers[index] != kTierFinalizer) {
      ++index;
    }
    json::setString(op, "op", "remove", allocator);
    json::setString(op, "path", "/metadata/finalizers/" + std::to_string(index), allocator);
  }
  patch.PushBack(op, allocator);
  return patch;
}

}  // namespace

kube::Condition tierValidity(const json::Value& tier, const kube::Informer& daap_secrets,
                             const std::string& daap_namespace) {
  kube::Condition valid;
  valid.type = "Valid";
  valid.observed_generation = kube::readMeta(tier).generation;
  Result<model::Tier> decoded = model::decodeTier(tier);
  if (!decoded) {
    valid.status = kube::ConditionStatus::False;
    valid.reason = "InvalidSpec";
    valid.message = decoded.error().message;
    return valid;
  }
  if (decoded->parameters.backup.has_value()) {
    const model::BackupDestination& destination = decoded->parameters.backup->destination;
    const kube::CachedObject secret =
        daap_secrets.get(daap_namespace, destination.credentials_secret);
    if (secret == nullptr) {
      valid.status = kube::ConditionStatus::False;
      valid.reason = "BackupCredentialsMissing";
      valid.message = "backup credentials secret " + daap_namespace + "/" +
                      destination.credentials_secret + " not found";
      return valid;
    }
    const json::Value* data = json::find(*secret, "data");
    for (const std::string& key :
         {destination.access_key_id_key, destination.secret_access_key_key}) {
      if (data == nullptr || json::find(*data, key) == nullptr) {
        valid.status = kube::ConditionStatus::False;
        valid.reason = "BackupCredentialsIncomplete";
        valid.message = "backup credentials secret " + daap_namespace + "/";
        valid.message += destination.credentials_secret;
        valid.message += " has no key ";
        valid.message += key;
        return valid;
      }
    }
  }
  valid.status = kube::ConditionStatus::True;
  valid.reason = "Valid";
  valid.message = "the tier can provision databases";
  return valid;
}

TierReconciler::TierReconciler(kube::Client& client, const Cache& cache, EventSink& events,
                               const Clock& clock, TierReconcilerOptions options,
                               WriteMetrics writes)
    : client_(client),
      cache_(cache),
      events_(events),
      clock_(clock),
      options_(std::move(options)),
      writes_(writes) {}

Result<Requeue> TierReconciler::reconcile(const std::string& key) {
  const kube::CachedObject cached = cache_.tiers.get("", key);
  if (cached == nullptr) {
    return Requeue::never();
  }
  kube::ObjectMeta meta = kube::readMeta(*cached);
  if (meta.deleting) {
    return finalize(*cached);
  }
  json::Document tier = json::clone(*cached);
  if (!kube::hasFinalizer(tier, kTierFinalizer)) {
    writes_.count("patch", "daaptiers");
    Result<json::Document> patched =
        asConflict(client_.patch(kube::resources::daapTiers(), "", meta.name, kube::PatchType::Json,
                                 finalizerPatch(meta, /*add=*/true)));
    if (!patched) {
      return std::move(patched).error();
    }
    tier = std::move(patched).value();
  }

  const json::Value* current = json::find(tier, "status");
  json::Document status;
  status.SetObject();
  if (current != nullptr && current->IsObject()) {
    status.CopyFrom(*current, status.GetAllocator());
  }
  json::Allocator& allocator = status.GetAllocator();
  model::Usage usage = cache_.index.admittedUsage(meta.name);
  json::set(status, "usage", model::encodeUsage(usage, allocator), allocator);
  json::set(status, "observedGeneration", json::Value(static_cast<int64_t>(meta.generation)),
            allocator);
  const kube::Condition valid = tierValidity(tier, cache_.daap_secrets, options_.daap_namespace);
  const std::optional<kube::Condition> old_valid = kube::findCondition(status, "Valid");
  kube::setCondition(status, valid, allocator, clock_.now());
  static const json::Value kNoStatus(rapidjson::kObjectType);
  if (json::equal(status, current != nullptr ? *current : kNoStatus)) {
    return Requeue::never();
  }
  json::set(tier, "status", json::Value(status, tier.GetAllocator()), tier.GetAllocator());
  writes_.count("status", "daaptiers");
  if (Result<json::Document> stored = client_.updateStatus(kube::resources::daapTiers(), tier);
      !stored) {
    return std::move(stored).error();
  }
  if (!old_valid || old_valid->status != valid.status || old_valid->reason != valid.reason) {
    LOG(INFO) << "tier validity tier=" << meta.name
              << " valid=" << kube::conditionStatusName(valid.status) << " reason=" << valid.reason;
    if (valid.status == kube::ConditionStatus::False) {
      events_.warning(tier, valid.reason, valid.message);
    } else if (old_valid) {
      events_.normal(tier, "Valid", valid.message);
    }
  }
  return Requeue::never();
}

Result<Requeue> TierReconciler::finalize(const json::Value& tier) {
  if (!kube::hasFinalizer(tier, kTierFinalizer)) {
    return Requeue::never();
  }
  const kube::ObjectMeta meta = kube::readMeta(tier);
  const std::vector<std::string> users = cache_.index.databases(meta.name);
  if (!users.empty()) {
    std::string message = "tier " + meta.name + " is still used by " +
                          std::to_string(users.size()) +
                          (users.size() == 1 ? " database: " : " databases: ");
    constexpr size_t kNamed = 10;
    for (size_t i = 0; i < users.size() && i < kNamed; ++i) {
      message += (i == 0 ? "" : ", ") + users[i];
    }
    if (users.size() > kNamed) {
      message += ", ...";
    }
    message += "; deletion waits until they are deleted";
    VLOG(1) << "tier deletion blocked tier=" << meta.name << " databases=" << users.size();
    events_.warning(tier, "DeletionBlocked", message);
    // Deleting a database re-enqueues its tier.
    return Requeue::never();
  }
  writes_.count("patch", "daaptiers");
  Result<json::Document> patched =
      asConflict(client_.patch(kube::resources::daapTiers(), "", meta.name, kube::PatchType::Json,
                               finalizerPatch(meta, /*add=*/false)));
  if (!patched && patched.error().code != ErrorCode::NotFound) {
    return std::move(patched).error();
  }
  LOG(INFO) << "tier released tier=" << meta.name;
  return Requeue::never();
}

}  // namespace daap::controller

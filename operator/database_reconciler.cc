#include "operator/database_reconciler.h"

#include <optional>
#include <utility>
#include <vector>

#include <glog/logging.h>

#include "lib/json/overlay.h"
#include "lib/kube/objects.h"
#include "lib/kube/resource.h"
#include "lib/model/quota.h"
#include "lib/model/tier_codec.h"

namespace daap::controller {

namespace {

cnpg::DatabaseRef refOf(const json::Value& database) {
  const kube::ObjectMeta meta = kube::readMeta(database);
  return {meta.name, meta.namespace_, meta.uid,
          std::string(kube::readDatabaseFields(database).owner_team)};
}

std::string_view databaseIdOf(const json::Value& object) {
  const json::Value* labels = json::findPath(object, {"metadata", "labels"});
  return labels == nullptr ? std::string_view() : json::getString(*labels, cnpg::kDatabaseIdLabel);
}

// "<plural>/<namespace>/<name>": how the reconciler's bookkeeping names an object it owns.
std::string objectId(const kube::Resource& resource, std::string_view namespace_,
                     std::string_view name) {
  std::string id = resource.plural;
  id += '/';
  id += namespace_;
  id += '/';
  id += name;
  return id;
}

// A JSON patch guarded by the object's resourceVersion: applied only to the version we read.
json::Document guardedPatch(std::string_view resource_version) {
  json::Document patch(rapidjson::kArrayType);
  json::Allocator& allocator = patch.GetAllocator();
  json::Value test(rapidjson::kObjectType);
  json::setString(test, "op", "test", allocator);
  json::setString(test, "path", "/metadata/resourceVersion", allocator);
  json::setString(test, "value", resource_version, allocator);
  patch.PushBack(test, allocator);
  return patch;
}

}  // namespace

Result<json::Document> asConflict(Result<json::Document> patched) {
  // A guarded patch whose resourceVersion test failed read a stale cache: a routine retry.
  if (!patched && patched.error().code == ErrorCode::InvalidArgument &&
      patched.error().message.find("test /metadata/resourceVersion") != std::string::npos) {
    return Error::conflict(patched.error().message);
  }
  return patched;
}

DatabaseReconciler::DatabaseReconciler(kube::Client& client, const Cache& cache,
                                       Admission& admission, EventSink& events, const Clock& clock,
                                       DatabaseReconcilerOptions options, WriteMetrics writes)
    : client_(client),
      cache_(cache),
      admission_(admission),
      events_(events),
      clock_(clock),
      options_(std::move(options)),
      writes_(writes) {}

Result<Requeue> DatabaseReconciler::reconcile(const std::string& key) {
  const auto [namespace_, name] = splitKey(key);
  const kube::CachedObject cached = cache_.databases.get(namespace_, name);
  if (cached == nullptr) {
    return Requeue::never();  // Gone: nothing left that DAAP holds.
  }
  if (kube::readMeta(*cached).deleting) {
    return finalize(*cached);
  }
  Result<json::Document> with_finalizer = ensureFinalizer(*cached);
  if (!with_finalizer) {
    return std::move(with_finalizer).error();
  }
  json::Document database = std::move(with_finalizer).value();
  const cnpg::DatabaseRef ref = refOf(database);

  AdmissionState admission{true, "Admitted", "admitted under the tier's quota"};
  const json::Value* provisioned = json::findPath(database, {"status", "provisionedTier"});
  if (provisioned == nullptr || !provisioned->IsObject()) {
    if (Result<void> admitted = admit(database, key, admission); !admitted) {
      return std::move(admitted).error();
    }
    if (!admission.admitted) {
      return Requeue::never();  // Re-enqueued when the tier changes or room appears.
    }
    provisioned = json::findPath(database, {"status", "provisionedTier"});
    CHECK(provisioned != nullptr);
  }
  Result<model::TierParameters> parameters = model::decodeProvisionedTier(*provisioned);
  if (!parameters) {
    // Someone wrote a record the codec refuses; rendering from it could shape anything.
    LOG(ERROR) << "bad provisioned tier db=" << key << " error=" << parameters.error().toString();
    return std::move(parameters).error();
  }

  Result<bool> awaiting = applyAll(database, ref, *parameters);
  if (!awaiting) {
    return std::move(awaiting).error();
  }
  // Objects just created reach the cache with an informer event that enqueues us again; the
  // delay is a safety net should that event never come.
  const Requeue done = *awaiting ? Requeue::afterDelay(kExpectationTtl) : Requeue::never();

  DatabaseObservation observation;
  observation.admission = admission;
  observation.parameters = *parameters;
  observation.ref = ref;
  const std::string cluster_name = cnpg::clusterName(ref);
  const kube::CachedObject cluster = cache_.clusters.get(ref.namespace_, cluster_name);
  const kube::CachedObject pooler = cache_.poolers.get(ref.namespace_, cnpg::poolerName(ref));
  const kube::CachedObject store =
      cache_.object_stores.get(ref.namespace_, cnpg::objectStoreName(ref));
  // Objects of an earlier database of the same name are not this one's.
  if (cluster != nullptr && databaseIdOf(*cluster) == ref.uid) {
    observation.cluster = cluster.get();
  }
  if (pooler != nullptr && databaseIdOf(*pooler) == ref.uid) {
    observation.pooler = pooler.get();
  }
  if (store != nullptr && databaseIdOf(*store) == ref.uid) {
    observation.object_store = store.get();
  }
  observation.backup_server_name = cluster_name;
  const json::Value* old_status = json::find(database, "status");
  const DerivedStatus derived = deriveStatus(database, observation, clock_.now());
  if (!derived.changed) {
    return done;
  }
  if (Result<void> written = writeStatus(database, derived.status); !written) {
    return std::move(written).error();
  }
  if (derived.previous != derived.decision.phase) {
    LOG(INFO) << "database phase db=" << key
              << " phase=" << model::phaseName(derived.decision.phase)
              << " reason=" << derived.decision.reason;
  }
  static const json::Value kNoStatus(rapidjson::kObjectType);
  for (const TransitionEvent& event :
       transitionEvents(old_status != nullptr ? *old_status : kNoStatus, derived)) {
    events_.record(database, event.type, event.reason, event.message);
  }
  return done;
}

Result<json::Document> DatabaseReconciler::ensureFinalizer(const json::Value& database) {
  if (kube::hasFinalizer(database, kDatabaseFinalizer)) {
    return json::clone(database);
  }
  const kube::ObjectMeta meta = kube::readMeta(database);
  json::Document patch = guardedPatch(meta.resource_version);
  json::Allocator& allocator = patch.GetAllocator();
  json::Value add(rapidjson::kObjectType);
  json::setString(add, "op", "add", allocator);
  if (meta.finalizers.empty()) {
    json::setString(add, "path", "/metadata/finalizers", allocator);
    json::Value list(rapidjson::kArrayType);
    list.PushBack(json::stringValue(kDatabaseFinalizer, allocator), allocator);
    json::set(add, "value", std::move(list), allocator);
  } else {
    json::setString(add, "path", "/metadata/finalizers/-", allocator);
    json::setString(add, "value", kDatabaseFinalizer, allocator);
  }
  patch.PushBack(add, allocator);
  writes_.count("patch", "daapdatabases");
  return asConflict(client_.patch(kube::resources::daapDatabases(), meta.namespace_, meta.name,
                                  kube::PatchType::Json, patch));
}

Result<void> DatabaseReconciler::admit(json::Document& database, const std::string& key,
                                       AdmissionState& admission) {
  const std::string tier_name = kube::readDatabaseFields(database).tier;
  const kube::CachedObject tier_object = cache_.tiers.get("", tier_name);
  std::optional<model::Tier> tier;
  admission.admitted = false;
  if (tier_object == nullptr) {
    admission.reason = "TierNotFound";
    admission.message = "tier " + tier_name + " does not exist";
  } else if (kube::readMeta(*tier_object).deleting) {
    admission.reason = "TierDeleting";
    admission.message = "tier " + tier_name + " is being deleted";
  } else if (Result<model::Tier> decoded = model::decodeTier(*tier_object); !decoded) {
    admission.reason = "TierInvalid";
    admission.message = "tier " + tier_name + " is invalid: " + decoded.error().message;
  } else {
    tier = std::move(decoded).value();
  }

  if (tier.has_value()) {
    const model::Usage demand = model::demandOf(tier->parameters);
    Admission::Slot slot = admission_.lock(tier_name);
    if (slot.reserved(key)) {
      // Admitted by an earlier pass whose status write the cache does not show yet.
      return Error::conflict("admission of " + key + " not yet in the cache");
    }
    const std::optional<model::QuotaViolation> violation = slot.decide(tier->quota, demand, key);
    if (violation.has_value()) {
      admission.reason = "QuotaExceeded";
      admission.message = violation->message();
    } else {
      // Record the parameters first: whatever happens next, this database is shaped by the
      // tier as it is now, and it counts against the quota from this write on.
      json::Document updated = json::clone(database);
      json::Allocator& allocator = updated.GetAllocator();
      json::Value& status = json::ensureObject(updated, "status", allocator);
      json::set(status, "provisionedTier",
                model::encodeProvisionedTier(tier->parameters, allocator), allocator);
      admission = {true, "Admitted",
                   "admitted under tier " + tier_name + " (generation " +
                       std::to_string(tier->generation) + ")"};
      DatabaseObservation observation;
      observation.admission = admission;
      observation.parameters = tier->parameters;
      observation.ref = refOf(updated);
      const DerivedStatus derived = deriveStatus(updated, observation, clock_.now());
      writes_.count("status", "daapdatabases");
      json::Document with_status = json::clone(updated);
      json::set(with_status, "status", json::Value(derived.status, with_status.GetAllocator()),
                with_status.GetAllocator());
      slot.admitted(key, demand);
      slot.unlock();
      Result<json::Document> stored =
          client_.updateStatus(kube::resources::daapDatabases(), with_status);
      if (!stored) {
        admission_.cancel(tier_name, key);
        return std::move(stored).error();
      }
      database = std::move(stored).value();
      LOG(INFO) << "database admitted db=" << key << " tier=" << tier_name
                << " tier_generation=" << tier->generation;
      events_.normal(database, "Admitted", admission.message);
      return {};
    }
  }

  // Refused: report why, create nothing.
  const json::Value* old_status = json::find(database, "status");
  DatabaseObservation observation;
  observation.admission = admission;
  observation.ref = refOf(database);
  const DerivedStatus derived = deriveStatus(database, observation, clock_.now());
  if (derived.changed) {
    if (Result<void> written = writeStatus(database, derived.status); !written) {
      return written;
    }
    LOG(INFO) << "database not admitted db=" << key << " reason=" << admission.reason << " "
              << admission.message;
    static const json::Value kNoStatus(rapidjson::kObjectType);
    for (const TransitionEvent& event :
         transitionEvents(old_status != nullptr ? *old_status : kNoStatus, derived)) {
      events_.record(database, event.type, event.reason, event.message);
    }
  }
  return {};
}

Result<bool> DatabaseReconciler::applyAll(const json::Value& database, const cnpg::DatabaseRef& ref,
                                          const model::TierParameters& parameters) {
  bool awaiting = false;
  if (parameters.backup.has_value()) {
    const kube::CachedObject source = cache_.daap_secrets.get(
        options_.daap_namespace, parameters.backup->destination.credentials_secret);
    if (source == nullptr) {
      return Error::unavailable("backup credentials secret " + options_.daap_namespace + "/" +
                                parameters.backup->destination.credentials_secret + " not found");
    }
    Result<json::Document> secret = cnpg::renderBackupCredentials(ref, parameters, *source);
    if (!secret) {
      return std::move(secret).error();
    }
    Result<Applied> applied =
        apply(kube::resources::secrets(), cache_.managed_secrets, *secret, ref.uid);
    if (!applied) {
      return std::move(applied).error();
    }
    awaiting = awaiting || *applied == Applied::Awaiting;
  }
  for (const json::Document& desired : cnpg::renderAll(ref, parameters, options_.render)) {
    const std::string_view kind = json::getString(desired, "kind");
    const kube::Resource* resource = nullptr;
    const kube::Informer* informer = nullptr;
    if (kind == "Cluster") {
      resource = &kube::resources::cnpgClusters();
      informer = &cache_.clusters;
    } else if (kind == "Pooler") {
      resource = &kube::resources::cnpgPoolers();
      informer = &cache_.poolers;
    } else if (kind == "ObjectStore") {
      resource = &kube::resources::barmanObjectStores();
      informer = &cache_.object_stores;
    } else if (kind == "ScheduledBackup") {
      resource = &kube::resources::cnpgScheduledBackups();
      informer = &cache_.scheduled_backups;
    } else if (kind == "NetworkPolicy") {
      resource = &kube::resources::networkPolicies();
      informer = &cache_.network_policies;
    } else {
      LOG(FATAL) << "rendered an unknown kind " << kind;
    }
    Result<Applied> applied = apply(*resource, *informer, desired, ref.uid);
    if (!applied) {
      return std::move(applied).error();
    }
    awaiting = awaiting || *applied == Applied::Awaiting;
    if (*applied == Applied::Created) {
      const std::string object_name(json::getString(*json::find(desired, "metadata"), "name"));
      VLOG(1) << "created kind=" << kind << " name=" << ref.namespace_ << "/" << object_name;
      if (kind == "Cluster") {
        LOG(INFO) << "cluster created db=" << ref.namespace_ << "/" << ref.name
                  << " cluster=" << object_name;
        events_.normal(
            database, "ClusterCreated",
            "created CNPG Cluster " + object_name + " with pooler " + cnpg::poolerName(ref));
      }
    }
  }
  return awaiting;
}

Result<DatabaseReconciler::Applied> DatabaseReconciler::apply(const kube::Resource& resource,
                                                              const kube::Informer& informer,
                                                              const json::Value& desired,
                                                              const std::string& database_uid) {
  const json::Value* metadata = json::find(desired, "metadata");
  CHECK(metadata != nullptr);
  const std::string namespace_(json::getString(*metadata, "namespace"));
  const std::string name(json::getString(*metadata, "name"));
  const std::string expectation = objectId(resource, namespace_, name);
  const kube::CachedObject live = informer.get(namespace_, name);
  {
    std::lock_guard lock(mu_);
    const auto found = created_.find(expectation);
    if (found != created_.end()) {
      if (live == nullptr && std::chrono::steady_clock::now() - found->second < kExpectationTtl) {
        return Applied::Awaiting;
      }
      created_.erase(found);
    }
  }
  const json::Value* shape = cache_.shapes.forKind(resource.kind);
  CHECK(shape != nullptr) << "no shape for " << resource.kind;
  const uint64_t wanted = ownedDigest(desired, *shape);
  if (live != nullptr && isKnownGood(expectation, *live, wanted)) {
    return Applied::Unchanged;
  }
  if (live == nullptr) {
    writes_.count("create", resource.plural);
    Result<json::Document> created = client_.create(resource, namespace_, desired);
    if (created) {
      expectCreated(expectation);
      rememberGood(expectation, ownedDigest(*created, *shape), wanted);
      return Applied::Created;
    }
    if (created.error().code != ErrorCode::AlreadyExists) {
      return std::move(created).error();
    }
    // Created by an earlier run the cache does not show yet: compare with the stored object.
  }
  // Drift, a stale cache, or an object never compared since this process started: repair the
  // fields DAAP owns on the stored object.
  Result<json::Document> stored = client_.get(resource, namespace_, name);
  if (!stored) {
    return std::move(stored).error();
  }
  if (databaseIdOf(*stored) != database_uid) {
    // An object of an earlier database of the same name, on its way out: never adopt it.
    return Error::conflict(resource.kind + " " + namespace_ + "/" + name +
                           " belongs to another database; waiting for it to be deleted");
  }
  json::Document& object = *stored;
  if (!json::overlay(object, desired, object.GetAllocator())) {
    rememberGood(expectation, ownedDigest(object, *shape), wanted);
    return Applied::Unchanged;
  }
  LOG(INFO) << "repairing drift kind=" << resource.kind << " name=" << namespace_ << "/" << name;
  writes_.count("update", resource.plural);
  Result<json::Document> updated = client_.update(resource, object);
  if (!updated) {
    return std::move(updated).error();
  }
  rememberGood(expectation, ownedDigest(*updated, *shape), wanted);
  return Applied::Updated;
}

bool DatabaseReconciler::isKnownGood(const std::string& key, const json::Value& live,
                                     uint64_t wanted) {
  const std::optional<uint64_t> have = cachedOwnedDigest(live);
  if (!have.has_value()) {
    return false;
  }
  std::lock_guard lock(mu_);
  const auto found = known_good_.find(key);
  if (*have == wanted) {
    if (found != known_good_.end()) {
      known_good_.erase(found);  // The digests agree by themselves now.
    }
    return true;
  }
  return found != known_good_.end() && found->second == KnownGood{*have, wanted};
}

void DatabaseReconciler::rememberGood(const std::string& key, uint64_t live, uint64_t wanted) {
  std::lock_guard lock(mu_);
  if (live == wanted) {
    known_good_.erase(key);
  } else {
    known_good_[key] = KnownGood{live, wanted};
  }
}

void DatabaseReconciler::forgetGood(const std::string& key) {
  std::lock_guard lock(mu_);
  known_good_.erase(key);
}

void DatabaseReconciler::expectCreated(const std::string& expectation) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  created_[expectation] = now;
  created_order_.emplace_back(now, expectation);
  while (!created_order_.empty() && (now - created_order_.front().first >= kExpectationTtl ||
                                     created_order_.size() > kMaxExpectations)) {
    const auto& [created_at, key] = created_order_.front();
    if (const auto found = created_.find(key);
        found != created_.end() && found->second == created_at) {
      created_.erase(found);
    }
    created_order_.pop_front();
  }
}

Result<void> DatabaseReconciler::writeStatus(const json::Value& database,
                                             const json::Value& status) {
  json::Document updated = json::clone(database);
  json::set(updated, "status", json::Value(status, updated.GetAllocator()), updated.GetAllocator());
  writes_.count("status", "daapdatabases");
  Result<json::Document> stored = client_.updateStatus(kube::resources::daapDatabases(), updated);
  if (!stored) {
    return std::move(stored).error();
  }
  return {};
}

Result<Requeue> DatabaseReconciler::finalize(const json::Value& database) {
  if (!kube::hasFinalizer(database, kDatabaseFinalizer)) {
    return Requeue::never();
  }
  // TODO(operator): run the tier's destruction strategy (freeze, archive, hard delete with
  // backup purge) before letting go (destroy issue). For now deleting a DaapDatabase removes
  // its CNPG objects and keeps whatever its backups wrote to object storage.
  const cnpg::DatabaseRef ref = refOf(database);
  struct Owned {
    const kube::Resource& resource;
    const kube::Informer& informer;
    std::string name;
  };
  const std::vector<Owned> owned = {
      {kube::resources::cnpgScheduledBackups(), cache_.scheduled_backups,
       cnpg::scheduledBackupName(ref)},
      {kube::resources::cnpgPoolers(), cache_.poolers, cnpg::poolerName(ref)},
      {kube::resources::cnpgClusters(), cache_.clusters, cnpg::clusterName(ref)},
      {kube::resources::barmanObjectStores(), cache_.object_stores, cnpg::objectStoreName(ref)},
      {kube::resources::networkPolicies(), cache_.network_policies, cnpg::networkPolicyName(ref)},
      {kube::resources::secrets(), cache_.managed_secrets, cnpg::backupCredentialsSecretName(ref)},
  };
  // The objects are owned by the DaapDatabase, but background garbage collection waits for the
  // owner itself to go, which this finalizer prevents: delete them here.
  bool remaining = false;
  for (const Owned& object : owned) {
    forgetGood(objectId(object.resource, ref.namespace_, object.name));
    const kube::CachedObject live = object.informer.get(ref.namespace_, object.name);
    if (live == nullptr || databaseIdOf(*live) != ref.uid) {
      continue;
    }
    remaining = true;
    if (kube::readMeta(*live).deleting) {
      continue;
    }
    writes_.count("delete", object.resource.plural);
    kube::DeleteOptions options;
    options.precondition_uid = kube::readMeta(*live).uid;
    if (Result<void> removed =
            client_.remove(object.resource, ref.namespace_, object.name, options);
        !removed && removed.error().code != ErrorCode::NotFound) {
      return std::move(removed).error();
    }
  }
  if (remaining) {
    // The informers' delete events bring the key back; the delay is a safety net.
    return Requeue::afterDelay(std::chrono::seconds(5));
  }
  const kube::ObjectMeta meta = kube::readMeta(database);
  size_t index = 0;
  while (index < meta.finalizers.size() && meta.finalizers[index] != kDatabaseFinalizer) {
    ++index;
  }
  json::Document patch = guardedPatch(meta.resource_version);
  json::Allocator& allocator = patch.GetAllocator();
  const std::string path = "/metadata/finalizers/" + std::to_string(index);
  json::Value test(rapidjson::kObjectType);
  json::setString(test, "op", "test", allocator);
  json::setString(test, "path", path, allocator);
  json::setString(test, "value", kDatabaseFinalizer, allocator);
  patch.PushBack(test, allocator);
  json::Value remove(rapidjson::kObjectType);
  json::setString(remove, "op", "remove", allocator);
  json::setString(remove, "path", path, allocator);
  patch.PushBack(remove, allocator);
  writes_.count("patch", "daapdatabases");
  Result<json::Document> patched = asConflict(client_.patch(
      kube::resources::daapDatabases(), meta.namespace_, meta.name, kube::PatchType::Json, patch));
  if (!patched && patched.error().code != ErrorCode::NotFound) {
    return std::move(patched).error();
  }
  LOG(INFO) << "database deleted db=" << meta.namespace_ << "/" << meta.name;
  events_.normal(database, "Deleted", "CNPG objects removed; finalizer released");
  return Requeue::never();
}

}  // namespace daap::controller

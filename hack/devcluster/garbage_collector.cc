#include "hack/devcluster/garbage_collector.h"

#include <algorithm>
#include <utility>

#include <glog/logging.h>

#include "hack/devcluster/api.h"
#include "hack/devcluster/object_meta.h"

namespace daap::devcluster {

namespace {

ObjectKey keyOf(const ResourceType& type, const json::Value& object) {
  return objectKey(type, metaString(object, "namespace"), metaString(object, "name"));
}

bool hasFinalizer(const json::Value& object, std::string_view finalizer) {
  const json::Value* finalizers = json::findPath(object, {"metadata", "finalizers"});
  if (finalizers == nullptr || !finalizers->IsArray()) {
    return false;
  }
  return std::any_of(finalizers->Begin(), finalizers->End(), [&](const json::Value& item) {
    return item.IsString() && json::view(item) == finalizer;
  });
}

bool isNamespace(const ResourceType& type) {
  return type.group.empty() && type.plural == "namespaces";
}

}  // namespace

GarbageCollector::GarbageCollector(Api& api) : api_(api) {}

GarbageCollector::~GarbageCollector() {
  stop();
}

Result<void> GarbageCollector::start() {
  std::set<std::string> storage_keys;
  for (const auto& type : api_.registry().all()) {
    if (!storage_keys.insert(type->storageKey()).second) {
      continue;
    }
    Store::ListOptions options;
    options.resource = type->storageKey();
    Result<Store::ListResult> listed = api_.store().list(options);
    if (!listed) {
      return listed.error();
    }
    for (const StoredObject& item : listed->items) {
      Result<json::Document> object = json::parse(*item.json);
      if (object) {
        observe(*type, *object, false);
      }
    }
  }
  {
    const std::lock_guard lock(mu_);
    // Owners that went away while the server was down.
    for (const auto& [uid, keys] : dependents_) {
      if (!live_.contains(uid)) {
        enqueue({Task::OwnerGone, uid, {}});
      }
    }
  }
  worker_ = std::thread([this] { run(); });
  return {};
}

void GarbageCollector::stop() {
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void GarbageCollector::enqueue(Work work) {
  queue_.push_back(std::move(work));
  wake_.notify_one();
}

void GarbageCollector::observe(const ResourceType& type, const json::Value& object, bool removed) {
  const ObjectKey key = keyOf(type, object);
  const std::string uid(metaString(object, "uid"));
  if (!removed) {
    // Writers report after their write, so two of them can report out of order: a version the
    // store no longer holds is stale (its successor is reported too). Indexing it after the
    // object's removal would bring back a dependent that is gone, and a foreground deletion
    // waiting on it would never finish.
    Result<StoredObject> stored = api_.store().get(key);
    if (!stored ||
        stored->resource_version != parseResourceVersion(metaString(object, "resourceVersion"))) {
      return;
    }
  }
  const std::lock_guard lock(mu_);
  // Re-index this object's owners.
  if (const auto previous = owners_of_.find(key); previous != owners_of_.end()) {
    for (const std::string& owner : previous->second) {
      if (auto it = dependents_.find(owner); it != dependents_.end()) {
        it->second.erase(key);
        if (it->second.empty()) {
          dependents_.erase(it);
        }
      }
    }
    owners_of_.erase(previous);
  }
  if (removed) {
    live_.erase(uid);
    enqueue({Task::OwnerGone, uid, key});
    // A dependent leaving may complete a foreground deletion or a namespace.
    for (const auto& [owner_uid, owner_key] : foreground_) {
      enqueue({Task::Foreground, owner_uid, owner_key});
    }
    if (type.namespaced && terminating_.contains(key.namespace_)) {
      enqueue({Task::Namespace, {}, {"/namespaces", "", key.namespace_}});
    }
    if (isNamespace(type)) {
      terminating_.erase(key.name);
    }
    foreground_.erase(uid);
    return;
  }
  live_[uid] = key;
  std::vector<std::string> owners;
  for (const OwnerRef& ref : ownerReferences(object)) {
    dependents_[ref.uid].insert(key);
    owners.push_back(ref.uid);
  }
  if (!owners.empty()) {
    owners_of_[key] = std::move(owners);
  }
  if (!isDeleting(object)) {
    return;
  }
  if (isNamespace(type)) {
    terminating_.insert(key.name);
    enqueue({Task::Namespace, {}, key});
  }
  if (hasFinalizer(object, "orphan")) {
    enqueue({Task::Orphan, uid, key});
  }
  if (hasFinalizer(object, "foregroundDeletion")) {
    foreground_[uid] = key;
    enqueue({Task::Foreground, uid, key});
  }
}

void GarbageCollector::run() {
  for (;;) {
    Work work;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    process(work);
  }
}

void GarbageCollector::process(const Work& work) {
  switch (work.task) {
    case Task::OwnerGone:
      collectDependents(work.uid);
      return;
    case Task::Orphan:
      orphanDependents(work);
      return;
    case Task::Foreground:
      deleteInForeground(work);
      return;
    case Task::Namespace:
      finishNamespace(work.key.name);
      return;
  }
}

void GarbageCollector::collectDependents(const std::string& owner_uid) {
  std::vector<ObjectKey> doomed;
  {
    const std::lock_guard lock(mu_);
    const auto it = dependents_.find(owner_uid);
    if (it == dependents_.end()) {
      return;
    }
    for (const ObjectKey& dependent : it->second) {
      const auto owners = owners_of_.find(dependent);
      const bool orphaned =
          owners == owners_of_.end() ||
          std::none_of(owners->second.begin(), owners->second.end(),
                       [this](const std::string& uid) { return live_.contains(uid); });
      if (orphaned) {
        doomed.push_back(dependent);
      }
    }
  }
  for (const ObjectKey& key : doomed) {
    const auto type = typeForStorage(api_.registry(), key.resource);
    if (type == nullptr) {
      continue;
    }
    Result<json::Document> deleted =
        api_.deleteObject(*type, key.namespace_, key.name, {"Background", {}, {}});
    if (!deleted && deleted.error().code != ErrorCode::NotFound) {
      LOG(WARNING) << "garbage collection failed object=" << key.resource << "/" << key.namespace_
                   << "/" << key.name << " error=" << deleted.error().toString();
    } else {
      VLOG(1) << "garbage collected object=" << key.resource << "/" << key.namespace_ << "/"
              << key.name;
    }
  }
}

void GarbageCollector::orphanDependents(const Work& work) {
  std::vector<ObjectKey> dependents;
  {
    const std::lock_guard lock(mu_);
    if (const auto it = dependents_.find(work.uid); it != dependents_.end()) {
      dependents.assign(it->second.begin(), it->second.end());
    }
  }
  for (const ObjectKey& key : dependents) {
    const auto type = typeForStorage(api_.registry(), key.resource);
    Result<StoredObject> stored = api_.store().get(key);
    if (type == nullptr || !stored) {
      continue;
    }
    Result<json::Document> object = json::parse(*stored->json);
    if (!object) {
      continue;
    }
    json::Value* refs = json::findPath(*object, {"metadata", "ownerReferences"}) == nullptr
                            ? nullptr
                            : json::find((*object)["metadata"], "ownerReferences");
    if (refs == nullptr || !refs->IsArray()) {
      continue;
    }
    for (auto ref = refs->Begin(); ref != refs->End();) {
      ref = json::getString(*ref, "uid") == work.uid ? refs->Erase(ref) : ref + 1;
    }
    if (refs->Empty()) {
      json::erase((*object)["metadata"], "ownerReferences");
    }
    (void)api_.updateObject(*type, *object, false, true);
  }
  removeFinalizer(work.key, "orphan");
}

void GarbageCollector::deleteInForeground(const Work& work) {
  std::vector<ObjectKey> dependents;
  {
    const std::lock_guard lock(mu_);
    if (const auto it = dependents_.find(work.uid); it != dependents_.end()) {
      dependents.assign(it->second.begin(), it->second.end());
    }
  }
  if (dependents.empty()) {
    removeFinalizer(work.key, "foregroundDeletion");
    return;
  }
  for (const ObjectKey& key : dependents) {
    if (const auto type = typeForStorage(api_.registry(), key.resource)) {
      (void)api_.deleteObject(*type, key.namespace_, key.name, {"Background", {}, {}});
    }
  }
}

void GarbageCollector::finishNamespace(const std::string& name) {
  bool empty = true;
  std::set<std::string> seen;
  for (const auto& type : api_.registry().all()) {
    if (!type->namespaced || !seen.insert(type->storageKey()).second) {
      continue;
    }
    Store::ListOptions options;
    options.resource = type->storageKey();
    options.namespace_ = name;
    Result<Store::ListResult> listed = api_.store().list(options);
    if (!listed) {
      continue;
    }
    for (const StoredObject& item : listed->items) {
      empty = false;
      Result<json::Document> object = json::parse(*item.json);
      if (object && !isDeleting(*object)) {
        (void)api_.deleteObject(*type, name, std::string(metaString(*object, "name")),
                                {"Background", {}, {}});
      }
    }
  }
  if (!empty) {
    return;  // Called again as each object goes.
  }
  const auto namespaces = api_.registry().find("", "v1", "namespaces");
  const ObjectKey key = objectKey(*namespaces, "", name);
  Result<StoredObject> stored = api_.store().get(key);
  if (!stored) {
    return;
  }
  Result<StoredObject> removed = api_.store().remove(key, stored->resource_version);
  if (removed) {
    Result<json::Document> last = json::parse(*removed->json);
    if (last) {
      observe(*namespaces, *last, true);
    }
    LOG(INFO) << "namespace terminated name=" << name;
  }
}

void GarbageCollector::removeFinalizer(const ObjectKey& key, std::string_view finalizer) {
  const auto type = typeForStorage(api_.registry(), key.resource);
  if (type == nullptr) {
    return;
  }
  // Read, edit, write; again when someone wrote the object in between (a lost write here would
  // leave the object terminating for good: nothing else retries it).
  for (int attempt = 0; attempt < 10; ++attempt) {
    Result<StoredObject> stored = api_.store().get(key);
    if (!stored) {
      return;
    }
    Result<json::Document> object = json::parse(*stored->json);
    if (!object || !hasFinalizer(*object, finalizer)) {
      return;
    }
    json::Value& finalizers = (*object)["metadata"]["finalizers"];
    for (auto item = finalizers.Begin(); item != finalizers.End();) {
      item = item->IsString() && json::view(*item) == finalizer ? finalizers.Erase(item) : item + 1;
    }
    Result<json::Document> written = api_.updateObject(*type, *object, false, true);
    if (written || written.error().code != ErrorCode::Conflict) {
      if (!written) {
        LOG(WARNING) << "devcluster gc could not remove finalizer=" << finalizer
                     << " error=" << written.error().toString();
      }
      return;
    }
  }
}

}  // namespace daap::devcluster

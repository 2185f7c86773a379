#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "hack/devcluster/registry.h"
#include "hack/devcluster/store.h"
#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::devcluster {

class Api;

// The controllers the API server runs beside its storage: owner-reference garbage collection
// (background, foreground and orphan propagation) and namespace termination (a deleted
// namespace empties, then goes). Learns of every write through observe(); acts on its own
// thread through the Api's verbs, so its writes look like any client's.
class GarbageCollector {
public:
  explicit GarbageCollector(Api& api);
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  // Indexes every stored object, queues what a restart left undone, starts the worker.
  Result<void> start();
  void stop();

  // Called after every successful write. Cheap: updates the index and queues work.
  void observe(const ResourceType& type, const json::Value& object, bool removed);

private:
  enum class Task { OwnerGone, Orphan, Foreground, Namespace };
  struct Work {
    Task task;
    std::string uid;  // The owner's (OwnerGone, Orphan, Foreground).
    ObjectKey key;    // The owner's key (Orphan, Foreground) or the namespace's.
  };

  void run();
  void process(const Work& work);
  void collectDependents(const std::string& owner_uid);
  void orphanDependents(const Work& work);
  void deleteInForeground(const Work& work);
  void finishNamespace(const std::string& name);
  void removeFinalizer(const ObjectKey& key, std::string_view finalizer);
  void enqueue(Work work);  // Requires mu_.

  Api& api_;
  std::mutex mu_;
  std::condition_variable wake_;
  // Guarded by mu_. Owner uid -> the keys of objects that name it in ownerReferences.
  std::map<std::string, std::set<ObjectKey>> dependents_;
  // Guarded by mu_. Object key -> the owner uids it names.
  std::map<ObjectKey, std::vector<std::string>> owners_of_;
  // Guarded by mu_. uid -> key of every live object that is someone's owner candidate.
  std::map<std::string, ObjectKey> live_;
  // Guarded by mu_. Owners waiting for their dependents (foreground deletion).
  std::map<std::string, ObjectKey> foreground_;
  // Guarded by mu_. Namespaces being terminated.
  std::set<std::string> terminating_;
  // Guarded by mu_.
  std::deque<Work> queue_;
  bool stopping_ = false;  // Guarded by mu_.
  std::thread worker_;
};

}  // namespace daap::devcluster

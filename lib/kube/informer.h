#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/clock.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/resource.h"

namespace daap::kube {

// A cached object: immutable, shared between the store and handlers.
using CachedObject = std::shared_ptr<const json::Document>;

struct InformerHandlers {
  std::function<void(const CachedObject& object)> on_add;
  std::function<void(const CachedObject& old_object, const CachedObject& new_object)> on_update;
  std::function<void(const CachedObject& object)> on_delete;
};

struct InformerOptions {
  std::string namespace_;  // Empty: all namespaces.
  std::string label_selector;
  std::string field_selector;
  // Every resync period, on_update(obj, obj) for every cached object, from the cache alone.
  std::chrono::milliseconds resync{0};
  // Keeps only what the user needs of each object (e.g. metadata and spec); null keeps the
  // whole object. Must keep metadata.namespace, name and resourceVersion.
  std::function<json::Document(const json::Value& object)> projection;
  // Keep each cached object as its JSON text and parse it on every read (get, list, handlers'
  // old objects, resyncs): about half the memory of a parsed document for a few microseconds
  // per read. For large caches of small objects read now and then, as a controller's.
  bool serialized = false;
  int64_t page_size = 500;  // List page size.
  std::chrono::milliseconds backoff_base{std::chrono::milliseconds(200)};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
};

// What the informer has done so far, for metrics and for tests that must know it is retrying.
struct InformerStats {
  uint64_t lists = 0;     // Complete lists (all pages), the first included.
  uint64_t watches = 0;   // Watch requests made.
  uint64_t expired = 0;   // Watches ended by 410 Gone (each followed by a relist).
  uint64_t failures = 0;  // Lists and watches that failed otherwise (each followed by a backoff).
};

// client-go's shared informer for one resource: lists (in pages), then watches from the list's
// resourceVersion, applying events to an in-memory store keyed by "namespace/name" and calling
// handlers in event order on its own thread. Resumes a broken watch from the last
// resourceVersion seen, relists on 410 (reporting the difference as add/update/delete), and
// retries failures with jittered exponential backoff. Handlers never run concurrently with one
// another. Thread-safe reads of the store. Owns two threads between start() and stop(): one
// lists and watches, the other applies what it receives and calls the handlers, so a slow
// handler never stalls the watch stream and the resync timer fires while a watch is idle.
class Informer {
public:
  Informer(Client& client, Resource resource, InformerOptions options, const Clock& clock);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before start().
  void addHandlers(InformerHandlers handlers);
  void start();
  // Idempotent; joins the informer's threads. Not from a handler.
  void stop();

  // True once the first list has been applied to the store and its handlers called.
  bool hasSynced() const;
  // Waits in real time, whatever the clock: callers bound how long they block.
  bool waitForSync(std::chrono::milliseconds timeout) const;

  CachedObject get(std::string_view namespace_, std::string_view name) const;
  std::vector<CachedObject> list() const;
  size_t size() const;
  // The resourceVersion the store reflects.
  std::string lastResourceVersion() const;
  InformerStats stats() const;

private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace daap::kube

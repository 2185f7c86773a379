#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::devcluster {

// Where one object lives. `resource` is "<group>/<plural>" ("" group for core: "/secrets"),
// `namespace_` is empty for cluster-scoped objects.
struct ObjectKey {
  std::string resource;
  std::string namespace_;  // NOLINT(readability-identifier-naming): `namespace` is a keyword.
  std::string name;

  bool operator==(const ObjectKey&) const = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>.
  auto operator<=>(const ObjectKey&) const = default;
};

// One stored version of an object: its resourceVersion and its compact JSON, which already
// carries that resourceVersion in metadata.resourceVersion. Immutable and shared with watchers.
struct StoredObject {
  uint64_t resource_version = 0;
  std::shared_ptr<const std::string> json;
};

enum class EventType { Added, Modified, Deleted };

// A change as watchers see it. For Deleted, `object` is the last state stamped with the
// deletion's resourceVersion (as the API server does).
struct WatchEvent {
  EventType type = EventType::Added;
  ObjectKey key;
  StoredObject object;
};

// A live subscription to the changes of one resource (optionally one namespace).
// Thread-safe: the store pushes from writer threads, one reader pulls.
class Watcher {
public:
  class Impl;
  explicit Watcher(std::shared_ptr<Impl> impl);
  ~Watcher();

  enum class Status { Event, Timeout, Expired, Closed };
  // Waits up to `timeout` for the next event. Expired: this watcher fell too far behind (its
  // queue overflowed) and must be ended with a 410 so the client relists. Closed: the store
  // shut down.
  Status next(std::chrono::milliseconds timeout, WatchEvent& event);

private:
  std::shared_ptr<Impl> impl_;  // Shared with the store, which pushes into it.
};

// The devcluster's storage: an in-memory, etcd-like versioned map of JSON objects with one
// global, monotonic resourceVersion, optimistic concurrency, a bounded history of changes for
// watch resumption, and a write-ahead log so the same state and versions survive a restart.
// It knows nothing of Kubernetes semantics (generation, finalizers, schemas): the API layer
// decides what to write. Thread-safe; every method may be called from any thread.
class Store {
public:
  struct Options {
    // Empty: memory only. Otherwise the WAL lives in this directory (created if missing).
    std::filesystem::path data_dir;
    // How many past events are kept for watches and continue tokens; older versions are
    // "compacted" and answer Gone.
    size_t history_limit = 100000;
    // And how much memory they may hold (their JSON plus ~256 bytes each), whichever bound is
    // hit first: 100,000 updates of 1.5 KB objects would otherwise pin 150 MB of old versions.
    uint64_t history_limit_bytes = uint64_t{24} << 20;
    // Events a watcher may have queued before it is expired.
    size_t watcher_queue_limit = 100000;
    // fdatasync after every write. Off: a write survives the process dying, not the machine.
    bool fsync = false;
    // The WAL is folded into a snapshot once it is larger than 4x the live data and at least
    // this many bytes.
    uint64_t min_compaction_bytes = uint64_t{8} << 20;
  };

  // Opens the store, replaying the WAL if `options.data_dir` holds one; replayed changes also
  // refill the history (within its limits), so a watch resumes across a restart with nothing
  // lost or repeated. A torn last record is dropped with a warning; damage elsewhere is
  // Internal.
  static Result<std::unique_ptr<Store>> open(const Options& options);
  ~Store();

  // The newest resourceVersion handed out (0 for an empty new store).
  uint64_t currentVersion() const;
  // The oldest resourceVersion a watch may resume from or a continue token may carry: every
  // change after it is still in the history. Asking for anything older is Gone. After a
  // restart from a snapshot taken at version S it is (at least) S, since every later change
  // was replayed from the WAL.
  uint64_t oldestResumableVersion() const;

  // NotFound when absent.
  Result<StoredObject> get(const ObjectKey& key) const;

  // Stamps a new resourceVersion into metadata.resourceVersion, stores, logs, notifies.
  // AlreadyExists when the key is taken.
  Result<StoredObject> create(const ObjectKey& key, json::Document object);

  // Replaces the object if its current version is `expected_version` (0: any). NotFound,
  // Conflict.
  Result<StoredObject> update(const ObjectKey& key, json::Document object,
                              uint64_t expected_version);

  // Removes the object if its current version is `expected_version` (0: any) and returns its
  // last state stamped with the deletion's resourceVersion. NotFound, Conflict.
  Result<StoredObject> remove(const ObjectKey& key, uint64_t expected_version);

  struct ListOptions {
    std::string resource;
    // Empty: every namespace.
    std::string namespace_;  // NOLINT(readability-identifier-naming): `namespace` is a keyword.
    // Keep only objects for which this returns true (parsed JSON); null keeps all.
    std::function<bool(const json::Value&)> filter;
    size_t limit = 0;  // 0: no limit.
    // Resume after this key (from a previous page); its version is in `continue_version`.
    std::optional<ObjectKey> continue_after;
    uint64_t continue_version = 0;
  };
  struct ListResult {
    uint64_t resource_version = 0;      // The store's version when the first page was taken.
    std::vector<StoredObject> items;    // In key order (namespace, then name).
    std::optional<ObjectKey> last_key;  // Set when more items remain after this page.
  };
  // A page of objects in key order, as they were at the first page's version: later pages
  // are rewound through the history to continue_version (etcd's consistent pages), so Gone
  // when continue_version is older than oldestResumableVersion().
  Result<ListResult> list(const ListOptions& options) const;

  // Subscribes to changes of `resource` (and `namespace_` unless empty) after version
  // `from_version`: every event with a larger version, in order. Gone when from_version is
  // older than oldestResumableVersion() (or newer than currentVersion(): a client of an
  // earlier memory-only store). To start "now", pass the resource_version of a list(); see
  // also listAndWatch().
  // NOLINTNEXTLINE(readability-identifier-naming): `namespace` is a keyword.
  Result<std::unique_ptr<Watcher>> watch(const std::string& resource, const std::string& namespace_,
                                         uint64_t from_version);

  // Atomically: every current object of the resource/namespace (as ADDED events would show
  // them) and a watcher for every change after that snapshot.
  struct Snapshot {
    uint64_t resource_version = 0;
    std::vector<StoredObject> items;
    std::unique_ptr<Watcher> watcher;
  };
  // NOLINTNEXTLINE(readability-identifier-naming): `namespace` is a keyword.
  Snapshot listAndWatch(const std::string& resource, const std::string& namespace_);

  // Wakes every watcher with Closed; later calls to next() return Closed at once. Later writes
  // fail with Unavailable; reads still work.
  void close();

  // Folds the WAL into a snapshot now (it also happens on its own as the WAL grows); versions
  // up to the snapshot stay resumable in this process but not after a restart. A no-op
  // without data_dir.
  Result<void> compact();

  // Counters for tests and debugging.
  struct Stats {
    size_t objects = 0;
    size_t history_events = 0;
    uint64_t history_bytes = 0;  // As history_limit_bytes counts them.
    size_t watchers = 0;         // Registered and not yet expired, closed or dropped.
    uint64_t live_bytes = 0;     // JSON and keys of the live objects.
    uint64_t wal_bytes = 0;      // Of the current WAL file.
    uint64_t compactions = 0;    // Since open.
  };
  Stats stats() const;

private:
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace daap::devcluster

#include "hack/devcluster/store.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <system_error>
#include <unordered_map>
#include <utility>

#include <glog/logging.h>

#include "hack/devcluster/wal.h"

namespace daap::devcluster {
namespace {

// The WAL is compacted once it holds this many times the live data (and min_compaction_bytes).
constexpr uint64_t kCompactionGrowth = 4;
// A filtered, limited list reads candidates in chunks of at least this many, parsing each
// chunk outside the lock.
constexpr size_t kFilterChunk = 256;

// One write as history, watchers and the live map keep it: the event, the state it replaced
// (so a list page can be served at an older version), and where the quoted resourceVersion
// sits in the object's JSON (so a delete restamps it with a splice, not a parse).
struct Change {
  WatchEvent event;
  StoredObject previous;  // json is null for Added.
  size_t version_offset = 0;

  uint64_t version() const { return event.object.resource_version; }
};

using ChangePtr = std::shared_ptr<const Change>;

std::string describe(const ObjectKey& key) {
  return key.namespace_.empty() ? key.resource + " " + key.name
                                : key.resource + " " + key.namespace_ + "/" + key.name;
}

std::string quotedVersion(uint64_t version) {
  return "\"" + std::to_string(version) + "\"";
}

// `text` with `length` bytes at `offset` replaced by the quoted `version`.
std::string splice(std::string_view text, size_t offset, size_t length, uint64_t version) {
  const std::string quoted = quotedVersion(version);
  std::string out;
  out.reserve(text.size() - length + quoted.size());
  out.append(text.substr(0, offset)).append(quoted).append(text.substr(offset + length));
  return out;
}

// An object serialized with a placeholder where metadata.resourceVersion goes: the expensive
// serialization happens before the store's lock, stamping under it is a splice.
struct PreparedObject {
  std::string text;
  size_t offset = 0;  // Of the placeholder, quotes included.
  size_t length = 0;

  std::string stamp(uint64_t version) const { return splice(text, offset, length, version); }
};

Result<PreparedObject> prepareObject(json::Value& object, json::Allocator& allocator) {
  if (!object.IsObject()) {
    return Error::invalidArgument("object must be a JSON object");
  }
  if (const json::Value* metadata = json::find(object, "metadata");
      metadata != nullptr && !metadata->IsObject()) {
    return Error::invalidArgument("metadata must be a JSON object");
  }
  json::Value& metadata = json::ensureObject(object, "metadata", allocator);
  // Control characters are always escaped, so the serialized placeholder is a whole JSON
  // string; should the object itself hold that string, the next one is tried.
  for (uint64_t attempt = 0;; ++attempt) {
    const std::string placeholder = "\x01rv" + std::to_string(attempt) + "\x01";
    json::setString(metadata, "resourceVersion", placeholder, allocator);
    std::string text = json::serialize(object);
    if (text.empty() || text.back() != '}') {
      // RapidJSON stops writing at a NaN or an infinity.
      return Error::invalidArgument("object cannot be written as JSON (NaN or infinity?)");
    }
    const std::string needle =
        json::serialize(json::Value(rapidjson::StringRef(placeholder.data(), placeholder.size())));
    const size_t offset = text.find(needle);
    if (offset == std::string::npos) {
      return Error::internal("resourceVersion placeholder lost in serialization");
    }
    if (text.find(needle, offset + 1) == std::string::npos) {
      return PreparedObject{std::move(text), offset, needle.size()};
    }
  }
}

Result<void> validateKey(const ObjectKey& key) {
  if (key.resource.empty() || key.name.empty()) {
    return Error::invalidArgument("object key needs a resource and a name");
  }
  return {};
}

uint64_t liveBytes(const Change& change) {
  const ObjectKey& key = change.event.key;
  return change.event.object.json->size() + key.resource.size() + key.namespace_.size() +
         key.name.size();
}

// What one history event costs: its JSON and, roughly, the Change, key and control blocks.
uint64_t historyBytes(const Change& change) {
  constexpr uint64_t kEventOverhead = 256;
  return change.event.object.json->size() + kEventOverhead;
}

Error closedError() {
  return Error::unavailable("the store is closed");
}

}  // namespace

// A watcher's queue. The store pushes under its own lock (so every queue sees changes in
// version order), the watcher's reader pops; the queue has its own lock and condition.
class Watcher::Impl {
public:
  Impl(std::string scope, size_t queue_limit)
      : scope_(std::move(scope)), queue_limit_(queue_limit) {}

  // The store indexes watchers by resource; this checks the namespace.
  bool matches(const ObjectKey& key) const { return scope_.empty() || key.namespace_ == scope_; }

  // Queues a change. False once this watcher is expired or closed: the store drops it.
  bool offer(ChangePtr change) {
    bool alive = true;
    {
      std::lock_guard lock(mu_);
      if (closed_ || expired_) {
        return false;
      }
      if (queue_.size() >= queue_limit_) {
        expired_ = true;
        alive = false;
        queue_.clear();
      } else {
        queue_.push_back(std::move(change));
      }
    }
    cv_.notify_one();
    return alive;
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      queue_.clear();
    }
    cv_.notify_all();
  }

  Status next(std::chrono::milliseconds timeout, WatchEvent& event) {
    ChangePtr change;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, timeout, [this] { return closed_ || expired_ || !queue_.empty(); });
      if (closed_) {
        return Status::Closed;
      }
      if (expired_) {
        return Status::Expired;
      }
      if (queue_.empty()) {
        return Status::Timeout;
      }
      change = std::move(queue_.front());
      queue_.pop_front();
    }
    event = change->event;  // Copied outside the lock: the store may be pushing.
    return Status::Event;
  }

private:
  const std::string scope_;  // A namespace, or empty for all.
  const size_t queue_limit_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::deque<ChangePtr> queue_;
  bool expired_ = false;
  bool closed_ = false;
};

Watcher::Watcher(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Watcher::~Watcher() = default;

Watcher::Status Watcher::next(std::chrono::milliseconds timeout, WatchEvent& event) {
  return impl_->next(timeout, event);
}

// Everything behind Store. One mutex guards the state; JSON is serialized before taking it and
// parsed after releasing it. The WAL append happens under it, so the file, the history and
// every watcher queue see writes in the same order.
class Store::Impl {
public:
  explicit Impl(Options options) : options_(std::move(options)) {}
  ~Impl() { close(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Result<void> open();

  uint64_t currentVersion() const {
    std::lock_guard lock(mu_);
    return version_;
  }
  uint64_t oldestResumableVersion() const {
    std::lock_guard lock(mu_);
    return history_base_;
  }

  Result<StoredObject> get(const ObjectKey& key) const {
    std::lock_guard lock(mu_);
    const auto found = objects_.find(key);
    if (found == objects_.end()) {
      return Error::notFound(describe(key) + " not found");
    }
    return found->second->event.object;
  }

  Result<StoredObject> create(const ObjectKey& key, json::Document object);
  Result<StoredObject> update(const ObjectKey& key, json::Document object,
                              uint64_t expected_version);
  Result<StoredObject> remove(const ObjectKey& key, uint64_t expected_version);
  Result<ListResult> list(const ListOptions& options) const;
  Result<std::unique_ptr<Watcher>> watch(const std::string& resource, const std::string& scope,
                                         uint64_t from_version);
  Snapshot listAndWatch(const std::string& resource, const std::string& scope);
  void close();
  Result<void> compact();
  Stats stats() const;

private:
  // An object as some list read it: the change that wrote it, or the state that change
  // replaced when the list is served at an older version.
  struct Candidate {
    ChangePtr change;
    bool previous = false;

    const StoredObject& object() const {
      return previous ? change->previous : change->event.object;
    }
    const ObjectKey& key() const { return change->event.key; }
  };

  // Requires mu_. Appends to `out`, in key order, up to `max` objects of the resource (and
  // namespace, unless empty) after `after` as they were at version `at` (which must be
  // resumable); returns whether more follow.
  bool gather(const std::string& resource, const std::string& scope,
              const std::optional<ObjectKey>& after, uint64_t at, size_t max,
              std::vector<Candidate>& out) const;
  // Requires mu_. Applies a logged change: live map, version, history, watchers.
  void commit(const ChangePtr& change);
  // Requires mu_.
  void publish(const ChangePtr& change);
  // Requires mu_.
  Result<void> log(WalOp op, const std::string& key_json, const Change& change);
  // Requires mu_.
  bool compactionDue() const;
  // Runs a due compaction after a write; its failure does not fail the write.
  void compactAfterWrite();
  // Requires mu_. Rebuilds one replayed record.
  Result<void> replay(WalRecord& record, bool from_snapshot);
  // Requires mu_. For open() after an interrupted compaction: one snapshot, one empty WAL.
  Result<void> rewriteFiles();
  std::vector<SnapshotEntry> snapshotEntries(const std::vector<ChangePtr>& live) const;

  const Options options_;
  std::filesystem::path wal_path_;
  std::filesystem::path next_wal_path_;
  std::filesystem::path snapshot_path_;

  mutable std::mutex mu_;
  // Guarded by mu_.
  std::map<ObjectKey, ChangePtr> objects_;  // The last Added or Modified change per key.
  uint64_t version_ = 0;
  // Every change after history_base_, in order: history_[i] has version history_base_ + 1 + i.
  std::deque<ChangePtr> history_;
  uint64_t history_base_ = 0;
  uint64_t history_bytes_ = 0;
  // Watchers by resource. Weak: a watcher is gone when its reader drops it.
  std::unordered_map<std::string, std::vector<std::weak_ptr<Watcher::Impl>>> watchers_;
  std::optional<WalWriter> wal_;
  uint64_t live_bytes_ = 0;
  uint64_t compactions_ = 0;
  bool compacting_ = false;
  // A compaction failed half-way: both WAL files are needed until the next open() merges them.
  bool compaction_failed_ = false;
  bool closed_ = false;
};

Result<void> Store::Impl::open() {
  if (options_.data_dir.empty()) {
    return {};
  }
  std::error_code error;
  std::filesystem::create_directories(options_.data_dir, error);
  if (error) {
    return Error::unavailable("create " + options_.data_dir.string() + ": " + error.message());
  }
  wal_path_ = options_.data_dir / "wal.log";
  // Records written while a compaction's snapshot is being written; renamed over wal.log when
  // the snapshot is in place.
  next_wal_path_ = options_.data_dir / "wal.next.log";
  snapshot_path_ = options_.data_dir / "snapshot.log";

  const auto exists = [](const std::filesystem::path& path) {
    std::error_code ignored;
    return std::filesystem::exists(path, ignored);
  };
  std::lock_guard lock(mu_);
  if (exists(snapshot_path_)) {
    Result<uint64_t> snapshot =
        readSnapshot(snapshot_path_, [this](WalRecord& record) { return replay(record, true); });
    if (!snapshot) {
      return snapshot.error();
    }
    version_ = *snapshot;
    history_base_ = *snapshot;  // What happened before the snapshot is gone.
  }
  const auto replay_wal = [this](WalRecord& record) {
    return replay(record, false);
  };
  uint64_t keep_bytes = 0;
  if (exists(wal_path_)) {
    Result<WalReplay> replayed = readWal(wal_path_, replay_wal);
    if (!replayed) {
      return replayed.error();
    }
    keep_bytes = replayed->valid_bytes;
  }
  if (exists(next_wal_path_)) {
    Result<WalReplay> replayed = readWal(next_wal_path_, replay_wal);
    if (!replayed) {
      return replayed.error();
    }
    LOG(WARNING) << "store finishing an interrupted compaction dir=" << options_.data_dir.string();
    if (Result<void> rewritten = rewriteFiles(); !rewritten) {
      return rewritten.error();
    }
  } else {
    Result<WalWriter> wal = WalWriter::open(wal_path_, keep_bytes, options_.fsync);
    if (!wal) {
      return wal.error();
    }
    wal_.emplace(std::move(*wal));
  }
  LOG(INFO) << "store opened dir=" << options_.data_dir.string() << " version=" << version_
            << " objects=" << objects_.size() << " history=" << history_.size()
            << " oldest_resumable=" << history_base_;
  return {};
}

Result<void> Store::Impl::replay(WalRecord& record, bool from_snapshot) {
  if (!from_snapshot && record.version <= version_) {
    return {};  // Already in the snapshot: left over from an interrupted compaction.
  }
  if (!from_snapshot && record.version != version_ + 1) {
    return Error::internal("version " + std::to_string(record.version) + " follows " +
                           std::to_string(version_) + ": records are missing");
  }
  auto change = std::make_shared<Change>();
  change->event.key = std::move(record.key);
  const std::string quoted = quotedVersion(record.version);
  if (record.version_at && *record.version_at < record.object_text.size() &&
      record.object_text.substr(*record.version_at, quoted.size()) == quoted) {
    // The logged bytes already are what was stored.
    change->event.object = {record.version,
                            std::make_shared<const std::string>(record.object_text)};
    change->version_offset = *record.version_at;
  } else {
    Result<PreparedObject> prepared = prepareObject(*record.object, record.document.GetAllocator());
    if (!prepared) {
      return prepared.error();
    }
    change->event.object = {record.version,
                            std::make_shared<const std::string>(prepared->stamp(record.version))};
    change->version_offset = prepared->offset;
  }
  const auto found = objects_.find(change->event.key);
  if (from_snapshot) {
    if (found != objects_.end()) {
      return Error::internal(describe(change->event.key) + " twice in the snapshot");
    }
    live_bytes_ += liveBytes(*change);
    objects_.emplace(change->event.key, std::move(change));
    return {};
  }
  switch (record.op) {
    case WalOp::Create:
      if (found != objects_.end()) {
        return Error::internal("create of existing " + describe(change->event.key));
      }
      change->event.type = EventType::Added;
      break;
    case WalOp::Update:
    case WalOp::Delete:
      if (found == objects_.end()) {
        return Error::internal("change of missing " + describe(change->event.key));
      }
      change->event.type = record.op == WalOp::Update ? EventType::Modified : EventType::Deleted;
      change->previous = found->second->event.object;
      break;
  }
  commit(change);
  return {};
}

Result<void> Store::Impl::rewriteFiles() {
  std::vector<ChangePtr> live;
  live.reserve(objects_.size());
  for (const auto& entry : objects_) {
    live.push_back(entry.second);
  }
  if (Result<void> written = writeSnapshot(snapshot_path_, version_, snapshotEntries(live));
      !written) {
    return written.error();
  }
  Result<WalWriter> wal = WalWriter::create(wal_path_, options_.fsync);
  if (!wal) {
    return wal.error();
  }
  wal_.emplace(std::move(*wal));
  std::error_code error;
  std::filesystem::remove(next_wal_path_, error);
  if (error) {
    return Error::unavailable("remove " + next_wal_path_.string() + ": " + error.message());
  }
  return syncDirectory(options_.data_dir);
}

std::vector<SnapshotEntry> Store::Impl::snapshotEntries(const std::vector<ChangePtr>& live) const {
  std::vector<SnapshotEntry> entries;
  entries.reserve(live.size());
  for (const ChangePtr& change : live) {
    entries.push_back({&change->event.key, change->version(), *change->event.object.json,
                       change->version_offset});
  }
  return entries;
}

void Store::Impl::commit(const ChangePtr& change) {
  const ObjectKey& key = change->event.key;
  DCHECK_EQ(change->version(), version_ + 1);
  version_ = change->version();
  switch (change->event.type) {
    case EventType::Added:
      live_bytes_ += liveBytes(*change);
      objects_.emplace(key, change);
      break;
    case EventType::Modified: {
      ChangePtr& live = objects_.at(key);
      live_bytes_ += liveBytes(*change);
      live_bytes_ -= liveBytes(*live);
      live = change;
      break;
    }
    case EventType::Deleted: {
      const auto found = objects_.find(key);
      live_bytes_ -= liveBytes(*found->second);
      objects_.erase(found);
      break;
    }
  }
  history_.push_back(change);
  history_bytes_ += historyBytes(*change);
  while (!history_.empty() && (history_.size() > options_.history_limit ||
                               history_bytes_ > options_.history_limit_bytes)) {
    history_base_ = history_.front()->version();
    history_bytes_ -= historyBytes(*history_.front());
    history_.pop_front();
  }
  publish(change);
}

void Store::Impl::publish(const ChangePtr& change) {
  const auto found = watchers_.find(change->event.key.resource);
  if (found == watchers_.end()) {
    return;
  }
  std::vector<std::weak_ptr<Watcher::Impl>>& watchers = found->second;
  for (size_t i = 0; i < watchers.size();) {
    const std::shared_ptr<Watcher::Impl> watcher = watchers[i].lock();
    if (watcher != nullptr && (!watcher->matches(change->event.key) || watcher->offer(change))) {
      ++i;
      continue;
    }
    watchers[i] = std::move(watchers.back());  // Dropped, expired or closed.
    watchers.pop_back();
  }
}

Result<void> Store::Impl::log(WalOp op, const std::string& key_json, const Change& change) {
  if (!wal_) {
    return {};
  }
  Result<void> appended = wal_->append(change.version(), op, key_json, *change.event.object.json,
                                       change.version_offset);
  if (!appended) {
    LOG(ERROR) << "wal append failed version=" << change.version()
               << " error=" << appended.error().message;
  }
  return appended;
}

bool Store::Impl::compactionDue() const {
  return wal_ && !compacting_ && !compaction_failed_ &&
         wal_->size() >= options_.min_compaction_bytes &&
         wal_->size() > kCompactionGrowth * live_bytes_;
}

void Store::Impl::compactAfterWrite() {
  if (Result<void> compacted = compact(); !compacted) {
    LOG(ERROR) << "wal compaction failed error=" << compacted.error().message;
  }
}

Result<StoredObject> Store::Impl::create(const ObjectKey& key, json::Document object) {
  if (Result<void> valid = validateKey(key); !valid) {
    return valid.error();
  }
  Result<PreparedObject> prepared = prepareObject(object, object.GetAllocator());
  if (!prepared) {
    return prepared.error();
  }
  const std::string key_json = options_.data_dir.empty() ? std::string() : encodeWalKey(key);
  auto change = std::make_shared<Change>();
  change->event.type = EventType::Added;
  change->event.key = key;
  change->version_offset = prepared->offset;
  bool compact_now = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      return closedError();
    }
    if (objects_.contains(key)) {
      return Error::alreadyExists(describe(key) + " already exists");
    }
    const uint64_t version = version_ + 1;
    change->event.object = {version, std::make_shared<const std::string>(prepared->stamp(version))};
    if (Result<void> logged = log(WalOp::Create, key_json, *change); !logged) {
      return logged.error();
    }
    commit(change);
    compact_now = compactionDue();
  }
  if (compact_now) {
    compactAfterWrite();
  }
  return change->event.object;
}

Result<StoredObject> Store::Impl::update(const ObjectKey& key, json::Document object,
                                         uint64_t expected_version) {
  if (Result<void> valid = validateKey(key); !valid) {
    return valid.error();
  }
  Result<PreparedObject> prepared = prepareObject(object, object.GetAllocator());
  if (!prepared) {
    return prepared.error();
  }
  const std::string key_json = options_.data_dir.empty() ? std::string() : encodeWalKey(key);
  auto change = std::make_shared<Change>();
  change->event.type = EventType::Modified;
  change->event.key = key;
  change->version_offset = prepared->offset;
  bool compact_now = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      return closedError();
    }
    const auto found = objects_.find(key);
    if (found == objects_.end()) {
      return Error::notFound(describe(key) + " not found");
    }
    const uint64_t current = found->second->version();
    if (expected_version != 0 && expected_version != current) {
      return Error::conflict(describe(key) + " has been modified: resourceVersion " +
                             std::to_string(expected_version) + " is not the current " +
                             std::to_string(current));
    }
    const uint64_t version = version_ + 1;
    change->event.object = {version, std::make_shared<const std::string>(prepared->stamp(version))};
    change->previous = found->second->event.object;
    if (Result<void> logged = log(WalOp::Update, key_json, *change); !logged) {
      return logged.error();
    }
    commit(change);
    compact_now = compactionDue();
  }
  if (compact_now) {
    compactAfterWrite();
  }
  return change->event.object;
}

Result<StoredObject> Store::Impl::remove(const ObjectKey& key, uint64_t expected_version) {
  if (Result<void> valid = validateKey(key); !valid) {
    return valid.error();
  }
  const std::string key_json = options_.data_dir.empty() ? std::string() : encodeWalKey(key);
  auto change = std::make_shared<Change>();
  change->event.type = EventType::Deleted;
  change->event.key = key;
  bool compact_now = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      return closedError();
    }
    const auto found = objects_.find(key);
    if (found == objects_.end()) {
      return Error::notFound(describe(key) + " not found");
    }
    const Change& live = *found->second;
    if (expected_version != 0 && expected_version != live.version()) {
      return Error::conflict(describe(key) + " has been modified: resourceVersion " +
                             std::to_string(expected_version) + " is not the current " +
                             std::to_string(live.version()));
    }
    const uint64_t version = version_ + 1;
    change->event.object = {version, std::make_shared<const std::string>(
                                         splice(*live.event.object.json, live.version_offset,
                                                quotedVersion(live.version()).size(), version))};
    change->version_offset = live.version_offset;
    change->previous = live.event.object;
    if (Result<void> logged = log(WalOp::Delete, key_json, *change); !logged) {
      return logged.error();
    }
    commit(change);
    compact_now = compactionDue();
  }
  if (compact_now) {
    compactAfterWrite();
  }
  return change->event.object;
}

bool Store::Impl::gather(const std::string& resource, const std::string& scope,
                         const std::optional<ObjectKey>& after, uint64_t at, size_t max,
                         std::vector<Candidate>& out) const {
  const auto in_range = [&](const ObjectKey& key) {
    return key.resource == resource && (scope.empty() || key.namespace_ == scope);
  };
  // Keys of the range changed after `at`: their state at `at` is what their earliest later
  // change replaced. Walking back from the newest change, the last one seen is the earliest.
  std::map<std::reference_wrapper<const ObjectKey>, ChangePtr, std::less<ObjectKey>> rewound;
  for (auto it = history_.rbegin(); it != history_.rend() && (*it)->version() > at; ++it) {
    const ObjectKey& key = (*it)->event.key;
    if (in_range(key) && (!after || *after < key)) {
      rewound.insert_or_assign(std::cref(key), *it);
    }
  }
  const ObjectKey start{resource, scope, ""};
  auto live = after && start < *after ? objects_.upper_bound(*after) : objects_.lower_bound(start);
  auto old = rewound.begin();
  while (true) {
    const bool live_left = live != objects_.end() && in_range(live->first);
    const bool old_left = old != rewound.end();
    if (!live_left && !old_left) {
      return false;
    }
    Candidate next;
    if (old_left && (!live_left || !(live->first < old->first.get()))) {
      if (live_left && live->first == old->first.get()) {
        ++live;  // Changed since `at`: its state at `at` comes from the history.
      }
      next = {old->second, true};
      ++old;
      if (next.change->previous.json == nullptr) {
        continue;  // Created after `at`.
      }
    } else {
      DCHECK_LE(live->second->version(), at);
      next = {live->second, false};
      ++live;
    }
    if (out.size() == max) {
      return true;
    }
    out.push_back(std::move(next));
  }
}

Result<Store::ListResult> Store::Impl::list(const ListOptions& options) const {
  if (options.resource.empty()) {
    return Error::invalidArgument("list needs a resource");
  }
  if (options.continue_after && options.continue_after->resource != options.resource) {
    return Error::invalidArgument("continue key is for another resource");
  }
  const size_t no_limit = std::numeric_limits<size_t>::max();
  size_t chunk = options.limit == 0 ? no_limit : options.limit;
  if (options.filter && options.limit != 0) {
    chunk = std::max(options.limit, kFilterChunk);
  }
  ListResult result;
  std::optional<ObjectKey> cursor = options.continue_after;
  bool first = true;
  while (true) {
    std::vector<Candidate> candidates;
    bool more = false;
    {
      std::lock_guard lock(mu_);
      if (first && options.continue_after) {
        result.resource_version = options.continue_version;
        if (options.continue_version < history_base_) {
          return Error::gone("continue token expired: resourceVersion " +
                             std::to_string(options.continue_version) +
                             " is older than the oldest kept " + std::to_string(history_base_));
        }
        if (options.continue_version > version_) {
          return Error::gone("continue token from the future: resourceVersion " +
                             std::to_string(options.continue_version) + " is newer than " +
                             std::to_string(version_));
        }
      } else if (first) {
        result.resource_version = version_;
      } else if (result.resource_version < history_base_) {
        return Error::gone("list at resourceVersion " + std::to_string(result.resource_version) +
                           " expired while it was read");
      }
      more = gather(options.resource, options.namespace_, cursor, result.resource_version, chunk,
                    candidates);
    }
    first = false;
    if (!options.filter) {
      result.items.reserve(result.items.size() + candidates.size());
    }
    for (size_t i = 0; i < candidates.size(); ++i) {
      const Candidate& candidate = candidates[i];
      if (options.filter) {
        Result<json::Document> parsed = json::parse(*candidate.object().json);
        if (!parsed) {
          return Error::internal("stored " + describe(candidate.key()) +
                                 " is not JSON: " + parsed.error().message);
        }
        if (!options.filter(*parsed)) {
          continue;
        }
      }
      result.items.push_back(candidate.object());
      if (options.limit != 0 && result.items.size() == options.limit) {
        if (more || i + 1 < candidates.size()) {
          result.last_key = candidate.key();
        }
        return result;
      }
    }
    if (!more) {
      return result;
    }
    cursor = candidates.back().key();
  }
}

Result<std::unique_ptr<Watcher>> Store::Impl::watch(const std::string& resource,
                                                    const std::string& scope,
                                                    uint64_t from_version) {
  if (resource.empty()) {
    return Error::invalidArgument("watch needs a resource");
  }
  auto watcher = std::make_shared<Watcher::Impl>(scope, options_.watcher_queue_limit);
  {
    std::lock_guard lock(mu_);
    if (from_version < history_base_) {
      return Error::gone("too old resource version: " + std::to_string(from_version) +
                         " (oldest kept " + std::to_string(history_base_) + ")");
    }
    if (from_version > version_) {
      // Only a client of an earlier, memory-only store can hold one: make it relist.
      return Error::gone("resource version " + std::to_string(from_version) +
                         " is newer than the store's " + std::to_string(version_));
    }
    if (closed_) {
      watcher->close();
    } else {
      bool alive = true;
      for (size_t i = from_version - history_base_; alive && i < history_.size(); ++i) {
        const ChangePtr& change = history_[i];
        if (change->event.key.resource == resource && watcher->matches(change->event.key)) {
          alive = watcher->offer(change);
        }
      }
      if (alive) {
        std::vector<std::weak_ptr<Watcher::Impl>>& watchers = watchers_[resource];
        std::erase_if(watchers, [](const auto& weak) { return weak.expired(); });
        watchers.push_back(watcher);
      }
    }
  }
  return std::make_unique<Watcher>(std::move(watcher));
}

Store::Snapshot Store::Impl::listAndWatch(const std::string& resource, const std::string& scope) {
  auto watcher = std::make_shared<Watcher::Impl>(scope, options_.watcher_queue_limit);
  std::vector<Candidate> candidates;
  Snapshot snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot.resource_version = version_;
    gather(resource, scope, std::nullopt, version_, std::numeric_limits<size_t>::max(), candidates);
    if (closed_) {
      watcher->close();
    } else {
      std::vector<std::weak_ptr<Watcher::Impl>>& watchers = watchers_[resource];
      std::erase_if(watchers, [](const auto& weak) { return weak.expired(); });
      watchers.push_back(watcher);
    }
  }
  snapshot.items.reserve(candidates.size());
  for (const Candidate& candidate : candidates) {
    snapshot.items.push_back(candidate.object());
  }
  snapshot.watcher = std::make_unique<Watcher>(std::move(watcher));
  return snapshot;
}

void Store::Impl::close() {
  std::lock_guard lock(mu_);
  if (closed_) {
    return;
  }
  closed_ = true;
  for (auto& [resource, watchers] : watchers_) {
    for (const std::weak_ptr<Watcher::Impl>& weak : watchers) {
      if (const std::shared_ptr<Watcher::Impl> watcher = weak.lock()) {
        watcher->close();
      }
    }
  }
  watchers_.clear();
  wal_.reset();
  LOG(INFO) << "store closed version=" << version_ << " objects=" << objects_.size();
}

Result<void> Store::Impl::compact() {
  std::vector<ChangePtr> live;
  uint64_t at = 0;
  {
    std::lock_guard lock(mu_);
    if (!wal_ || compacting_ || closed_) {
      return {};
    }
    if (compaction_failed_) {
      return Error::unavailable("compaction is off after an earlier failure; restart to retry");
    }
    // Later records go to a fresh file; the old one goes once the snapshot holds its content.
    Result<WalWriter> next = WalWriter::create(next_wal_path_, options_.fsync);
    if (!next) {
      return next.error();
    }
    wal_.emplace(std::move(*next));
    compacting_ = true;
    at = version_;
    live.reserve(objects_.size());
    for (const auto& entry : objects_) {
      live.push_back(entry.second);
    }
  }
  // The snapshot is written without the lock: the objects are immutable and writers carry on
  // into the fresh file. compacting_ keeps any other compaction away from these files.
  Result<void> done = writeSnapshot(snapshot_path_, at, snapshotEntries(live));
  if (done) {
    std::error_code error;
    std::filesystem::rename(next_wal_path_, wal_path_, error);
    done = error ? Result<void>(Error::unavailable("rename " + next_wal_path_.string() + ": " +
                                                   error.message()))
                 : syncDirectory(options_.data_dir);
  }
  std::lock_guard lock(mu_);
  compacting_ = false;
  if (!done) {
    compaction_failed_ = true;
    return done.error();
  }
  ++compactions_;
  LOG(INFO) << "wal compacted version=" << at << " objects=" << live.size()
            << " live_bytes=" << live_bytes_;
  return {};
}

Store::Stats Store::Impl::stats() const {
  std::lock_guard lock(mu_);
  Stats stats;
  stats.objects = objects_.size();
  stats.history_events = history_.size();
  stats.history_bytes = history_bytes_;
  for (const auto& [resource, watchers] : watchers_) {
    stats.watchers += static_cast<size_t>(std::count_if(
        watchers.begin(), watchers.end(), [](const auto& weak) { return !weak.expired(); }));
  }
  stats.live_bytes = live_bytes_;
  stats.wal_bytes = wal_ ? wal_->size() : 0;
  stats.compactions = compactions_;
  return stats;
}

Result<std::unique_ptr<Store>> Store::open(const Options& options) {
  auto impl = std::make_unique<Impl>(options);
  if (Result<void> opened = impl->open(); !opened) {
    return opened.error();
  }
  // make_unique cannot reach the private constructor; open() is the only way in.
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

uint64_t Store::currentVersion() const {
  return impl_->currentVersion();
}

uint64_t Store::oldestResumableVersion() const {
  return impl_->oldestResumableVersion();
}

Result<StoredObject> Store::get(const ObjectKey& key) const {
  return impl_->get(key);
}

Result<StoredObject> Store::create(const ObjectKey& key, json::Document object) {
  return impl_->create(key, std::move(object));
}

Result<StoredObject> Store::update(const ObjectKey& key, json::Document object,
                                   uint64_t expected_version) {
  return impl_->update(key, std::move(object), expected_version);
}

Result<StoredObject> Store::remove(const ObjectKey& key, uint64_t expected_version) {
  return impl_->remove(key, expected_version);
}

Result<Store::ListResult> Store::list(const ListOptions& options) const {
  return impl_->list(options);
}

Result<std::unique_ptr<Watcher>> Store::watch(const std::string& resource, const std::string& scope,
                                              uint64_t from_version) {
  return impl_->watch(resource, scope, from_version);
}

Store::Snapshot Store::listAndWatch(const std::string& resource, const std::string& scope) {
  return impl_->listAndWatch(resource, scope);
}

void Store::close() {
  impl_->close();
}

Result<void> Store::compact() {
  return impl_->compact();
}

Store::Stats Store::stats() const {
  return impl_->stats();
}

}  // namespace daap::devcluster

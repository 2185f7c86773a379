#include "lib/kube/informer.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stop_token>
#include <thread>
#include <utility>

#include <glog/logging.h>
#include <rapidjson/allocators.h>

#include "lib/base/backoff.h"
#include "lib/kube/watch.h"

namespace daap::kube {

namespace {

// Clock cannot wake a waiter, so waits on it are cut into real-time slices no longer than this:
// a FakeClock a test moves is noticed within one slice.
constexpr std::chrono::milliseconds kClockSlice{50};
// A watch that ends cleanly this soon without delivering anything counts as a failure, so a
// server that closes every watch at once is not hammered (client-go's "very short watch").
constexpr std::chrono::seconds kShortWatch{1};
// What the reflector thread keeps to measure each object before copying it for good.
constexpr size_t kScratchBytes = size_t{64} << 10;
constexpr size_t kCopyStackBytes = 1024;

// Forwards a SAX stream to a Document, copying every string: a projection may return strings
// that borrow from the object it was given, which dies with its event.
// NOLINTBEGIN(readability-identifier-naming): RapidJSON's Handler concept names these methods.
class StringCopier {
public:
  explicit StringCopier(json::Document& target) : target_(target) {}

  bool Null() { return target_.Null(); }
  bool Bool(bool value) { return target_.Bool(value); }
  bool Int(int value) { return target_.Int(value); }
  bool Uint(unsigned value) { return target_.Uint(value); }
  bool Int64(int64_t value) { return target_.Int64(value); }
  bool Uint64(uint64_t value) { return target_.Uint64(value); }
  bool Double(double value) { return target_.Double(value); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    return target_.RawNumber(text, length, true);
  }
  bool String(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    return target_.String(text, length, true);
  }
  bool StartObject() { return target_.StartObject(); }
  bool Key(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    return target_.Key(text, length, true);
  }
  bool EndObject(rapidjson::SizeType members) { return target_.EndObject(members); }
  bool StartArray() { return target_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) { return target_.EndArray(elements); }

private:
  json::Document& target_;
};
// NOLINTEND(readability-identifier-naming)

void copyInto(const json::Value& value, json::Document& target) {
  auto generator = [&value](json::Document& handler) {
    StringCopier copier(handler);
    return value.Accept(copier);
  };
  target.Populate(generator);
}

// One cached object in a single allocation of exactly the size it needs: a Document's own pool
// starts at 64 KiB, which for 10,000 small objects would dwarf the objects themselves.
struct CompactDocument {
  explicit CompactDocument(size_t bytes) : pool(bytes, &base) {}

  rapidjson::CrtAllocator base;
  json::Allocator pool;
  json::Document document{&pool, kCopyStackBytes, &base};
};

std::string_view resourceVersionOf(const json::Value& object) {
  const json::Value* metadata = json::find(object, "metadata");
  return metadata == nullptr ? std::string_view() : json::getString(*metadata, "resourceVersion");
}

std::string storeKey(std::string_view namespace_, std::string_view name) {
  std::string key;
  if (!namespace_.empty()) {
    key.reserve(namespace_.size() + 1 + name.size());
    key.append(namespace_);
    key += '/';
  }
  key.append(name);
  return key;
}

std::string objectKey(const json::Value& object) {
  const json::Value* metadata = json::find(object, "metadata");
  if (metadata == nullptr) {
    return {};
  }
  return storeKey(json::getString(*metadata, "namespace"), json::getString(*metadata, "name"));
}

// A cached object and the resourceVersion it was stored at (kept apart from the object, so a
// relist can compare versions whatever the projection kept). A serialized informer has only
// `text`, parsed again for each handler call: a parsed copy made when the event arrived and
// freed once handled would leave a hole between the texts kept around it (12,000 such holes,
// 28 MB, in a gateway after its first list of 10,000 databases).
struct Entry {
  CachedObject object;
  std::string text;
  std::string resource_version;
};

// An object parsed from the text a serialized informer stored, in one right-sized pool.
CachedObject parseCompact(const std::string& text) {
  // Parsed values take about 1.6 times their text; the pool grows should that be short.
  auto holder = std::make_shared<CompactDocument>(text.size() * 2 + 64);
  holder->document.Parse(text.data(), text.size());
  CHECK(!holder->document.HasParseError()) << "cached text does not parse";  // We wrote it.
  return {holder, &holder->document};
}

CachedObject load(const Entry& entry) {
  return entry.object != nullptr ? entry.object : parseCompact(entry.text);
}

// What the reflector thread hands to the dispatch thread, in the order it happened.
struct Delta {
  enum class Kind { Replace, Added, Modified, Deleted, Bookmark };

  Kind kind = Kind::Bookmark;
  std::string key;  // Added, Modified, Deleted.
  Entry entry;      // Added, Modified, Deleted: the object as the event has it.
  std::vector<std::pair<std::string, Entry>> items;  // Replace: the whole list, in list order.
  std::string resource_version;                      // Where the store stands once this is applied.
};

}  // namespace

// Two threads: the reflector lists and watches and turns what arrives into Deltas (projected
// and compacted there, so only what is kept crosses over); the dispatcher applies Deltas to the
// store and calls the handlers, and runs the resync timer. Only the dispatcher writes the store,
// so it reads the store without the lock.
class Informer::Impl {
public:
  Impl(Client& client, Resource resource, InformerOptions options, const Clock& clock)
      : client_(client),
        resource_(std::move(resource)),
        options_(std::move(options)),
        clock_(clock),
        scratch_buffer_(kScratchBytes),
        scratch_(scratch_buffer_.data(), scratch_buffer_.size(), kScratchBytes, &scratch_base_) {}

  ~Impl() { stop(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void addHandlers(InformerHandlers handlers) {
    CHECK(!started_) << "Informer::addHandlers() after start()";
    handlers_.push_back(std::move(handlers));
  }

  // start() and stop() are called by the owner, never concurrently with each other.
  void start() {
    CHECK(!started_) << "Informer::start() called twice";
    started_ = true;
    dispatcher_ = std::jthread([this](const std::stop_token& stop) { dispatch(stop); });
    reflector_ = std::jthread([this](const std::stop_token& stop) { reflect(stop); });
  }

  void stop() {
    // The reflector's token is also its watch's: the stream ends as soon as it is requested.
    reflector_.request_stop();
    dispatcher_.request_stop();
    if (reflector_.joinable()) {
      reflector_.join();
    }
    if (dispatcher_.joinable()) {
      dispatcher_.join();
    }
  }

  bool hasSynced() const {
    const std::lock_guard lock(sync_mu_);
    return synced_;
  }

  bool waitForSync(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(sync_mu_);
    return sync_cv_.wait_for(lock, timeout, [this] { return synced_; });
  }

  CachedObject get(std::string_view namespace_, std::string_view name) const {
    const std::string key = storeKey(namespace_, name);
    const std::shared_lock lock(store_mu_);
    const auto found = store_.find(key);
    return found == store_.end() ? nullptr : load(found->second);
  }

  std::vector<CachedObject> list() const {
    const std::shared_lock lock(store_mu_);
    std::vector<CachedObject> objects;
    objects.reserve(store_.size());
    for (const auto& [key, entry] : store_) {
      objects.push_back(load(entry));
    }
    return objects;
  }

  size_t size() const {
    const std::shared_lock lock(store_mu_);
    return store_.size();
  }

  std::string lastResourceVersion() const {
    const std::shared_lock lock(store_mu_);
    return resource_version_;
  }

  InformerStats stats() const {
    return {lists_.load(), watches_.load(), expired_.load(), failures_.load()};
  }

private:
  // Reflector thread.
  void reflect(const std::stop_token& stop);
  Result<std::string> listAll(const std::stop_token& stop);
  Result<void> watchFrom(std::string& resource_version, uint64_t& delivered,
                         const std::stop_token& stop);
  bool sleepFor(std::chrono::milliseconds delay, const std::stop_token& stop) const;
  Entry cache(const json::Value& object);
  CachedObject compact(const json::Value& value);
  void push(Delta delta);

  // Dispatch thread.
  void dispatch(const std::stop_token& stop);
  void apply(Delta& delta);
  void replace(Delta& delta);
  void resync();
  void notify(const CachedObject& old_object, const CachedObject& new_object) const;

  Client& client_;
  const Resource resource_;
  const InformerOptions options_;
  const Clock& clock_;
  // Filled before start(), then read by the dispatch thread only.
  std::vector<InformerHandlers> handlers_;
  bool started_ = false;

  // Reflector thread only: where each object is measured before its exact-size copy is made.
  rapidjson::CrtAllocator scratch_base_;
  std::vector<char> scratch_buffer_;
  json::Allocator scratch_;

  mutable std::shared_mutex store_mu_;
  // Guarded by store_mu_; written by the dispatch thread only.
  std::map<std::string, Entry, std::less<>> store_;
  std::string resource_version_;

  mutable std::mutex sync_mu_;
  mutable std::condition_variable sync_cv_;
  // Guarded by sync_mu_.
  bool synced_ = false;

  std::mutex queue_mu_;
  std::condition_variable_any queue_cv_;
  // Guarded by queue_mu_. Unbounded, as client-go's DeltaFIFO: the reflector never waits for
  // handlers, and what waits here is already projected.
  std::deque<Delta> queue_;

  std::atomic<uint64_t> lists_{0};
  std::atomic<uint64_t> watches_{0};
  std::atomic<uint64_t> expired_{0};
  std::atomic<uint64_t> failures_{0};

  // Last, so they stop before anything they use goes away.
  std::jthread dispatcher_;
  std::jthread reflector_;
};

void Informer::Impl::reflect(const std::stop_token& stop) {
  Backoff backoff(options_.backoff_base, options_.backoff_max);
  std::string resource_version;  // Where the next watch starts; empty: list first.
  bool just_listed = false;
  while (!stop.stop_requested()) {
    if (resource_version.empty()) {
      Result<std::string> listed = listAll(stop);
      if (stop.stop_requested()) {
        return;
      }
      if (!listed) {
        ++failures_;
        const std::chrono::milliseconds delay = backoff.next();
        LOG(WARNING) << "informer list failed resource=" << resource_.plural
                     << " error=" << listed.error().toString() << " retry_in_ms=" << delay.count();
        if (!sleepFor(delay, stop)) {
          return;
        }
        continue;
      }
      resource_version = std::move(listed).value();
      just_listed = true;
    }

    const auto started = clock_.monotonicNow();
    uint64_t delivered = 0;
    Result<void> watched = watchFrom(resource_version, delivered, stop);
    if (stop.stop_requested()) {
      return;
    }
    const bool fresh = std::exchange(just_listed, false);
    if (delivered > 0) {
      backoff.reset();  // The watch worked: whatever ended it starts a new series of delays.
    }
    if (watched) {
      if (delivered > 0 || clock_.monotonicNow() - started >= kShortWatch) {
        backoff.reset();
        VLOG(1) << "informer watch ended resource=" << resource_.plural
                << " resource_version=" << resource_version;
        continue;  // Resume where it stopped.
      }
      watched = Error::unavailable("watch ended at once without an event");
    }

    Error error = std::move(watched).error();
    if (error.code == ErrorCode::Gone) {
      ++expired_;
      LOG(INFO) << "informer relisting resource=" << resource_.plural
                << " resource_version=" << resource_version << " reason=expired";
      resource_version.clear();
      // Relist at once, unless the watch of a list that had just finished expired before
      // delivering anything: then changes outrun our lists, and relisting at once would spin.
      if (!fresh || delivered > 0) {
        continue;
      }
    } else {
      ++failures_;
      // Unreachable or busy (transport, 5xx, 429): our position still holds, resume from it.
      // Anything else: start over from a list.
      if (error.code != ErrorCode::Unavailable && error.code != ErrorCode::TooManyRequests) {
        resource_version.clear();
      }
    }
    std::chrono::milliseconds delay = backoff.next();
    if (error.retry_after.has_value()) {
      delay = std::max<std::chrono::milliseconds>(delay, *error.retry_after);
    }
    LOG(WARNING) << "informer watch failed resource=" << resource_.plural
                 << " error=" << error.toString() << " retry_in_ms=" << delay.count()
                 << " relist=" << (resource_version.empty() ? "true" : "false");
    if (!sleepFor(delay, stop)) {
      return;
    }
  }
}

Result<std::string> Informer::Impl::listAll(const std::stop_token& stop) {
  ListOptions list_options;
  list_options.label_selector = options_.label_selector;
  list_options.field_selector = options_.field_selector;
  list_options.limit = options_.page_size;
  Delta delta;
  delta.kind = Delta::Kind::Replace;
  do {
    if (stop.stop_requested()) {
      return Error::unavailable("informer stopped");
    }
    Result<ListPage> page = client_.list(resource_, options_.namespace_, list_options);
    if (!page) {
      return std::move(page).error();
    }
    const json::Value* items = json::find(page->list, "items");
    if (items != nullptr && items->IsArray()) {
      delta.items.reserve(delta.items.size() + items->Size());
      for (const json::Value& item : items->GetArray()) {
        delta.items.emplace_back(objectKey(item), cache(item));
      }
    }
    // Every page of a paged list is read at the first page's version.
    delta.resource_version = std::move(page->resource_version);
    list_options.continue_token = std::move(page->continue_token);
  } while (!list_options.continue_token.empty());
  if (delta.resource_version.empty()) {
    return Error::internal("list of " + resource_.plural + " has no resourceVersion");
  }
  ++lists_;
  std::string resource_version = delta.resource_version;
  push(std::move(delta));
  return resource_version;
}

Result<void> Informer::Impl::watchFrom(std::string& resource_version, uint64_t& delivered,
                                       const std::stop_token& stop) {
  WatchOptions watch_options;
  watch_options.resource_version = resource_version;
  watch_options.label_selector = options_.label_selector;
  watch_options.field_selector = options_.field_selector;
  watch_options.allow_bookmarks = true;
  ++watches_;
  std::optional<Error> status;  // An ERROR event, should the client pass it on.
  const auto on_event = [&](WatchEvent&& event) {
    Delta delta;
    switch (event.type) {
      case WatchEventType::Error: {
        const json::Value* code = json::find(event.object, "code");
        status = statusError(event.object, code != nullptr && code->IsInt() ? code->GetInt() : 0);
        return false;
      }
      case WatchEventType::Bookmark:
        delta.kind = Delta::Kind::Bookmark;
        break;
      case WatchEventType::Added:
        delta.kind = Delta::Kind::Added;
        break;
      case WatchEventType::Modified:
        delta.kind = Delta::Kind::Modified;
        break;
      case WatchEventType::Deleted:
        delta.kind = Delta::Kind::Deleted;
        break;
    }
    ++delivered;
    if (delta.kind != Delta::Kind::Bookmark) {
      delta.key = objectKey(event.object);
      delta.entry = cache(event.object);
    }
    if (const std::string_view version = resourceVersionOf(event.object); !version.empty()) {
      resource_version = version;
    }
    delta.resource_version = resource_version;
    push(std::move(delta));
    return true;
  };
  Result<void> watched =
      client_.watch(resource_, options_.namespace_, watch_options, on_event, stop);
  if (watched && status.has_value()) {
    return *std::move(status);
  }
  return watched;
}

bool Informer::Impl::sleepFor(std::chrono::milliseconds delay, const std::stop_token& stop) const {
  const auto deadline = clock_.monotonicNow() + delay;
  std::mutex mu;
  std::condition_variable_any stopped;
  std::unique_lock lock(mu);
  for (;;) {
    const auto now = clock_.monotonicNow();
    if (now >= deadline) {
      return true;
    }
    const auto slice = std::min<std::chrono::steady_clock::duration>(deadline - now, kClockSlice);
    stopped.wait_for(lock, stop, slice, [] { return false; });
    if (stop.stop_requested()) {
      return false;
    }
  }
}

Entry Informer::Impl::cache(const json::Value& object) {
  Entry entry;
  entry.resource_version = resourceVersionOf(object);
  if (options_.projection) {
    const json::Document projected = options_.projection(object);
    if (options_.serialized) {
      entry.text = json::serialize(projected);
    } else {
      entry.object = compact(projected);
    }
  } else if (options_.serialized) {
    entry.text = json::serialize(object);
  } else {
    entry.object = compact(object);
  }
  return entry;
}

CachedObject Informer::Impl::compact(const json::Value& value) {
  // Copy once into the scratch pool to learn the size, then again into a pool of that size:
  // the same copy makes the same allocations, so the second one fits a single chunk.
  scratch_.Clear();
  {
    json::Document sizing(&scratch_, kCopyStackBytes, &scratch_base_);
    copyInto(value, sizing);
  }
  auto holder = std::make_shared<CompactDocument>(scratch_.Size());
  copyInto(value, holder->document);
  return {holder, &holder->document};
}

void Informer::Impl::push(Delta delta) {
  {
    const std::lock_guard lock(queue_mu_);
    queue_.push_back(std::move(delta));
  }
  queue_cv_.notify_one();
}

void Informer::Impl::dispatch(const std::stop_token& stop) {
  const bool resyncs = options_.resync.count() > 0;
  bool synced = false;
  auto next_resync = clock_.monotonicNow();
  for (;;) {
    std::optional<Delta> delta;
    {
      std::unique_lock lock(queue_mu_);
      const auto ready = [this] {
        return !queue_.empty();
      };
      while (!stop.stop_requested() && queue_.empty()) {
        if (!resyncs || !synced) {
          queue_cv_.wait(lock, stop, ready);
          continue;
        }
        const auto now = clock_.monotonicNow();
        if (now >= next_resync) {
          break;
        }
        queue_cv_.wait_for(
            lock, stop,
            std::min<std::chrono::steady_clock::duration>(next_resync - now, kClockSlice), ready);
      }
      if (stop.stop_requested()) {
        return;
      }
      // A resync that is due goes first, so a busy stream cannot postpone it forever.
      if (!queue_.empty() && !(resyncs && synced && clock_.monotonicNow() >= next_resync)) {
        delta.emplace(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!delta.has_value()) {
      resync();
      next_resync = clock_.monotonicNow() + options_.resync;
      continue;
    }
    const bool replace = delta->kind == Delta::Kind::Replace;
    apply(*delta);
    if (replace && !synced) {
      synced = true;
      next_resync = clock_.monotonicNow() + options_.resync;
      {
        const std::lock_guard lock(sync_mu_);
        synced_ = true;
      }
      sync_cv_.notify_all();
      LOG(INFO) << "informer synced resource=" << resource_.plural << " objects=" << store_.size()
                << " resource_version=" << resource_version_;
    }
  }
}

void Informer::Impl::apply(Delta& delta) {
  switch (delta.kind) {
    case Delta::Kind::Replace:
      replace(delta);
      return;
    case Delta::Kind::Bookmark: {
      const std::unique_lock lock(store_mu_);
      resource_version_ = std::move(delta.resource_version);
      return;
    }
    case Delta::Kind::Added:
    case Delta::Kind::Modified: {
      CachedObject old_object;
      const Entry* stored = nullptr;
      {
        const std::unique_lock lock(store_mu_);
        resource_version_ = std::move(delta.resource_version);
        const auto [found, inserted] = store_.try_emplace(std::move(delta.key));
        if (!inserted) {
          if (found->second.resource_version == delta.entry.resource_version) {
            return;  // Seen already (a repeated event): nothing changed.
          }
          old_object = load(found->second);
        }
        found->second = std::move(delta.entry);
        stored = &found->second;
      }
      // Only this thread writes the store: the entry stays put while it is reported.
      notify(old_object, load(*stored));
      return;
    }
    case Delta::Kind::Deleted: {
      {
        const std::unique_lock lock(store_mu_);
        resource_version_ = std::move(delta.resource_version);
        const auto found = store_.find(delta.key);
        if (found == store_.end()) {
          return;  // Never cached (or already gone): nothing to report.
        }
        store_.erase(found);
      }
      notify(load(delta.entry), nullptr);  // The object as it was when deleted.
      return;
    }
  }
}

void Informer::Impl::replace(Delta& delta) {
  // Every difference (old entry, null: added; new entry, null: deleted), found before the store
  // changes and reported after: handlers see the store as the list left it. Entries are
  // pointed at, in the new store and in the old one (kept until reported), and loaded one at a
  // time as they are reported.
  // The key (in one store or the other: map nodes never move) and whether it is in the list.
  std::vector<std::pair<const std::string*, bool>> differences;
  std::map<std::string, Entry, std::less<>> next;
  for (auto& [key, entry] : delta.items) {
    const auto found = store_.find(key);
    const bool changed =
        found == store_.end() || found->second.resource_version != entry.resource_version;
    if (!changed) {
      entry = found->second;  // Unchanged: keep the object handlers already have.
    }
    const auto stored = next.insert_or_assign(std::move(key), std::move(entry)).first;
    if (changed) {
      differences.emplace_back(&stored->first, true);
    }
  }
  delta.items.clear();
  for (const auto& [key, entry] : store_) {
    if (!next.contains(key)) {
      differences.emplace_back(&key, false);
    }
  }
  {
    const std::unique_lock lock(store_mu_);
    store_.swap(next);
    resource_version_ = std::move(delta.resource_version);
  }
  // Only this thread writes the store: its entries stay put while they are reported.
  for (const auto& [key, listed] : differences) {
    const auto before = next.find(*key);
    const CachedObject old_object = before == next.end() ? nullptr : load(before->second);
    notify(old_object, listed ? load(store_.find(*key)->second) : nullptr);
  }
  next.clear();  // The previous store, freed outside the lock.
}

void Informer::Impl::resync() {
  VLOG(1) << "informer resync resource=" << resource_.plural << " objects=" << store_.size();
  // The dispatcher is the store's only writer, so it walks the store unlocked while handlers read
  // it. One object at a time: a serialized store parses each as it goes, never all at once.
  for (const auto& [key, entry] : store_) {
    const CachedObject object = load(entry);
    notify(object, object);
  }
}

void Informer::Impl::notify(const CachedObject& old_object, const CachedObject& new_object) const {
  for (const InformerHandlers& handlers : handlers_) {
    if (old_object == nullptr) {
      if (handlers.on_add) {
        handlers.on_add(new_object);
      }
    } else if (new_object == nullptr) {
      if (handlers.on_delete) {
        handlers.on_delete(old_object);
      }
    } else if (handlers.on_update) {
      handlers.on_update(old_object, new_object);
    }
  }
}

Informer::Informer(Client& client, Resource resource, InformerOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(client, std::move(resource), std::move(options), clock)) {}

Informer::~Informer() = default;

void Informer::addHandlers(InformerHandlers handlers) {
  impl_->addHandlers(std::move(handlers));
}

void Informer::start() {
  impl_->start();
}

void Informer::stop() {
  impl_->stop();
}

bool Informer::hasSynced() const {
  return impl_->hasSynced();
}

bool Informer::waitForSync(std::chrono::milliseconds timeout) const {
  return impl_->waitForSync(timeout);
}

CachedObject Informer::get(std::string_view namespace_, std::string_view name) const {
  return impl_->get(namespace_, name);
}

std::vector<CachedObject> Informer::list() const {
  return impl_->list();
}

size_t Informer::size() const {
  return impl_->size();
}

std::string Informer::lastResourceVersion() const {
  return impl_->lastResourceVersion();
}

InformerStats Informer::stats() const {
  return impl_->stats();
}

}  // namespace daap::kube

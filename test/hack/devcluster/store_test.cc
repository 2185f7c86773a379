#include "hack/devcluster/store.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lib/json/json.h"

namespace daap::devcluster {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace): literals only.

constexpr std::string_view kThings = "daap.io/things";
constexpr std::chrono::seconds kDeadline = 10s;

ObjectKey key(std::string name, std::string scope = "default",
              std::string resource = std::string(kThings)) {
  return {std::move(resource), std::move(scope), std::move(name)};
}

json::Document parseJson(std::string_view text) {
  return std::move(json::parse(text)).value();
}

json::Document thing(std::string_view name, int size = 1) {
  return parseJson(R"({"kind":"Thing","metadata":{"name":")" + std::string(name) +
                   R"("},"spec":{"size":)" + std::to_string(size) + "}}");
}

std::string stampedVersion(const StoredObject& object) {
  const json::Document document = parseJson(*object.json);
  const json::Value* version = json::findPath(document, {"metadata", "resourceVersion"});
  return version != nullptr && version->IsString() ? std::string(json::view(*version)) : "";
}

std::string nameOf(const StoredObject& object) {
  const json::Document document = parseJson(*object.json);
  const json::Value* name = json::findPath(document, {"metadata", "name"});
  return name != nullptr && name->IsString() ? std::string(json::view(*name)) : "";
}

std::unique_ptr<Store> openStore(const Store::Options& options = {}) {
  Result<std::unique_ptr<Store>> store = Store::open(options);
  EXPECT_TRUE(store) << store.error().toString();
  return store ? std::move(*store) : nullptr;
}

StoredObject mustCreate(Store& store, const ObjectKey& object_key, json::Document object) {
  Result<StoredObject> created = store.create(object_key, std::move(object));
  EXPECT_TRUE(created) << created.error().toString();
  return created ? *created : StoredObject{};
}

// Pulls up to `count` events, giving up at the deadline.
std::vector<WatchEvent> nextEvents(Watcher& watcher, size_t count) {
  std::vector<WatchEvent> events;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (events.size() < count && std::chrono::steady_clock::now() < deadline) {
    WatchEvent event;
    const Watcher::Status status = watcher.next(100ms, event);
    if (status == Watcher::Status::Event) {
      events.push_back(std::move(event));
    } else if (status != Watcher::Status::Timeout) {
      break;
    }
  }
  return events;
}

std::vector<uint64_t> versionsOf(const std::vector<WatchEvent>& events) {
  std::vector<uint64_t> versions;
  versions.reserve(events.size());
  for (const WatchEvent& event : events) {
    versions.push_back(event.object.resource_version);
  }
  return versions;
}

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "store_test.XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeText(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

Store::ListOptions listThings(size_t limit = 0) {
  Store::ListOptions options;
  options.resource = std::string(kThings);
  options.limit = limit;
  return options;
}

Store::ListOptions continueAfter(const Store::ListResult& page) {
  Store::ListOptions options = listThings();
  options.continue_after = page.last_key;
  options.continue_version = page.resource_version;
  return options;
}

Store::Options persistentOptions(const TempDir& dir) {
  Store::Options options;
  options.data_dir = dir.path();
  return options;
}

// --- Versions and CRUD ---

TEST(StoreTest, VersionsAreMonotonicAndStamped) {
  auto store = openStore();
  EXPECT_EQ(store->currentVersion(), 0u);
  for (uint64_t expected = 1; expected <= 3; ++expected) {
    const StoredObject created =
        mustCreate(*store, key("t" + std::to_string(expected)), thing("t"));
    EXPECT_EQ(created.resource_version, expected);
    EXPECT_EQ(stampedVersion(created), std::to_string(expected));
  }
  Result<StoredObject> updated = store->update(key("t1"), thing("t1", 5), 1);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->resource_version, 4u);
  EXPECT_EQ(stampedVersion(*updated), "4");
  EXPECT_EQ(store->currentVersion(), 4u);
}

TEST(StoreTest, CreateAddsMetadataWhenAbsent) {
  auto store = openStore();
  const StoredObject created = mustCreate(*store, key("bare"), parseJson(R"({"kind":"Thing"})"));
  EXPECT_EQ(*created.json, R"({"kind":"Thing","metadata":{"resourceVersion":"1"}})");
}

TEST(StoreTest, CreateReplacesClientResourceVersion) {
  auto store = openStore();
  const StoredObject created = mustCreate(
      *store, key("a"), parseJson(R"({"metadata":{"name":"a","resourceVersion":"999"}})"));
  EXPECT_EQ(*created.json, R"({"metadata":{"name":"a","resourceVersion":"1"}})");
}

TEST(StoreTest, CreateKeepsStringsThatLookLikeThePlaceholder) {
  auto store = openStore();
  const std::string tricky =
      R"({"metadata":{"name":"a","annotations":{"x":"\u0001rv0\u0001","\u0001rv1\u0001":"y"}}})";
  const StoredObject created = mustCreate(*store, key("a"), parseJson(tricky));
  EXPECT_EQ(stampedVersion(created), "1");
  const json::Document stored = parseJson(*created.json);
  const json::Value* annotation = json::findPath(stored, {"metadata", "annotations", "x"});
  ASSERT_NE(annotation, nullptr);
  EXPECT_EQ(json::view(*annotation), "\x01rv0\x01");
}

TEST(StoreTest, CreateOfNonObjectIsInvalidArgument) {
  auto store = openStore();
  Result<StoredObject> created = store->create(key("a"), parseJson("[1,2]"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::InvalidArgument);
}

TEST(StoreTest, CreateExistingKeyIsAlreadyExists) {
  auto store = openStore();
  mustCreate(*store, key("a"), thing("a"));
  Result<StoredObject> again = store->create(key("a"), thing("a"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
  EXPECT_NE(again.error().message.find("default/a"), std::string::npos);
  EXPECT_EQ(store->currentVersion(), 1u);
}

TEST(StoreTest, GetMissingIsNotFound) {
  auto store = openStore();
  Result<StoredObject> got = store->get(key("missing"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::NotFound);
}

TEST(StoreTest, GetReturnsTheStoredObject) {
  auto store = openStore();
  const StoredObject created = mustCreate(*store, key("a"), thing("a"));
  Result<StoredObject> got = store->get(key("a"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->resource_version, 1u);
  EXPECT_EQ(*got->json, *created.json);
}

TEST(StoreTest, UpdateMissingIsNotFound) {
  auto store = openStore();
  Result<StoredObject> updated = store->update(key("missing"), thing("missing"), 0);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::NotFound);
}

TEST(StoreTest, StaleUpdateIsConflict) {
  auto store = openStore();
  mustCreate(*store, key("a"), thing("a"));
  ASSERT_TRUE(store->update(key("a"), thing("a", 2), 1));
  Result<StoredObject> stale = store->update(key("a"), thing("a", 3), 1);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::Conflict);
  EXPECT_EQ(store->currentVersion(), 2u);
}

TEST(StoreTest, UpdateWithZeroExpectedVersionAlwaysApplies) {
  auto store = openStore();
  mustCreate(*store, key("a"), thing("a"));
  ASSERT_TRUE(store->update(key("a"), thing("a", 2), 0));
  Result<StoredObject> updated = store->update(key("a"), thing("a", 3), 0);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->resource_version, 3u);
}

TEST(StoreTest, StaleRemoveIsConflict) {
  auto store = openStore();
  mustCreate(*store, key("a"), thing("a"));
  ASSERT_TRUE(store->update(key("a"), thing("a", 2), 1));
  Result<StoredObject> removed = store->remove(key("a"), 1);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::Conflict);
  EXPECT_TRUE(store->get(key("a")));
}

TEST(StoreTest, RemoveMissingIsNotFound) {
  auto store = openStore();
  Result<StoredObject> removed = store->remove(key("missing"), 0);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::NotFound);
}

TEST(StoreTest, RemoveReturnsLastStateStampedWithDeletionVersion) {
  auto store = openStore();
  mustCreate(*store, key("a"), thing("a", 7));
  Result<StoredObject> removed = store->remove(key("a"), 1);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->resource_version, 2u);
  EXPECT_EQ(*removed->json,
            R"({"kind":"Thing","metadata":{"name":"a","resourceVersion":"2"},"spec":{"size":7}})");
  EXPECT_EQ(store->get(key("a")).error().code, ErrorCode::NotFound);
}

TEST(StoreTest, ConcurrentUpdatesWithTheSameExpectedVersionHaveOneWinner) {
  auto store = openStore();
  mustCreate(*store, key("a"), thing("a"));
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      Result<StoredObject> updated = store->update(key("a"), thing("a", i), 1);
      if (updated) {
        ++wins;
      } else if (updated.error().code == ErrorCode::Conflict) {
        ++conflicts;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(store->currentVersion(), 2u);
}

TEST(StoreTest, WritesAfterCloseAreUnavailable) {
  auto store = openStore();
  mustCreate(*store, key("a"), thing("a"));
  store->close();
  Result<StoredObject> created = store->create(key("b"), thing("b"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::Unavailable);
  EXPECT_TRUE(store->get(key("a")));
}

// --- List ---

TEST(StoreTest, ListReturnsKeyOrder) {
  auto store = openStore();
  for (const char* name : {"c", "a", "b"}) {
    mustCreate(*store, key(name, "ns-2"), thing(name));
    mustCreate(*store, key(name, "ns-1"), thing(name));
  }
  Result<Store::ListResult> listed = store->list(listThings());
  ASSERT_TRUE(listed);
  std::vector<std::string> seen;
  for (const StoredObject& item : listed->items) {
    seen.push_back(nameOf(item));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "a", "b", "c"}));
  EXPECT_EQ(listed->items.front().resource_version, 4u);  // ns-1/a
  EXPECT_EQ(listed->resource_version, 6u);
  EXPECT_FALSE(listed->last_key);
}

TEST(StoreTest, ListScopesToNamespaceAndResource) {
  auto store = openStore();
  mustCreate(*store, key("a", "ns-1"), thing("a"));
  mustCreate(*store, key("b", "ns-2"), thing("b"));
  mustCreate(*store, key("c", "ns-1", "daap.io/others"), thing("c"));
  mustCreate(*store, key("d", "ns-10"), thing("d"));
  Store::ListOptions options = listThings();
  options.namespace_ = "ns-1";
  Result<Store::ListResult> listed = store->list(options);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(nameOf(listed->items[0]), "a");
}

TEST(StoreTest, ListFilterSeesParsedObjects) {
  auto store = openStore();
  for (int size = 1; size <= 6; ++size) {
    mustCreate(*store, key("t" + std::to_string(size)), thing("t", size));
  }
  Store::ListOptions options = listThings();
  options.filter = [](const json::Value& object) {
    const json::Value* size = json::findPath(object, {"spec", "size"});
    return size != nullptr && size->GetInt() % 2 == 0;
  };
  Result<Store::ListResult> listed = store->list(options);
  ASSERT_TRUE(listed);
  std::vector<uint64_t> versions;
  for (const StoredObject& item : listed->items) {
    versions.push_back(item.resource_version);
  }
  EXPECT_EQ(versions, (std::vector<uint64_t>{2, 4, 6}));
}

TEST(StoreTest, ListPagesThroughTwoThousandObjectsExactlyOnce) {
  auto store = openStore();
  constexpr int kObjects = 2000;
  for (int i = 0; i < kObjects; ++i) {
    mustCreate(*store, key("obj-" + std::to_string(i), "ns-" + std::to_string(i % 7)),
               thing("obj-" + std::to_string(i)));
  }
  std::vector<uint64_t> versions;
  Store::ListOptions options = listThings(150);
  uint64_t first_page_version = 0;
  size_t pages = 0;
  while (true) {
    Result<Store::ListResult> page = store->list(options);
    ASSERT_TRUE(page) << page.error().toString();
    ++pages;
    if (pages == 1) {
      first_page_version = page->resource_version;
    }
    EXPECT_EQ(page->resource_version, first_page_version);
    for (const StoredObject& item : page->items) {
      versions.push_back(item.resource_version);
    }
    if (!page->last_key) {
      break;
    }
    EXPECT_EQ(page->items.size(), 150u);
    options.continue_after = page->last_key;
    options.continue_version = page->resource_version;
  }
  EXPECT_EQ(pages, 14u);
  std::vector<uint64_t> sorted = versions;
  std::sort(sorted.begin(), sorted.end());
  std::vector<uint64_t> expected(kObjects);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(sorted, expected);
}

TEST(StoreTest, ListPagesServeTheFirstPageVersion) {
  auto store = openStore();
  for (int i = 1; i <= 6; ++i) {
    mustCreate(*store, key("obj-" + std::to_string(i)), thing("obj", i));
  }
  Result<Store::ListResult> first = store->list(listThings(2));
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->last_key);
  // Changes after the first page must not show in the later ones.
  ASSERT_TRUE(store->update(key("obj-3"), thing("obj", 30), 3));
  ASSERT_TRUE(store->remove(key("obj-4"), 4));
  mustCreate(*store, key("obj-35"), thing("obj", 35));
  Result<Store::ListResult> rest = store->list(continueAfter(*first));
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->resource_version, 6u);
  std::vector<uint64_t> versions;
  for (const StoredObject& item : rest->items) {
    versions.push_back(item.resource_version);
  }
  EXPECT_EQ(versions, (std::vector<uint64_t>{3, 4, 5, 6}));
  EXPECT_FALSE(rest->last_key);
}

TEST(StoreTest, ListFilterWithLimitFillsPages) {
  auto store = openStore();
  for (int i = 0; i < 600; ++i) {
    mustCreate(*store, key("obj-" + std::to_string(1000 + i)), thing("obj", i));
  }
  Store::ListOptions options = listThings(40);
  options.filter = [](const json::Value& object) {
    return json::findPath(object, {"spec", "size"})->GetInt() % 3 == 0;
  };
  std::set<uint64_t> seen;
  size_t items = 0;
  while (true) {
    Result<Store::ListResult> page = store->list(options);
    ASSERT_TRUE(page);
    items += page->items.size();
    for (const StoredObject& item : page->items) {
      seen.insert(item.resource_version);
    }
    if (!page->last_key) {
      break;
    }
    EXPECT_EQ(page->items.size(), 40u);
    options.continue_after = page->last_key;
    options.continue_version = page->resource_version;
  }
  EXPECT_EQ(items, 200u);
  EXPECT_EQ(seen.size(), 200u);
}

TEST(StoreTest, ListContinueTooOldIsGone) {
  Store::Options options;
  options.history_limit = 2;
  auto store = openStore(options);
  for (int i = 0; i < 5; ++i) {
    mustCreate(*store, key("obj-" + std::to_string(i)), thing("obj"));
  }
  Result<Store::ListResult> first = store->list(listThings(2));
  ASSERT_TRUE(first);
  for (int i = 5; i < 8; ++i) {
    mustCreate(*store, key("obj-" + std::to_string(i)), thing("obj"));
  }
  Result<Store::ListResult> rest = store->list(continueAfter(*first));
  ASSERT_FALSE(rest);
  EXPECT_EQ(rest.error().code, ErrorCode::Gone);
}

// --- Watch ---

TEST(StoreTest, WatchFromVersionDeliversLaterEventsInOrder) {
  auto store = openStore();
  mustCreate(*store, key("a"), thing("a"));                        // 1
  mustCreate(*store, key("b"), thing("b"));                        // 2
  mustCreate(*store, key("x", "default", "/others"), thing("x"));  // 3, another resource
  ASSERT_TRUE(store->update(key("a"), thing("a", 2), 1));          // 4
  Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "", 1);
  ASSERT_TRUE(watcher);
  ASSERT_TRUE(store->remove(key("b"), 2));  // 5
  const std::vector<WatchEvent> events = nextEvents(**watcher, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(versionsOf(events), (std::vector<uint64_t>{2, 4, 5}));
  EXPECT_EQ(events[0].type, EventType::Added);
  EXPECT_EQ(events[0].key, key("b"));
  EXPECT_EQ(events[1].type, EventType::Modified);
  EXPECT_EQ(events[2].type, EventType::Deleted);
  EXPECT_EQ(stampedVersion(events[2].object), "5");
  WatchEvent extra;
  EXPECT_EQ((*watcher)->next(1ms, extra), Watcher::Status::Timeout);
}

TEST(StoreTest, WatchScopesToNamespace) {
  auto store = openStore();
  Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "ns-1", 0);
  ASSERT_TRUE(watcher);
  mustCreate(*store, key("a", "ns-2"), thing("a"));
  mustCreate(*store, key("b", "ns-1"), thing("b"));
  const std::vector<WatchEvent> events = nextEvents(**watcher, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, key("b", "ns-1"));
}

TEST(StoreTest, WatcherWakesOnWriteFromAnotherThread) {
  auto store = openStore();
  Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "", 0);
  ASSERT_TRUE(watcher);
  auto next = std::async(std::launch::async, [&] {
    WatchEvent event;
    return (*watcher)->next(kDeadline, event);
  });
  mustCreate(*store, key("a"), thing("a"));
  ASSERT_EQ(next.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(next.get(), Watcher::Status::Event);
}

TEST(StoreTest, CloseWakesWatchersWithClosed) {
  auto store = openStore();
  Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "", 0);
  ASSERT_TRUE(watcher);
  auto next = std::async(std::launch::async, [&] {
    WatchEvent event;
    return (*watcher)->next(kDeadline, event);
  });
  store->close();
  ASSERT_EQ(next.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(next.get(), Watcher::Status::Closed);
  WatchEvent event;
  EXPECT_EQ((*watcher)->next(1h, event), Watcher::Status::Closed);
}

TEST(StoreTest, WatchFromTooOldVersionIsGone) {
  Store::Options options;
  options.history_limit = 3;
  auto store = openStore(options);
  for (int i = 0; i < 10; ++i) {
    mustCreate(*store, key("obj-" + std::to_string(i)), thing("obj"));
  }
  EXPECT_EQ(store->oldestResumableVersion(), 7u);
  Result<std::unique_ptr<Watcher>> too_old = store->watch(std::string(kThings), "", 6);
  ASSERT_FALSE(too_old);
  EXPECT_EQ(too_old.error().code, ErrorCode::Gone);
  Result<std::unique_ptr<Watcher>> oldest = store->watch(std::string(kThings), "", 7);
  ASSERT_TRUE(oldest);
  EXPECT_EQ(versionsOf(nextEvents(**oldest, 3)), (std::vector<uint64_t>{8, 9, 10}));
}

TEST(StoreTest, HistoryIsBoundedByBytes) {
  Store::Options options;
  options.history_limit_bytes = uint64_t{4} * (256 + 64);
  auto store = openStore(options);
  for (int i = 0; i < 10; ++i) {
    mustCreate(*store, key("obj-" + std::to_string(i)), thing("obj"));
  }
  const Store::Stats stats = store->stats();
  EXPECT_GE(stats.history_events, 1u);
  EXPECT_LT(stats.history_events, 10u);
  EXPECT_LE(stats.history_bytes, options.history_limit_bytes);
  EXPECT_EQ(store->oldestResumableVersion(), 10 - stats.history_events);
}

TEST(StoreTest, WatchFromFutureVersionIsGone) {
  auto store = openStore();
  mustCreate(*store, key("a"), thing("a"));
  Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "", 2);
  ASSERT_FALSE(watcher);
  EXPECT_EQ(watcher.error().code, ErrorCode::Gone);
}

TEST(StoreTest, WatcherOverflowIsExpired) {
  Store::Options options;
  options.watcher_queue_limit = 2;
  auto store = openStore(options);
  Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "", 0);
  ASSERT_TRUE(watcher);
  for (int i = 0; i < 3; ++i) {
    mustCreate(*store, key("obj-" + std::to_string(i)), thing("obj"));
  }
  WatchEvent event;
  EXPECT_EQ((*watcher)->next(1ms, event), Watcher::Status::Expired);
  EXPECT_EQ(store->stats().watchers, 0u);
}

TEST(StoreTest, DroppedWatcherIsUnregistered) {
  auto store = openStore();
  {
    Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "", 0);
    ASSERT_TRUE(watcher);
    EXPECT_EQ(store->stats().watchers, 1u);
  }
  EXPECT_EQ(store->stats().watchers, 0u);
  mustCreate(*store, key("a"), thing("a"));
}

TEST(StoreTest, ListAndWatchIsAtomicUnderConcurrentWriters) {
  auto store = openStore();
  constexpr int kWriters = 2;
  constexpr int kPerWriter = 1500;
  constexpr uint64_t kTotal = uint64_t{kWriters} * kPerWriter;
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&store, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        const std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
        EXPECT_TRUE(store->create(key(name, "ns-" + std::to_string(i % 3)), thing(name)));
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (store->currentVersion() < kTotal / 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  Store::Snapshot snapshot = store->listAndWatch(std::string(kThings), "");
  for (std::thread& writer : writers) {
    writer.join();
  }
  std::vector<uint64_t> versions;
  for (const StoredObject& item : snapshot.items) {
    EXPECT_LE(item.resource_version, snapshot.resource_version);
    versions.push_back(item.resource_version);
  }
  const std::vector<WatchEvent> events = nextEvents(*snapshot.watcher, kTotal - versions.size());
  for (const WatchEvent& event : events) {
    EXPECT_GT(event.object.resource_version, snapshot.resource_version);
    versions.push_back(event.object.resource_version);
  }
  std::sort(versions.begin(), versions.end());
  std::vector<uint64_t> expected(kTotal);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(versions, expected);
}

// --- Persistence ---

TEST(StoreTest, ReopenRestoresObjectsAndVersions) {
  TempDir dir;
  std::string a_json;
  std::string c_json;
  {
    auto store = openStore(persistentOptions(dir));
    mustCreate(*store, key("a"), thing("a"));                     // 1
    mustCreate(*store, key("b"), thing("b"));                     // 2
    c_json = *mustCreate(*store, key("c", ""), thing("c")).json;  // 3
    a_json = *store->update(key("a"), thing("a", 9), 1)->json;    // 4
    ASSERT_TRUE(store->remove(key("b"), 2));                      // 5
  }
  auto store = openStore(persistentOptions(dir));
  EXPECT_EQ(store->currentVersion(), 5u);
  EXPECT_EQ(store->oldestResumableVersion(), 0u);
  Result<StoredObject> a = store->get(key("a"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->resource_version, 4u);
  EXPECT_EQ(*a->json, a_json);
  EXPECT_EQ(*store->get(key("c", ""))->json, c_json);
  EXPECT_EQ(store->get(key("b")).error().code, ErrorCode::NotFound);
  EXPECT_EQ(mustCreate(*store, key("d"), thing("d")).resource_version, 6u);
}

TEST(StoreTest, ReopenReplaysHistoryForWatch) {
  TempDir dir;
  std::vector<std::string> written;
  {
    auto store = openStore(persistentOptions(dir));
    written.push_back(*mustCreate(*store, key("a"), thing("a")).json);
    written.push_back(*mustCreate(*store, key("b"), thing("b")).json);
    written.push_back(*store->update(key("a"), thing("a", 2), 1)->json);
    written.push_back(*store->remove(key("b"), 2)->json);
  }
  auto store = openStore(persistentOptions(dir));
  Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "", 1);
  ASSERT_TRUE(watcher);
  const std::vector<WatchEvent> events = nextEvents(**watcher, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(versionsOf(events), (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(events[0].type, EventType::Added);
  EXPECT_EQ(events[1].type, EventType::Modified);
  EXPECT_EQ(events[2].type, EventType::Deleted);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(*events[i].object.json, written[i + 1]);
  }
}

TEST(StoreTest, ReopenRestampsRecordsWithoutVersionOffset) {
  TempDir dir;
  std::string a_json;
  {
    auto store = openStore(persistentOptions(dir));
    a_json = *mustCreate(*store, key("a"), thing("a")).json;
  }
  // Records whose "at" is missing or wrong are stamped again from the parsed object.
  std::string wal = readText(dir.path() / "wal.log");
  const size_t at = wal.find(R"(,"at":)");
  ASSERT_NE(at, std::string::npos);
  wal.replace(at, wal.find(',', at + 1) - at, R"(,"at":99999)");
  writeText(dir.path() / "wal.log", wal);
  auto store = openStore(persistentOptions(dir));
  EXPECT_EQ(*store->get(key("a"))->json, a_json);
  Result<StoredObject> removed = store->remove(key("a"), 1);
  ASSERT_TRUE(removed);
  EXPECT_EQ(stampedVersion(*removed), "2");
}

TEST(StoreTest, ReopenKeepsOnlyHistoryLimitEvents) {
  TempDir dir;
  Store::Options options = persistentOptions(dir);
  {
    auto store = openStore(options);
    for (int i = 0; i < 10; ++i) {
      mustCreate(*store, key("obj-" + std::to_string(i)), thing("obj"));
    }
  }
  options.history_limit = 4;
  auto store = openStore(options);
  EXPECT_EQ(store->currentVersion(), 10u);
  EXPECT_EQ(store->oldestResumableVersion(), 6u);
  EXPECT_EQ(store->stats().history_events, 4u);
}

TEST(StoreTest, ReopenIgnoresTornTailRecord) {
  TempDir dir;
  {
    auto store = openStore(persistentOptions(dir));
    mustCreate(*store, key("a"), thing("a"));
    mustCreate(*store, key("b"), thing("b"));
  }
  {
    std::ofstream wal(dir.path() / "wal.log", std::ios::binary | std::ios::app);
    wal << R"({"v":3,"op":"create","key":["daap.io/things","default","c"],"obj)";
  }
  {
    auto store = openStore(persistentOptions(dir));
    EXPECT_EQ(store->currentVersion(), 2u);
    EXPECT_EQ(store->get(key("c")).error().code, ErrorCode::NotFound);
    EXPECT_EQ(mustCreate(*store, key("d"), thing("d")).resource_version, 3u);
  }
  auto store = openStore(persistentOptions(dir));
  EXPECT_EQ(store->currentVersion(), 3u);
  EXPECT_TRUE(store->get(key("d")));
}

TEST(StoreTest, ReopenRejectsCorruptRecordBeforeTheTail) {
  TempDir dir;
  {
    auto store = openStore(persistentOptions(dir));
    mustCreate(*store, key("a"), thing("a"));
    mustCreate(*store, key("b"), thing("b"));
  }
  const std::string wal = readText(dir.path() / "wal.log");
  const size_t first_end = wal.find('\n') + 1;
  writeText(dir.path() / "wal.log",
            wal.substr(0, first_end) + "{garbage\n" + wal.substr(first_end));
  Result<std::unique_ptr<Store>> store = Store::open(persistentOptions(dir));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::Internal);
}

TEST(StoreTest, FsyncModePersists) {
  TempDir dir;
  Store::Options options = persistentOptions(dir);
  options.fsync = true;
  {
    auto store = openStore(options);
    mustCreate(*store, key("a"), thing("a"));
  }
  auto store = openStore(options);
  EXPECT_EQ(store->currentVersion(), 1u);
}

// --- Compaction ---

TEST(StoreTest, CompactionKeepsDataAndVersions) {
  TempDir dir;
  std::string a_json;
  {
    auto store = openStore(persistentOptions(dir));
    mustCreate(*store, key("a"), thing("a"));                   // 1
    mustCreate(*store, key("b"), thing("b"));                   // 2
    a_json = *store->update(key("a"), thing("a", 3), 1)->json;  // 3
    ASSERT_TRUE(store->remove(key("b"), 2));                    // 4
    ASSERT_TRUE(store->compact());
    EXPECT_EQ(store->stats().compactions, 1u);
    EXPECT_EQ(store->stats().wal_bytes, 0u);
    mustCreate(*store, key("c"), thing("c"));  // 5
  }
  auto store = openStore(persistentOptions(dir));
  EXPECT_EQ(store->currentVersion(), 5u);
  EXPECT_EQ(*store->get(key("a"))->json, a_json);
  EXPECT_EQ(store->get(key("a"))->resource_version, 3u);
  EXPECT_EQ(store->get(key("c"))->resource_version, 5u);
  EXPECT_EQ(store->get(key("b")).error().code, ErrorCode::NotFound);
  EXPECT_EQ(mustCreate(*store, key("d"), thing("d")).resource_version, 6u);
}

TEST(StoreTest, ReopenAfterCompactionResumesFromTheSnapshotVersion) {
  TempDir dir;
  {
    auto store = openStore(persistentOptions(dir));
    mustCreate(*store, key("a"), thing("a"));
    mustCreate(*store, key("b"), thing("b"));
    ASSERT_TRUE(store->compact());
    mustCreate(*store, key("c"), thing("c"));
  }
  auto store = openStore(persistentOptions(dir));
  EXPECT_EQ(store->oldestResumableVersion(), 2u);
  Result<std::unique_ptr<Watcher>> too_old = store->watch(std::string(kThings), "", 1);
  ASSERT_FALSE(too_old);
  EXPECT_EQ(too_old.error().code, ErrorCode::Gone);
  Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "", 2);
  ASSERT_TRUE(watcher);
  EXPECT_EQ(versionsOf(nextEvents(**watcher, 1)), (std::vector<uint64_t>{3}));
}

TEST(StoreTest, CompactionKeepsInMemoryHistory) {
  TempDir dir;
  auto store = openStore(persistentOptions(dir));
  mustCreate(*store, key("a"), thing("a"));
  mustCreate(*store, key("b"), thing("b"));
  ASSERT_TRUE(store->compact());
  EXPECT_EQ(store->oldestResumableVersion(), 0u);
  Result<std::unique_ptr<Watcher>> watcher = store->watch(std::string(kThings), "", 0);
  ASSERT_TRUE(watcher);
  EXPECT_EQ(versionsOf(nextEvents(**watcher, 2)), (std::vector<uint64_t>{1, 2}));
}

TEST(StoreTest, WalGrowthTriggersCompaction) {
  TempDir dir;
  Store::Options options = persistentOptions(dir);
  options.min_compaction_bytes = 64 << 10;
  {
    auto store = openStore(options);
    mustCreate(*store, key("a"), thing("a"));
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(store->update(key("a"), thing("a", i), 0));
    }
    EXPECT_GE(store->stats().compactions, 1u);
    EXPECT_LT(store->stats().wal_bytes, options.min_compaction_bytes);
  }
  auto store = openStore(options);
  EXPECT_EQ(store->currentVersion(), 1001u);
  EXPECT_EQ(
      *store->get(key("a"))->json,
      R"({"kind":"Thing","metadata":{"name":"a","resourceVersion":"1001"},"spec":{"size":999}})");
}

TEST(StoreTest, ReopenFinishesInterruptedCompaction) {
  TempDir dir;
  const std::filesystem::path wal = dir.path() / "wal.log";
  const std::filesystem::path next_wal = dir.path() / "wal.next.log";
  {
    auto store = openStore(persistentOptions(dir));
    mustCreate(*store, key("a"), thing("a"));
  }
  const std::string before_compaction = readText(wal);
  {
    auto store = openStore(persistentOptions(dir));
    ASSERT_TRUE(store->compact());
    mustCreate(*store, key("b"), thing("b"));
    mustCreate(*store, key("c"), thing("c"));
  }
  // As if the process died after the snapshot was renamed into place but before the new WAL
  // replaced the old one.
  std::filesystem::rename(wal, next_wal);
  writeText(wal, before_compaction);
  {
    auto store = openStore(persistentOptions(dir));
    EXPECT_EQ(store->currentVersion(), 3u);
    EXPECT_EQ(store->stats().objects, 3u);
    EXPECT_FALSE(std::filesystem::exists(next_wal));
    mustCreate(*store, key("d"), thing("d"));
  }
  auto store = openStore(persistentOptions(dir));
  EXPECT_EQ(store->currentVersion(), 4u);
  EXPECT_EQ(store->stats().objects, 4u);
}

}  // namespace
}  // namespace daap::devcluster

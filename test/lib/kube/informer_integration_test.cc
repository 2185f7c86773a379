#include <signal.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lib/base/clock.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/informer.h"
#include "test/support/devcluster.h"

namespace daap::kube {
namespace {

using testing::DevclusterProcess;

constexpr auto kDeadline = std::chrono::seconds(60);

// A kind outside resources:: (DAAP never writes ConfigMaps), to show any Resource works.
const Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};

json::Document parse(std::string_view text) {
  Result<json::Document> document = json::parse(text);
  CHECK(document) << document.error().toString();
  return std::move(document).value();
}

json::Document configMap(const std::string& name, const std::string& value,
                         const std::string& app = "informer") {
  return parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
               R"(","namespace":"default","labels":{"app":")" + app + R"("}},"data":{"v":")" +
               value + R"(","other":"dropped by projections"}})");
}

json::Document database(const std::string& name) {
  return parse(R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","metadata":{"name":")" +
               name +
               R"(","namespace":"default","labels":{"daap.io/team":"payments"}},)"
               R"("spec":{"ownerTeam":"payments","purpose":"orders service primary database",)"
               R"("tier":"production"}})");
}

std::string nameOf(const json::Value& object) {
  const json::Value* name = json::findPath(object, {"metadata", "name"});
  return name != nullptr && name->IsString() ? std::string(json::view(*name)) : std::string();
}

std::string resourceVersionOf(const json::Value& object) {
  const json::Value* version = json::findPath(object, {"metadata", "resourceVersion"});
  return version != nullptr && version->IsString() ? std::string(json::view(*version))
                                                   : std::string();
}

std::string valueOf(const CachedObject& object) {
  const json::Value* value = json::findPath(*object, {"data", "v"});
  return value != nullptr && value->IsString() ? std::string(json::view(*value)) : std::string();
}

std::unique_ptr<Client> connect(const DevclusterProcess& cluster) {
  ClusterConfig config;
  config.server = cluster.url();
  config.ca_pem = cluster.caPem();
  config.token = cluster.token();
  ClientOptions options;
  options.qps = 0;  // The tests measure the informer, not throttling.
  options.retry_base = std::chrono::milliseconds(10);
  Result<std::unique_ptr<Client>> client = Client::create(config, options);
  CHECK(client) << client.error().toString();
  return std::move(client).value();
}

// Polls `done` until it holds or the deadline passes.
bool waitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(kDeadline)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// One handler call as a test sees it.
struct Seen {
  std::string type;  // add | update | delete
  std::string name;
  CachedObject old_object;
  CachedObject new_object;
  bool synced = false;         // hasSynced() when the handler ran.
  bool store_current = false;  // The store already held what the handler was given.
};

// Records every handler call of one informer. Thread-safe.
class Recorder {
public:
  explicit Recorder(const Informer& informer) : informer_(informer) {}

  InformerHandlers handlers() {
    return {[this](const CachedObject& object) { record("add", nullptr, object); },
            [this](const CachedObject& old_object, const CachedObject& new_object) {
              record("update", old_object, new_object);
            },
            [this](const CachedObject& object) {
              record("delete", object, nullptr);
            }};
  }

  std::vector<Seen> seen() const {
    const std::lock_guard lock(mu_);
    return seen_;
  }

  size_t count() const {
    const std::lock_guard lock(mu_);
    return seen_.size();
  }

  size_t count(const std::string& type) const {
    const std::lock_guard lock(mu_);
    return static_cast<size_t>(
        std::count_if(seen_.begin(), seen_.end(), [&](const Seen& s) { return s.type == type; }));
  }

private:
  void record(const std::string& type, const CachedObject& old_object,
              const CachedObject& new_object) {
    Seen seen;
    seen.type = type;
    seen.name = nameOf(new_object != nullptr ? *new_object : *old_object);
    seen.old_object = old_object;
    seen.new_object = new_object;
    seen.synced = informer_.hasSynced();
    const CachedObject stored = informer_.get("default", seen.name);
    // The same object, or (from a serialized store) an equal one.
    seen.store_current =
        type == "delete"
            ? stored == nullptr
            : stored == new_object || (stored != nullptr && json::equal(*stored, *new_object));
    const std::lock_guard lock(mu_);
    seen_.push_back(std::move(seen));
  }

  const Informer& informer_;
  mutable std::mutex mu_;
  // Guarded by mu_.
  std::vector<Seen> seen_;
};

void createAll(Client& client, const std::vector<std::string>& names, const std::string& value,
               const std::string& app = "informer") {
  for (const std::string& name : names) {
    Result<json::Document> created =
        client.create(kConfigMaps, "default", configMap(name, value, app));
    ASSERT_TRUE(created) << created.error().toString();
  }
}

void setValue(Client& client, const std::string& name, const std::string& value) {
  const json::Document patch = parse(R"({"data":{"v":")" + value + R"("}})");
  Result<json::Document> patched =
      client.patch(kConfigMaps, "default", name, PatchType::Merge, patch);
  ASSERT_TRUE(patched) << patched.error().toString();
}

std::vector<std::string> names(const std::string& prefix, int count) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    out.push_back(prefix + std::to_string(i));
  }
  return out;
}

class InformerIntegrationTest : public ::testing::Test {
protected:
  void SetUp() override {
    cluster_.start();
    client_ = connect(cluster_);
  }

  std::unique_ptr<Informer> informer(InformerOptions options, const Clock& clock) {
    options.namespace_ = "default";
    return std::make_unique<Informer>(*client_, kConfigMaps, std::move(options), clock);
  }

  DevclusterProcess cluster_;
  std::unique_ptr<Client> client_;
  SystemClock clock_;
};

TEST_F(InformerIntegrationTest, DeliversAddUpdateDeleteInOrderWithTheOldObject) {
  std::unique_ptr<Informer> informer = this->informer({}, clock_);
  Recorder recorder(*informer);
  informer->addHandlers(recorder.handlers());
  informer->start();
  ASSERT_TRUE(informer->waitForSync(kDeadline));

  createAll(*client_, {"a"}, "1");
  setValue(*client_, "a", "2");
  ASSERT_TRUE(client_->remove(kConfigMaps, "default", "a"));
  ASSERT_TRUE(waitUntil([&] { return recorder.count() == 3; }));

  const std::vector<Seen> seen = recorder.seen();
  EXPECT_EQ(seen[0].type, "add");
  EXPECT_EQ(valueOf(seen[0].new_object), "1");
  EXPECT_EQ(seen[1].type, "update");
  EXPECT_EQ(valueOf(seen[1].old_object), "1");
  EXPECT_EQ(valueOf(seen[1].new_object), "2");
  EXPECT_EQ(seen[1].old_object, seen[0].new_object);
  EXPECT_EQ(seen[2].type, "delete");
  EXPECT_EQ(valueOf(seen[2].old_object), "2");
  for (const Seen& s : seen) {
    EXPECT_EQ(s.name, "a");
    EXPECT_TRUE(s.store_current) << s.type;
  }
  EXPECT_EQ(informer->get("default", "a"), nullptr);
  EXPECT_EQ(informer->size(), 0U);
  EXPECT_EQ(informer->lastResourceVersion(), resourceVersionOf(*seen[2].old_object));
  EXPECT_EQ(informer->stats().lists, 1U);
}

TEST_F(InformerIntegrationTest, SyncsOnlyAfterTheInitialListsHandlersRan) {
  createAll(*client_, names("initial-", 25), "1");
  InformerOptions options;
  options.page_size = 10;  // Three pages.
  std::unique_ptr<Informer> informer = this->informer(options, clock_);
  Recorder recorder(*informer);
  informer->addHandlers(recorder.handlers());
  EXPECT_FALSE(informer->hasSynced());
  informer->start();
  ASSERT_TRUE(informer->waitForSync(kDeadline));

  EXPECT_EQ(recorder.count("add"), 25U);
  EXPECT_EQ(informer->size(), 25U);
  for (const Seen& s : recorder.seen()) {
    EXPECT_FALSE(s.synced) << s.name;
    EXPECT_TRUE(s.store_current) << s.name;
  }
  EXPECT_FALSE(informer->lastResourceVersion().empty());
  ASSERT_NE(informer->get("default", "initial-7"), nullptr);
  EXPECT_EQ(valueOf(informer->get("default", "initial-7")), "1");

  createAll(*client_, {"later"}, "1");
  ASSERT_TRUE(waitUntil([&] { return recorder.count() == 26; }));
  EXPECT_TRUE(recorder.seen().back().synced);
  EXPECT_EQ(recorder.seen().back().name, "later");
}

TEST_F(InformerIntegrationTest, SeesEveryChangeOnceAcrossAServerRestart) {
  InformerOptions options;
  options.backoff_base = std::chrono::milliseconds(20);
  options.backoff_max = std::chrono::milliseconds(500);
  std::unique_ptr<Informer> informer = this->informer(options, clock_);
  Recorder recorder(*informer);
  informer->addHandlers(recorder.handlers());
  informer->start();
  ASSERT_TRUE(informer->waitForSync(kDeadline));

  constexpr int kWrites = 200;
  std::atomic<int> written{0};
  std::thread writer([&] {
    std::unique_ptr<Client> client = connect(cluster_);
    for (int i = 0; i < kWrites; ++i) {
      const json::Document object = configMap("restart-" + std::to_string(i), "1");
      for (;;) {
        Result<json::Document> created = client->create(kConfigMaps, "default", object);
        // AlreadyExists: the server applied an earlier try whose answer the restart lost.
        if (created || created.error().code == ErrorCode::AlreadyExists) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // Retry pacing.
      }
      ++written;
    }
  });
  ASSERT_TRUE(waitUntil([&] { return written >= kWrites / 3; }));
  cluster_.stop(SIGKILL);
  cluster_.start();
  writer.join();

  ASSERT_TRUE(waitUntil([&] { return informer->size() == kWrites; }));
  std::map<std::string, int> adds;
  for (const Seen& s : recorder.seen()) {
    EXPECT_EQ(s.type, "add") << s.name;
    ++adds[s.name];
  }
  EXPECT_EQ(adds.size(), static_cast<size_t>(kWrites));
  for (const auto& [name, count] : adds) {
    EXPECT_EQ(count, 1) << name;
  }
  EXPECT_GE(informer->stats().watches, 2U);
}

TEST(InformerGoneTest, RelistsAfterGoneAndReportsTheDifference) {
  // History for 50 changes only: an informer that misses more must relist.
  DevclusterProcess cluster(DevclusterProcess::Options{{"--history-limit=50"}});
  cluster.start();
  std::unique_ptr<Client> client = connect(cluster);
  createAll(*client, names("keep-", 10), "1");

  // A fake clock holds the informer in its backoff for as long as the test needs.
  FakeClock clock(std::chrono::system_clock::now());
  InformerOptions options;
  options.namespace_ = "default";
  options.backoff_base = std::chrono::seconds(1);
  options.backoff_max = std::chrono::seconds(2);
  Informer informer(*client, kConfigMaps, options, clock);
  Recorder recorder(informer);
  informer.addHandlers(recorder.handlers());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(kDeadline));
  const CachedObject keep2_before = informer.get("default", "keep-2");
  ASSERT_NE(keep2_before, nullptr);

  cluster.stop(SIGKILL);
  ASSERT_TRUE(waitUntil([&] { return informer.stats().failures >= 1; }));
  cluster.start();
  std::unique_ptr<Client> writer = connect(cluster);
  ASSERT_TRUE(writer->remove(kConfigMaps, "default", "keep-0"));
  ASSERT_TRUE(writer->remove(kConfigMaps, "default", "keep-1"));
  setValue(*writer, "keep-2", "2");
  createAll(*writer, names("new-", 120), "1");
  EXPECT_EQ(recorder.count(), 10U);  // Still backing off.
  clock.advance(std::chrono::seconds(10));

  ASSERT_TRUE(waitUntil([&] { return recorder.count() == 10 + 2 + 1 + 120; }));
  std::set<std::string> added;
  std::set<std::string> deleted;
  for (const Seen& s : recorder.seen()) {
    if (!s.synced) {
      continue;  // The first list.
    }
    EXPECT_TRUE(s.store_current) << s.name;
    if (s.type == "add") {
      added.insert(s.name);
    } else if (s.type == "delete") {
      deleted.insert(s.name);
      EXPECT_EQ(valueOf(s.old_object), "1");
    } else {
      EXPECT_EQ(s.name, "keep-2");
      EXPECT_EQ(s.old_object, keep2_before);
      EXPECT_EQ(valueOf(s.new_object), "2");
    }
  }
  const std::vector<std::string> created = names("new-", 120);
  EXPECT_EQ(added, std::set<std::string>(created.begin(), created.end()));
  EXPECT_EQ(deleted, (std::set<std::string>{"keep-0", "keep-1"}));

  // The store is exactly what the server holds.
  Result<ListPage> listed = writer->list(kConfigMaps, "default");
  ASSERT_TRUE(listed);
  std::map<std::string, std::string> server;
  for (const json::Value& item : (*listed).list["items"].GetArray()) {
    server[nameOf(item)] = resourceVersionOf(item);
  }
  std::map<std::string, std::string> cached;
  for (const CachedObject& object : informer.list()) {
    cached[nameOf(*object)] = resourceVersionOf(*object);
  }
  EXPECT_EQ(cached, server);
  EXPECT_GE(informer.stats().expired, 1U);
  EXPECT_EQ(informer.stats().lists, 2U);
  informer.stop();
}

TEST_F(InformerIntegrationTest, SyncsTenThousandDatabases) {
  constexpr int kDatabases = 10000;
  constexpr int kWriters = 4;
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  std::atomic<int> failed{0};
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < kDatabases; i += kWriters) {
        if (!client_->create(resources::daapDatabases(), "default",
                             database("db-" + std::to_string(i)))) {
          ++failed;
        }
      }
    });
  }
  for (std::thread& writer : writers) {
    writer.join();
  }
  ASSERT_EQ(failed, 0);

  InformerOptions options;
  options.namespace_ = "default";
  Informer informer(*client_, resources::daapDatabases(), options, clock_);
  informer.start();
  ASSERT_TRUE(informer.waitForSync(kDeadline));
  EXPECT_EQ(informer.size(), static_cast<size_t>(kDatabases));
  const CachedObject db = informer.get("default", "db-4321");
  ASSERT_NE(db, nullptr);
  const json::Value* team = json::findPath(*db, {"spec", "ownerTeam"});
  ASSERT_NE(team, nullptr);
  EXPECT_EQ(json::view(*team), "payments");
}

TEST_F(InformerIntegrationTest, LabelSelectorScopesStoreAndHandlers) {
  createAll(*client_, {"x-0", "x-1"}, "1", "x");
  createAll(*client_, {"y-0"}, "1", "y");
  InformerOptions options;
  options.label_selector = "app=x";
  std::unique_ptr<Informer> informer = this->informer(options, clock_);
  Recorder recorder(*informer);
  informer->addHandlers(recorder.handlers());
  informer->start();
  ASSERT_TRUE(informer->waitForSync(kDeadline));
  EXPECT_EQ(informer->size(), 2U);
  EXPECT_EQ(informer->get("default", "y-0"), nullptr);

  // Events arrive in order: had y-1 been delivered, it would come before x-2.
  createAll(*client_, {"y-1"}, "1", "y");
  createAll(*client_, {"x-2"}, "1", "x");
  ASSERT_TRUE(waitUntil([&] { return recorder.count() == 3; }));
  std::set<std::string> seen;
  for (const Seen& s : recorder.seen()) {
    seen.insert(s.name);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"x-0", "x-1", "x-2"}));
  EXPECT_EQ(informer->size(), 3U);
}

TEST_F(InformerIntegrationTest, ResyncCallsUpdateWithTheCachedObject) {
  createAll(*client_, names("resync-", 3), "1");
  FakeClock clock(std::chrono::system_clock::now());
  InformerOptions options;
  options.resync = std::chrono::minutes(1);
  std::unique_ptr<Informer> informer = this->informer(options, clock);
  Recorder recorder(*informer);
  informer->addHandlers(recorder.handlers());
  informer->start();
  ASSERT_TRUE(informer->waitForSync(kDeadline));
  EXPECT_EQ(recorder.count(), 3U);

  clock.advance(std::chrono::minutes(1));
  ASSERT_TRUE(waitUntil([&] { return recorder.count() == 6; }));
  std::set<std::string> resynced;
  for (const Seen& s : recorder.seen()) {
    if (s.type == "update") {
      EXPECT_EQ(s.old_object, s.new_object) << s.name;
      EXPECT_EQ(s.new_object, informer->get("default", s.name)) << s.name;
      resynced.insert(s.name);
    }
  }
  EXPECT_EQ(resynced, (std::set<std::string>{"resync-0", "resync-1", "resync-2"}));
  EXPECT_EQ(informer->stats().lists, 1U);  // From the cache, not from the server.

  clock.advance(std::chrono::minutes(1));
  ASSERT_TRUE(waitUntil([&] { return recorder.count() == 9; }));
}

TEST_F(InformerIntegrationTest, SerializedStoreGivesEqualObjectsEverywhere) {
  createAll(*client_, {"a", "b"}, "1");
  FakeClock clock(std::chrono::system_clock::now());
  InformerOptions options;
  options.serialized = true;
  options.resync = std::chrono::minutes(1);
  std::unique_ptr<Informer> informer = this->informer(options, clock);
  Recorder recorder(*informer);
  informer->addHandlers(recorder.handlers());
  informer->start();
  ASSERT_TRUE(informer->waitForSync(kDeadline));

  setValue(*client_, "a", "2");
  ASSERT_TRUE(client_->remove(kConfigMaps, "default", "b"));
  ASSERT_TRUE(waitUntil([&] { return recorder.count() == 4; }));
  const std::vector<Seen> seen = recorder.seen();
  EXPECT_EQ(seen[2].type, "update");
  EXPECT_EQ(valueOf(seen[2].old_object), "1");  // Parsed back from the stored text.
  EXPECT_EQ(valueOf(seen[2].new_object), "2");
  EXPECT_EQ(seen[3].type, "delete");
  EXPECT_EQ(valueOf(seen[3].old_object), "1");
  for (const Seen& s : seen) {
    EXPECT_TRUE(s.store_current) << s.type << " " << s.name;
  }
  const CachedObject a = informer->get("default", "a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(json::equal(*a, *seen[2].new_object));
  EXPECT_EQ(resourceVersionOf(*a), resourceVersionOf(*seen[2].new_object));
  ASSERT_EQ(informer->list().size(), 1U);
  EXPECT_EQ(informer->get("default", "b"), nullptr);

  clock.advance(std::chrono::minutes(1));
  ASSERT_TRUE(waitUntil([&] { return recorder.count() == 5; }));
  const Seen resynced = recorder.seen().back();
  EXPECT_EQ(resynced.type, "update");
  EXPECT_EQ(valueOf(resynced.new_object), "2");
}

TEST_F(InformerIntegrationTest, StopEndsAnIdleWatchAndIsIdempotent) {
  std::unique_ptr<Informer> informer = this->informer({}, clock_);
  informer->start();
  ASSERT_TRUE(informer->waitForSync(kDeadline));
  ASSERT_TRUE(waitUntil([&] { return informer->stats().watches == 1; }));

  // A hang, not a duration, is what this checks (perf/informer_bench.cc measures it).
  std::future<void> stopped = std::async(std::launch::async, [&] { informer->stop(); });
  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  informer->stop();
  EXPECT_EQ(informer->size(), 0U);
}

TEST_F(InformerIntegrationTest, StopEndsABackoff) {
  InformerOptions options;
  options.backoff_base = std::chrono::hours(1);
  options.backoff_max = std::chrono::hours(1);
  std::unique_ptr<Informer> informer = this->informer(options, clock_);
  informer->start();
  ASSERT_TRUE(informer->waitForSync(kDeadline));
  cluster_.stop(SIGKILL);
  ASSERT_TRUE(waitUntil([&] { return informer->stats().failures >= 1; }));

  std::future<void> stopped = std::async(std::launch::async, [&] { informer->stop(); });
  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
}

TEST_F(InformerIntegrationTest, ProjectionKeepsOnlyWhatIsAsked) {
  InformerOptions options;
  options.projection = [](const json::Value& object) {
    json::Document kept;
    kept.SetObject();
    json::Value& metadata = json::ensureObject(kept, "metadata", kept.GetAllocator());
    for (const std::string_view key : {"namespace", "name", "resourceVersion"}) {
      const json::Value* value = json::findPath(object, {"metadata", key});
      // A borrowed string: the informer must copy it before the event goes away.
      json::set(metadata, key, json::Value(rapidjson::StringRef(value->GetString())),
                kept.GetAllocator());
    }
    const json::Value* v = json::findPath(object, {"data", "v"});
    json::set(json::ensureObject(kept, "data", kept.GetAllocator()), "v",
              json::Value(rapidjson::StringRef(v->GetString())), kept.GetAllocator());
    return kept;
  };
  std::unique_ptr<Informer> informer = this->informer(options, clock_);
  Recorder recorder(*informer);
  informer->addHandlers(recorder.handlers());
  informer->start();
  ASSERT_TRUE(informer->waitForSync(kDeadline));
  createAll(*client_, {"projected"}, "1");
  setValue(*client_, "projected", "2");
  ASSERT_TRUE(waitUntil([&] { return recorder.count() == 2; }));

  const json::Document expected_old =
      parse(R"({"metadata":{"namespace":"default","name":"projected","resourceVersion":")" +
            resourceVersionOf(*recorder.seen()[0].new_object) + R"("},"data":{"v":"1"}})");
  EXPECT_TRUE(json::equal(*recorder.seen()[1].old_object, expected_old))
      << json::serialize(*recorder.seen()[1].old_object);
  const CachedObject stored = informer->get("default", "projected");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(json::serialize(*stored),
            R"({"metadata":{"namespace":"default","name":"projected","resourceVersion":")" +
                informer->lastResourceVersion() + R"("},"data":{"v":"2"}})");
}

}  // namespace
}  // namespace daap::kube

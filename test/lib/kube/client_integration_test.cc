#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "test/support/devcluster.h"

namespace daap::kube {
namespace {

using testing::DevclusterProcess;

constexpr auto kDeadline = std::chrono::seconds(60);

// A kind outside resources:: (DAAP never writes ConfigMaps), to show any Resource works.
const Resource& configMaps() {
  static const Resource kResource{"", "v1", "configmaps", "ConfigMap", true};
  return kResource;
}

json::Document parse(std::string_view text) {
  Result<json::Document> document = json::parse(text);
  CHECK(document) << document.error().toString();
  return std::move(document).value();
}

json::Document configMap(const std::string& name, const std::string& value,
                         const std::string& label = "test") {
  return parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
               R"(","namespace":"default","labels":{"suite":")" + label + R"("}},"data":{"v":")" +
               value + R"("}})");
}

json::Document database(const std::string& name, const std::string& lifecycle = "Active",
                        const std::string& extra_spec = "") {
  return parse(R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","metadata":{"name":")" +
               name +
               R"(","namespace":"default","labels":{"daap.io/team":"payments"}},"spec":{)"
               R"("ownerTeam":"payments","purpose":"orders","tier":"production","lifecycle":")" +
               lifecycle + "\"" + extra_spec + "}}");
}

std::string meta(const json::Value& object, std::string_view key) {
  const json::Value* metadata = json::find(object, "metadata");
  return metadata == nullptr ? std::string() : std::string(json::getString(*metadata, key));
}

std::string at(const json::Value& object, std::initializer_list<std::string_view> path) {
  const json::Value* value = json::findPath(object, path);
  return value != nullptr && value->IsString() ? std::string(json::view(*value)) : std::string();
}

ClusterConfig configFor(const DevclusterProcess& cluster) {
  ClusterConfig config;
  config.server = cluster.url();
  config.ca_pem = cluster.caPem();
  config.token = cluster.token();
  config.namespace_ = "default";
  return config;
}

// Option builders: designated initializers would trip -Wmissing-field-initializers.
ListOptions labels(std::string selector) {
  ListOptions options;
  options.label_selector = std::move(selector);
  return options;
}

WatchOptions watchFrom(std::string resource_version, std::string label_selector) {
  WatchOptions options;
  options.resource_version = std::move(resource_version);
  options.label_selector = std::move(label_selector);
  return options;
}

ClientOptions testOptions() {
  ClientOptions options;
  options.qps = 0;  // The tests measure behaviour, not throttling.
  options.retry_base = std::chrono::milliseconds(10);
  options.retry_max = std::chrono::milliseconds(50);
  return options;
}

std::unique_ptr<Client> makeClient(ClusterConfig config, ClientOptions options = testOptions()) {
  Result<std::unique_ptr<Client>> client = Client::create(std::move(config), std::move(options));
  CHECK(client) << client.error().toString();
  return std::move(client).value();
}

// One devcluster shared by the tests that leave it running; each test uses its own names.
DevclusterProcess* shared_cluster = nullptr;

class ClientIntegrationTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    shared_cluster = new DevclusterProcess();  // NOLINT(cppcoreguidelines-owning-memory)
    shared_cluster->start();
  }
  static void TearDownTestSuite() {
    delete shared_cluster;  // NOLINT(cppcoreguidelines-owning-memory)
    shared_cluster = nullptr;
  }
  void SetUp() override { client_ = makeClient(configFor(*shared_cluster)); }

  std::unique_ptr<Client> client_;
};

TEST_F(ClientIntegrationTest, EveryVerbOnADatabase) {
  const Resource& databases = resources::daapDatabases();
  Result<json::Document> created = client_->create(databases, "default", database("verbs"));
  ASSERT_TRUE(created) << created.error().toString();
  EXPECT_FALSE(meta(*created, "uid").empty());
  const std::string first_version = meta(*created, "resourceVersion");
  EXPECT_FALSE(first_version.empty());

  Result<json::Document> got = client_->get(databases, "default", "verbs");
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(meta(*got, "uid"), meta(*created, "uid"));
  EXPECT_EQ(at(*got, {"spec", "purpose"}), "orders");

  Result<ListPage> page = client_->list(databases, "default", labels("daap.io/team=payments"));
  ASSERT_TRUE(page) << page.error().toString();
  EXPECT_FALSE(page->resource_version.empty());
  const json::Value* items = json::find(page->list, "items");
  ASSERT_NE(items, nullptr);
  EXPECT_TRUE(std::any_of(items->Begin(), items->End(),
                          [](const json::Value& item) { return meta(item, "name") == "verbs"; }));

  json::Document changed = json::clone(*got);
  json::setString(json::ensureObject(changed, "spec", changed.GetAllocator()), "purpose",
                  "checkout", changed.GetAllocator());
  Result<json::Document> updated = client_->update(databases, changed);
  ASSERT_TRUE(updated) << updated.error().toString();
  EXPECT_EQ(at(*updated, {"spec", "purpose"}), "checkout");
  EXPECT_NE(meta(*updated, "resourceVersion"), first_version);

  ASSERT_TRUE(client_->remove(databases, "default", "verbs"));
  const Result<json::Document> gone = client_->get(databases, "default", "verbs");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::NotFound);
  EXPECT_EQ(gone.error().http_status, 404);
  EXPECT_EQ(gone.error().reason, "NotFound");

  const Result<void> removed_again = client_->remove(databases, "default", "verbs");
  ASSERT_FALSE(removed_again);
  EXPECT_EQ(removed_again.error().code, ErrorCode::NotFound);
}

TEST_F(ClientIntegrationTest, ClusterScopedNamespaceAndObjectsInIt) {
  ASSERT_TRUE(client_->create(resources::namespaces(), "",
                              parse(R"({"apiVersion":"v1","kind":"Namespace",)"
                                    R"("metadata":{"name":"team-a"}})")));
  Result<json::Document> ns = client_->get(resources::namespaces(), "", "team-a");
  ASSERT_TRUE(ns) << ns.error().toString();
  json::Document secret = parse(
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds"},"stringData":{"a":"b"}})");
  Result<json::Document> created = client_->create(resources::secrets(), "team-a", secret);
  ASSERT_TRUE(created) << created.error().toString();
  EXPECT_EQ(meta(*created, "namespace"), "team-a");
  EXPECT_TRUE(client_->get(resources::secrets(), "team-a", "creds"));
  EXPECT_FALSE(client_->get(resources::secrets(), "default", "creds"));
}

TEST_F(ClientIntegrationTest, CreateOfAnExistingNameIsAlreadyExists) {
  ASSERT_TRUE(client_->create(configMaps(), "default", configMap("twice", "1")));
  const Result<json::Document> again =
      client_->create(configMaps(), "default", configMap("twice", "2"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(again.error().http_status, 409);
  EXPECT_EQ(again.error().reason, "AlreadyExists");
}

TEST_F(ClientIntegrationTest, UpdateWithAStaleResourceVersionIsConflict) {
  Result<json::Document> created = client_->create(configMaps(), "default", configMap("cas", "1"));
  ASSERT_TRUE(created);
  json::Document first = json::clone(*created);
  json::setString(json::ensureObject(first, "data", first.GetAllocator()), "v", "2",
                  first.GetAllocator());
  ASSERT_TRUE(client_->update(configMaps(), first));
  // `first` still carries the version it was read at.
  const Result<json::Document> stale = client_->update(configMaps(), first);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::Conflict);
  EXPECT_EQ(stale.error().http_status, 409);
  EXPECT_EQ(stale.error().reason, "Conflict");
}

TEST_F(ClientIntegrationTest, SchemaViolationIsInvalidArgumentWithCauses) {
  const Result<json::Document> created =
      client_->create(resources::daapDatabases(), "default", database("sleepy", "Sleeping"));
  ASSERT_FALSE(created);
  const Error& error = created.error();
  EXPECT_EQ(error.code, ErrorCode::InvalidArgument);
  EXPECT_EQ(error.http_status, 422);
  EXPECT_EQ(error.reason, "Invalid");
  ASSERT_FALSE(error.causes.empty()) << error.toString();
  EXPECT_TRUE(std::any_of(error.causes.begin(), error.causes.end(), [](const ErrorCause& cause) {
    return cause.field == "spec.lifecycle";
  })) << error.toString();
}

TEST_F(ClientIntegrationTest, UnknownFieldUnderStrictValidationIsBadRequest) {
  const Result<json::Document> strict = client_->create(
      resources::daapDatabases(), "default", database("strict", "Active", R"(,"instancez":3)"));
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(strict.error().http_status, 400);
  EXPECT_EQ(strict.error().reason, "BadRequest");
  EXPECT_NE(strict.error().message.find("instancez"), std::string::npos) << strict.error().message;

  // fieldValidation=Ignore prunes the field instead.
  WriteOptions ignore;
  ignore.field_validation = "Ignore";
  Result<json::Document> ignored =
      client_->create(resources::daapDatabases(), "default",
                      database("strict", "Active", R"(,"instancez":3)"), ignore);
  ASSERT_TRUE(ignored) << ignored.error().toString();
  EXPECT_EQ(json::findPath(*ignored, {"spec", "instancez"}), nullptr);
}

TEST_F(ClientIntegrationTest, WrongTokenIsUnauthenticated) {
  ClusterConfig config = configFor(*shared_cluster);
  config.token = "not-the-token";
  const std::unique_ptr<Client> client = makeClient(std::move(config));
  const Result<json::Document> got = client->get(configMaps(), "default", "any");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::Unauthenticated);
  EXPECT_EQ(got.error().http_status, 401);
  EXPECT_EQ(got.error().message.find("not-the-token"), std::string::npos);
}

TEST_F(ClientIntegrationTest, RotatedTokenFileIsReadAgainAfterA401) {
  const std::filesystem::path file = shared_cluster->dataDir().parent_path() / "rotating-token";
  std::ofstream(file) << "stale-token\n";
  ClusterConfig config = configFor(*shared_cluster);
  config.token.clear();
  config.token_file = file;
  const std::unique_ptr<Client> client = makeClient(std::move(config));
  ASSERT_FALSE(client->get(configMaps(), "default", "any").has_value());
  std::ofstream(file) << shared_cluster->token() << "\n";
  const Result<json::Document> got = client->get(configMaps(), "default", "missing");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::NotFound) << got.error().toString();
}

TEST_F(ClientIntegrationTest, UntrustedServerIsUnavailable) {
  ClusterConfig config = configFor(*shared_cluster);
  config.ca_pem.clear();  // The system trust store does not know the devcluster's CA.
  const std::unique_ptr<Client> client = makeClient(std::move(config));
  const Result<json::Document> got = client->get(configMaps(), "default", "any");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(got.error().http_status, 0);
}

TEST_F(ClientIntegrationTest, InsecureSkipVerifyNeedsNoCa) {
  ClusterConfig config = configFor(*shared_cluster);
  config.ca_pem.clear();
  config.insecure_skip_tls_verify = true;
  const std::unique_ptr<Client> client = makeClient(std::move(config));
  const Result<json::Document> got = client->get(configMaps(), "default", "missing");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::NotFound) << got.error().toString();
}

TEST_F(ClientIntegrationTest, TlsServerNameIsWhatTheCertificateIsCheckedAgainst) {
  // The server URL names 127.0.0.1; the certificate also holds DNS:localhost.
  ClusterConfig config = configFor(*shared_cluster);
  config.tls_server_name = "localhost";
  const Result<json::Document> good = makeClient(config)->get(configMaps(), "default", "missing");
  ASSERT_FALSE(good);
  EXPECT_EQ(good.error().code, ErrorCode::NotFound) << good.error().toString();

  config.tls_server_name = "kubernetes.example";
  const Result<json::Document> bad = makeClient(config)->get(configMaps(), "default", "missing");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::Unavailable) << bad.error().toString();
}

TEST_F(ClientIntegrationTest, MergePatchAndJsonPatchCompareAndSwap) {
  Result<json::Document> created =
      client_->create(configMaps(), "default", configMap("patched", "1"));
  ASSERT_TRUE(created);
  Result<json::Document> merged = client_->patch(configMaps(), "default", "patched",
                                                 PatchType::Merge, parse(R"({"data":{"w":"x"}})"));
  ASSERT_TRUE(merged) << merged.error().toString();
  EXPECT_EQ(at(*merged, {"data", "v"}), "1");
  EXPECT_EQ(at(*merged, {"data", "w"}), "x");

  const std::string version = meta(*merged, "resourceVersion");
  const auto cas = [&](const std::string& expected_version, const std::string& value) {
    return client_->patch(
        configMaps(), "default", "patched", PatchType::Json,
        parse(R"([{"op":"test","path":"/metadata/resourceVersion","value":")" + expected_version +
              R"("},{"op":"replace","path":"/data/v","value":")" + value + R"("}])"));
  };
  Result<json::Document> swapped = cas(version, "2");
  ASSERT_TRUE(swapped) << swapped.error().toString();
  EXPECT_EQ(at(*swapped, {"data", "v"}), "2");

  const Result<json::Document> lost = cas(version, "3");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(lost.error().http_status, 422);
  EXPECT_EQ(lost.error().reason, "Invalid");
}

TEST_F(ClientIntegrationTest, StatusWritesAndSpecWritesDoNotTouchEachOther) {
  const Resource& databases = resources::daapDatabases();
  Result<json::Document> created = client_->create(databases, "default", database("status"));
  ASSERT_TRUE(created) << created.error().toString();

  // A status update carrying a spec change: only the status is written.
  json::Document with_status = json::clone(*created);
  json::Allocator& allocator = with_status.GetAllocator();
  json::setString(json::ensureObject(with_status, "status", allocator), "phase", "Ready",
                  allocator);
  json::setString(json::ensureObject(with_status, "spec", allocator), "purpose", "changed",
                  allocator);
  Result<json::Document> status_written = client_->updateStatus(databases, with_status);
  ASSERT_TRUE(status_written) << status_written.error().toString();
  EXPECT_EQ(at(*status_written, {"status", "phase"}), "Ready");
  EXPECT_EQ(at(*status_written, {"spec", "purpose"}), "orders");

  // A main-resource update carrying a status change: the status is ignored.
  json::Document with_spec = json::clone(*status_written);
  json::Allocator& spec_allocator = with_spec.GetAllocator();
  json::setString(json::ensureObject(with_spec, "status", spec_allocator), "phase", "Error",
                  spec_allocator);
  json::setString(json::ensureObject(with_spec, "spec", spec_allocator), "purpose", "changed",
                  spec_allocator);
  Result<json::Document> spec_written = client_->update(databases, with_spec);
  ASSERT_TRUE(spec_written) << spec_written.error().toString();
  EXPECT_EQ(at(*spec_written, {"status", "phase"}), "Ready");
  EXPECT_EQ(at(*spec_written, {"spec", "purpose"}), "changed");

  Result<json::Document> patched =
      client_->patchStatus(databases, "default", "status", PatchType::Merge,
                           parse(R"({"status":{"phase":"Frozen"},"spec":{"purpose":"x"}})"));
  ASSERT_TRUE(patched) << patched.error().toString();
  EXPECT_EQ(at(*patched, {"status", "phase"}), "Frozen");
  EXPECT_EQ(at(*patched, {"spec", "purpose"}), "changed");
}

TEST_F(ClientIntegrationTest, DeletePreconditionsMustMatch) {
  Result<json::Document> created =
      client_->create(configMaps(), "default", configMap("precondition", "1"));
  ASSERT_TRUE(created);
  DeleteOptions wrong_uid_options;
  wrong_uid_options.precondition_uid = "not-the-uid";
  const Result<void> wrong_uid =
      client_->remove(configMaps(), "default", "precondition", wrong_uid_options);
  ASSERT_FALSE(wrong_uid);
  EXPECT_EQ(wrong_uid.error().code, ErrorCode::Conflict);
  EXPECT_EQ(wrong_uid.error().http_status, 409);

  DeleteOptions wrong_version_options;
  wrong_version_options.precondition_resource_version = "1";
  const Result<void> wrong_version =
      client_->remove(configMaps(), "default", "precondition", wrong_version_options);
  ASSERT_FALSE(wrong_version);
  EXPECT_EQ(wrong_version.error().code, ErrorCode::Conflict);

  DeleteOptions matching;
  matching.propagation_policy = "Background";
  matching.precondition_uid = meta(*created, "uid");
  matching.precondition_resource_version = meta(*created, "resourceVersion");
  ASSERT_TRUE(client_->remove(configMaps(), "default", "precondition", matching));
  EXPECT_FALSE(client_->get(configMaps(), "default", "precondition"));
}

TEST_F(ClientIntegrationTest, ListPagesAndEncodedSelectors) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client_->create(configMaps(), "default",
                                configMap("paged-" + std::to_string(i), "1", "paged")));
  }
  ASSERT_TRUE(client_->create(configMaps(), "default", configMap("paged-other", "1", "other")));
  std::vector<std::string> names;
  ListOptions options = labels("suite in (paged,absent),!missing");
  options.limit = 2;
  int pages = 0;
  do {
    Result<ListPage> page = client_->list(configMaps(), "default", options);
    ASSERT_TRUE(page) << page.error().toString();
    ++pages;
    for (const json::Value& item : json::find(page->list, "items")->GetArray()) {
      names.push_back(meta(item, "name"));
    }
    options.continue_token = page->continue_token;
  } while (!options.continue_token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names,
            (std::vector<std::string>{"paged-0", "paged-1", "paged-2", "paged-3", "paged-4"}));

  ListOptions by_name_options;
  by_name_options.field_selector = "metadata.name=paged-other";
  Result<ListPage> by_name = client_->list(configMaps(), "", by_name_options);
  ASSERT_TRUE(by_name) << by_name.error().toString();
  EXPECT_EQ(json::find(by_name->list, "items")->Size(), 1U);
}

TEST_F(ClientIntegrationTest, RawRequestReturnsAnyStatus) {
  Result<RawResponse> version = client_->request("GET", "/version");
  ASSERT_TRUE(version) << version.error().toString();
  EXPECT_EQ(version->http_status, 200);
  EXPECT_NE(version->body.find("gitVersion"), std::string::npos);
  Result<RawResponse> missing = client_->request("GET", "/api/v1/namespaces/default/pods/none");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->http_status, 404);
}

struct SeenEvent {
  WatchEventType type;
  std::string name;
  std::string resource_version;
};

// Runs one watch on its own thread and records the events it delivers (bookmarks left out).
// The watch ends when `last` returns true for an event (on_event returns false), when the
// server ends it, or on finish().
class WatchRecorder {
public:
  WatchRecorder(Client& client, const Resource& resource, WatchOptions options,
                std::function<bool(const SeenEvent&)> last = {})
      : thread_([this, &client, &resource, options = std::move(options),
                 last = std::move(last)](std::stop_token stop) {
          Result<void> watched = client.watch(
              resource, "default", options,
              [&](WatchEvent&& event) {
                if (event.type == WatchEventType::Bookmark) {
                  return true;
                }
                SeenEvent seen{event.type, meta(event.object, "name"),
                               meta(event.object, "resourceVersion")};
                const bool more = !last || !last(seen);
                std::lock_guard lock(mu_);
                events_.push_back(std::move(seen));
                changed_.notify_all();
                return more;
              },
              std::move(stop));
          std::lock_guard lock(mu_);
          result_ = std::move(watched);
          changed_.notify_all();
        }) {}

  // Waits (up to kDeadline) until `done` holds for the events so far.
  bool waitUntil(const std::function<bool(const std::vector<SeenEvent>&)>& done) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kDeadline, [&] { return done(events_); });
  }

  // Waits (up to kDeadline) for the watch to end by itself, then stops it anyway.
  Result<void> finish() {
    {
      std::unique_lock lock(mu_);
      changed_.wait_for(lock, kDeadline, [&] { return result_.has_value(); });
    }
    thread_.request_stop();
    thread_.join();
    return *result_;
  }

  // Stops the watch now.
  Result<void> stop() {
    thread_.request_stop();
    thread_.join();
    return *result_;
  }

  std::vector<SeenEvent> events() {
    std::lock_guard lock(mu_);
    return events_;
  }

private:
  std::mutex mu_;
  std::condition_variable changed_;
  // Guarded by mu_.
  std::vector<SeenEvent> events_;
  std::optional<Result<void>> result_;
  std::jthread thread_;  // Last: started after the members it uses exist.
};

TEST_F(ClientIntegrationTest, WatchDeliversChangesInOrderAndEndsWhenTheHandlerSaysSo) {
  Result<ListPage> start = client_->list(configMaps(), "default", labels("suite=w"));
  ASSERT_TRUE(start);
  WatchRecorder recorder(
      *client_, configMaps(), watchFrom(start->resource_version, "suite=w"),
      [](const SeenEvent& event) { return event.type == WatchEventType::Deleted; });
  ASSERT_TRUE(client_->create(configMaps(), "default", configMap("watched", "1", "w")));
  ASSERT_TRUE(client_->patch(configMaps(), "default", "watched", PatchType::Merge,
                             parse(R"({"data":{"v":"2"}})")));
  ASSERT_TRUE(client_->remove(configMaps(), "default", "watched"));
  const Result<void> watched = recorder.finish();
  ASSERT_TRUE(watched) << watched.error().toString();
  const std::vector<SeenEvent> seen = recorder.events();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].type, WatchEventType::Added);
  EXPECT_EQ(seen[1].type, WatchEventType::Modified);
  EXPECT_EQ(seen[2].type, WatchEventType::Deleted);
  for (const SeenEvent& event : seen) {
    EXPECT_EQ(event.name, "watched");
  }
  EXPECT_LT(std::stoull(seen[0].resource_version), std::stoull(seen[1].resource_version));
  EXPECT_LT(std::stoull(seen[1].resource_version), std::stoull(seen[2].resource_version));
}

TEST_F(ClientIntegrationTest, IdleWatchEndsOnStopRequest) {
  ASSERT_TRUE(client_->create(configMaps(), "default", configMap("idle", "1", "idle")));
  // No resourceVersion: a synthetic ADDED for what exists, then nothing more.
  WatchRecorder recorder(*client_, configMaps(), watchFrom("", "suite=idle"));
  ASSERT_TRUE(recorder.waitUntil([](const std::vector<SeenEvent>& events) {
    return events.size() == 1 && events[0].type == WatchEventType::Added;
  }));
  const Result<void> watched = recorder.stop();
  EXPECT_TRUE(watched) << watched.error().toString();
}

TEST_F(ClientIntegrationTest, ConcurrentRequestsWhileAWatchIsOpen) {
  constexpr size_t kThreads = 8;
  constexpr size_t kPerThread = 15;
  Result<ListPage> start = client_->list(configMaps(), "default", labels("suite=concurrent"));
  ASSERT_TRUE(start);
  WatchRecorder recorder(*client_, configMaps(),
                         watchFrom(start->resource_version, "suite=concurrent"));
  std::atomic<int> failures{0};
  {
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (size_t t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = 0; i < kPerThread; ++i) {
          const std::string name = "concurrent-" + std::to_string(t) + "-" + std::to_string(i);
          if (!client_->create(configMaps(), "default", configMap(name, "1", "concurrent")) ||
              !client_->get(configMaps(), "default", name) ||
              !client_->list(configMaps(), "default", labels("suite=concurrent"))) {
            ++failures;
          }
        }
      });
    }
  }
  EXPECT_EQ(failures, 0);
  EXPECT_TRUE(recorder.waitUntil([&](const std::vector<SeenEvent>& events) {
    return events.size() == kThreads * kPerThread;
  }));
  const Result<void> watched = recorder.stop();
  EXPECT_TRUE(watched) << watched.error().toString();
  std::set<std::string> names;
  for (const SeenEvent& event : recorder.events()) {
    EXPECT_EQ(event.type, WatchEventType::Added);
    names.insert(event.name);
  }
  EXPECT_EQ(names.size(), kThreads * kPerThread);
}

TEST(ClientGoneTest, WatchFromACompactedVersionIsGone) {
  DevclusterProcess cluster({.extra_args = {"--history-limit=50"}});
  cluster.start();
  const std::unique_ptr<Client> client = makeClient(configFor(cluster));
  for (int i = 0; i < 120; ++i) {
    ASSERT_TRUE(
        client->create(configMaps(), "default", configMap("old-" + std::to_string(i), "1")));
  }
  int events = 0;
  const Result<void> watched =
      client->watch(configMaps(), "default", watchFrom("2", ""), [&](WatchEvent&& /*event*/) {
        ++events;
        return true;
      });
  ASSERT_FALSE(watched);
  EXPECT_EQ(watched.error().code, ErrorCode::Gone);
  EXPECT_EQ(watched.error().http_status, 410);
  EXPECT_EQ(events, 0);
}

TEST(ClientTransportTest, StoppedServerIsUnavailableWithNoHttpStatus) {
  DevclusterProcess cluster;
  cluster.start();
  ClientOptions options = testOptions();
  options.max_retries = 1;
  const std::unique_ptr<Client> client = makeClient(configFor(cluster), options);
  ASSERT_TRUE(client->create(configMaps(), "default", configMap("before", "1")));
  cluster.stop(SIGKILL);

  const Result<json::Document> got = client->get(configMaps(), "default", "before");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(got.error().http_status, 0);
  EXPECT_EQ(got.error().message.find(cluster.token()), std::string::npos);

  const Result<json::Document> created =
      client->create(configMaps(), "default", configMap("after", "1"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::Unavailable);

  const Result<void> watched =
      client->watch(configMaps(), "default", {}, [](WatchEvent&& /*event*/) { return true; });
  ASSERT_FALSE(watched);
  EXPECT_EQ(watched.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(watched.error().http_status, 0);
}

// A minimal reflector: watch from the last resourceVersion seen, and after a broken stream wait
// for the test to restart the server, then resume.
TEST(ClientRestartTest, WatchResumesAcrossAServerKillWithNoEventLostOrRepeated) {
  constexpr int kObjects = 300;
  constexpr int kBeforeKill = 150;
  DevclusterProcess cluster;
  cluster.start();
  const std::unique_ptr<Client> client = makeClient(configFor(cluster));
  Result<ListPage> start = client->list(configMaps(), "default", labels("suite=r"));
  ASSERT_TRUE(start);

  std::mutex mu;
  std::condition_variable changed;
  // Guarded by mu.
  std::vector<std::string> added;
  std::vector<uint64_t> versions;
  int restarts = 0;
  int watch_errors = 0;
  std::string last_version = start->resource_version;

  std::stop_source stop;
  std::thread reflector([&] {
    while (!stop.stop_requested()) {
      std::string from;
      int restarts_seen = 0;
      {
        std::lock_guard lock(mu);
        from = last_version;
        restarts_seen = restarts;
      }
      const Result<void> watched = client->watch(
          configMaps(), "default", watchFrom(from, "suite=r"),
          [&](WatchEvent&& event) {
            std::lock_guard lock(mu);
            last_version = meta(event.object, "resourceVersion");
            if (event.type == WatchEventType::Added) {
              added.push_back(meta(event.object, "name"));
              versions.push_back(std::stoull(last_version));
              changed.notify_all();
            }
            return true;
          },
          stop.get_token());
      if (!watched) {
        // The server is down: wait until the test has started it again.
        std::unique_lock lock(mu);
        ++watch_errors;
        if (!changed.wait_for(lock, kDeadline,
                              [&] { return restarts > restarts_seen || stop.stop_requested(); })) {
          return;
        }
      }
    }
  });

  const auto create = [&](int i) {
    return client->create(configMaps(), "default",
                          configMap("r-" + std::to_string(i), std::to_string(i), "r"));
  };
  for (int i = 0; i < kBeforeKill; ++i) {
    ASSERT_TRUE(create(i));
  }
  {
    // The watch is established and streaming when the server dies.
    std::unique_lock lock(mu);
    ASSERT_TRUE(changed.wait_for(lock, kDeadline, [&] { return added.size() >= 50; }));
  }
  cluster.stop(SIGKILL);
  cluster.start();
  {
    std::lock_guard lock(mu);
    ++restarts;
  }
  changed.notify_all();
  for (int i = kBeforeKill; i < kObjects; ++i) {
    ASSERT_TRUE(create(i));
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(changed.wait_for(lock, kDeadline, [&] {
      return added.size() >= static_cast<size_t>(kObjects);
    })) << added.size();
  }
  stop.request_stop();
  changed.notify_all();
  reflector.join();

  std::lock_guard lock(mu);
  ASSERT_EQ(added.size(), static_cast<size_t>(kObjects));
  for (int i = 0; i < kObjects; ++i) {
    EXPECT_EQ(added[i], "r-" + std::to_string(i));
  }
  EXPECT_TRUE(std::is_sorted(versions.begin(), versions.end()));
  EXPECT_EQ(std::set<uint64_t>(versions.begin(), versions.end()).size(), versions.size());
  EXPECT_GE(watch_errors, 1);  // The kill was seen as a broken stream.
}

}  // namespace
}  // namespace daap::kube

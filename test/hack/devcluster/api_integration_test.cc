// The devcluster's Kubernetes API semantics, checked over real HTTPS against a real process.
#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/json/json.h"
#include "test/support/devcluster.h"
#include "test/support/http_client.h"

namespace daap {
namespace {

using testing::DevclusterProcess;
using ::testing::HasSubstr;
using testing::HttpClient;
using testing::HttpResult;

constexpr char kConfigMaps[] = "/api/v1/namespaces/default/configmaps";
constexpr char kDatabases[] = "/apis/daap.io/v1alpha1/namespaces/default/daapdatabases";

std::string configMap(const std::string& name, const std::string& value = "v") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","labels":{"app":"test"}},"data":{"k":")" + value + R"("}})";
}

std::string database(const std::string& name, const std::string& extra_spec = {}) {
  return R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","metadata":{"name":")" + name +
         R"("},"spec":{"ownerTeam":"payments","purpose":"integration test",)"
         R"("tier":"dev")" +
         extra_spec + "}}";
}

json::Document parse(const HttpResult& result) {
  Result<json::Document> parsed = json::parse(result.body);
  EXPECT_TRUE(parsed.has_value()) << result.status << " " << result.body << result.transport_error;
  return parsed ? std::move(parsed).value() : json::Document();
}

std::string metadataField(const json::Value& object, std::string_view key) {
  const json::Value* value = json::findPath(object, {"metadata", key});
  if (value == nullptr) {
    return {};
  }
  return value->IsString() ? std::string(json::view(*value)) : json::serialize(*value);
}

class DevclusterApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    cluster_.start();
    client_ = std::make_unique<HttpClient>(cluster_.url(), cluster_.token(), cluster_.caPem());
  }

  HttpResult post(const std::string& path, const std::string& body) {
    return client_->request("POST", path, body);
  }

  DevclusterProcess cluster_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(DevclusterApiTest, RequestsWithoutTheTokenAreUnauthorized) {
  HttpClient anonymous(cluster_.url(), "", cluster_.caPem());
  const HttpResult result = anonymous.request("GET", kConfigMaps);
  EXPECT_EQ(result.status, 401);
  EXPECT_EQ(json::getString(parse(result), "reason"), "Unauthorized");
}

TEST_F(DevclusterApiTest, CreateStampsUidVersionAndTimestamp) {
  const json::Document created = parse(post(kDatabases, database("alpha")));
  EXPECT_EQ(metadataField(created, "uid").size(), 36U);
  EXPECT_FALSE(metadataField(created, "resourceVersion").empty());
  EXPECT_FALSE(metadataField(created, "creationTimestamp").empty());
  EXPECT_EQ(metadataField(created, "generation"), "1");
  const json::Value* lifecycle = json::findPath(created, {"spec", "lifecycle"});
  ASSERT_NE(lifecycle, nullptr) << "the CRD default applies";
  EXPECT_EQ(json::view(*lifecycle), "Active");
}

TEST_F(DevclusterApiTest, CreatingTwiceIsAlreadyExists) {
  ASSERT_EQ(post(kDatabases, database("alpha")).status, 201);
  const HttpResult again = post(kDatabases, database("alpha"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(json::getString(parse(again), "reason"), "AlreadyExists");
}

TEST_F(DevclusterApiTest, MissingObjectIsNotFoundStatus) {
  const HttpResult result = client_->request("GET", std::string(kDatabases) + "/nope");
  EXPECT_EQ(result.status, 404);
  const json::Document status = parse(result);
  EXPECT_EQ(json::getString(status, "kind"), "Status");
  EXPECT_EQ(json::getString(status, "reason"), "NotFound");
  EXPECT_THAT(json::getString(status, "message"), HasSubstr("\"nope\" not found"));
}

TEST_F(DevclusterApiTest, InvalidSpecIs422WithCausesNamingTheField) {
  const HttpResult result = post(kDatabases, database("bad", R"(,"lifecycle":"Sleeping")"));
  EXPECT_EQ(result.status, 422);
  const json::Document status = parse(result);
  EXPECT_EQ(json::getString(status, "reason"), "Invalid");
  const json::Value* causes = json::findPath(status, {"details", "causes"});
  ASSERT_TRUE(causes != nullptr && causes->IsArray() && !causes->Empty()) << result.body;
  EXPECT_EQ(json::getString((*causes)[0], "field"), "spec.lifecycle");
}

TEST_F(DevclusterApiTest, StrictValidationNamesUnknownFields) {
  const HttpResult strict =
      client_->request("POST", std::string(kDatabases) + "?fieldValidation=Strict",
                       database("typo", R"(,"tierz":"gold")"));
  EXPECT_EQ(strict.status, 400);
  EXPECT_THAT(strict.body, HasSubstr(R"(unknown field \"spec.tierz\")"));

  const HttpResult pruned = post(kDatabases, database("typo", R"(,"tierz":"gold")"));
  ASSERT_EQ(pruned.status, 201);
  EXPECT_EQ(json::findPath(parse(pruned), {"spec", "tierz"}), nullptr);
}

TEST_F(DevclusterApiTest, StaleResourceVersionIsConflict) {
  const json::Document created = parse(post(kDatabases, database("alpha")));
  json::Document update = json::clone(created);
  json::find(update, "spec")->operator[]("purpose").SetString("first", update.GetAllocator());
  ASSERT_EQ(
      client_->request("PUT", std::string(kDatabases) + "/alpha", json::serialize(update)).status,
      200);
  const HttpResult stale =
      client_->request("PUT", std::string(kDatabases) + "/alpha", json::serialize(update));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(json::getString(parse(stale), "reason"), "Conflict");
}

TEST_F(DevclusterApiTest, ExactlyOneOfTwoConcurrentWritersWins) {
  const json::Document created = parse(post(kDatabases, database("race")));
  for (int round = 0; round < 20; ++round) {
    const json::Document current =
        parse(client_->request("GET", std::string(kDatabases) + "/race"));
    std::atomic<int> wins{0};
    std::atomic<int> conflicts{0};
    std::vector<std::thread> writers;
    writers.reserve(2);
    for (int writer = 0; writer < 2; ++writer) {
      writers.emplace_back([&, writer, round] {
        HttpClient client(cluster_.url(), cluster_.token(), cluster_.caPem());
        json::Document update = json::clone(current);
        // Distinct per round: a write equal to the stored object is a no-op that succeeds.
        update["spec"]["purpose"].SetString(
            "round " + std::to_string(round) + " writer " + std::to_string(writer),
            update.GetAllocator());
        const HttpResult result =
            client.request("PUT", std::string(kDatabases) + "/race", json::serialize(update));
        (result.status == 200 ? wins : conflicts)++;
      });
    }
    for (std::thread& writer : writers) {
      writer.join();
    }
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), 1) << "round " << round;
  }
}

TEST_F(DevclusterApiTest, GenerationCountsSpecChangesOnly) {
  parse(post(kDatabases, database("gen")));
  const std::string path = std::string(kDatabases) + "/gen";
  const auto patch = [&](const std::string& body, const std::string& suffix = {}) {
    return parse(client_->request("PATCH", path + suffix, body, "application/merge-patch+json"));
  };
  EXPECT_EQ(metadataField(patch(R"({"metadata":{"labels":{"a":"b"}}})"), "generation"), "1");
  EXPECT_EQ(metadataField(patch(R"({"status":{"phase":"Ready"}})", "/status"), "generation"), "1");
  EXPECT_EQ(metadataField(patch(R"({"spec":{"purpose":"changed"}})"), "generation"), "2");
}

TEST_F(DevclusterApiTest, StatusSubresourceIsIsolatedBothWays) {
  parse(post(kDatabases, database("iso")));
  const std::string path = std::string(kDatabases) + "/iso";
  // The main resource ignores status...
  const json::Document main = parse(client_->request(
      "PATCH", path, R"({"status":{"phase":"Ready"}})", "application/merge-patch+json"));
  EXPECT_EQ(json::findPath(main, {"status", "phase"}), nullptr);
  // ...and /status ignores everything else.
  const json::Document status = parse(client_->request(
      "PATCH", path + "/status", R"({"spec":{"purpose":"sneaky"},"status":{"phase":"Ready"}})",
      "application/merge-patch+json"));
  EXPECT_EQ(json::view(*json::findPath(status, {"status", "phase"})), "Ready");
  EXPECT_EQ(json::view(*json::findPath(status, {"spec", "purpose"})), "integration test");
}

TEST_F(DevclusterApiTest, JsonPatchTestOperationIsACompareAndSwap) {
  const json::Document created = parse(post(kDatabases, database("cas")));
  const std::string version = metadataField(created, "resourceVersion");
  const std::string path = std::string(kDatabases) + "/cas";
  const std::string swap = R"([{"op":"test","path":"/metadata/resourceVersion","value":")" +
                           version +
                           R"("},{"op":"replace","path":"/spec/purpose","value":"swapped"}])";
  EXPECT_EQ(client_->request("PATCH", path, swap, "application/json-patch+json").status, 200);
  EXPECT_EQ(client_->request("PATCH", path, swap, "application/json-patch+json").status, 422);
}

TEST_F(DevclusterApiTest, FinalizersHoldDeletionUntilRemoved) {
  post(kDatabases, R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","metadata":{)"
                   R"("name":"held","finalizers":["daap.io/hold"]},"spec":{"ownerTeam":"a",)"
                   R"("purpose":"p","tier":"dev"}})");
  const std::string path = std::string(kDatabases) + "/held";
  const HttpResult deleted = client_->request("DELETE", path);
  EXPECT_EQ(deleted.status, 200);
  EXPECT_FALSE(metadataField(parse(deleted), "deletionTimestamp").empty());
  EXPECT_EQ(client_->request("GET", path).status, 200);
  // No new finalizer once deleting.
  EXPECT_EQ(
      client_
          ->request("PATCH", path, R"({"metadata":{"finalizers":["daap.io/hold","daap.io/more"]}})",
                    "application/merge-patch+json")
          .status,
      422);
  EXPECT_EQ(client_
                ->request("PATCH", path, R"({"metadata":{"finalizers":null}})",
                          "application/merge-patch+json")
                .status,
            200);
  EXPECT_EQ(client_->request("GET", path).status, 404);
}

TEST_F(DevclusterApiTest, DeletingAnOwnerCollectsItsDependents) {
  const json::Document owner = parse(post(kDatabases, database("owner")));
  const std::string owned =
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owned","ownerReferences":[)"
      R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","name":"owner","uid":")" +
      metadataField(owner, "uid") + R"(","controller":true,"blockOwnerDeletion":true}]}})";
  ASSERT_EQ(post(kConfigMaps, owned).status, 201);
  ASSERT_EQ(client_->request("DELETE", std::string(kDatabases) + "/owner").status, 200);
  bool collected = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!collected && std::chrono::steady_clock::now() < deadline) {
    collected = client_->request("GET", std::string(kConfigMaps) + "/owned").status == 404;
    if (!collected) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(collected);
}

TEST_F(DevclusterApiTest, LabelSelectorFiltersLists) {
  post(kConfigMaps, configMap("one"));
  post(kConfigMaps, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"two",)"
                    R"("labels":{"app":"other"}}})");
  const json::Document list =
      parse(client_->request("GET", std::string(kConfigMaps) + "?labelSelector=app%3Dtest"));
  ASSERT_EQ(list["items"].Size(), 1U);
  EXPECT_EQ(metadataField(list["items"][0], "name"), "one");
}

TEST_F(DevclusterApiTest, PagesThroughTwoThousandObjectsExactlyOnce) {
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(post(kConfigMaps, configMap("cm-" + std::to_string(i))).status, 201);
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    std::string path = std::string(kConfigMaps) + "?limit=300";
    if (!token.empty()) {
      path += "&continue=" + token;
    }
    const json::Document page = parse(client_->request("GET", path));
    ++pages;
    for (const json::Value& item : page["items"].GetArray()) {
      EXPECT_TRUE(seen.insert(metadataField(item, "name")).second) << "listed twice";
    }
    token = std::string(json::getString(page["metadata"], "continue"));
  } while (!token.empty() && pages < 100);
  EXPECT_EQ(seen.size(), 2000U);
  EXPECT_EQ(pages, 7);
}

// Reads watch events from `version` on, resuming from the last version seen whenever the
// stream ends, until `expected` ADDED names were seen or the deadline passes.
std::vector<std::string> watchAll(DevclusterProcess& cluster, const std::string& collection,
                                  std::string version, size_t expected,
                                  std::chrono::seconds deadline_after) {
  std::vector<std::string> names;
  const auto deadline = std::chrono::steady_clock::now() + deadline_after;
  while (names.size() < expected && std::chrono::steady_clock::now() < deadline) {
    HttpClient client(cluster.url(), cluster.token(), cluster.caPem());
    std::string path = collection;
    path += "?watch=1&allowWatchBookmarks=true&resourceVersion=";
    path += version;
    client.stream(
        path,
        [&](const std::string& line) {
          Result<json::Document> event = json::parse(line);
          if (!event) {
            return false;
          }
          const std::string_view type = json::getString(*event, "type");
          const json::Value& object = (*event)["object"];
          if (type == "ERROR") {
            ADD_FAILURE() << "watch error: " << line;
            return false;
          }
          version = metadataField(object, "resourceVersion");
          if (type == "ADDED") {
            names.push_back(metadataField(object, "name"));
          }
          return names.size() < expected;
        },
        std::chrono::seconds(5));
  }
  return names;
}

TEST_F(DevclusterApiTest, WatchResumesAcrossARestartWithNothingLostOrRepeated) {
  const json::Document list = parse(client_->request("GET", kConfigMaps));
  const std::string start = metadataField(list, "resourceVersion");
  constexpr int kObjects = 300;
  std::vector<std::string> seen;
  std::thread watcher(
      [&] { seen = watchAll(cluster_, kConfigMaps, start, kObjects, std::chrono::seconds(120)); });
  for (int i = 0; i < kObjects; ++i) {
    if (i == kObjects / 2) {
      cluster_.stop(SIGKILL);  // The write-ahead log is all that survives.
      cluster_.start();
      client_ = std::make_unique<HttpClient>(cluster_.url(), cluster_.token(), cluster_.caPem());
    }
    ASSERT_EQ(post(kConfigMaps, configMap("w-" + std::to_string(i))).status, 201);
  }
  watcher.join();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kObjects));
  for (int i = 0; i < kObjects; ++i) {
    EXPECT_EQ(seen[static_cast<size_t>(i)], "w-" + std::to_string(i));
  }
}

TEST(DevclusterCompactionTest, TooOldVersionsAreGone) {
  DevclusterProcess cluster({{"--history-limit=50"}});
  cluster.start();
  HttpClient client(cluster.url(), cluster.token(), cluster.caPem());
  for (int i = 0; i < 120; ++i) {
    ASSERT_EQ(client.request("POST", kConfigMaps, configMap("c-" + std::to_string(i))).status, 201);
  }
  std::string error_line;
  client.stream(
      std::string(kConfigMaps) + "?watch=1&resourceVersion=2",
      [&](const std::string& line) {
        error_line = line;
        return false;
      },
      std::chrono::seconds(5));
  Result<json::Document> event = json::parse(error_line);
  ASSERT_TRUE(event.has_value()) << error_line;
  EXPECT_EQ(json::getString(*event, "type"), "ERROR");
  const json::Value* code = json::findPath(*event, {"object", "code"});
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(code->GetInt(), 410);
}

TEST_F(DevclusterApiTest, WatchEndsAfterTimeoutSeconds) {
  const auto start = std::chrono::steady_clock::now();
  const int status = client_->stream(
      std::string(kConfigMaps) + "?watch=1&timeoutSeconds=1",
      [](const std::string&) { return true; }, std::chrono::seconds(30));
  EXPECT_EQ(status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20))
      << "the server ended the stream, not the client's own timeout";
}

TEST(DevclusterBookmarkTest, IdleWatchGetsBookmarksCarryingAVersion) {
  DevclusterProcess cluster({{"--bookmark-interval-ms=100"}});
  cluster.start();
  HttpClient client(cluster.url(), cluster.token(), cluster.caPem());
  const json::Document list = parse(client.request("GET", kConfigMaps));
  std::string bookmark;
  client.stream(
      std::string(kConfigMaps) + "?watch=1&allowWatchBookmarks=true&resourceVersion=" +
          metadataField(list, "resourceVersion"),
      [&](const std::string& line) {
        bookmark = line;
        return false;
      },
      std::chrono::seconds(10));
  Result<json::Document> event = json::parse(bookmark);
  ASSERT_TRUE(event.has_value()) << bookmark;
  EXPECT_EQ(json::getString(*event, "type"), "BOOKMARK");
  EXPECT_EQ(json::getString((*event)["object"], "kind"), "ConfigMap");
  EXPECT_FALSE(metadataField((*event)["object"], "resourceVersion").empty());
}

TEST_F(DevclusterApiTest, ServerSideApplyIsRefusedLoudly) {
  post(kDatabases, database("ssa"));
  const HttpResult result = client_->request("PATCH", std::string(kDatabases) + "/ssa",
                                             "spec: {purpose: x}", "application/apply-patch+yaml");
  EXPECT_EQ(result.status, 415);
  EXPECT_EQ(json::getString(parse(result), "reason"), "UnsupportedMediaType");
}

TEST_F(DevclusterApiTest, AppliedCrdRegistersItsKind) {
  const std::string crd =
      R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",)"
      R"("metadata":{"name":"widgets.example.com"},"spec":{"group":"example.com","scope":)"
      R"("Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},)"
      R"("versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":)"
      R"({"type":"object","properties":{"spec":{"type":"object","properties":{"size":)"
      R"({"type":"integer","minimum":1}}}}}}}]}})";
  ASSERT_EQ(post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status, 201);
  const std::string widgets = "/apis/example.com/v1/namespaces/default/widgets";
  EXPECT_EQ(post(widgets, R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{)"
                          R"("name":"w"},"spec":{"size":3}})")
                .status,
            201);
  EXPECT_EQ(post(widgets, R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{)"
                          R"("name":"z"},"spec":{"size":0}})")
                .status,
            422);
  const json::Document discovery = parse(client_->request("GET", "/apis/example.com/v1"));
  EXPECT_THAT(json::serialize(discovery), HasSubstr(R"("kind":"Widget")"));
}

TEST_F(DevclusterApiTest, DeletingANamespaceDeletesItsContentsThenItself) {
  const std::string namespaces = "/api/v1/namespaces";
  ASSERT_EQ(post(namespaces, R"({"apiVersion":"v1","kind":"Namespace","metadata":{)"
                             R"("name":"doomed"}})")
                .status,
            201);
  ASSERT_EQ(post("/api/v1/namespaces/doomed/configmaps", configMap("inside")).status, 201);
  ASSERT_EQ(client_->request("DELETE", namespaces + "/doomed").status, 200);
  bool gone = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    gone = client_->request("GET", namespaces + "/doomed").status == 404;
    if (!gone) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(gone);
  EXPECT_EQ(client_->request("GET", "/api/v1/namespaces/doomed/configmaps/inside").status, 404);
}

TEST_F(DevclusterApiTest, ForegroundDeletionWaitsForDependents) {
  const json::Document owner = parse(post(kDatabases, database("fg")));
  const std::string owned =
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fg-child","finalizers":)"
      R"(["daap.io/hold"],"ownerReferences":[{"apiVersion":"daap.io/v1alpha1","kind":)"
      R"("DaapDatabase","name":"fg","uid":")" +
      metadataField(owner, "uid") + R"(","blockOwnerDeletion":true}]}})";
  ASSERT_EQ(post(kConfigMaps, owned).status, 201);
  ASSERT_EQ(client_
                ->request("DELETE", std::string(kDatabases) + "/fg",
                          R"({"propagationPolicy":"Foreground"})")
                .status,
            200);
  // The child is held by its own finalizer, so the owner must still be there, terminating.
  const json::Document waiting = parse(client_->request("GET", std::string(kDatabases) + "/fg"));
  EXPECT_FALSE(metadataField(waiting, "deletionTimestamp").empty());
  ASSERT_EQ(client_
                ->request("PATCH", std::string(kConfigMaps) + "/fg-child",
                          R"({"metadata":{"finalizers":null}})", "application/merge-patch+json")
                .status,
            200);
  bool gone = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    gone = client_->request("GET", std::string(kDatabases) + "/fg").status == 404;
    if (!gone) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(gone);
}

}  // namespace
}  // namespace daap

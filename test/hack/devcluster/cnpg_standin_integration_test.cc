// The devcluster's CNPG stand-in (fast mode), checked over real HTTPS against a real process:
// CNPG objects come true the way the CNPG operator and the Barman Cloud plugin make them.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/base/base64.h"
#include "lib/json/json.h"
#include "test/support/devcluster.h"
#include "test/support/http_client.h"
#include "test/support/process.h"

namespace daap {
namespace {

using testing::DevclusterProcess;
using ::testing::HasSubstr;
using testing::HttpClient;
using testing::HttpResult;

constexpr char kCnpg[] = "/apis/postgresql.cnpg.io/v1/namespaces/default/";
constexpr char kObjectStores[] = "/apis/barmancloud.cnpg.io/v1/namespaces/default/objectstores";
constexpr char kSecrets[] = "/api/v1/namespaces/default/secrets";
constexpr char kHealthy[] = "Cluster in healthy state";
constexpr char kUnrecoverable[] = "Cluster is unrecoverable and needs manual intervention";
constexpr auto kDeadline = std::chrono::seconds(20);

std::string path(const std::string& plural, const std::string& name = {}) {
  return std::string(kCnpg) + plural + (name.empty() ? "" : "/" + name);
}

// A Cluster as DAAP renders it: initdb database and owner, the Barman Cloud plugin unless
// `plugins` is false.
std::string clusterJson(const std::string& name, int instances, bool plugins = true,
                        const std::string& annotations = {}) {
  std::string json =
      R"({"apiVersion":"postgresql.cnpg.io/v1","kind":"Cluster","metadata":{"name":")" + name +
      "\"";
  if (!annotations.empty()) {
    json += R"(,"annotations":)" + annotations;
  }
  json +=
      R"(},"spec":{"instances":)" + std::to_string(instances) +
      R"(,"imageName":"ghcr.io/cloudnative-pg/postgresql:16.10-standard-trixie",)"
      R"("storage":{"size":"1Gi"},"bootstrap":{"initdb":{"database":"orders","owner":"orders_owner"}})";
  if (plugins) {
    json += R"(,"plugins":[{"name":"barman-cloud.cloudnative-pg.io","isWALArchiver":true,)"
            R"("parameters":{"barmanObjectName":")" +
            name + R"(-store","serverName":")" + name + R"(-server"}}])";
  }
  return json + "}}";
}

std::string objectStoreJson(const std::string& name) {
  return R"({"apiVersion":"barmancloud.cnpg.io/v1","kind":"ObjectStore","metadata":{"name":")" +
         name +
         R"("},"spec":{"configuration":{"destinationPath":"s3://backups/db/",)"
         R"("endpointURL":"http://s3.local:4569","s3Credentials":{)"
         R"("accessKeyId":{"name":"s3","key":"ACCESS_KEY_ID"},)"
         R"("secretAccessKey":{"name":"s3","key":"SECRET_ACCESS_KEY"}}},"retentionPolicy":"30d"}})";
}

std::string backupJson(const std::string& name, const std::string& cluster) {
  return R"({"apiVersion":"postgresql.cnpg.io/v1","kind":"Backup","metadata":{"name":")" + name +
         R"("},"spec":{"cluster":{"name":")" + cluster +
         R"("},"method":"plugin","pluginConfiguration":{"name":"barman-cloud.cloudnative-pg.io"}}})";
}

std::string stringAt(const json::Value& root, std::initializer_list<std::string_view> keys) {
  const json::Value* value = json::findPath(root, keys);
  if (value == nullptr) {
    return {};
  }
  return value->IsString() ? std::string(json::view(*value)) : json::serialize(*value);
}

// The condition of `type` in status.conditions, or null.
const json::Value* condition(const json::Value& object, std::string_view type) {
  const json::Value* conditions = json::findPath(object, {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) {
    return nullptr;
  }
  for (const json::Value& entry : conditions->GetArray()) {
    if (json::getString(entry, "type") == type) {
      return &entry;
    }
  }
  return nullptr;
}

class CnpgStandinTest : public ::testing::Test {
protected:
  explicit CnpgStandinTest(const std::string& ready_after = "300ms")
      : cluster_(DevclusterProcess::Options{{"--cnpg-ready-after=" + ready_after}}) {}

  void SetUp() override {
    cluster_.start();
    connect();
  }

  void connect() {
    client_ = std::make_unique<HttpClient>(cluster_.url(), cluster_.token(), cluster_.caPem());
  }

  json::Document get(const std::string& url) {
    const HttpResult result = client_->request("GET", url);
    Result<json::Document> parsed = json::parse(result.body);
    if (result.status != 200 || !parsed) {
      return json::Document();
    }
    return std::move(parsed).value();
  }

  void create(const std::string& url, const std::string& body) {
    const HttpResult result = client_->request("POST", url, body);
    ASSERT_EQ(result.status, 201) << result.body;
  }

  void mergePatch(const std::string& url, const std::string& patch) {
    const HttpResult result = client_->request("PATCH", url, patch, "application/merge-patch+json");
    ASSERT_EQ(result.status, 200) << result.body;
  }

  // GETs `url` until `done` holds; the last object read (null when the deadline passed).
  json::Document waitFor(const std::string& url,
                         const std::function<bool(const json::Value&)>& done,
                         std::chrono::seconds deadline = kDeadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    json::Document last;
    while (std::chrono::steady_clock::now() < until) {
      last = get(url);
      if (last.IsObject() && done(last)) {
        return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "timed out waiting on " << url << ": " << json::serialize(last);
    return json::Document();
  }

  json::Document waitForPhase(const std::string& plural, const std::string& name,
                              const std::string& phase) {
    return waitFor(path(plural, name), [&](const json::Value& object) {
      return stringAt(object, {"status", "phase"}) == phase;
    });
  }

  json::Document waitHealthy(const std::string& name) {
    return waitForPhase("clusters", name, kHealthy);
  }

  DevclusterProcess cluster_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(CnpgStandinTest, ClusterBecomesHealthyWithItsSecrets) {
  create(path("clusters"), clusterJson("orders", 3));
  const json::Document healthy = waitHealthy("orders");
  ASSERT_TRUE(healthy.IsObject());
  EXPECT_EQ(stringAt(healthy, {"status", "instances"}), "3");
  EXPECT_EQ(stringAt(healthy, {"status", "readyInstances"}), "3");
  EXPECT_EQ(stringAt(healthy, {"status", "currentPrimary"}), "orders-1");
  EXPECT_EQ(stringAt(healthy, {"status", "targetPrimary"}), "orders-1");
  EXPECT_EQ(stringAt(healthy, {"status", "writeService"}), "orders-rw");
  EXPECT_EQ(stringAt(healthy, {"status", "readService"}), "orders-r");
  EXPECT_EQ(stringAt(healthy, {"status", "certificates", "serverCASecret"}), "orders-ca");
  EXPECT_EQ(stringAt(healthy, {"status", "pgDataImageInfo", "majorVersion"}), "16");
  EXPECT_EQ(stringAt(healthy, {"status", "image"}),
            "ghcr.io/cloudnative-pg/postgresql:16.10-standard-trixie");
  const json::Value* ready = condition(healthy, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(json::getString(*ready, "status"), "True");
  EXPECT_EQ(json::getString(*ready, "reason"), "ClusterIsReady");
  const json::Value* archiving = condition(healthy, "ContinuousArchiving");
  ASSERT_NE(archiving, nullptr);
  EXPECT_EQ(json::getString(*archiving, "status"), "True");

  const std::string uid = stringAt(healthy, {"metadata", "uid"});
  for (const std::string name : {"orders-app", "orders-ca", "orders-server"}) {
    const json::Document secret = get(std::string(kSecrets) + "/" + name);
    ASSERT_TRUE(secret.IsObject()) << name;
    EXPECT_EQ(stringAt(secret, {"metadata", "labels", "cnpg.io/cluster"}), "orders") << name;
    const json::Value* owners = json::findPath(secret, {"metadata", "ownerReferences"});
    ASSERT_TRUE(owners != nullptr && owners->IsArray() && owners->Size() == 1) << name;
    EXPECT_EQ(json::getString((*owners)[0], "uid"), uid) << name;
    EXPECT_EQ(json::getString((*owners)[0], "kind"), "Cluster") << name;
    EXPECT_TRUE((*owners)[0]["controller"].GetBool()) << name;
  }

  const json::Document app = get(std::string(kSecrets) + "/orders-app");
  EXPECT_EQ(json::getString(app, "type"), "kubernetes.io/basic-auth");
  const auto field = [&](std::string_view key) {
    Result<std::string> decoded = decodeBase64(stringAt(app, {"data", key}));
    return decoded ? *decoded : std::string("<bad base64>");
  };
  EXPECT_EQ(field("username"), "orders_owner");
  EXPECT_EQ(field("user"), "orders_owner");
  EXPECT_EQ(field("dbname"), "orders");
  EXPECT_EQ(field("host"), "orders-rw");
  EXPECT_EQ(field("port"), "5432");
  const std::string password = field("password");
  EXPECT_GE(password.size(), 16U);
  EXPECT_EQ(field("uri"),
            "postgresql://orders_owner:" + password + "@orders-rw.default:5432/orders");
  EXPECT_EQ(field("pgpass"), "orders-rw:5432:orders:orders_owner:" + password + "\n");
  EXPECT_THAT(field("fqdn-jdbc-uri"),
              HasSubstr("jdbc:postgresql://orders-rw.default.svc.cluster.local:5432/orders?"));

  // The server certificate is signed by the CA, for the services' names, as a client with
  // sslmode=verify-full needs.
  const json::Document ca = get(std::string(kSecrets) + "/orders-ca");
  const json::Document server = get(std::string(kSecrets) + "/orders-server");
  EXPECT_EQ(json::getString(server, "type"), "kubernetes.io/tls");
  const std::filesystem::path dir = cluster_.dataDir().parent_path();
  std::ofstream(dir / "ca.crt") << decodeBase64(stringAt(ca, {"data", "ca.crt"})).value();
  std::ofstream(dir / "tls.crt") << decodeBase64(stringAt(server, {"data", "tls.crt"})).value();
  EXPECT_FALSE(decodeBase64(stringAt(ca, {"data", "ca.key"})).value().empty());
  const testing::CommandResult verified =
      testing::runCommand({"openssl", "verify", "-verify_hostname", "orders-rw.default.svc",
                           "-CAfile", (dir / "ca.crt").string(), (dir / "tls.crt").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

TEST_F(CnpgStandinTest, WatchSeesStatusTransitionsWithoutAGenerationBump) {
  const json::Document list = get(path("clusters"));
  const std::string from = stringAt(list, {"metadata", "resourceVersion"});
  std::vector<std::string> phases;
  std::vector<std::string> generations;
  std::thread watcher([&] {
    HttpClient watch_client(cluster_.url(), cluster_.token(), cluster_.caPem());
    watch_client.stream(
        path("clusters") + "?watch=1&resourceVersion=" + from,
        [&](const std::string& line) {
          Result<json::Document> event = json::parse(line);
          if (!event) {
            return false;
          }
          const json::Value& object = (*event)["object"];
          phases.push_back(stringAt(object, {"status", "phase"}));
          generations.push_back(stringAt(object, {"metadata", "generation"}));
          return phases.back() != kHealthy;
        },
        kDeadline);
  });
  create(path("clusters"), clusterJson("orders", 1));
  watcher.join();
  ASSERT_GE(phases.size(), 3U);
  EXPECT_EQ(phases.front(), "") << "ADDED as the client wrote it";
  EXPECT_EQ(phases[1], "Setting up primary");
  EXPECT_EQ(phases.back(), kHealthy);
  for (const std::string& generation : generations) {
    EXPECT_EQ(generation, "1");
  }
}

TEST_F(CnpgStandinTest, FailAnnotationMakesItUnrecoverableAndRemovingItRecovers) {
  create(path("clusters"), clusterJson("orders", 2));
  waitHealthy("orders");
  mergePatch(path("clusters", "orders"),
             R"({"metadata":{"annotations":{"devcluster.daap.io/fail":"disk full"}}})");
  const json::Document failed = waitForPhase("clusters", "orders", kUnrecoverable);
  EXPECT_EQ(stringAt(failed, {"status", "phaseReason"}), "disk full");
  EXPECT_EQ(stringAt(failed, {"status", "readyInstances"}), "0");
  ASSERT_NE(condition(failed, "Ready"), nullptr);
  EXPECT_EQ(json::getString(*condition(failed, "Ready"), "status"), "False");

  mergePatch(path("clusters", "orders"),
             R"({"metadata":{"annotations":{"devcluster.daap.io/fail":null}}})");
  const json::Document recovered = waitHealthy("orders");
  EXPECT_EQ(stringAt(recovered, {"status", "readyInstances"}), "2");
  EXPECT_EQ(json::getString(*condition(recovered, "Ready"), "status"), "True");
  EXPECT_EQ(json::find(recovered["status"], "phaseReason"), nullptr);
}

TEST_F(CnpgStandinTest, HibernationDropsReadyInstancesAndKeepsThePhase) {
  create(path("clusters"), clusterJson("orders", 3));
  waitHealthy("orders");
  mergePatch(path("clusters", "orders"),
             R"({"metadata":{"annotations":{"cnpg.io/hibernation":"on"}}})");
  const json::Document hibernated =
      waitFor(path("clusters", "orders"), [](const json::Value& object) {
        const json::Value* hibernation = condition(object, "cnpg.io/hibernation");
        return hibernation != nullptr && json::getString(*hibernation, "status") == "True";
      });
  ASSERT_TRUE(hibernated.IsObject());
  EXPECT_EQ(json::getString(*condition(hibernated, "cnpg.io/hibernation"), "reason"), "Hibernated");
  EXPECT_EQ(stringAt(hibernated, {"status", "readyInstances"}), "0");
  EXPECT_EQ(stringAt(hibernated, {"status", "instances"}), "3");
  EXPECT_EQ(stringAt(hibernated, {"status", "phase"}), kHealthy);

  mergePatch(path("clusters", "orders"),
             R"({"metadata":{"annotations":{"cnpg.io/hibernation":"off"}}})");
  const json::Document awake = waitFor(path("clusters", "orders"), [](const json::Value& object) {
    return condition(object, "cnpg.io/hibernation") == nullptr;
  });
  EXPECT_EQ(stringAt(awake, {"status", "readyInstances"}), "3");
}

TEST_F(CnpgStandinTest, ScalingUpReconvergesTheStatus) {
  create(path("clusters"), clusterJson("orders", 1));
  waitHealthy("orders");
  mergePatch(path("clusters", "orders"), R"({"spec":{"instances":3}})");
  const json::Document scaled = waitFor(path("clusters", "orders"), [](const json::Value& object) {
    return stringAt(object, {"status", "readyInstances"}) == "3";
  });
  EXPECT_EQ(stringAt(scaled, {"status", "phase"}), kHealthy);
  EXPECT_EQ(stringAt(scaled, {"status", "instances"}), "3");
  EXPECT_EQ(stringAt(scaled, {"metadata", "generation"}), "2");
}

TEST_F(CnpgStandinTest, PoolerBecomesActiveOnceItsClusterIsHealthy) {
  create(path("clusters"),
         clusterJson("orders", 1, true, R"({"devcluster.daap.io/fail":"not yet"})"));
  create(
      path("poolers"),
      R"({"apiVersion":"postgresql.cnpg.io/v1","kind":"Pooler","metadata":{"name":"orders-pooler"},)"
      R"("spec":{"cluster":{"name":"orders"},"instances":2,"pgbouncer":{"poolMode":"transaction"}}})");
  waitForPhase("clusters", "orders", kUnrecoverable);
  EXPECT_NE(stringAt(get(path("poolers", "orders-pooler")), {"status", "phase"}), "active");

  mergePatch(path("clusters", "orders"),
             R"({"metadata":{"annotations":{"devcluster.daap.io/fail":null}}})");
  const json::Document active = waitForPhase("poolers", "orders-pooler", "active");
  EXPECT_EQ(stringAt(active, {"status", "instances"}), "2");
  EXPECT_EQ(stringAt(get(path("clusters", "orders")), {"status", "phase"}), kHealthy);
}

TEST_F(CnpgStandinTest, BackupCompletesAndSetsTheRecoveryWindow) {
  create(kObjectStores, objectStoreJson("orders-store"));
  create(path("clusters"), clusterJson("orders", 1));
  waitHealthy("orders");
  create(path("backups"), backupJson("first", "orders"));
  const json::Document first = waitForPhase("backups", "first", "completed");
  for (const char* field : {"backupId", "startedAt", "stoppedAt", "beginWal", "endWal"}) {
    EXPECT_FALSE(stringAt(first, {"status", field}).empty()) << field;
  }
  EXPECT_EQ(stringAt(first, {"status", "method"}), "plugin");

  const std::string window = std::string(kObjectStores) + "/orders-store";
  const json::Document store = waitFor(window, [](const json::Value& object) {
    return !stringAt(object, {"status", "serverRecoveryWindow", "orders-server",
                              "lastSuccessfulBackupTime"})
                .empty();
  });
  const std::string first_point = stringAt(
      store, {"status", "serverRecoveryWindow", "orders-server", "firstRecoverabilityPoint"});
  EXPECT_EQ(first_point, stringAt(first, {"status", "stoppedAt"}));

  create(path("backups"), backupJson("second", "orders"));
  const json::Document second = waitForPhase("backups", "second", "completed");
  const json::Document after = waitFor(window, [&](const json::Value& object) {
    return stringAt(object, {"status", "serverRecoveryWindow", "orders-server",
                             "lastSuccessfulBackupTime"}) ==
           stringAt(second, {"status", "stoppedAt"});
  });
  EXPECT_EQ(stringAt(after, {"status", "serverRecoveryWindow", "orders-server",
                             "firstRecoverabilityPoint"}),
            first_point);
  const json::Document cluster = get(path("clusters", "orders"));
  const json::Value* last_backup = condition(cluster, "LastBackupSucceeded");
  ASSERT_NE(last_backup, nullptr);
  EXPECT_EQ(json::getString(*last_backup, "status"), "True");
}

TEST_F(CnpgStandinTest, BackupFailsOnAHibernatedClusterOrOneWithoutPlugins) {
  create(path("clusters"), clusterJson("orders", 1));
  waitHealthy("orders");
  mergePatch(path("clusters", "orders"),
             R"({"metadata":{"annotations":{"cnpg.io/hibernation":"on"}}})");
  create(path("backups"), backupJson("frozen", "orders"));
  const json::Document frozen = waitForPhase("backups", "frozen", "failed");
  EXPECT_EQ(stringAt(frozen, {"status", "error"}), "cannot backup a hibernated cluster");

  create(path("clusters"), clusterJson("plain", 1, false));
  waitHealthy("plain");
  create(path("backups"), backupJson("unplugged", "plain"));
  const json::Document unplugged = waitForPhase("backups", "unplugged", "failed");
  EXPECT_THAT(stringAt(unplugged, {"status", "error"}), HasSubstr("no plugin"));
}

TEST_F(CnpgStandinTest, ImmediateScheduledBackupCreatesACompletedBackup) {
  create(kObjectStores, objectStoreJson("orders-store"));
  create(path("clusters"), clusterJson("orders", 1));
  waitHealthy("orders");
  create(
      path("scheduledbackups"),
      R"({"apiVersion":"postgresql.cnpg.io/v1","kind":"ScheduledBackup","metadata":{"name":"orders-daily"},)"
      R"("spec":{"schedule":"0 0 2 * * *","cluster":{"name":"orders"},"method":"plugin",)"
      R"("pluginConfiguration":{"name":"barman-cloud.cloudnative-pg.io"},)"
      R"("backupOwnerReference":"self","immediate":true}})");
  const json::Document scheduled =
      waitFor(path("scheduledbackups", "orders-daily"), [](const json::Value& object) {
        return !stringAt(object, {"status", "lastScheduleTime"}).empty();
      });
  EXPECT_THAT(stringAt(scheduled, {"status", "nextScheduleTime"}), HasSubstr("T02:00:00Z"));

  const json::Document backups =
      waitFor(path("backups") + "?labelSelector=cnpg.io%2Fscheduled-backup%3Dorders-daily",
              [](const json::Value& list) {
                const json::Value* items = json::find(list, "items");
                return items != nullptr && items->IsArray() && items->Size() == 1 &&
                       stringAt((*items)[0], {"status", "phase"}) == "completed";
              });
  ASSERT_TRUE(backups.IsObject());
  const json::Value& backup = backups["items"][0];
  EXPECT_THAT(stringAt(backup, {"metadata", "name"}),
              ::testing::MatchesRegex("orders-daily-[0-9]{14}"));
  EXPECT_EQ(stringAt(backup, {"metadata", "labels", "cnpg.io/immediateBackup"}), "true");
  EXPECT_EQ(stringAt(backup, {"metadata", "labels", "cnpg.io/cluster"}), "orders");
  EXPECT_THAT(stringAt(backup, {"metadata", "ownerReferences"}), HasSubstr("\"ScheduledBackup\""));
}

TEST_F(CnpgStandinTest, DeletingTheClusterRemovesItsSecrets) {
  create(path("clusters"), clusterJson("orders", 1));
  waitHealthy("orders");
  const std::string selector = std::string(kSecrets) + "?labelSelector=cnpg.io%2Fcluster%3Dorders";
  const json::Document before = get(selector);
  const json::Value* items = json::find(before, "items");
  ASSERT_TRUE(items != nullptr && items->IsArray());
  ASSERT_EQ(items->Size(), 3U);
  ASSERT_EQ(client_->request("DELETE", path("clusters", "orders")).status, 200);
  waitFor(selector, [](const json::Value& list) {
    const json::Value* found = json::find(list, "items");
    return found != nullptr && found->IsArray() && found->Empty();
  });
}

class CnpgStandinSlowTest : public CnpgStandinTest {
protected:
  CnpgStandinSlowTest() : CnpgStandinTest("3s") {}
};

TEST_F(CnpgStandinSlowTest, RestartMidProvisioningStillConverges) {
  create(path("clusters"), clusterJson("orders", 1));
  waitForPhase("clusters", "orders", "Setting up primary");
  const std::string password =
      stringAt(get(std::string(kSecrets) + "/orders-app"), {"data", "password"});
  ASSERT_FALSE(password.empty());
  EXPECT_EQ(cluster_.stop(SIGTERM, std::chrono::seconds(5)), 0);
  cluster_.start();
  connect();
  const json::Document healthy = waitHealthy("orders");
  EXPECT_EQ(stringAt(healthy, {"status", "readyInstances"}), "1");
  EXPECT_EQ(stringAt(get(std::string(kSecrets) + "/orders-app"), {"data", "password"}), password)
      << "the credentials stay the ones the first start made";
}

TEST(DevclusterShutdownTest, SigtermExitsPromptlyWithOpenWatchesAndKeepAliveConnections) {
  DevclusterProcess cluster;
  cluster.start();
  const std::string config_maps = "/api/v1/namespaces/default/configmaps";
  HttpClient keep_alive(cluster.url(), cluster.token(), cluster.caPem());
  ASSERT_EQ(keep_alive
                .request("POST", config_maps,
                         R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kept"}})")
                .status,
            201);
  std::atomic<bool> watching{false};
  std::atomic<bool> watch_ended{false};
  std::thread watcher([&] {
    HttpClient watch_client(cluster.url(), cluster.token(), cluster.caPem());
    watch_client.stream(
        config_maps + "?watch=1&allowWatchBookmarks=true",
        [&](const std::string&) {
          watching = true;
          return true;
        },
        std::chrono::seconds(60));
    watch_ended = true;
  });
  // The watch's first event (the ConfigMap, ADDED) proves the stream is open.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!watching && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(watching);

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(cluster.stop(SIGTERM, std::chrono::seconds(3)), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  watcher.join();
  EXPECT_TRUE(watch_ended);

  cluster.start();
  HttpClient after(cluster.url(), cluster.token(), cluster.caPem());
  EXPECT_EQ(after.request("GET", config_maps + "/kept").status, 200) << "the WAL replayed";
}

}  // namespace
}  // namespace daap

// daap-gateway end to end: the real binary against a real PostgreSQL, the devcluster and the
// operator. Every response is checked against openapi/openapi.yaml by the ApiClient.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "gateway/contract.h"
#include "lib/auth/api_key.h"
#include "lib/json/json.h"
#include "test/gateway/gateway_process.h"
#include "test/operator/operator_process.h"
#include "test/support/devcluster.h"
#include "test/support/postgres.h"
#include "test/support/testdata.h"

namespace daap::testing {
namespace {

std::string dataString(const std::string& body, std::string_view key) {
  Result<json::Document> parsed = json::parse(body);
  if (!parsed) {
    return {};
  }
  const json::Value* data = json::find(*parsed, "data");
  return data == nullptr ? std::string() : std::string(json::getString(*data, key));
}

std::string errorCode(const std::string& body) {
  Result<json::Document> parsed = json::parse(body);
  if (!parsed) {
    return {};
  }
  const json::Value* error = json::find(*parsed, "error");
  return error == nullptr || !error->IsObject() ? std::string()
                                                : std::string(json::getString(*error, "code"));
}

size_t dataSize(const std::string& body) {
  Result<json::Document> parsed = json::parse(body);
  const json::Value* data = parsed ? json::find(*parsed, "data") : nullptr;
  return data != nullptr && data->IsArray() ? data->Size() : 0;
}

std::string createBody(const std::string& name, const std::string& team,
                       const std::string& tier = "dev") {
  return R"({"name":")" + name + R"(","owner_team":")" + team +
         R"(","purpose":"e2e test database","tier":")" + tier + R"("})";
}

class GatewayE2eTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    Result<gateway::Contract> contract = gateway::Contract::load(gateway::embeddedOpenApiYaml());
    ASSERT_TRUE(contract) << contract.error().toString();
    contract_ = std::make_unique<gateway::Contract>(std::move(*contract));
    postgres_ = std::make_unique<PostgresProcess>();
    postgres_->start();
    cluster_ = std::make_unique<DevclusterProcess>();
    cluster_->start();
    operator_ = std::make_unique<OperatorProcess>(
        *cluster_, std::vector<std::string>{"--leader-election=false"});
    operator_->start();
    CommandResult applied = cluster_->kubectl(
        {"apply", "-f", (sourceDir() / "manifests/examples/tier-dev.yaml").string()});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    Result<auth::GeneratedKey> bootstrap = auth::generateKey();
    ASSERT_TRUE(bootstrap);
    platform_key_ = bootstrap->plaintext;
    database_url_ = postgres_->url();
    gateway_ = std::make_unique<GatewayProcess>(*cluster_, database_url_, platform_key_);
    gateway_->start();
    client_ = std::make_unique<ApiClient>(gateway_->url(), *contract_);
    payments_key_ = createKey("payments", "product-team");
    search_key_ = createKey("search", "product-team");
    const std::string doomed = createKey("payments", "product-team", &revoked_key_id_);
    revoked_key_ = doomed;
    ApiResponse revoked = client_->call("DELETE", "/api-keys/" + revoked_key_id_, platform_key_);
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    // The tier must be mirrored before databases can be created on it.
    ASSERT_TRUE(
        eventually([] { return client_->call("GET", "/tiers/dev", platform_key_).status == 200; },
                   std::chrono::seconds(10)));
  }

  static void TearDownTestSuite() {
    client_.reset();
    gateway_.reset();
    operator_.reset();
    cluster_.reset();
    postgres_.reset();
    contract_.reset();
  }

  static std::string createKey(const std::string& team, const std::string& role,
                               std::string* id = nullptr) {
    ApiResponse created =
        client_->call("POST", "/api-keys", platform_key_,
                      R"({"team":")" + team + R"(","role":")" + role + R"(","description":"e2e"})");
    EXPECT_EQ(created.status, 201) << created.body;
    if (id != nullptr) {
      *id = dataString(created.body, "id");
    }
    created_keys_.push_back(dataString(created.body, "key"));
    return created_keys_.back();
  }

  // Creates a database as `key` and returns its id (empty on failure).
  static std::string createDatabase(const std::string& name, const std::string& team,
                                    const std::string& key) {
    ApiResponse created = client_->call("POST", "/databases", key, createBody(name, team));
    EXPECT_EQ(created.status, 201) << created.body;
    return dataString(created.body, "id");
  }

  static std::unique_ptr<gateway::Contract> contract_;
  static std::unique_ptr<PostgresProcess> postgres_;
  static std::unique_ptr<DevclusterProcess> cluster_;
  static std::unique_ptr<OperatorProcess> operator_;
  static std::unique_ptr<GatewayProcess> gateway_;
  static std::unique_ptr<ApiClient> client_;
  static std::string database_url_;
  static std::string platform_key_;
  static std::string payments_key_;
  static std::string search_key_;
  static std::string revoked_key_;
  static std::string revoked_key_id_;
  static std::vector<std::string> created_keys_;
};

std::unique_ptr<gateway::Contract> GatewayE2eTest::contract_;
std::unique_ptr<PostgresProcess> GatewayE2eTest::postgres_;
std::unique_ptr<DevclusterProcess> GatewayE2eTest::cluster_;
std::unique_ptr<OperatorProcess> GatewayE2eTest::operator_;
std::unique_ptr<GatewayProcess> GatewayE2eTest::gateway_;
std::unique_ptr<ApiClient> GatewayE2eTest::client_;
std::string GatewayE2eTest::database_url_;
std::string GatewayE2eTest::platform_key_;
std::string GatewayE2eTest::payments_key_;
std::string GatewayE2eTest::search_key_;
std::string GatewayE2eTest::revoked_key_;
std::string GatewayE2eTest::revoked_key_id_;
std::vector<std::string> GatewayE2eTest::created_keys_;

TEST_F(GatewayE2eTest, HealthAndSpecNeedNoKey) {
  ApiResponse health = client_->call("GET", "/health", "");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_FALSE(health.request_id.empty());
  ApiResponse spec = client_->call("GET", "/openapi.json", "");
  EXPECT_EQ(spec.status, 200);
  EXPECT_NE(spec.body.find("\"openapi\":\"3.0.3\""), std::string::npos);
}

TEST_F(GatewayE2eTest, CreateGetListFlow) {
  const std::string id = createDatabase("orders", "payments", payments_key_);
  ASSERT_FALSE(id.empty());
  ApiResponse got = client_->call("GET", "/databases/" + id, payments_key_);
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(dataString(got.body, "name"), "orders");
  EXPECT_EQ(dataString(got.body, "namespace"), "daap-payments");
  ApiResponse listed = client_->call("GET", "/databases?name_prefix=ord", payments_key_);
  EXPECT_EQ(listed.status, 200);
  EXPECT_EQ(dataSize(listed.body), 1U) << listed.body;
  // The namespace carries the team label the NetworkPolicies admit.
  CommandResult ns = cluster_->kubectl(
      {"get", "namespace", "daap-payments", "-o", "jsonpath={.metadata.labels.daap\\.io/team}"});
  EXPECT_EQ(ns.out, "payments") << ns.err;
  // The same name again is a conflict.
  ApiResponse again =
      client_->call("POST", "/databases", platform_key_, createBody("orders", "search"));
  EXPECT_EQ(again.status, 409) << again.body;
  // PATCH changes purpose; DELETE sets the lifecycle.
  ApiResponse patched =
      client_->call("PATCH", "/databases/" + id, payments_key_, R"({"purpose":"renamed"})");
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(dataString(patched.body, "purpose"), "renamed");
  // A GET answered from the rendered view of the old version must not outlive the change.
  ApiResponse reread = client_->call("GET", "/databases/" + id, payments_key_);
  EXPECT_EQ(dataString(reread.body, "purpose"), "renamed") << reread.body;
  ApiResponse destroyed = client_->call("DELETE", "/databases/" + id, payments_key_);
  EXPECT_EQ(destroyed.status, 202) << destroyed.body;
  EXPECT_EQ(dataString(destroyed.body, "lifecycle"), "destroyed");
  CommandResult lifecycle = cluster_->kubectl(
      {"get", "ddb", "orders", "-n", "daap-payments", "-o", "jsonpath={.spec.lifecycle}"});
  EXPECT_EQ(lifecycle.out, "Destroyed");
}

TEST_F(GatewayE2eTest, StrictBodiesNameTheField) {
  ApiResponse unknown = client_->call(
      "POST", "/databases", payments_key_,
      R"({"name":"x1","owner_team":"payments","purpose":"p","tier":"dev","instances":3})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(errorCode(unknown.body), "invalid_argument");
  EXPECT_NE(unknown.body.find("\"field\":\"instances\""), std::string::npos) << unknown.body;
  ApiResponse wrong_type =
      client_->call("POST", "/databases", payments_key_,
                    R"({"name":"x1","owner_team":"payments","purpose":7,"tier":"dev"})");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(wrong_type.body.find("\"field\":\"purpose\""), std::string::npos) << wrong_type.body;
  ApiResponse bad_name =
      client_->call("POST", "/databases", payments_key_, createBody("Not_A_Label", "payments"));
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_NE(bad_name.body.find("\"field\":\"name\""), std::string::npos) << bad_name.body;
  const std::string huge(size_t{1024} * 1024 + 10, 'x');
  ApiResponse too_large =
      client_->call("POST", "/databases", payments_key_, R"({"name":")" + huge + R"("})");
  EXPECT_EQ(too_large.status, 413);
}

TEST_F(GatewayE2eTest, ProductTeamsSeeOnlyTheirOwn) {
  const std::string id = createDatabase("search-index", "search", search_key_);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(client_->call("GET", "/databases/" + id, payments_key_).status, 404);
  EXPECT_EQ(client_->call("GET", "/databases/" + id, search_key_).status, 200);
  EXPECT_EQ(client_->call("GET", "/databases/" + id, platform_key_).status, 200);
  ApiResponse listed = client_->call("GET", "/databases", payments_key_);
  EXPECT_EQ(listed.body.find("search-index"), std::string::npos);
  EXPECT_EQ(client_->call("GET", "/databases?owner_team=search", payments_key_).status, 403);
  // Creating for another team is refused.
  EXPECT_EQ(
      client_->call("POST", "/databases", payments_key_, createBody("stolen", "search")).status,
      403);
  // Product teams see a tier's name and guarantees only.
  ApiResponse tier = client_->call("GET", "/tiers/dev", payments_key_);
  EXPECT_EQ(tier.status, 200);
  EXPECT_EQ(tier.body.find("instances"), std::string::npos) << tier.body;
  EXPECT_NE(client_->call("GET", "/tiers/dev", platform_key_).body.find("instances"),
            std::string::npos);
}

// Every endpoint x {platform, owning product, other product, no key, revoked key}.
TEST_F(GatewayE2eTest, RbacMatrix) {
  const std::string id = createDatabase("rbac-db", "payments", platform_key_);
  ASSERT_FALSE(id.empty());
  struct Row {
    std::string method;
    std::string path;
    std::string body;
    int platform;
    int owner;
    int other;
  };
  const std::string db = "/databases/" + id;
  const std::vector<Row> rows = {
      {"GET", "/databases", "", 200, 200, 200},
      {"GET", db, "", 200, 200, 404},
      {"PATCH", db, R"({"purpose":"rbac"})", 200, 200, 404},
      {"POST", db + "/unfreeze", "", 409, 403, 404},
      {"POST", db + "/restore", R"({"name":"rbac-restore"})", 409, 409, 404},
      {"GET", "/tiers", "", 200, 200, 200},
      {"GET", "/tiers/dev", "", 200, 200, 200},
      {"PATCH", "/tiers/dev", R"({"description":"Development tier, e2e"})", 200, 403, 403},
      {"GET", "/tiers/dev/quota", "", 200, 200, 200},
      {"PUT", "/tiers/dev/quota",
       R"({"max_databases":50,"max_cpu":"25","max_memory":"50Gi","max_storage":"250Gi"})", 200, 403,
       403},
      {"POST", "/tiers", R"({"name":"x"})", 400, 403, 403},
      {"DELETE", "/tiers/dev", "", 409, 403, 403},
      {"GET", "/api-keys", "", 200, 403, 403},
      {"POST", "/api-keys", R"({"team":"rbac","role":"product-team"})", 201, 403, 403},
      {"DELETE", "/api-keys/00000000-0000-0000-0000-000000000000", "", 404, 403, 403},
      {"GET", "/audit-logs", "", 200, 403, 403},
      {"POST", "/databases", createBody("rbac-new", "payments"), 201, 409, 403},
      {"DELETE", db, "", 202, 202, 404},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.method + " " + row.path);
    const ApiResponse platform = client_->call(row.method, row.path, platform_key_, row.body);
    EXPECT_EQ(platform.status, row.platform) << platform.body;
    if (platform.status == 201 && row.path == "/api-keys") {
      created_keys_.push_back(dataString(platform.body, "key"));
    }
    const ApiResponse owner = client_->call(row.method, row.path, payments_key_, row.body);
    EXPECT_EQ(owner.status, row.owner) << owner.body;
    const ApiResponse other = client_->call(row.method, row.path, search_key_, row.body);
    EXPECT_EQ(other.status, row.other) << other.body;
    const ApiResponse none = client_->call(row.method, row.path, "", row.body);
    EXPECT_EQ(none.status, 401) << none.body;
    EXPECT_EQ(errorCode(none.body), "unauthenticated");
    const ApiResponse revoked = client_->call(row.method, row.path, revoked_key_, row.body);
    EXPECT_EQ(revoked.status, 401) << revoked.body;
  }
}

TEST_F(GatewayE2eTest, RevokedKeyIsRefusedAtOnce) {
  std::string id;
  const std::string key = createKey("payments", "product-team", &id);
  EXPECT_EQ(client_->call("GET", "/databases", key).status, 200);  // Now cached.
  EXPECT_EQ(client_->call("DELETE", "/api-keys/" + id, platform_key_).status, 200);
  EXPECT_EQ(client_->call("GET", "/databases", key).status, 401);
  ApiResponse listed = client_->call("GET", "/api-keys", platform_key_);
  EXPECT_EQ(listed.body.find("hash"), std::string::npos);
}

TEST_F(GatewayE2eTest, ConcurrentCreatesNeverOverAdmit) {
  ApiResponse tier = client_->call(
      "POST", "/tiers", platform_key_,
      R"({"name":"quota-ten","description":"Ten databases at most.","postgres_version":17,)"
      R"("instances":1,"resources":{"cpu":"100m","memory":"128Mi"},"storage":{"size":"1Gi"},)"
      R"("destruction":{"strategy":"hard"},)"
      R"("quota":{"max_databases":10,"max_cpu":"100","max_memory":"100Gi","max_storage":"1000Gi"}})");
  ASSERT_EQ(tier.status, 201) << tier.body;
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::mutex unexpected_mu;
  std::vector<std::string> unexpected;  // Status and body of every other answer.
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string name = "q-" + std::to_string(t) + "-" + std::to_string(i);
        const ApiResponse response = client_->call("POST", "/databases", platform_key_,
                                                   createBody(name, "quota", "quota-ten"));
        if (response.status == 201) {
          ++created;
        } else if (response.status == 422 && errorCode(response.body) == "quota_exceeded" &&
                   response.body.find("\"field\":\"databases\"") != std::string::npos) {
          ++refused;
        } else {
          ++other;
          std::lock_guard lock(unexpected_mu);
          unexpected.push_back(std::to_string(response.status) + " " + response.body +
                               response.transport_error);
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(created.load(), 10);
  EXPECT_EQ(refused.load(), 190);
  EXPECT_EQ(other.load(), 0) << ::testing::PrintToString(unexpected);
  ApiResponse quota = client_->call("GET", "/tiers/quota-ten/quota", platform_key_);
  EXPECT_NE(quota.body.find("\"databases\":10"), std::string::npos) << quota.body;
  EXPECT_EQ(client_->call("DELETE", "/tiers/quota-ten", platform_key_).status, 409);
}

TEST_F(GatewayE2eTest, KubectlAppliedDatabaseAppearsWithinASecond) {
  const std::string manifest = R"(
apiVersion: v1
kind: Namespace
metadata:
  name: daap-analytics
  labels:
    daap.io/team: analytics
---
apiVersion: daap.io/v1alpha1
kind: DaapDatabase
metadata:
  name: gitops-db
  namespace: daap-analytics
spec:
  ownerTeam: analytics
  purpose: Applied with kubectl.
  tier: dev
)";
  CommandResult applied = cluster_->kubectl({"apply", "-f", "-"}, manifest);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  const auto applied_at = std::chrono::steady_clock::now();
  bool seen = false;
  while (std::chrono::steady_clock::now() - applied_at < std::chrono::seconds(1)) {
    if (dataSize(client_->call("GET", "/databases?name_prefix=gitops-db", platform_key_).body) ==
        1) {
      seen = true;
      break;
    }
  }
  EXPECT_TRUE(seen) << "not listed within a second of kubectl apply";
}

TEST_F(GatewayE2eTest, EveryRequestIsAudited) {
  // Denied and unauthenticated requests too.
  EXPECT_EQ(client_->call("GET", "/audit-logs", payments_key_).status, 403);
  EXPECT_EQ(client_->call("GET", "/databases", "").status, 401);
  EXPECT_EQ(client_->call("GET", "/no-such-route", platform_key_).status, 404);
  const std::vector<std::string> ids = client_->apiRequestIds();
  const std::set<std::string> wanted(ids.begin(), ids.end());
  std::set<std::string> found;
  auto readAll = [&] {
    found.clear();
    std::string cursor;
    do {
      // The audit-log reads themselves are audited as well, after this loop reads them.
      const ApiResponse page = client_->call(
          "GET", "/audit-logs?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor),
          platform_key_);
      Result<json::Document> parsed = json::parse(page.body);
      if (!parsed || page.status != 200) {
        return false;
      }
      for (const auto& row : (*parsed)["data"].GetArray()) {
        found.insert(std::string(json::getString(row, "request_id")));
      }
      const json::Value& next = (*parsed)["meta"]["next_cursor"];
      cursor = next.IsString() ? next.GetString() : "";
    } while (!cursor.empty());
    for (const std::string& id : wanted) {
      if (found.count(id) == 0) {
        return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(eventually(readAll, std::chrono::seconds(20)))
      << "audited " << found.size() << " of " << wanted.size() << " requests";
  ApiResponse denied =
      client_->call("GET", "/audit-logs?action=audit-log.list&limit=500", platform_key_);
  EXPECT_NE(denied.body.find("\"status\":403"), std::string::npos) << denied.body;
}

TEST_F(GatewayE2eTest, SurvivesPostgresRestart) {
  postgres_->stop();
  EXPECT_TRUE(eventually([] { return client_->call("GET", "/health", "").status == 503; },
                         std::chrono::seconds(10)));
  EXPECT_EQ(client_->call("GET", "/databases", platform_key_).status, 503);
  postgres_->start();
  EXPECT_TRUE(eventually([] { return client_->call("GET", "/health", "").status == 200; },
                         std::chrono::seconds(20)));
  EXPECT_TRUE(
      eventually([] { return client_->call("GET", "/databases", platform_key_).status == 200; },
                 std::chrono::seconds(10)));
  createDatabase("after-pg-restart", "payments", payments_key_);
}

TEST_F(GatewayE2eTest, SurvivesDevclusterRestart) {
  cluster_->stop(SIGTERM);
  EXPECT_TRUE(eventually([] { return client_->call("GET", "/health", "").status == 503; },
                         std::chrono::seconds(10)));
  cluster_->start();
  EXPECT_TRUE(eventually([] { return client_->call("GET", "/health", "").status == 200; },
                         std::chrono::seconds(20)));
  EXPECT_TRUE(eventually(
      [] {
        return client_
                   ->call("POST", "/databases", payments_key_,
                          createBody("after-kube-restart", "payments"))
                   .status == 201;
      },
      std::chrono::seconds(20)));
}

TEST_F(GatewayE2eTest, TypeScriptClientRunsCreateGetList) {
  const std::filesystem::path openapi = sourceDir() / "openapi";
  ASSERT_TRUE(std::filesystem::exists(openapi / "node_modules/.bin/tsc"))
      << "run hack/openapi-check.sh first: it installs the npm client tools";
  CommandResult flow = runCommand({"node", (openapi / "client/run-flow.mjs").string()},
                                  {{"DAAP_URL", gateway_->url()}, {"DAAP_API_KEY", payments_key_}});
  EXPECT_EQ(flow.exit_code, 0) << flow.out << flow.err;
  EXPECT_NE(flow.out.find("flow ok"), std::string::npos) << flow.out;
}

// Last: nothing the suite saw after a key's creation response holds a key or a credential.
TEST_F(GatewayE2eTest, NoSecretInResponsesOrLogs) {
  std::vector<std::string> secrets = created_keys_;
  secrets.push_back(platform_key_);
  const size_t at = database_url_.find("://");
  const size_t colon = database_url_.find(':', at + 3);
  const size_t sign = database_url_.find('@', at + 3);
  ASSERT_NE(sign, std::string::npos);
  secrets.push_back(database_url_.substr(colon + 1, sign - colon - 1));  // The password.
  const std::string log = readFile(gateway_->logFile());
  EXPECT_FALSE(log.empty());
  for (const std::string& secret : secrets) {
    ASSERT_GE(secret.size(), 8U);
    EXPECT_EQ(log.find(secret), std::string::npos) << "the gateway log holds a secret";
    int seen = 0;
    for (const std::string& body : client_->bodies()) {
      seen += body.find(secret) != std::string::npos ? 1 : 0;
    }
    // A key appears once: in the response that created it (the bootstrap key never).
    EXPECT_LE(seen, secret == platform_key_ ? 0 : 1);
  }
}

}  // namespace
}  // namespace daap::testing

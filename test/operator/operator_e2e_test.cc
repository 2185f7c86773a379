// The real daap-operator against a devcluster in CNPG fast mode, driven with the real kubectl:
// what a platform team sees when it applies tiers and databases by hand or through GitOps.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/json/json.h"
#include "test/operator/operator_process.h"
#include "test/support/devcluster.h"
#include "test/support/testdata.h"

namespace daap {
namespace {

using testing::CommandResult;
using testing::DevclusterProcess;
using testing::eventually;
using ::testing::HasSubstr;
using testing::OperatorProcess;

constexpr std::chrono::seconds kConverge{30};

class OperatorE2eTest : public ::testing::Test {
protected:
  void SetUp() override {
    cluster_ = std::make_unique<DevclusterProcess>(
        DevclusterProcess::Options{{"--cnpg-ready-after=300ms"}});
    cluster_->start();
    ok({"apply", "-f", "-"}, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: daap-system\n");
    createCredentials();
    ok({"apply", "-f", examples() + "/tier-dev.yaml", "-f", examples() + "/tier-staging.yaml", "-f",
        examples() + "/tier-production.yaml"});
  }

  void startOperator(std::vector<std::string> args = {"--leader-election=false"}) {
    operator_ = std::make_unique<OperatorProcess>(*cluster_, std::move(args));
    operator_->start();
  }

  // The backup credentials the staging and production tiers name, in the DAAP namespace.
  void createCredentials() {
    ok({"apply", "-f", "-"},
       "apiVersion: v1\nkind: Secret\nmetadata:\n  name: daap-backup-credentials\n"
       "  namespace: daap-system\nstringData:\n  ACCESS_KEY_ID: test-access\n"
       "  SECRET_ACCESS_KEY: test-secret\n");
  }

  static std::string examples() { return (testing::sourceDir() / "manifests/examples").string(); }

  CommandResult kubectl(const std::vector<std::string>& args, const std::string& input = {}) {
    return cluster_->kubectl(args, input);
  }
  CommandResult ok(const std::vector<std::string>& args, const std::string& input = {}) {
    CommandResult result = kubectl(args, input);
    EXPECT_EQ(result.exit_code, 0)
        << "kubectl " << ::testing::PrintToString(args) << ": " << result.err;
    return result;
  }
  // `kubectl get <what> -o jsonpath=<path>`; "" when it fails (e.g. not found).
  std::string jsonpath(const std::vector<std::string>& what, const std::string& path) {
    std::vector<std::string> args = {"get"};
    args.insert(args.end(), what.begin(), what.end());
    args.emplace_back("-o");
    args.push_back("jsonpath=" + path);
    const CommandResult result = kubectl(args);
    return result.exit_code == 0 ? result.out : std::string();
  }
  bool exists(const std::vector<std::string>& what) {
    std::vector<std::string> args = {"get"};
    args.insert(args.end(), what.begin(), what.end());
    return kubectl(args).exit_code == 0;
  }
  std::string phase(const std::string& namespace_, const std::string& name) {
    return jsonpath({"ddb", name, "-n", namespace_}, "{.status.phase}");
  }
  bool waitPhase(const std::string& namespace_, const std::string& name, const std::string& want,
                 std::chrono::milliseconds timeout = kConverge) {
    return eventually([&] { return phase(namespace_, name) == want; }, timeout);
  }
  void createNamespace(const std::string& name, const std::string& team) {
    ok({"apply", "-f", "-"}, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name +
                                 "\n  labels:\n    daap.io/team: " + team + "\n");
  }
  static std::string database(const std::string& namespace_, const std::string& name,
                              const std::string& tier) {
    return "apiVersion: daap.io/v1alpha1\nkind: DaapDatabase\nmetadata:\n  name: " + name +
           "\n  namespace: " + namespace_ +
           "\nspec:\n  ownerTeam: payments\n  purpose: e2e test database\n  tier: " + tier + "\n";
  }
  // A dev-like tier with its own name and quota.
  static std::string tier(const std::string& name, int max_databases, const std::string& memory) {
    return "apiVersion: daap.io/v1alpha1\nkind: DaapTier\nmetadata:\n  name: " + name +
           "\nspec:\n  description: e2e tier\n  postgresVersion: 17\n  instances: 1\n"
           "  resources:\n    cpu: 500m\n    memory: " +
           memory +
           "\n  storage:\n    size: 5Gi\n  destruction:\n    strategy: hard\n  quota:\n"
           "    maxDatabases: " +
           std::to_string(max_databases) +
           "\n    maxCpu: \"1000\"\n    maxMemory: 10000Gi\n    maxStorage: 100000Gi\n";
  }

  std::unique_ptr<DevclusterProcess> cluster_;
  std::unique_ptr<OperatorProcess> operator_;
};

TEST_F(OperatorE2eTest, ExampleDatabaseBecomesReadyWithConnectionInfo) {
  startOperator();
  ok({"apply", "-f", examples() + "/database-orders.yaml"});
  ASSERT_TRUE(waitPhase("daap-payments", "orders", "Ready")) << phase("daap-payments", "orders");

  EXPECT_TRUE(exists({"cluster", "orders", "-n", "daap-payments"}));
  EXPECT_TRUE(exists({"pooler", "orders-pooler", "-n", "daap-payments"}));
  EXPECT_TRUE(exists({"networkpolicy", "orders-access", "-n", "daap-payments"}));
  EXPECT_FALSE(exists({"objectstore", "orders-store", "-n", "daap-payments"}));
  EXPECT_EQ(jsonpath({"ddb", "orders", "-n", "daap-payments"},
                     "{.status.connection.host} {.status.connection.port} "
                     "{.status.connection.database} {.status.connection.secretName} "
                     "{.status.connection.caSecretName} {.status.connection.sslmode}"),
            "orders-pooler.daap-payments.svc 5432 orders orders-app orders-ca verify-full");
  EXPECT_EQ(jsonpath({"ddb", "orders", "-n", "daap-payments"},
                     "{.status.conditions[?(@.type==\"Ready\")].status} "
                     "{.status.conditions[?(@.type==\"QuotaAdmitted\")].status} "
                     "{.status.provisionedTier.tierGeneration} {.status.backup.enabled}"),
            "True True 1 false");
  EXPECT_EQ(jsonpath({"cluster", "orders", "-n", "daap-payments"},
                     "{.metadata.labels.app\\.kubernetes\\.io/managed-by} "
                     "{.metadata.ownerReferences[0].kind}"),
            "daap DaapDatabase");
  EXPECT_THAT(ok({"get", "ddb", "-n", "daap-payments"}).out,
              ::testing::ContainsRegex("orders +dev +payments +Ready"));
  EXPECT_TRUE(eventually(
      [&] {
        const std::string events =
            kubectl({"get", "events", "-n", "daap-payments", "--field-selector",
                     "involvedObject.name=orders", "-o", "jsonpath={.items[*].reason}"})
                .out;
        return events.find("Admitted") != std::string::npos &&
               events.find("ClusterCreated") != std::string::npos &&
               events.find("Ready") != std::string::npos;
      },
      kConverge));
  // The tier reports what its databases allocate.
  EXPECT_TRUE(eventually(
      [&] {
        return jsonpath({"dtier", "dev"}, "{.status.usage.databases} {.status.usage.memory}") ==
               "1 1Gi";
      },
      kConverge))
      << jsonpath({"dtier", "dev"}, "{.status.usage}");
}

TEST_F(OperatorE2eTest, BackupTierAddsObjectStoreAndScheduledBackup) {
  startOperator();
  createNamespace("team-a", "payments");
  ok({"apply", "-f", "-"}, database("team-a", "ledger", "staging"));
  ASSERT_TRUE(waitPhase("team-a", "ledger", "Ready")) << phase("team-a", "ledger");
  EXPECT_TRUE(exists({"cluster", "ledger", "-n", "team-a"}));
  EXPECT_TRUE(exists({"objectstore", "ledger-store", "-n", "team-a"}));
  EXPECT_TRUE(exists({"scheduledbackup", "ledger-backup", "-n", "team-a"}));
  EXPECT_TRUE(exists({"secret", "ledger-backup-s3", "-n", "team-a"}));
  EXPECT_EQ(jsonpath({"ddb", "ledger", "-n", "team-a"}, "{.status.backup.enabled}"), "true");
  EXPECT_EQ(jsonpath({"dtier", "staging"}, "{.status.conditions[?(@.type==\"Valid\")].status}"),
            "True");
}

TEST_F(OperatorE2eTest, MissingBackupCredentialsMakeTheTierInvalid) {
  ok({"-n", "daap-system", "delete", "secret", "daap-backup-credentials"});
  startOperator();
  EXPECT_TRUE(eventually(
      [&] {
        return jsonpath({"dtier", "production"},
                        "{.status.conditions[?(@.type==\"Valid\")].reason}") ==
               "BackupCredentialsMissing";
      },
      kConverge));
  createCredentials();
  EXPECT_TRUE(eventually(
      [&] {
        return jsonpath({"dtier", "production"},
                        "{.status.conditions[?(@.type==\"Valid\")].status}") == "True";
      },
      kConverge));
}

TEST_F(OperatorE2eTest, TierEditShapesOnlyNewDatabases) {
  startOperator();
  createNamespace("team-b", "payments");
  ok({"apply", "-f", "-"}, tier("editable", 10, "1Gi"));
  ok({"apply", "-f", "-"}, database("team-b", "first", "editable"));
  ASSERT_TRUE(waitPhase("team-b", "first", "Ready"));
  const std::string version_before =
      jsonpath({"cluster", "first", "-n", "team-b"}, "{.metadata.resourceVersion}");

  ok({"apply", "-f", "-"}, tier("editable", 10, "2Gi"));
  ok({"apply", "-f", "-"}, database("team-b", "second", "editable"));
  ASSERT_TRUE(waitPhase("team-b", "second", "Ready"));

  EXPECT_EQ(jsonpath({"cluster", "first", "-n", "team-b"}, "{.spec.resources.requests.memory}"),
            "1Gi");
  EXPECT_EQ(jsonpath({"cluster", "second", "-n", "team-b"}, "{.spec.resources.requests.memory}"),
            "2Gi");
  EXPECT_EQ(jsonpath({"ddb", "first", "-n", "team-b"}, "{.status.provisionedTier.tierGeneration}"),
            "1");
  EXPECT_EQ(jsonpath({"ddb", "second", "-n", "team-b"}, "{.status.provisionedTier.tierGeneration}"),
            "2");
  // The existing database's spec was not rewritten (the devcluster's CNPG stand-in may still
  // write its status, which does not touch spec.resources).
  EXPECT_EQ(jsonpath({"cluster", "first", "-n", "team-b"}, "{.metadata.generation}"), "1")
      << "cluster resourceVersion was " << version_before;
}

TEST_F(OperatorE2eTest, QuotaExhaustionRefusesThenAdmitsWhenRoomAppears) {
  startOperator();
  createNamespace("team-c", "payments");
  ok({"apply", "-f", "-"}, tier("tiny", 1, "1Gi"));
  ok({"apply", "-f", "-"}, database("team-c", "one", "tiny"));
  ASSERT_TRUE(waitPhase("team-c", "one", "Ready"));
  ok({"apply", "-f", "-"}, database("team-c", "two", "tiny"));
  ASSERT_TRUE(eventually(
      [&] {
        return jsonpath({"ddb", "two", "-n", "team-c"},
                        "{.status.conditions[?(@.type==\"QuotaAdmitted\")].status}") == "False";
      },
      kConverge));
  EXPECT_THAT(jsonpath({"ddb", "two", "-n", "team-c"},
                       "{.status.conditions[?(@.type==\"QuotaAdmitted\")].message}"),
              HasSubstr("databases"));
  EXPECT_EQ(jsonpath({"ddb", "two", "-n", "team-c"},
                     "{.status.conditions[?(@.type==\"QuotaAdmitted\")].reason}"),
            "QuotaExceeded");
  EXPECT_FALSE(exists({"cluster", "two", "-n", "team-c"}));
  EXPECT_THAT(kubectl({"describe", "ddb", "two", "-n", "team-c"}).out, HasSubstr("QuotaExceeded"));

  ok({"delete", "ddb", "one", "-n", "team-c", "--wait=false"});
  EXPECT_TRUE(waitPhase("team-c", "two", "Ready")) << phase("team-c", "two");
  EXPECT_TRUE(exists({"cluster", "two", "-n", "team-c"}));
  EXPECT_TRUE(eventually([&] { return !exists({"ddb", "one", "-n", "team-c"}); }, kConverge));
  EXPECT_FALSE(exists({"cluster", "one", "-n", "team-c"}));
}

TEST_F(OperatorE2eTest, FailedClusterGoesErrorAndRecovers) {
  startOperator();
  createNamespace("team-d", "payments");
  ok({"apply", "-f", "-"}, database("team-d", "fragile", "dev"));
  ASSERT_TRUE(waitPhase("team-d", "fragile", "Ready"));
  ok({"annotate", "cluster", "fragile", "-n", "team-d", "devcluster.daap.io/fail=disk full"});
  ASSERT_TRUE(waitPhase("team-d", "fragile", "Error"));
  EXPECT_EQ(jsonpath({"ddb", "fragile", "-n", "team-d"},
                     "{.status.conditions[?(@.type==\"Ready\")].status}"),
            "False");
  ok({"annotate", "cluster", "fragile", "-n", "team-d", "devcluster.daap.io/fail-"});
  ASSERT_TRUE(waitPhase("team-d", "fragile", "Ready"));
  const std::string describe = kubectl({"describe", "ddb", "fragile", "-n", "team-d"}).out;
  EXPECT_THAT(describe, HasSubstr("Failed"));
  EXPECT_THAT(describe, HasSubstr("Recovered"));
}

// Someone edits a rendered Cluster by hand: the operator puts back the fields DAAP owns and
// leaves everything else (here a label another tool added) alone.
TEST_F(OperatorE2eTest, DriftInOwnedFieldsIsRepairedAndOtherFieldsAreKept) {
  startOperator();
  createNamespace("team-e", "payments");
  ok({"apply", "-f", "-"}, database("team-e", "steady", "dev"));
  ASSERT_TRUE(waitPhase("team-e", "steady", "Ready"));
  const std::string instances =
      jsonpath({"cluster", "steady", "-n", "team-e"}, "{.spec.instances}");
  ok({"patch", "cluster", "steady", "-n", "team-e", "--type=merge", "-p",
      R"({"metadata":{"labels":{"example.com/cost-center":"42"}},"spec":{"instances":4}})"});
  EXPECT_TRUE(eventually(
      [&] {
        return jsonpath({"cluster", "steady", "-n", "team-e"}, "{.spec.instances}") == instances;
      },
      kConverge))
      << jsonpath({"cluster", "steady", "-n", "team-e"}, "{.spec.instances}");
  EXPECT_EQ(jsonpath({"cluster", "steady", "-n", "team-e"},
                     "{.metadata.labels.example\\.com/cost-center}"),
            "42");
}

TEST_F(OperatorE2eTest, TierDeletionIsBlockedWhileInUse) {
  startOperator();
  createNamespace("team-e", "payments");
  ok({"apply", "-f", "-"}, tier("doomed", 5, "1Gi"));
  ok({"apply", "-f", "-"}, database("team-e", "user", "doomed"));
  ASSERT_TRUE(waitPhase("team-e", "user", "Ready"));
  ASSERT_TRUE(eventually(
      [&] {
        return jsonpath({"dtier", "doomed"}, "{.metadata.finalizers}").find("tier-protection") !=
               std::string::npos;
      },
      kConverge));
  ok({"delete", "dtier", "doomed", "--wait=false"});
  EXPECT_TRUE(eventually(
      [&] {
        return kubectl({"get", "events", "-A", "--field-selector",
                        "involvedObject.name=doomed,reason=DeletionBlocked", "-o",
                        "jsonpath={.items[*].message}"})
                   .out.find("team-e/user") != std::string::npos;
      },
      kConverge));
  EXPECT_TRUE(exists({"dtier", "doomed"}));
  ok({"delete", "ddb", "user", "-n", "team-e", "--wait=false"});
  EXPECT_TRUE(eventually([&] { return !exists({"dtier", "doomed"}); }, kConverge));
}

TEST_F(OperatorE2eTest, ResyncOfUpToDateDatabasesWritesNothing) {
  startOperator({"--leader-election=false", "--resync-seconds=1"});
  createNamespace("team-f", "payments");
  for (const std::string name : {"a", "b", "c"}) {
    ok({"apply", "-f", "-"}, database("team-f", name, "staging"));
  }
  for (const std::string name : {"a", "b", "c"}) {
    ASSERT_TRUE(waitPhase("team-f", name, "Ready"));
  }
  // Settle: the devcluster's stand-in finishes its status writes (backups and all).
  double writes = -1;
  ASSERT_TRUE(eventually(
      [&] {
        const double now = operator_->metric("daap_operator_writes_total");
        const bool settled = now == writes;
        writes = now;
        std::this_thread::sleep_for(std::chrono::seconds(2));
        return settled;
      },
      std::chrono::seconds(60)));
  const double reconciles = operator_->metric("daap_reconcile_total", "controller=\"database\"");
  // Several resync periods pass: every database is reconciled again, and nothing is written.
  ASSERT_TRUE(eventually(
      [&] {
        return operator_->metric("daap_reconcile_total", "controller=\"database\"") >=
               reconciles + 9;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(operator_->metric("daap_operator_writes_total"), writes);
  EXPECT_EQ(operator_->get("/healthz").first, 200);
  EXPECT_EQ(operator_->get("/readyz").first, 200);
  EXPECT_GT(operator_->metric("daap_databases", "phase=\"Ready\""), 2.5);
}

TEST_F(OperatorE2eTest, KillDuringConcurrentCreatesConvergesWithoutDuplicates) {
  startOperator({"--leader-election=false", "--workers=4"});
  createNamespace("team-g", "payments");
  ok({"apply", "-f", "-"}, tier("bulk", 1000, "1Gi"));
  constexpr int kDatabases = 200;
  std::string manifests;
  for (int i = 0; i < kDatabases; ++i) {
    manifests += database("team-g", "db-" + std::to_string(i), "bulk") + "---\n";
  }
  const std::filesystem::path file = cluster_->dataDir() / "bulk.yaml";
  {
    std::ofstream out(file);
    out << manifests;
  }
  testing::ChildProcess apply;
  apply.start({"kubectl", "apply", "-f", file.string()}, cluster_->kubectlEnv());
  // Kill the operator in the middle of the stream of creates.
  ASSERT_TRUE(eventually(
      [&] {
        const std::string names =
            jsonpath({"clusters", "-n", "team-g"}, "{range .items[*]}{.metadata.name} {end}");
        return std::count(names.begin(), names.end(), ' ') >= 20;
      },
      std::chrono::seconds(60)));
  operator_->stop(SIGKILL);
  std::string line;
  while (apply.readLine(line, std::chrono::seconds(60))) {
  }
  apply.stop(SIGTERM);
  operator_->start();

  auto count = [&](const std::string& kind) {
    const std::string names =
        jsonpath({kind, "-n", "team-g"}, "{range .items[*]}{.metadata.name} {end}");
    return static_cast<int>(std::count(names.begin(), names.end(), ' '));
  };
  ASSERT_TRUE(eventually(
      [&] {
        const std::string phases =
            jsonpath({"ddb", "-n", "team-g"}, "{range .items[*]}{.status.phase} {end}");
        int ready = 0;
        for (size_t at = phases.find("Ready"); at != std::string::npos;
             at = phases.find("Ready", at + 1)) {
          ++ready;
        }
        return ready == kDatabases;
      },
      std::chrono::seconds(120)));
  EXPECT_EQ(count("clusters"), kDatabases);
  EXPECT_EQ(count("poolers"), kDatabases);
  EXPECT_EQ(count("networkpolicies"), kDatabases);
  // Every Cluster belongs to a distinct existing database.
  const std::string owners = jsonpath({"clusters", "-n", "team-g"},
                                      "{range .items[*]}{.metadata.ownerReferences[0].name} {end}");
  std::set<std::string> distinct;
  std::istringstream words(owners);
  for (std::string owner; words >> owner;) {
    distinct.insert(owner);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kDatabases));
  EXPECT_EQ(jsonpath({"dtier", "bulk"}, "{.status.usage.databases}"), "200");
}

TEST_F(OperatorE2eTest, StandbyTakesOverWhenTheLeaderIsKilled) {
  const std::vector<std::string> args = {"--leader-election=true", "--lease-duration-ms=2000",
                                         "--renew-deadline-ms=1500", "--retry-period-ms=200",
                                         "--namespace=daap-system"};
  std::vector<std::string> first_args = args;
  first_args.emplace_back("--identity=replica-1");
  std::vector<std::string> second_args = args;
  second_args.emplace_back("--identity=replica-2");
  OperatorProcess first(*cluster_, first_args);
  OperatorProcess second(*cluster_, second_args);
  first.start();
  second.start();
  ASSERT_TRUE(
      eventually([&] { return first.metric("daap_leader") + second.metric("daap_leader") == 1; },
                 std::chrono::seconds(10)));
  OperatorProcess& leader = first.metric("daap_leader") == 1 ? first : second;
  OperatorProcess& standby = &leader == &first ? second : first;
  EXPECT_EQ(standby.get("/readyz").first, 200);

  createNamespace("team-h", "payments");
  ok({"apply", "-f", "-"}, database("team-h", "before", "dev"));
  ASSERT_TRUE(waitPhase("team-h", "before", "Ready"));
  // Only the leader reconciled.
  EXPECT_EQ(standby.metric("daap_reconcile_total", "controller=\"database\""), 0);

  leader.stop(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      eventually([&] { return standby.metric("daap_leader") == 1; }, std::chrono::seconds(10)));
  // Takeover within the lease duration plus one retry period (and scrape latency).
  EXPECT_LT(std::chrono::steady_clock::now() - killed, std::chrono::milliseconds(5000));
  EXPECT_EQ(jsonpath({"lease", "daap-operator", "-n", "daap-system"}, "{.spec.holderIdentity}"),
            &standby == &first ? "replica-1" : "replica-2");
  ok({"apply", "-f", "-"}, database("team-h", "after", "dev"));
  EXPECT_TRUE(waitPhase("team-h", "after", "Ready"));
}

}  // namespace
}  // namespace daap

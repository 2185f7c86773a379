// The real kubectl against a devcluster process: what a platform team sees when it applies
// tiers and databases by hand or from a GitOps pipeline.
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/json/json.h"
#include "test/support/devcluster.h"
#include "test/support/testdata.h"

namespace daap {
namespace {

using ::testing::AllOf;
using testing::CommandResult;
using testing::DevclusterProcess;
using ::testing::HasSubstr;

class KubectlTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    shared_cluster = new DevclusterProcess();  // NOLINT(cppcoreguidelines-owning-memory)
    shared_cluster->start();
  }
  static void TearDownTestSuite() {
    delete shared_cluster;  // NOLINT(cppcoreguidelines-owning-memory)
    shared_cluster = nullptr;
  }

  static CommandResult kubectl(const std::vector<std::string>& args,
                               const std::string& input = {}) {
    return shared_cluster->kubectl(args, input);
  }

  static CommandResult kubectlOk(const std::vector<std::string>& args,
                                 const std::string& input = {}) {
    CommandResult result = kubectl(args, input);
    EXPECT_EQ(result.exit_code, 0) << "kubectl failed: " << result.err;
    return result;
  }

  static std::string examples() {
    return (::daap::testing::sourceDir() / "manifests/examples").string();
  }

  static json::Document getJson(const std::vector<std::string>& args) {
    std::vector<std::string> full = args;
    full.emplace_back("-o");
    full.emplace_back("json");
    const CommandResult result = kubectlOk(full);
    Result<json::Document> parsed = json::parse(result.out);
    EXPECT_TRUE(parsed.has_value()) << result.out;
    return parsed ? std::move(parsed).value() : json::Document();
  }

  static DevclusterProcess* shared_cluster;
};

DevclusterProcess* KubectlTest::shared_cluster = nullptr;

std::string field(const json::Value& object, std::initializer_list<std::string_view> path) {
  const json::Value* value = json::findPath(object, path);
  if (value == nullptr) {
    return "<absent>";
  }
  return value->IsString() ? std::string(json::view(*value)) : json::serialize(*value);
}

TEST_F(KubectlTest, ApplyingExamplesTwiceChangesNothingTheSecondTime) {
  const CommandResult first = kubectlOk({"apply", "-f", examples()});
  EXPECT_THAT(first.out, AllOf(HasSubstr("daaptier.daap.io/dev created"),
                               HasSubstr("daaptier.daap.io/production created"),
                               HasSubstr("daapdatabase.daap.io/orders created")));
  const json::Document before = getJson({"get", "dtier", "production"});

  const CommandResult second = kubectlOk({"apply", "-f", examples()});
  EXPECT_THAT(second.out, AllOf(HasSubstr("daaptier.daap.io/production unchanged"),
                                HasSubstr("daapdatabase.daap.io/orders unchanged")));
  const json::Document after = getJson({"get", "dtier", "production"});
  EXPECT_EQ(field(after, {"metadata", "generation"}), "1");
  EXPECT_EQ(field(after, {"metadata", "resourceVersion"}),
            field(before, {"metadata", "resourceVersion"}));
}

TEST_F(KubectlTest, GetTiersShowsPrinterColumns) {
  kubectlOk({"apply", "-f", examples()});
  const CommandResult result = kubectlOk({"get", "dtier"});
  EXPECT_THAT(result.out, HasSubstr("POSTGRES"));
  EXPECT_THAT(result.out, HasSubstr("INSTANCES"));
  EXPECT_THAT(result.out, HasSubstr("BACKUP"));
  EXPECT_THAT(result.out, HasSubstr("DESTRUCTION"));
  EXPECT_THAT(result.out,
              ::testing::ContainsRegex("production +[0-9]+ +3 +0 0 \\* \\* \\* \\* +archive"));
  EXPECT_THAT(result.out, ::testing::ContainsRegex("dev +[0-9]+ +1 +hard"));
}

TEST_F(KubectlTest, GetDatabasesAcrossNamespacesShowsTierOwnerStatus) {
  kubectlOk({"apply", "-f", examples()});
  kubectlOk({"patch", "ddb", "orders", "-n", "daap-payments", "--subresource=status",
             "--type=merge", "-p", R"({"status":{"phase":"Provisioning"}})"});
  const CommandResult result = kubectlOk({"get", "ddb", "-A"});
  EXPECT_THAT(result.out, ::testing::ContainsRegex("NAMESPACE +NAME +TIER +OWNER +STATUS +AGE"));
  EXPECT_THAT(result.out,
              ::testing::ContainsRegex("daap-payments +orders +dev +payments +Provisioning"));
}

TEST_F(KubectlTest, WatchSeesAnUpdate) {
  kubectlOk({"apply", "-f", examples()});
  ::daap::testing::ChildProcess watch;
  std::vector<std::string> argv = {"kubectl", "get",           "ddb", "orders",
                                   "-n",      "daap-payments", "-w",  "--no-headers"};
  watch.start(argv, shared_cluster->kubectlEnv());
  std::string line;
  ASSERT_TRUE(watch.readLine(line, std::chrono::seconds(30)));
  EXPECT_THAT(line, HasSubstr("orders"));

  kubectlOk({"patch", "ddb", "orders", "-n", "daap-payments", "--subresource=status",
             "--type=merge", "-p", R"({"status":{"phase":"Ready"}})"});
  bool saw_ready = false;
  while (!saw_ready && watch.readLine(line, std::chrono::seconds(30))) {
    saw_ready = line.find("Ready") != std::string::npos;
  }
  EXPECT_TRUE(saw_ready) << "last line: " << line;
  watch.stop(SIGTERM);
}

TEST_F(KubectlTest, DescribeShowsSpecAndEvents) {
  kubectlOk({"apply", "-f", examples()});
  const json::Document database = getJson({"get", "ddb", "orders", "-n", "daap-payments"});
  const std::string event = R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"orders.e2e1",)"
                            R"("namespace":"daap-payments"},"involvedObject":{"apiVersion":)"
                            R"("daap.io/v1alpha1","kind":"DaapDatabase","name":"orders",)"
                            R"("namespace":"daap-payments","uid":")" +
                            field(database, {"metadata", "uid"}) +
                            R"("},"reason":"Provisioning","message":"CNPG cluster requested",)"
                            R"("type":"Normal","count":1,"source":{"component":"daap-operator"}})";
  kubectlOk({"apply", "-f", "-"}, event);
  const CommandResult result = kubectlOk({"describe", "ddb", "orders", "-n", "daap-payments"});
  EXPECT_THAT(result.out, HasSubstr("Name:         orders"));
  EXPECT_THAT(result.out, HasSubstr("Owner Team:  payments"));
  EXPECT_THAT(result.out, HasSubstr("Events:"));
  EXPECT_THAT(result.out, HasSubstr("CNPG cluster requested"));
}

TEST_F(KubectlTest, DeleteWithFinalizerStaysTerminatingUntilItIsRemoved) {
  const std::string manifest = R"(
apiVersion: daap.io/v1alpha1
kind: DaapDatabase
metadata:
  name: held
  namespace: daap-payments
  finalizers: ["daap.io/test-hold"]
spec:
  ownerTeam: payments
  purpose: finalizer test
  tier: dev
)";
  kubectlOk({"apply", "-f", examples()});
  kubectlOk({"apply", "-f", "-"}, manifest);
  kubectlOk({"delete", "ddb", "held", "-n", "daap-payments", "--wait=false"});
  const json::Document terminating = getJson({"get", "ddb", "held", "-n", "daap-payments"});
  EXPECT_NE(field(terminating, {"metadata", "deletionTimestamp"}), "<absent>");

  kubectlOk({"patch", "ddb", "held", "-n", "daap-payments", "--type=json", "-p",
             R"([{"op":"remove","path":"/metadata/finalizers"}])"});
  const CommandResult gone = kubectl({"get", "ddb", "held", "-n", "daap-payments"});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_THAT(gone.err, HasSubstr("NotFound"));
}

TEST_F(KubectlTest, MisspelledClusterFieldIsRejectedByName) {
  const std::string cluster = R"(
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: typo
  namespace: default
spec:
  instancez: 3
  storage:
    size: 1Gi
)";
  const CommandResult result = kubectl({"apply", "-f", "-"}, cluster);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("unknown field \"spec.instancez\""));
  EXPECT_NE(kubectl({"get", "clusters.postgresql.cnpg.io", "typo"}).exit_code, 0);
}

TEST_F(KubectlTest, ChangingTheTierOfADatabaseIsRejected) {
  kubectlOk({"apply", "-f", examples()});
  const CommandResult result = kubectl({"patch", "ddb", "orders", "-n", "daap-payments",
                                        "--type=merge", "-p", R"({"spec":{"tier":"production"}})"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("tier is immutable"));
  const json::Document database = getJson({"get", "ddb", "orders", "-n", "daap-payments"});
  EXPECT_EQ(field(database, {"spec", "tier"}), "dev");
}

TEST_F(KubectlTest, ArchiveTierWithoutBackupIsRejected) {
  const std::string tier = R"(
apiVersion: daap.io/v1alpha1
kind: DaapTier
metadata:
  name: broken
spec:
  description: archive without backup
  postgresVersion: 16
  instances: 1
  resources: {cpu: "1", memory: 1Gi}
  storage: {size: 1Gi}
  destruction: {strategy: archive}
  quota: {maxDatabases: 1, maxCpu: "1", maxMemory: 1Gi, maxStorage: 1Gi}
)";
  const CommandResult result = kubectl({"apply", "-f", "-"}, tier);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("archive destruction strategy needs backup"));
  EXPECT_THAT(kubectl({"get", "dtier", "broken"}).err, HasSubstr("NotFound"));
}

TEST_F(KubectlTest, CnpgClusterComesUpHealthyInFastMode) {
  const std::string cluster = R"(
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: shown
  namespace: default
spec:
  instances: 2
  imageName: ghcr.io/cloudnative-pg/postgresql:16.10-standard-trixie
  storage:
    size: 1Gi
)";
  kubectlOk({"apply", "-f", "-"}, cluster);
  // kubectl wait watches the Ready condition the CNPG stand-in sets.
  kubectlOk(
      {"wait", "--for=condition=Ready", "clusters.postgresql.cnpg.io/shown", "--timeout=30s"});
  const CommandResult table = kubectlOk({"get", "clusters.postgresql.cnpg.io", "shown"});
  EXPECT_THAT(table.out, AllOf(HasSubstr("STATUS"), HasSubstr("PRIMARY"),
                               HasSubstr("Cluster in healthy state"), HasSubstr("shown-1")));
  const CommandResult secrets =
      kubectlOk({"get", "secrets", "-l", "cnpg.io/cluster=shown", "-o", "name"});
  EXPECT_THAT(secrets.out, AllOf(HasSubstr("secret/shown-app"), HasSubstr("secret/shown-ca"),
                                 HasSubstr("secret/shown-server")));
}

}  // namespace
}  // namespace daap

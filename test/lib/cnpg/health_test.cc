#include "lib/cnpg/health.h"

#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "lib/json/json.h"

namespace daap::cnpg {
namespace {

struct ClusterCase {
  std::string_view phase;
  ClusterHealth health;
  std::string_view reason;
};

// Test names in ctest show the case, not its bytes.
// NOLINTNEXTLINE(readability-identifier-naming): GoogleTest looks for this name.
void PrintTo(const ClusterCase& c, std::ostream* os) {
  *os << c.phase;
}

class JudgeClusterTest : public ::testing::TestWithParam<ClusterCase> {};

TEST_P(JudgeClusterTest, JudgesThePhase) {
  kube::CnpgClusterStatus status;
  status.phase = GetParam().phase;
  status.phase_reason = "details";
  const ClusterVerdict verdict = judgeCluster(status);
  EXPECT_EQ(clusterHealthName(verdict.health), clusterHealthName(GetParam().health));
  EXPECT_EQ(verdict.reason, GetParam().reason);
  if (!GetParam().phase.empty()) {
    EXPECT_EQ(verdict.message, std::string(GetParam().phase) + " (details)");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Phases, JudgeClusterTest,
    ::testing::Values(
        ClusterCase{"Cluster in healthy state", ClusterHealth::Healthy, "ClusterHealthy"},
        ClusterCase{"", ClusterHealth::Progressing, "ClusterPending"},
        ClusterCase{"Setting up primary", ClusterHealth::Progressing, "ClusterProgressing"},
        ClusterCase{"Creating a new replica", ClusterHealth::Progressing, "ClusterProgressing"},
        ClusterCase{"Switchover in progress", ClusterHealth::Progressing, "ClusterProgressing"},
        ClusterCase{"Failing over", ClusterHealth::Progressing, "ClusterProgressing"},
        ClusterCase{"Upgrading Postgres major version", ClusterHealth::Progressing,
                    "ClusterProgressing"},
        ClusterCase{"Waiting for the instances to become active", ClusterHealth::Progressing,
                    "ClusterProgressing"},
        // Exact matching: a near miss is not healthy.
        ClusterCase{"cluster in healthy state", ClusterHealth::Progressing, "ClusterProgressing"},
        ClusterCase{"Cluster is unrecoverable and needs manual intervention", ClusterHealth::Failed,
                    "ClusterFailed"},
        ClusterCase{"Invalid cluster definition", ClusterHealth::Failed, "ClusterFailed"},
        ClusterCase{"Cluster cannot proceed to reconciliation due to an unknown plugin being "
                    "required",
                    ClusterHealth::Failed, "ClusterFailed"},
        ClusterCase{"Cluster cannot proceed to reconciliation due to an error while interacting "
                    "with plugins",
                    ClusterHealth::Failed, "ClusterFailed"},
        ClusterCase{"Cluster has incomplete or invalid image catalog", ClusterHealth::Failed,
                    "ClusterFailed"}));

TEST(JudgeClusterTest, ReadsWhatCnpgWrites) {
  const json::Document cluster = json::parse(R"({
    "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
    "metadata": {"name": "orders", "namespace": "ns"},
    "spec": {"instances": 3},
    "status": {"phase": "Cluster in healthy state", "instances": 3, "readyInstances": 3,
               "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterIsReady",
                               "message": "", "lastTransitionTime": "2026-11-27T12:00:00Z"}]}
  })")
                                     .value();
  EXPECT_EQ(judgeCluster(kube::readCnpgClusterStatus(cluster)).health, ClusterHealth::Healthy);
  const json::Document fresh =
      json::parse(R"({"kind": "Cluster", "metadata": {"name": "x"}, "spec": {}})").value();
  EXPECT_EQ(judgeCluster(kube::readCnpgClusterStatus(fresh)).reason, "ClusterPending");
}

struct PoolerCase {
  std::string_view name;
  std::string_view phase;
  int32_t desired;
  int32_t instances;
  bool ready;
  std::string_view reason;
};

// Test names in ctest show the case, not its bytes.
// NOLINTNEXTLINE(readability-identifier-naming): GoogleTest looks for this name.
void PrintTo(const PoolerCase& c, std::ostream* os) {
  *os << c.name;
}

class JudgePoolerTest : public ::testing::TestWithParam<PoolerCase> {};

TEST_P(JudgePoolerTest, Judges) {
  kube::CnpgPoolerStatus status;
  status.phase = GetParam().phase;
  status.desired_instances = GetParam().desired;
  status.instances = GetParam().instances;
  const PoolerVerdict verdict = judgePooler(status);
  EXPECT_EQ(verdict.ready, GetParam().ready);
  EXPECT_EQ(verdict.reason, GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JudgePoolerTest,
    ::testing::Values(PoolerCase{"Active", "active", 2, 2, true, "PoolerReady"},
                      PoolerCase{"ScalingUp", "active", 2, 1, false, "PoolerProgressing"},
                      PoolerCase{"NotReconciled", "", 1, 0, false, "PoolerProgressing"},
                      PoolerCase{"MissingPrerequisite", "inactive", 1, 0, false,
                                 "PoolerProgressing"},
                      PoolerCase{"Paused", "paused", 1, 1, false, "PoolerProgressing"},
                      PoolerCase{"Failed", "failed", 1, 1, false, "PoolerFailed"},
                      PoolerCase{"Frozen", "active", 0, 0, false, "PoolerScaledDown"}),
    [](const ::testing::TestParamInfo<PoolerCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace daap::cnpg

#include "lib/model/lifecycle.h"

#include <array>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace daap::model {
namespace {

constexpr std::array<Phase, 6> kAllPhases = {Phase::Provisioning, Phase::Ready,    Phase::Error,
                                             Phase::Frozen,       Phase::Archived, Phase::Deleted};

TEST(PhaseNameTest, SpellsTheCrdEnumAndParsesBack) {
  const std::array<std::string_view, 6> names = {"Provisioning", "Ready",    "Error",
                                                 "Frozen",       "Archived", "Deleted"};
  for (size_t i = 0; i < kAllPhases.size(); ++i) {
    EXPECT_EQ(phaseName(kAllPhases[i]), names[i]);
    EXPECT_EQ(parsePhase(names[i]).value(), kAllPhases[i]);
  }
  EXPECT_FALSE(parsePhase("ready").has_value());
  EXPECT_FALSE(parsePhase("").has_value());
}

// The lifecycle diagram of DESIGN.md as a table: row = from, column = to, in kAllPhases order.
TEST(AllowedTransitionTest, FollowsTheLifecycleDiagram) {
  constexpr bool kAllowed[6][6] = {// to: Prov   Ready  Error  Frozen Arch   Del
                                   {true, true, true, true, true, true},        // from Provisioning
                                   {false, true, true, true, true, true},       // from Ready
                                   {true, true, true, true, true, true},        // from Error
                                   {false, true, false, true, true, true},      // from Frozen
                                   {false, false, false, false, true, true},    // from Archived
                                   {false, false, false, false, false, true}};  // from Deleted
  for (size_t from = 0; from < kAllPhases.size(); ++from) {
    for (size_t to = 0; to < kAllPhases.size(); ++to) {
      EXPECT_EQ(allowedTransition(kAllPhases[from], kAllPhases[to]), kAllowed[from][to])
          << phaseName(kAllPhases[from]) << " -> " << phaseName(kAllPhases[to]);
    }
  }
}

TEST(AllowedTransitionTest, OnlyArchivedAndDeletedAreTerminal) {
  for (const Phase phase : kAllPhases) {
    EXPECT_EQ(isTerminal(phase), phase == Phase::Archived || phase == Phase::Deleted);
  }
}

Observation healthy(std::optional<Phase> current) {
  Observation observation;
  observation.current = current;
  observation.cluster_exists = true;
  observation.cluster = ClusterHealth::Healthy;
  observation.pooler_ready = true;
  return observation;
}

struct DecisionCase {
  std::string_view name;
  Observation observation;
  Phase phase;
  bool ready;
  std::string_view reason;
};

// Test names in ctest show the case, not its bytes.
// NOLINTNEXTLINE(readability-identifier-naming): GoogleTest looks for this name.
void PrintTo(const DecisionCase& c, std::ostream* os) {
  *os << c.name;
}

Observation with(Observation observation, void (*change)(Observation&)) {
  change(observation);
  return observation;
}

class DecidePhaseTest : public ::testing::TestWithParam<DecisionCase> {};

TEST_P(DecidePhaseTest, Decides) {
  const PhaseDecision decision = decidePhase(GetParam().observation);
  EXPECT_EQ(phaseName(decision.phase), phaseName(GetParam().phase));
  EXPECT_EQ(decision.ready, GetParam().ready);
  EXPECT_EQ(decision.reason, GetParam().reason);
  EXPECT_FALSE(decision.message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DecidePhaseTest,
    ::testing::Values(
        DecisionCase{"NewDatabaseWithoutCluster", Observation{}, Phase::Provisioning, false,
                     "ClusterCreating"},
        DecisionCase{"ClusterSettingUp",
                     with(healthy(Phase::Provisioning),
                          [](Observation& o) { o.cluster = ClusterHealth::Progressing; }),
                     Phase::Provisioning, false, "ClusterNotReady"},
        DecisionCase{
            "WaitingForPooler",
            with(healthy(Phase::Provisioning), [](Observation& o) { o.pooler_ready = false; }),
            Phase::Provisioning, false, "PoolerNotReady"},
        DecisionCase{"BecomesReady", healthy(Phase::Provisioning), Phase::Ready, true,
                     "DatabaseReady"},
        DecisionCase{"FirstObservationAlreadyHealthy", healthy(std::nullopt), Phase::Ready, true,
                     "DatabaseReady"},
        DecisionCase{"StaysReady", healthy(Phase::Ready), Phase::Ready, true, "DatabaseReady"},
        DecisionCase{"SwitchoverKeepsReadyPhase",
                     with(healthy(Phase::Ready),
                          [](Observation& o) { o.cluster = ClusterHealth::Progressing; }),
                     Phase::Ready, false, "ClusterNotReady"},
        DecisionCase{"FailedWhileProvisioning",
                     with(healthy(Phase::Provisioning),
                          [](Observation& o) { o.cluster = ClusterHealth::Failed; }),
                     Phase::Error, false, "ClusterFailed"},
        DecisionCase{
            "FailedWhileReady",
            with(healthy(Phase::Ready), [](Observation& o) { o.cluster = ClusterHealth::Failed; }),
            Phase::Error, false, "ClusterFailed"},
        DecisionCase{"ErrorWhileRecovering",
                     with(healthy(Phase::Error),
                          [](Observation& o) { o.cluster = ClusterHealth::Progressing; }),
                     Phase::Error, false, "ClusterNotReady"},
        DecisionCase{"RecoversToReady", healthy(Phase::Error), Phase::Ready, true, "DatabaseReady"},
        DecisionCase{"ClusterVanished",
                     with(healthy(Phase::Ready), [](Observation& o) { o.cluster_exists = false; }),
                     Phase::Error, false, "ClusterMissing"},
        DecisionCase{"QuotaExceeded",
                     with(Observation{},
                          [](Observation& o) {
                            o.quota_admitted = false;
                            o.quota_message = "limit 1";
                          }),
                     Phase::Error, false, "QuotaExceeded"},
        DecisionCase{"UnfreezeInProgress",
                     with(healthy(Phase::Frozen),
                          [](Observation& o) { o.cluster = ClusterHealth::Progressing; }),
                     Phase::Frozen, false, "ClusterNotReady"},
        DecisionCase{"UnfreezeCompletes", healthy(Phase::Frozen), Phase::Ready, true,
                     "DatabaseReady"},
        DecisionCase{"ArchivedStaysArchived", healthy(Phase::Archived), Phase::Archived, false,
                     "Archived"},
        DecisionCase{"DeletedStaysDeleted",
                     with(Observation{}, [](Observation& o) { o.current = Phase::Deleted; }),
                     Phase::Deleted, false, "Deleted"}),
    [](const ::testing::TestParamInfo<DecisionCase>& info) {
      return std::string(info.param.name);
    });

// Over every combination of what the operator can observe: the decision is a legal move, and
// Ready=True means exactly "phase Ready, cluster healthy, pooler ready".
TEST(DecidePhaseTest, EveryDecisionIsAnAllowedTransition) {
  std::array<std::optional<Phase>, 7> currents = {std::nullopt};
  for (size_t i = 0; i < kAllPhases.size(); ++i) {
    currents[i + 1] = kAllPhases[i];
  }
  for (const std::optional<Phase> current : currents) {
    for (const bool admitted : {true, false}) {
      for (const bool exists : {true, false}) {
        for (const ClusterHealth health :
             {ClusterHealth::Progressing, ClusterHealth::Healthy, ClusterHealth::Failed}) {
          for (const bool pooler : {true, false}) {
            Observation observation;
            observation.current = current;
            observation.quota_admitted = admitted;
            observation.cluster_exists = exists;
            observation.cluster = health;
            observation.pooler_ready = pooler;
            const PhaseDecision decision = decidePhase(observation);
            const std::string where = std::string(current ? phaseName(*current) : "none") +
                                      " admitted=" + std::to_string(admitted) +
                                      " exists=" + std::to_string(exists) +
                                      " health=" + std::string(clusterHealthName(health)) +
                                      " pooler=" + std::to_string(pooler);
            if (current) {
              EXPECT_TRUE(allowedTransition(*current, decision.phase))
                  << where << " -> " << phaseName(decision.phase);
            }
            const bool serving = admitted && exists && health == ClusterHealth::Healthy && pooler &&
                                 !(current && isTerminal(*current));
            EXPECT_EQ(decision.ready, serving) << where;
            EXPECT_EQ(decision.ready, decision.phase == Phase::Ready && serving) << where;
            EXPECT_FALSE(decision.reason.empty()) << where;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace daap::model

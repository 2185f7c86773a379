#include "operator/admission.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace daap::controller {
namespace {

model::Quantity q(std::string_view text) {
  return *model::Quantity::parse(text);
}

model::Quota quota(int64_t databases, std::string_view memory) {
  return {databases, q("100"), q(memory), q("1000Gi")};
}

model::Usage demand() {
  return {1, q("500m"), q("1Gi"), q("5Gi")};
}

TEST(DecideAdmissionTest, OldestPendingDatabaseTakesTheLastRoom) {
  const model::Quota limit = quota(2, "100Gi");
  const model::Usage used = demand();  // One database already admitted.
  EXPECT_FALSE(decideAdmission(limit, used, demand(), {"ns/a", "ns/b"}, "ns/a").has_value());
  const std::optional<model::QuotaViolation> refused =
      decideAdmission(limit, used, demand(), {"ns/a", "ns/b"}, "ns/b");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->dimension, "databases");
}

TEST(DecideAdmissionTest, NamesTheExhaustedDimension) {
  const std::optional<model::QuotaViolation> refused =
      decideAdmission(quota(10, "1Gi"), demand(), demand(), {"ns/a"}, "ns/a");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->dimension, "memory");
  EXPECT_NE(refused->message().find("memory"), std::string::npos);
}

TEST(DecideAdmissionTest, RoomForSeveralAdmitsTheYoungerToo) {
  EXPECT_FALSE(
      decideAdmission(quota(3, "100Gi"), demand(), demand(), {"ns/a", "ns/b"}, "ns/b").has_value());
}

TEST(DecideAdmissionTest, KeyMissingFromPendingIsJudgedAfterThem) {
  EXPECT_TRUE(decideAdmission(quota(1, "100Gi"), {}, demand(), {"ns/a"}, "ns/z").has_value());
  EXPECT_FALSE(decideAdmission(quota(1, "100Gi"), {}, demand(), {}, "ns/z").has_value());
}

DatabaseSummary pendingSummary(int age) {
  DatabaseSummary summary;
  summary.tier = "dev";
  summary.created = std::chrono::system_clock::time_point(std::chrono::seconds(1000 + age));
  return summary;
}

// Twelve pending databases, one worker each, all asking at once under `limit`.
std::set<std::string> admitConcurrently(const model::Quota& limit) {
  DatabaseIndex index;
  std::vector<std::string> keys;
  for (int i = 0; i < 12; ++i) {
    keys.push_back("ns/db-" + std::to_string(i));
    index.upsert(keys.back(), pendingSummary(i));
  }
  Admission admission(index);
  std::mutex mu;
  std::set<std::string> admitted;
  std::vector<std::thread> workers;
  workers.reserve(keys.size());
  for (const std::string& key : keys) {
    workers.emplace_back([&, key] {
      Admission::Slot slot = admission.lock("dev");
      if (!slot.decide(limit, demand(), key)) {
        slot.admitted(key, demand());
        std::lock_guard lock(mu);
        admitted.insert(key);
      }
    });
  }
  for (std::thread& worker : workers) {
    worker.join();
  }
  return admitted;
}

TEST(AdmissionTest, ConcurrentWorkersNeverOverAdmitAndTheOldestWin) {
  for (int round = 0; round < 20; ++round) {
    EXPECT_EQ(admitConcurrently(quota(3, "100Gi")),
              (std::set<std::string>{"ns/db-0", "ns/db-1", "ns/db-2"}));
  }
}

TEST(AdmissionTest, RoomForEveryPendingDatabaseAdmitsThemAll) {
  EXPECT_EQ(admitConcurrently(quota(12, "100Gi")).size(), 12U);
  // One short in memory (12 x 1Gi demanded, 11.5Gi allowed): the youngest waits.
  const std::set<std::string> admitted = admitConcurrently(quota(100, "11776Mi"));
  EXPECT_EQ(admitted.size(), 11U);
  EXPECT_FALSE(admitted.contains("ns/db-11"));
}

TEST(AdmissionTest, LedgerEntriesGoOnceTheCacheShowsTheAdmission) {
  DatabaseIndex index;
  index.upsert("ns/a", pendingSummary(0));
  Admission admission(index);
  {
    Admission::Slot slot = admission.lock("dev");
    slot.admitted("ns/a", demand());
    EXPECT_EQ(slot.used().databases, 1);
    EXPECT_TRUE(slot.pending().empty());
  }
  DatabaseSummary admitted = pendingSummary(0);
  admitted.admitted = true;
  admitted.demand = demand();
  index.upsert("ns/a", admitted);
  // Counted once, from the cache.
  EXPECT_EQ(admission.lock("dev").used().databases, 1);
  index.erase("ns/a");
  EXPECT_EQ(admission.lock("dev").used().databases, 0);
}

TEST(DatabaseIndexTest, TracksUsagePendingOrderAndPhases) {
  DatabaseIndex index;
  index.upsert("ns/young", pendingSummary(5));
  index.upsert("ns/old", pendingSummary(1));
  DatabaseSummary admitted = pendingSummary(0);
  admitted.admitted = true;
  admitted.demand = demand();
  admitted.phase = "Ready";
  index.upsert("ns/running", admitted);
  EXPECT_EQ(index.pending("dev"), (std::vector<std::string>{"ns/old", "ns/young"}));
  EXPECT_EQ(index.admittedUsage("dev").memory, q("1Gi"));
  EXPECT_EQ(index.databases("dev").size(), 3U);
  EXPECT_EQ(index.countByPhase().at("Ready"), 1);
  index.erase("ns/running");
  EXPECT_EQ(index.admittedUsage("dev").databases, 0);
  EXPECT_TRUE(index.databases("other").empty());
}

}  // namespace
}  // namespace daap::controller

#include "lib/pg/quota_ledger.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lib/pg/migrator.h"
#include "lib/pg/mirror.h"
#include "test/lib/pg/pg_fixture.h"

namespace daap::pg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

model::Quantity q(const char* text) {
  return *model::Quantity::parse(text);
}

class QuotaLedgerTest : public PgTest {
protected:
  void SetUp() override {
    PgTest::SetUp();
    migrate();
  }
  static Usage demand() { return {1, q("500m"), q("1Gi"), q("10Gi")}; }
  static TierQuota roomy(int64_t databases) { return {databases, q("1000"), q("1Ti"), q("100Ti")}; }
  static ReservationRequest request(const std::string& name, const std::string& tier = "gold") {
    return {tier, "daap-payments", name, demand()};
  }
};

TEST_F(QuotaLedgerTest, ConcurrentReservationsNeverOverAdmit) {
  constexpr int kCallers = 200;
  constexpr int kQuota = 10;
  // Every caller takes its own connection from a shared pool, as gateway requests do.
  Pool pool(PoolOptions{url_, 64, seconds(60)});
  QuotaLedger ledger(pool);
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  threads.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      Result<ReservationId> id = ledger.reserve(request("db-" + std::to_string(i)), roomy(kQuota));
      if (id) {
        ++admitted;
      } else if (id.error().code == ErrorCode::QuotaExceeded) {
        ++refused;
      } else {
        ++other;
        ADD_FAILURE() << id.error().toString();
      }
    });
  }
  go = true;
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admitted.load(), kQuota);
  EXPECT_EQ(refused.load(), kCallers - kQuota);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(sql("SELECT count(*) FROM quota_reservations WHERE tier = 'gold'"), "10");
  Result<Usage> usage = ledger.usage("gold");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->databases, kQuota);
  EXPECT_EQ(usage->cpu, q("5"));
}

TEST_F(QuotaLedgerTest, TwoReplicasBatchingConcurrentlyNeverOverAdmit) {
  // Two ledgers on two pools are two gateway replicas: each batches its own callers, the
  // advisory lock orders the batches.
  constexpr int kCallersEach = 60;
  constexpr int kQuota = 25;
  Pool pool_a(PoolOptions{url_, 16, seconds(60)});
  Pool pool_b(PoolOptions{url_, 16, seconds(60)});
  QuotaLedger replica_a(pool_a);
  QuotaLedger replica_b(pool_b);
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  threads.reserve(size_t{2} * kCallersEach);
  for (int i = 0; i < 2 * kCallersEach; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      QuotaLedger& ledger = i % 2 == 0 ? replica_a : replica_b;
      Result<ReservationId> id = ledger.reserve(request("db-" + std::to_string(i)), roomy(kQuota));
      if (id) {
        ++admitted;
      } else if (id.error().code == ErrorCode::QuotaExceeded) {
        ++refused;
      } else {
        ADD_FAILURE() << id.error().toString();
      }
    });
  }
  go = true;
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admitted.load(), kQuota);
  EXPECT_EQ(refused.load(), 2 * kCallersEach - kQuota);
  EXPECT_EQ(sql("SELECT count(*) FROM quota_reservations WHERE tier = 'gold'"),
            std::to_string(kQuota));
  // Every admitted caller got its own reservation row.
  EXPECT_EQ(sql("SELECT count(DISTINCT database_name) FROM quota_reservations"),
            std::to_string(kQuota));
}

TEST_F(QuotaLedgerTest, ExceededNamesTheDimensionAndReleaseFreesRoom) {
  QuotaLedger ledger(*pool_);
  const TierQuota quota{5, q("1"), q("100Gi"), q("1Ti")};  // cpu allows two databases
  Result<ReservationId> first = ledger.reserve(request("a"), quota);
  ASSERT_TRUE(first) << first.error().toString();
  ASSERT_TRUE(ledger.reserve(request("b"), quota));
  Result<ReservationId> third = ledger.reserve(request("c"), quota);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::QuotaExceeded);
  ASSERT_EQ(third.error().causes.size(), 1U);
  EXPECT_EQ(third.error().causes[0].field, "cpu");
  EXPECT_EQ(third.error().causes[0].reason, "QuotaExceeded");
  EXPECT_EQ(third.error().causes[0].message, "limit 1, used 1, requested 500m");
  EXPECT_NE(third.error().message.find("gold"), std::string::npos);

  // Another tier has its own quota.
  EXPECT_TRUE(ledger.reserve(request("c", "silver"), quota));

  ASSERT_TRUE(ledger.release(*first));
  ASSERT_TRUE(ledger.release(*first));  // releasing twice is harmless
  EXPECT_TRUE(ledger.reserve(request("c"), quota));

  const TierQuota closed{0, q("10"), q("10Gi"), q("1Ti")};
  Result<ReservationId> none = ledger.reserve(request("d", "closed"), closed);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().causes[0].field, "databases");
}

TEST_F(QuotaLedgerTest, MirroredDatabasesCountAndSettleTheirReservation) {
  QuotaLedger ledger(*pool_);
  MirrorRepository mirror(*pool_);
  const TierQuota quota = roomy(3);
  // One database already exists (applied with kubectl); two more are admitted.
  DatabaseRecord existing;
  existing.id = "00000000-0000-4000-8000-000000000001";
  existing.name = "existing";
  existing.namespace_name = "daap-payments";
  existing.owner_team = "payments";
  existing.tier = "gold";
  existing.resource_version = "1";
  existing.demand = demand();
  ASSERT_TRUE(*mirror.upsertDatabase(existing));
  ASSERT_TRUE(ledger.reserve(request("new-1"), quota));
  ASSERT_TRUE(ledger.reserve(request("new-2"), quota));
  EXPECT_EQ(ledger.usage("gold")->databases, 3);
  EXPECT_EQ(ledger.reserve(request("new-3"), quota).error().code, ErrorCode::QuotaExceeded);

  // The watch sees new-1: it counts once, not twice.
  DatabaseRecord created = existing;
  created.id = "00000000-0000-4000-8000-000000000002";
  created.name = "new-1";
  ASSERT_TRUE(*mirror.upsertDatabase(created));
  EXPECT_EQ(ledger.usage("gold")->databases, 3);
  EXPECT_EQ(sql("SELECT count(*) FROM quota_reservations"), "1");

  // Archiving the existing one frees its share.
  existing.resource_version = "2";
  existing.phase = "Archived";
  existing.counts_toward_quota = countsTowardQuota(existing.phase);
  ASSERT_TRUE(*mirror.upsertDatabase(existing));
  EXPECT_EQ(ledger.usage("gold")->databases, 2);
  EXPECT_TRUE(ledger.reserve(request("new-3"), quota));
}

TEST_F(QuotaLedgerTest, UsageKeptByTheTriggerMatchesTheRowsThroughEveryChange) {
  QuotaLedger ledger(*pool_);
  MirrorRepository mirror(*pool_);
  // After each step, what admission reads (the usage changes, folded now and then) must equal
  // the sum over the rows themselves, on both tiers.
  const auto agree = [&](const char* step) {
    for (const char* tier : {"gold", "silver"}) {
      Result<Usage> kept = ledger.usage(tier);
      Result<Usage> summed = mirror.tierUsage(tier);
      ASSERT_TRUE(kept && summed) << step;
      EXPECT_EQ(*kept, *summed) << step << " tier " << tier;
    }
  };
  // A reservation on a third tier folds nothing of gold; one on gold folds gold's changes.
  const auto fold = [&](const char* tier) {
    Result<ReservationId> id = ledger.reserve(request("fold", tier), roomy(1000));
    ASSERT_TRUE(id) << id.error().toString();
    ASSERT_TRUE(ledger.release(*id));
  };
  const auto record = [](int n, const char* rv, const char* tier) {
    DatabaseRecord db;
    db.id = "00000000-0000-4000-8000-00000000000" + std::to_string(n);
    db.name = "db-" + std::to_string(n);
    db.namespace_name = "daap-payments";
    db.owner_team = "payments";
    db.tier = tier;
    db.resource_version = rv;
    db.demand = demand();
    return db;
  };
  for (int n = 1; n <= 4; ++n) {
    ASSERT_TRUE(*mirror.upsertDatabase(record(n, "10", "gold")));
  }
  agree("four created");
  fold("gold");
  agree("folded");

  DatabaseRecord status_only = record(1, "11", "gold");
  status_only.phase = "Ready";
  ASSERT_TRUE(*mirror.upsertDatabase(status_only));
  agree("status change");

  DatabaseRecord bigger = record(2, "12", "gold");
  bigger.demand = {1, q("2"), q("4Gi"), q("50Gi")};
  ASSERT_TRUE(*mirror.upsertDatabase(bigger));
  DatabaseRecord moved = record(3, "13", "silver");
  ASSERT_TRUE(*mirror.upsertDatabase(moved));
  agree("resized and moved to another tier");

  DatabaseRecord archived = record(4, "14", "gold");
  archived.phase = "Archived";
  archived.counts_toward_quota = countsTowardQuota(archived.phase);
  ASSERT_TRUE(*mirror.upsertDatabase(archived));
  agree("archived");
  fold("silver");

  ASSERT_TRUE(*mirror.markDatabaseDeleted(record(1, "", "").id, "20"));
  agree("deleted");
  DatabaseRecord replacement = record(5, "21", "gold");
  replacement.name = "db-2";  // Takes db-2's name: the old row retires.
  ASSERT_TRUE(*mirror.upsertDatabase(replacement));
  agree("replaced");
  fold("gold");
  ASSERT_TRUE(*mirror.upsertDatabase(record(6, "22", "silver")));
  // db-3 and the archived db-4 are not in this list; db-6 is newer than it.
  EXPECT_EQ(*mirror.markDatabasesDeletedExcept({record(5, "", "").id}, "21"), 2);
  agree("relisted");
  EXPECT_TRUE(*mirror.upsertDatabase(record(3, "13", "silver")));  // Live after all.
  agree("revived");
  sql("DELETE FROM databases WHERE id = '" + record(5, "", "").id + "'");
  agree("row removed");
  fold("gold");
  fold("silver");
  agree("folded again");
  EXPECT_EQ(ledger.usage("gold")->databases, 0);
  EXPECT_EQ(ledger.usage("silver")->databases, 2);  // db-3, db-6
  EXPECT_EQ(sql("SELECT count(*) FROM tier_usage_changes WHERE tier = 'gold'"), "1");
}

TEST_F(QuotaLedgerTest, UpgradeCountsTheDatabasesAlreadyMirrored) {
  // A platform database from before the usage changes existed: the migration backfills them.
  Result<Migrator> migrator = Migrator::fromDirectory(*pool_, migrationsDir());
  ASSERT_TRUE(migrator);
  ASSERT_EQ(*migrator->down(1), 1);
  MirrorRepository mirror(*pool_);
  for (int n = 1; n <= 3; ++n) {
    DatabaseRecord db;
    db.id = "00000000-0000-4000-8000-00000000000" + std::to_string(n);
    db.name = "db-" + std::to_string(n);
    db.namespace_name = "daap-payments";
    db.owner_team = "payments";
    db.tier = "gold";
    db.resource_version = "1";
    db.demand = demand();
    db.phase = n == 3 ? "Archived" : "Ready";
    db.counts_toward_quota = countsTowardQuota(db.phase);
    ASSERT_TRUE(*mirror.upsertDatabase(db));
  }
  ASSERT_EQ(*migrator->up(), 1);
  QuotaLedger ledger(*pool_);
  EXPECT_EQ(*ledger.usage("gold"), demand() * 2);
  EXPECT_EQ(*ledger.usage("gold"), *mirror.tierUsage("gold"));
}

TEST_F(QuotaLedgerTest, ReservationsExpire) {
  QuotaLedger ledger(*pool_, std::chrono::hours(1));
  const TierQuota quota = roomy(1);
  ASSERT_TRUE(ledger.reserve(request("a"), quota));
  EXPECT_EQ(ledger.reserve(request("b"), quota).error().code, ErrorCode::QuotaExceeded);
  // The gateway died mid-create and the reservation's TTL ran out: moved back in time here
  // instead of waiting, so a slow machine cannot expire the next reservation too.
  sql("UPDATE quota_reservations SET expires_at = now() - interval '1 second' "
      "WHERE database_name = 'a'");
  const Result<ReservationId> later = ledger.reserve(request("b"), quota);
  ASSERT_TRUE(later) << later.error().toString();
  EXPECT_EQ(ledger.usage("gold")->databases, 1);
  // The expired one is still stored until purged.
  EXPECT_EQ(sql("SELECT count(*) FROM quota_reservations"), "2");
  EXPECT_EQ(*ledger.purgeExpired(), 1);
  EXPECT_EQ(sql("SELECT count(*) FROM quota_reservations"), "1");
}

}  // namespace
}  // namespace daap::pg

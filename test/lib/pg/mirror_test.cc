#include "lib/pg/mirror.h"

#include <atomic>
#include <cstdio>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test/lib/pg/pg_fixture.h"

namespace daap::pg {
namespace {

model::Quantity q(const char* text) {
  return *model::Quantity::parse(text);
}

// A uuid whose last digits are n.
std::string uuid(int n) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "00000000-0000-4000-8000-%012d", n);
  return buffer;
}

class MirrorRepositoryTest : public PgTest {
protected:
  void SetUp() override {
    PgTest::SetUp();
    migrate();
  }

  const Timestamp base_ =
      Timestamp(std::chrono::sys_days(std::chrono::year(2026) / std::chrono::October / 1));

  static TierRecord tier(const std::string& name, const std::string& rv) {
    TierRecord t;
    t.name = name;
    t.uid = "uid-" + name;
    t.generation = 1;
    t.resource_version = rv;
    t.description = "Tier " + name;
    t.postgres_version = 16;
    t.instances = 2;
    t.cpu = q("500m");
    t.memory = q("1Gi");
    t.storage = q("10Gi");
    t.backup_enabled = true;
    t.destruction_strategy = "archive";
    t.quota = {10, q("8"), q("32Gi"), q("500Gi")};
    t.spec_json = R"({"description":"Tier )" + name + R"("})";
    return t;
  }

  DatabaseRecord database(int n, const std::string& rv, const std::string& team = "payments",
                          const std::string& tier_name = "standard") {
    DatabaseRecord db;
    db.id = uuid(n);
    db.name = "db-" + std::to_string(n);
    db.namespace_name = "daap-" + team;
    db.owner_team = team;
    db.purpose = "orders";
    db.tier = tier_name;
    db.phase = "Provisioning";
    db.generation = 1;
    db.resource_version = rv;
    db.demand = {1, q("1"), q("2Gi"), q("20Gi")};
    db.created_at = base_ + std::chrono::seconds(n);
    return db;
  }
};

TEST_F(MirrorRepositoryTest, TierUpsertIsGuardedByResourceVersion) {
  MirrorRepository mirror(*pool_);
  Result<bool> applied = mirror.upsertTier(tier("standard", "100"));
  ASSERT_TRUE(applied) << applied.error().toString();
  EXPECT_TRUE(*applied);

  Result<TierRecord> got = mirror.getTier("standard");
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(got->uid, "uid-standard");
  EXPECT_EQ(got->resource_version, "100");
  EXPECT_EQ(got->instances, 2);
  EXPECT_EQ(got->cpu, q("500m"));
  EXPECT_EQ(got->memory, q("1Gi"));
  EXPECT_EQ(got->storage, q("10Gi"));
  EXPECT_EQ(got->quota.max_databases, 10);
  EXPECT_EQ(got->quota.max_cpu, q("8"));
  EXPECT_EQ(got->quota.max_memory, q("32Gi"));
  EXPECT_EQ(got->quota.max_storage, q("500Gi"));
  EXPECT_EQ(got->destruction_strategy, "archive");
  EXPECT_TRUE(got->backup_enabled);
  EXPECT_EQ(got->spec_json, R"({"description": "Tier standard"})");

  TierRecord older = tier("standard", "99");
  older.description = "stale";
  EXPECT_FALSE(*mirror.upsertTier(older));
  EXPECT_FALSE(*mirror.upsertTier(tier("standard", "100")));  // same version: nothing to do
  EXPECT_EQ(mirror.getTier("standard")->description, "Tier standard");

  TierRecord newer = tier("standard", "150");
  newer.description = "fresh";
  newer.quota.max_databases = 20;
  EXPECT_TRUE(*mirror.upsertTier(newer));
  EXPECT_EQ(mirror.getTier("standard")->description, "fresh");
  EXPECT_EQ(mirror.getTier("standard")->quota.max_databases, 20);

  EXPECT_EQ(mirror.upsertTier(tier("bad", "abc")).error().code, ErrorCode::InvalidArgument);
}

TEST_F(MirrorRepositoryTest, TierDeleteListAndRevive) {
  MirrorRepository mirror(*pool_);
  ASSERT_TRUE(mirror.upsertTier(tier("gold", "10")));
  ASSERT_TRUE(mirror.upsertTier(tier("bronze", "11")));
  ASSERT_TRUE(mirror.upsertTier(tier("silver", "12")));
  Result<std::vector<TierRecord>> tiers = mirror.listTiers();
  ASSERT_TRUE(tiers);
  ASSERT_EQ(tiers->size(), 3U);
  EXPECT_EQ((*tiers)[0].name, "bronze");
  EXPECT_EQ((*tiers)[2].name, "silver");

  // A delete older than the row is ignored; a current one hides the tier.
  EXPECT_FALSE(*mirror.markTierDeleted("gold", "5"));
  EXPECT_TRUE(*mirror.markTierDeleted("gold", "20"));
  EXPECT_EQ(mirror.getTier("gold").error().code, ErrorCode::NotFound);
  EXPECT_EQ(mirror.listTiers()->size(), 2U);
  // A late event from before the delete does not bring it back; a recreation does.
  EXPECT_FALSE(*mirror.upsertTier(tier("gold", "15")));
  EXPECT_EQ(mirror.getTier("gold").error().code, ErrorCode::NotFound);
  EXPECT_TRUE(*mirror.upsertTier(tier("gold", "30")));
  EXPECT_TRUE(mirror.getTier("gold"));

  // After a relist only the listed tiers remain.
  EXPECT_EQ(*mirror.markTiersDeletedExcept({"gold", "silver"}, "40"), 1);
  EXPECT_EQ(mirror.getTier("bronze").error().code, ErrorCode::NotFound);
  EXPECT_EQ(mirror.listTiers()->size(), 2U);
}

TEST_F(MirrorRepositoryTest, DatabaseUpsertGuardGetAndDelete) {
  MirrorRepository mirror(*pool_);
  DatabaseRecord db = database(1, "200");
  db.restore_source_id = uuid(99);
  db.restore_target_time = base_ + std::chrono::hours(1);
  db.provisioned_tier_json = R"({"instances": 2})";
  ASSERT_TRUE(*mirror.upsertDatabase(db));

  Result<DatabaseRecord> got = mirror.getDatabase(db.id);
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(got->name, "db-1");
  EXPECT_EQ(got->namespace_name, "daap-payments");
  EXPECT_EQ(got->phase, "Provisioning");
  EXPECT_EQ(got->host, "");
  EXPECT_EQ(got->port, 0);
  EXPECT_EQ(got->restore_source_id, uuid(99));
  EXPECT_EQ(got->restore_target_time, db.restore_target_time);
  EXPECT_EQ(got->provisioned_tier_json, R"({"instances": 2})");
  EXPECT_EQ(got->demand, db.demand);
  EXPECT_EQ(got->created_at, db.created_at);
  EXPECT_FALSE(got->deleted_at);

  // The operator reports it ready (newer version): connection info appears.
  DatabaseRecord ready = db;
  ready.resource_version = "201";
  ready.phase = "Ready";
  ready.host = "db-1-pooler.daap-payments.svc";
  ready.port = 5432;
  ready.database = "app";
  ready.secret_name = "db-1-app";
  ready.ca_secret_name = "db-1-ca";
  ready.sslmode = "verify-full";
  ready.backup_enabled = true;
  ready.last_successful_backup = base_ + std::chrono::hours(2);
  ready.extensions_json = R"([{"name": "plpgsql", "version": "1.0"}])";
  ASSERT_TRUE(*mirror.upsertDatabase(ready));
  // A stale event (the Provisioning one again) does not roll it back.
  EXPECT_FALSE(*mirror.upsertDatabase(db));
  got = mirror.getDatabase(db.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->phase, "Ready");
  EXPECT_EQ(got->resource_version, "201");
  EXPECT_EQ(got->port, 5432);
  EXPECT_EQ(got->secret_name, "db-1-app");
  EXPECT_EQ(got->ca_secret_name, "db-1-ca");
  EXPECT_EQ(got->sslmode, "verify-full");
  EXPECT_EQ(got->last_successful_backup, ready.last_successful_backup);
  EXPECT_EQ(got->extensions_json, ready.extensions_json);

  EXPECT_FALSE(*mirror.markDatabaseDeleted(db.id, "150"));  // older than the row
  EXPECT_TRUE(*mirror.markDatabaseDeleted(db.id, "300"));
  EXPECT_EQ(mirror.getDatabase(db.id).error().code, ErrorCode::NotFound);
  Result<DatabaseRecord> kept = mirror.getDatabase(db.id, /*include_deleted=*/true);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->deleted_at);
  EXPECT_FALSE(*mirror.upsertDatabase(ready));  // an event from before the delete

  EXPECT_EQ(mirror.getDatabase("nope").error().code, ErrorCode::NotFound);
  EXPECT_EQ(mirror.getDatabase(uuid(12345)).error().code, ErrorCode::NotFound);
  EXPECT_EQ(mirror.upsertDatabase(database(2, "x1")).error().code, ErrorCode::InvalidArgument);
}

TEST_F(MirrorRepositoryTest, ReplacedObjectRetiresTheOldRow) {
  MirrorRepository mirror(*pool_);
  ASSERT_TRUE(*mirror.upsertDatabase(database(1, "10")));
  // Deleted and recreated under the same name while the watch was down: a new uid.
  DatabaseRecord replacement = database(2, "20");
  replacement.name = "db-1";
  ASSERT_TRUE(*mirror.upsertDatabase(replacement));
  EXPECT_EQ(mirror.getDatabase(uuid(1)).error().code, ErrorCode::NotFound);
  EXPECT_TRUE(mirror.getDatabase(uuid(2)));
  // The old object's late event cannot take the name back.
  DatabaseRecord late = database(1, "15");
  EXPECT_FALSE(*mirror.upsertDatabase(late));
  EXPECT_TRUE(mirror.getDatabase(uuid(2)));

  // The same name in another namespace is a different database.
  DatabaseRecord elsewhere = database(3, "30", "search");
  elsewhere.name = "db-1";
  EXPECT_TRUE(*mirror.upsertDatabase(elsewhere));
  EXPECT_TRUE(mirror.getDatabase(uuid(2)));
  EXPECT_TRUE(mirror.getDatabase(uuid(3)));

  // After a relist, rows of objects no longer in Kubernetes are marked deleted.
  EXPECT_EQ(*mirror.markDatabasesDeletedExcept({uuid(3)}, "40"), 1);
  EXPECT_EQ(mirror.getDatabase(uuid(2)).error().code, ErrorCode::NotFound);
}

TEST_F(MirrorRepositoryTest, RelistKeepsRowsNewerThanTheList) {
  MirrorRepository mirror(*pool_);
  ASSERT_TRUE(*mirror.upsertDatabase(database(1, "10")));
  ASSERT_TRUE(*mirror.upsertTier(tier("gold", "11")));
  // Created after the list was taken (the gateway's own write, or an event the list predates):
  // its absence from that list says nothing.
  ASSERT_TRUE(*mirror.upsertDatabase(database(2, "60")));
  ASSERT_TRUE(*mirror.upsertTier(tier("silver", "61")));

  EXPECT_EQ(*mirror.markDatabasesDeletedExcept({}, "50"), 1);
  EXPECT_EQ(*mirror.markTiersDeletedExcept({}, "50"), 1);
  EXPECT_EQ(mirror.getDatabase(uuid(1)).error().code, ErrorCode::NotFound);
  EXPECT_TRUE(mirror.getDatabase(uuid(2)));
  EXPECT_EQ(mirror.getTier("gold").error().code, ErrorCode::NotFound);
  EXPECT_TRUE(mirror.getTier("silver"));
  EXPECT_EQ(mirror.markDatabasesDeletedExcept({}, "soon").error().code, ErrorCode::InvalidArgument);

  // A row retired by a list that had not seen it yet (rv 60, list "70" without it) comes back
  // when the object shows up live at that same version.
  EXPECT_EQ(*mirror.markDatabasesDeletedExcept({}, "70"), 1);
  EXPECT_EQ(mirror.getDatabase(uuid(2)).error().code, ErrorCode::NotFound);
  EXPECT_TRUE(*mirror.upsertDatabase(database(2, "60")));
  EXPECT_TRUE(mirror.getDatabase(uuid(2)));
  // A deletion event sets the row's version past every live version: nothing revives it.
  EXPECT_TRUE(*mirror.markDatabaseDeleted(uuid(2), "80"));
  EXPECT_FALSE(*mirror.upsertDatabase(database(2, "60")));
  EXPECT_EQ(mirror.getDatabase(uuid(2)).error().code, ErrorCode::NotFound);
}

TEST_F(MirrorRepositoryTest, ConcurrentWritersOfOneNewDatabaseNeverConflict) {
  // The watch, the gateway's own write and other replicas mirror a new database at once: one
  // insert wins, the others find it there; none fails on the active-name index.
  Pool pool(PoolOptions{url_, 8, std::chrono::seconds(60)});
  MirrorRepository mirror(pool);
  constexpr int kWriters = 6;
  for (int round = 1; round <= 20; ++round) {
    const DatabaseRecord db = database(round, "10");
    std::atomic<int> ready{0};
    std::atomic<int> inserted{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        ++ready;
        while (ready.load() < kWriters) {
          std::this_thread::yield();
        }
        // Half write it alone, half in a batch, as the gateway's two paths do.
        Result<int64_t> written = int64_t{0};
        if (w % 2 == 0) {
          Result<bool> changed = mirror.upsertDatabase(db);
          written = changed ? Result<int64_t>(int64_t{*changed ? 1 : 0})
                            : Result<int64_t>(changed.error());
        } else {
          written = mirror.upsertDatabases({db});
        }
        ASSERT_TRUE(written) << "round " << round << ": " << written.error().toString();
        inserted += static_cast<int>(*written);
      });
    }
    for (std::thread& writer : writers) {
      writer.join();
    }
    EXPECT_EQ(inserted.load(), 1) << "round " << round;
  }
}

TEST_F(MirrorRepositoryTest, ActiveNameExistsMatchesExactNamesOfActiveDatabasesOnly) {
  MirrorRepository mirror(*pool_);
  ASSERT_TRUE(*mirror.upsertDatabase(database(1, "10")));  // db-1
  DatabaseRecord longer = database(2, "10");
  longer.name = "db-10";
  ASSERT_TRUE(*mirror.upsertDatabase(longer));
  DatabaseRecord deleted_phase = database(3, "10", "search");
  deleted_phase.name = "gone";
  deleted_phase.phase = "Deleted";
  ASSERT_TRUE(*mirror.upsertDatabase(deleted_phase));
  DatabaseRecord removed = database(4, "10", "search");
  removed.name = "removed";
  ASSERT_TRUE(*mirror.upsertDatabase(removed));
  ASSERT_TRUE(*mirror.markDatabaseDeleted(uuid(4), "11"));

  EXPECT_TRUE(*mirror.activeNameExists("db-1"));
  EXPECT_TRUE(*mirror.activeNameExists("db-10"));
  EXPECT_FALSE(*mirror.activeNameExists("db-"));  // A prefix is not the name.
  EXPECT_FALSE(*mirror.activeNameExists("db-100"));
  EXPECT_FALSE(*mirror.activeNameExists("gone"));
  EXPECT_FALSE(*mirror.activeNameExists("removed"));
  EXPECT_FALSE(*mirror.activeNameExists("db_1"));  // '_' is no wildcard.
}

TEST_F(MirrorRepositoryTest, BatchUpsertIsGuardedPerRowAndAllOrNothingOnBadInput) {
  MirrorRepository mirror(*pool_);
  ASSERT_TRUE(*mirror.upsertDatabase(database(1, "20")));
  // Row 1 is older than what is stored: unchanged; 2 and 3 are new.
  Result<int64_t> changed =
      mirror.upsertDatabases({database(1, "10"), database(2, "10"), database(3, "10")});
  ASSERT_TRUE(changed) << changed.error().toString();
  EXPECT_EQ(*changed, 2);
  EXPECT_EQ(mirror.getDatabase(uuid(1))->resource_version, "20");
  EXPECT_TRUE(mirror.getDatabase(uuid(3)));
  // One bad record refuses the whole batch before anything is written.
  DatabaseRecord bad = database(5, "10");
  bad.id = "not-a-uuid";
  EXPECT_EQ(mirror.upsertDatabases({database(4, "10"), bad}).error().code,
            ErrorCode::InvalidArgument);
  EXPECT_EQ(mirror.getDatabase(uuid(4)).error().code, ErrorCode::NotFound);
  EXPECT_EQ(*mirror.upsertDatabases({}), 0);
}

TEST_F(MirrorRepositoryTest, TierCountsAndUsage) {
  MirrorRepository mirror(*pool_);
  for (int i = 1; i <= 5; ++i) {
    DatabaseRecord db = database(i, "10");
    if (i == 4) {
      db.phase = "Archived";
      db.counts_toward_quota = countsTowardQuota(db.phase);
    }
    ASSERT_TRUE(*mirror.upsertDatabase(db));
  }
  ASSERT_TRUE(*mirror.upsertDatabase(database(6, "10", "payments", "other")));
  ASSERT_TRUE(*mirror.markDatabaseDeleted(uuid(5), "11"));

  EXPECT_EQ(*mirror.countDatabasesUsingTier("standard"), 4);  // 1..4; 5 is gone
  EXPECT_EQ(*mirror.countDatabasesUsingTier("other"), 1);
  EXPECT_EQ(*mirror.countDatabasesUsingTier("none"), 0);
  Result<Usage> usage = mirror.tierUsage("standard");
  ASSERT_TRUE(usage) << usage.error().toString();
  // 1, 2, 3 count; 4 is archived, 5 deleted.
  EXPECT_EQ(usage->databases, 3);
  EXPECT_EQ(usage->cpu, q("3"));
  EXPECT_EQ(usage->memory, q("6Gi"));
  EXPECT_EQ(usage->storage, q("60Gi"));
  EXPECT_EQ(*mirror.tierUsage("none"), Usage{});

  EXPECT_TRUE(countsTowardQuota("Frozen"));
  EXPECT_TRUE(countsTowardQuota(""));
  EXPECT_FALSE(countsTowardQuota("Deleted"));
}

TEST_F(MirrorRepositoryTest, FiltersAndPaginationVisitEveryRowOnce) {
  MirrorRepository mirror(*pool_);
  constexpr int kRows = 1000;
  const char* phases[] = {"Provisioning", "Ready", "Error", ""};  // "": not set yet
  for (int i = 0; i < kRows; ++i) {
    DatabaseRecord db = database(i, std::to_string(1000 + i), i % 2 == 0 ? "payments" : "search",
                                 i % 5 == 0 ? "gold" : "standard");
    // Groups of 10 share a creation second: the id breaks the tie.
    db.created_at = base_ + std::chrono::seconds(i / 10);
    db.phase = phases[i % 4];
    db.name = (i % 3 == 0 ? "orders-" : "search-") + std::to_string(i);
    Result<bool> applied = mirror.upsertDatabase(db);
    ASSERT_TRUE(applied) << applied.error().toString();
  }
  ASSERT_TRUE(*mirror.markDatabaseDeleted(uuid(7), "5000"));

  const auto collect = [&](const DatabaseFilter& filter, int limit) {
    std::vector<DatabaseRecord> out;
    PageRequest page{"", limit};
    do {
      Result<Page<DatabaseRecord>> result = mirror.listDatabases(filter, page);
      EXPECT_TRUE(result) << result.error().toString();
      if (!result) {
        break;
      }
      EXPECT_LE(static_cast<int>(result->items.size()), limit);
      out.insert(out.end(), result->items.begin(), result->items.end());
      page.cursor = result->next_cursor;
    } while (!page.cursor.empty());
    return out;
  };

  const std::vector<DatabaseRecord> all = collect({}, 37);
  ASSERT_EQ(all.size(), static_cast<size_t>(kRows - 1));
  std::set<std::string> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    ids.insert(all[i].id);
    if (i > 0) {
      EXPECT_TRUE(all[i - 1].created_at < all[i].created_at ||
                  (all[i - 1].created_at == all[i].created_at && all[i - 1].id < all[i].id));
    }
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kRows - 1));
  EXPECT_EQ(ids.count(uuid(7)), 0U);

  DatabaseFilter with_deleted;
  with_deleted.include_deleted = true;
  EXPECT_EQ(collect(with_deleted, 1000).size(), static_cast<size_t>(kRows));

  DatabaseFilter team;
  team.owner_team = "search";
  const std::vector<DatabaseRecord> search = collect(team, 64);
  EXPECT_EQ(search.size(), 499U);  // odd i, minus deleted 7
  for (const DatabaseRecord& db : search) {
    EXPECT_EQ(db.owner_team, "search");
  }

  DatabaseFilter combined;
  combined.owner_team = "payments";
  combined.tier = "gold";
  combined.phases = {"Provisioning"};
  // even, multiple of 5, multiple of 4: multiples of 20.
  const std::vector<DatabaseRecord> gold = collect(combined, 3);
  EXPECT_EQ(gold.size(), 50U);
  for (const DatabaseRecord& db : gold) {
    EXPECT_EQ(db.tier, "gold");
    EXPECT_EQ(db.phase, "Provisioning");
  }

  // Either of two phases (what REST shows as "provisioning"): i % 4 of 0 or 3.
  DatabaseFilter either;
  either.phases = {"", "Provisioning"};
  EXPECT_EQ(collect(either, 100).size(), 499U);  // 500 rows, minus deleted 7 (7 % 4 == 3)

  DatabaseFilter prefix;
  prefix.name_prefix = "orders-";
  EXPECT_EQ(collect(prefix, 100).size(), 334U);  // multiples of 3 below 1000
  prefix.name_prefix = "orders_";                // LIKE metacharacters are literal
  EXPECT_EQ(collect(prefix, 100).size(), 0U);

  EXPECT_EQ(mirror.listDatabases({}, {"not-a-cursor", 10}).error().code,
            ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace daap::pg

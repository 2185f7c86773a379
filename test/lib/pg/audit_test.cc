#include "lib/pg/audit.h"

#include <set>

#include <gtest/gtest.h>

#include "test/lib/pg/pg_fixture.h"

namespace daap::pg {
namespace {

using std::chrono::seconds;

class AuditRepositoryTest : public PgTest {
protected:
  void SetUp() override {
    PgTest::SetUp();
    migrate();
  }
  const Timestamp base_ =
      Timestamp(std::chrono::sys_days(std::chrono::year(2026) / std::chrono::November / 1));

  AuditEntry entry(int minute, const std::string& team, const std::string& action,
                   const std::string& resource_id, int outcome = 200) {
    AuditEntry e;
    e.time = base_ + std::chrono::minutes(minute);
    e.request_id = "req-" + std::to_string(minute);
    e.team = team;
    e.key_id = "11111111-2222-4333-8444-555555555555";
    e.role = "product-team";
    e.action = action;
    e.resource_type = "database";
    e.resource_id = resource_id;
    e.outcome = outcome;
    return e;
  }

  std::vector<AuditEntry> all(const AuditQuery& query, int limit) {
    std::vector<AuditEntry> out;
    PageRequest page{"", limit};
    do {
      Result<Page<AuditEntry>> result = AuditRepository(*pool_).query(query, page);
      EXPECT_TRUE(result) << result.error().toString();
      if (!result) {
        break;
      }
      out.insert(out.end(), result->items.begin(), result->items.end());
      page.cursor = result->next_cursor;
    } while (!page.cursor.empty());
    return out;
  }
};

TEST_F(AuditRepositoryTest, AppendStoresEveryField) {
  AuditRepository audit(*pool_);
  Result<int64_t> id = audit.append(entry(5, "payments", "databases.create", "db-1", 201));
  ASSERT_TRUE(id) << id.error().toString();
  Result<Page<AuditEntry>> page = audit.query({}, {"", 10});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1U);
  const AuditEntry& got = page->items[0];
  EXPECT_EQ(got.id, *id);
  EXPECT_EQ(got.time, base_ + std::chrono::minutes(5));
  EXPECT_EQ(got.request_id, "req-5");
  EXPECT_EQ(got.team, "payments");
  EXPECT_EQ(got.key_id, "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(got.role, "product-team");
  EXPECT_EQ(got.action, "databases.create");
  EXPECT_EQ(got.resource_type, "database");
  EXPECT_EQ(got.resource_id, "db-1");
  EXPECT_EQ(got.outcome, 201);

  // An unauthenticated request has no key and no team; time defaults to now.
  AuditEntry anonymous;
  anonymous.action = "databases.list";
  anonymous.outcome = 401;
  const Timestamp before = std::chrono::system_clock::now() - seconds(5);
  ASSERT_TRUE(audit.append(anonymous));
  Result<Page<AuditEntry>> newest = audit.query({}, {"", 1});
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->items[0].outcome, 401);
  EXPECT_TRUE(newest->items[0].key_id.empty());
  EXPECT_GE(newest->items[0].time, before);

  AuditEntry bad = entry(1, "payments", "x", "y");
  bad.key_id = "not-a-uuid";
  EXPECT_EQ(audit.append(bad).error().code, ErrorCode::InvalidArgument);
}

TEST_F(AuditRepositoryTest, AppendAllIsOneAllOrNothingBatch) {
  AuditRepository audit(*pool_);
  std::vector<AuditEntry> batch;
  batch.reserve(25);
  for (int i = 0; i < 25; ++i) {
    batch.push_back(entry(i, "payments", "databases.get", "db-" + std::to_string(i)));
  }
  ASSERT_TRUE(audit.appendAll(batch));
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log"), "25");
  // One bad entry refuses the whole batch.
  batch[3].key_id = "not-a-uuid";
  Result<void> refused = audit.appendAll(batch);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log"), "25");
  EXPECT_TRUE(audit.appendAll({}));
}

TEST_F(AuditRepositoryTest, FiltersAndNewestFirstPagination) {
  AuditRepository audit(*pool_);
  // 120 entries over 60 minutes (two per minute, so times tie), three teams, two actions.
  for (int i = 0; i < 120; ++i) {
    const std::string team = i % 3 == 0 ? "payments" : (i % 3 == 1 ? "search" : "platform");
    const std::string action = i % 2 == 0 ? "databases.create" : "databases.delete";
    ASSERT_TRUE(audit.append(entry(i / 2, team, action, "db-" + std::to_string(i % 7))));
  }

  const std::vector<AuditEntry> everything = all({}, 7);
  ASSERT_EQ(everything.size(), 120U);
  std::set<int64_t> ids;
  for (size_t i = 0; i < everything.size(); ++i) {
    ids.insert(everything[i].id);
    if (i > 0) {
      // Newest first: time descending, then id descending among equal times.
      const AuditEntry& prev = everything[i - 1];
      const AuditEntry& cur = everything[i];
      EXPECT_TRUE(prev.time > cur.time || (prev.time == cur.time && prev.id > cur.id));
    }
  }
  EXPECT_EQ(ids.size(), 120U);

  AuditQuery by_team;
  by_team.team = "payments";
  const std::vector<AuditEntry> payments = all(by_team, 9);
  EXPECT_EQ(payments.size(), 40U);
  for (const AuditEntry& e : payments) {
    EXPECT_EQ(e.team, "payments");
  }

  AuditQuery by_action;
  by_action.action = "databases.delete";
  by_action.team = "search";
  const std::vector<AuditEntry> deletes = all(by_action, 50);
  EXPECT_EQ(deletes.size(), 20U);
  for (const AuditEntry& e : deletes) {
    EXPECT_EQ(e.action, "databases.delete");
    EXPECT_EQ(e.team, "search");
  }

  AuditQuery by_resource;
  by_resource.resource_type = "database";
  by_resource.resource_id = "db-3";
  const std::vector<AuditEntry> resource = all(by_resource, 5);
  EXPECT_EQ(resource.size(), 17U);  // i % 7 == 3 for i < 120
  for (const AuditEntry& e : resource) {
    EXPECT_EQ(e.resource_id, "db-3");
  }

  AuditQuery window;
  window.since = base_ + std::chrono::minutes(10);
  window.until = base_ + std::chrono::minutes(20);
  const std::vector<AuditEntry> windowed = all(window, 6);
  EXPECT_EQ(windowed.size(), 20U);
  for (const AuditEntry& e : windowed) {
    EXPECT_GE(e.time, *window.since);
    EXPECT_LT(e.time, *window.until);
  }

  EXPECT_EQ(audit.query({}, {"12_x", 5}).error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace daap::pg

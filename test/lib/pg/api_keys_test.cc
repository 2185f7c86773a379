#include "lib/pg/api_keys.h"

#include <set>

#include <gtest/gtest.h>

#include "test/lib/pg/pg_fixture.h"

namespace daap::pg {
namespace {

class ApiKeyRepositoryTest : public PgTest {
protected:
  void SetUp() override {
    PgTest::SetUp();
    migrate();
  }
  static NewApiKey key(const std::string& prefix, const std::string& team,
                       const std::string& role = "product-team") {
    return {"", prefix, "hash-of-" + prefix, team, role, "key " + prefix};
  }
};

TEST_F(ApiKeyRepositoryTest, InsertFindAndDuplicatePrefix) {
  Result<ApiKey> inserted = ApiKeyRepository(*pool_).insert(key("abc123", "payments"));
  ASSERT_TRUE(inserted) << inserted.error().toString();
  EXPECT_EQ(inserted->id.size(), 36U);
  EXPECT_FALSE(inserted->revoked_at);
  EXPECT_FALSE(inserted->last_used_at);

  ApiKeyRepository keys(*pool_);
  Result<ApiKey> found = keys.findByPrefix("abc123");
  ASSERT_TRUE(found) << found.error().toString();
  EXPECT_EQ(found->id, inserted->id);
  EXPECT_EQ(found->hash, "hash-of-abc123");
  EXPECT_EQ(found->team, "payments");
  EXPECT_EQ(found->role, "product-team");
  EXPECT_EQ(found->description, "key abc123");
  EXPECT_EQ(found->created_at, inserted->created_at);

  Result<ApiKey> duplicate = keys.insert(key("abc123", "other"));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::AlreadyExists);

  Result<ApiKey> missing = keys.findByPrefix("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);

  Result<ApiKey> bad_role = keys.insert(key("r1", "payments", "admin"));
  ASSERT_FALSE(bad_role);
  EXPECT_EQ(bad_role.error().code, ErrorCode::InvalidArgument);

  NewApiKey with_id = key("given", "payments");
  with_id.id = "6f1d2c3b-0000-4000-8000-00000000abcd";
  Result<ApiKey> given = keys.insert(with_id);
  ASSERT_TRUE(given) << given.error().toString();
  EXPECT_EQ(given->id, with_id.id);
  EXPECT_EQ(keys.get(with_id.id)->prefix, "given");
}

TEST_F(ApiKeyRepositoryTest, RevokeAndCountActive) {
  ApiKeyRepository keys(*pool_);
  EXPECT_EQ(*keys.countActive("platform-team"), 0);
  const ApiKey platform = *keys.insert(key("plat1", "platform", "platform-team"));
  ASSERT_TRUE(keys.insert(key("plat2", "platform", "platform-team")));
  ASSERT_TRUE(keys.insert(key("prod1", "payments")));
  EXPECT_EQ(*keys.countActive("platform-team"), 2);
  EXPECT_EQ(*keys.countActive("product-team"), 1);

  Result<ApiKey> revoked = keys.revoke(platform.id);
  ASSERT_TRUE(revoked) << revoked.error().toString();
  ASSERT_TRUE(revoked->revoked_at);
  EXPECT_EQ(*keys.countActive("platform-team"), 1);
  // The key is still found (the caller refuses it), and revoking again keeps the first time.
  EXPECT_TRUE(keys.findByPrefix("plat1")->revoked_at);
  Result<ApiKey> again = keys.revoke(platform.id);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->revoked_at, *revoked->revoked_at);

  Result<ApiKey> absent = keys.revoke("00000000-0000-4000-8000-000000000000");
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, ErrorCode::NotFound);
  Result<ApiKey> malformed = keys.revoke("not-a-uuid");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::NotFound);
}

TEST_F(ApiKeyRepositoryTest, MarkUsed) {
  ApiKeyRepository keys(*pool_);
  const ApiKey inserted = *keys.insert(key("used1", "payments"));
  ASSERT_TRUE(keys.markUsed(inserted.id));
  Result<ApiKey> found = keys.get(inserted.id);
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->last_used_at);
  EXPECT_GE(*found->last_used_at, found->created_at);
  EXPECT_EQ(keys.markUsed("00000000-0000-4000-8000-000000000000").error().code,
            ErrorCode::NotFound);
}

TEST_F(ApiKeyRepositoryTest, ListPagesEveryKeyOnce) {
  ApiKeyRepository keys(*pool_);
  std::set<std::string> payments;
  for (int i = 0; i < 57; ++i) {
    const std::string team = i % 3 == 0 ? "payments" : "search";
    Result<ApiKey> inserted = keys.insert(key("p" + std::to_string(i), team));
    ASSERT_TRUE(inserted);
    if (team == "payments") {
      payments.insert(inserted->id);
    }
  }
  std::vector<std::string> seen;
  PageRequest page{"", 10};
  int pages = 0;
  do {
    Result<Page<ApiKey>> result = keys.list(page);
    ASSERT_TRUE(result) << result.error().toString();
    for (const ApiKey& k : result->items) {
      if (!seen.empty()) {
        EXPECT_GE(k.created_at, keys.get(seen.back())->created_at);
      }
      seen.push_back(k.id);
    }
    page.cursor = result->next_cursor;
    ++pages;
  } while (!page.cursor.empty());
  EXPECT_EQ(pages, 6);
  EXPECT_EQ(seen.size(), 57U);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 57U);

  Result<Page<ApiKey>> team_page = keys.list({"", 100}, "payments");
  ASSERT_TRUE(team_page);
  std::set<std::string> listed;
  for (const ApiKey& k : team_page->items) {
    listed.insert(k.id);
  }
  EXPECT_EQ(listed, payments);
  EXPECT_TRUE(team_page->next_cursor.empty());

  EXPECT_EQ(keys.list({"garbage", 10}).error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(keys.list({"", 0}).error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(keys.list({"", kMaxPageLimit + 1}).error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace daap::pg

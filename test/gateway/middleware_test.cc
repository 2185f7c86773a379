// The gateway's request-path middleware against a real PostgreSQL: the audit writer (batches,
// backpressure, nothing lost) and the authenticator's non-blocking cache path.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/middleware/audit_writer.h"
#include "gateway/middleware/authenticator.h"
#include "lib/auth/api_key.h"
#include "lib/base/clock.h"
#include "lib/pg/api_keys.h"
#include "lib/pg/audit.h"
#include "test/lib/pg/pg_fixture.h"

namespace daap::gateway {
namespace {

using std::chrono::milliseconds;

pg::AuditEntry entry(int n) {
  pg::AuditEntry e;
  e.request_id = "req-" + std::to_string(n);
  e.team = "payments";
  e.role = "product-team";
  e.action = "database.get";
  e.resource_type = "database";
  e.resource_id = "db-" + std::to_string(n);
  e.outcome = 200;
  return e;
}

class AuditWriterTest : public pg::PgTest {
protected:
  void SetUp() override {
    PgTest::SetUp();
    migrate();
  }
};

TEST_F(AuditWriterTest, WritesEveryRecordedRowInOrderAcrossBatches) {
  pg::AuditRepository repository(*pool_);
  AuditWriter writer(repository);
  writer.start();
  // More than one batch, from several threads at once.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 700;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&writer, t] {
      for (int i = 0; i < kPerThread; ++i) {
        writer.record(entry(t * kPerThread + i));
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  ASSERT_TRUE(writer.flush(milliseconds(20000)));
  EXPECT_EQ(writer.stats().written, static_cast<uint64_t>(kThreads) * kPerThread);
  EXPECT_EQ(writer.stats().dropped, 0U);
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log"), std::to_string(kThreads * kPerThread));
  EXPECT_EQ(sql("SELECT count(DISTINCT request_id) FROM audit_log"),
            std::to_string(kThreads * kPerThread));
  // Each thread's rows got increasing ids in the order it recorded them.
  EXPECT_EQ(sql("SELECT count(*) FROM (SELECT id, lag(id) OVER (PARTITION BY"
                " (substr(request_id, 5)::int / 700) ORDER BY substr(request_id, 5)::int) AS prev"
                " FROM audit_log) AS t WHERE prev > id"),
            "0");
  // Unset time is PostgreSQL's now(); no key id is NULL.
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE time > now() - interval '1 minute'"
                " AND key_id IS NULL"),
            std::to_string(kThreads * kPerThread));
  writer.stop();
}

TEST_F(AuditWriterTest, ValuesThatNeedQuotingSurviveTheBatch) {
  pg::AuditRepository repository(*pool_);
  AuditWriter writer(repository);
  writer.start();
  pg::AuditEntry odd = entry(1);
  odd.resource_id = R"(a "quoted", {braced} \back\ NULL)";
  odd.team = "";
  odd.key_id = "11111111-2222-4333-8444-555555555555";
  writer.record(odd);
  ASSERT_TRUE(writer.flush(milliseconds(20000)));
  EXPECT_EQ(sql("SELECT resource_id FROM audit_log"), odd.resource_id);
  EXPECT_EQ(sql("SELECT key_id FROM audit_log"), odd.key_id);
  EXPECT_EQ(sql("SELECT team = '' FROM audit_log"), "t");
}

TEST_F(AuditWriterTest, FullQueueMakesRecordWaitThenDropsAndCountsWhenNothingDrains) {
  pg::AuditRepository repository(*pool_);
  // Not started: nothing drains the queue, as when PostgreSQL is down.
  AuditWriter writer(repository, 2, milliseconds(1000), milliseconds(50));
  writer.record(entry(1));
  writer.record(entry(2));
  pg::AuditEntry third = entry(3);
  EXPECT_FALSE(writer.tryRecord(third));  // Never waits.
  const auto before = std::chrono::steady_clock::now();
  writer.record(entry(4));
  EXPECT_GE(std::chrono::steady_clock::now() - before, milliseconds(50));
  const AuditWriter::Stats stats = writer.stats();
  EXPECT_EQ(stats.queued, 2U);
  EXPECT_EQ(stats.waited, 1U);
  EXPECT_EQ(stats.dropped, 1U);
}

TEST_F(AuditWriterTest, FullQueueWaitsForRoomInsteadOfDroppingWhenTheWriterDrains) {
  pg::AuditRepository repository(*pool_);
  AuditWriter writer(repository, 4, milliseconds(1000), milliseconds(10000));
  for (int i = 0; i < 4; ++i) {
    writer.record(entry(i));
  }
  std::future<void> blocked =
      std::async(std::launch::async, [&writer] { writer.record(entry(4)); });
  EXPECT_EQ(blocked.wait_for(milliseconds(100)), std::future_status::timeout);
  writer.start();  // The writer takes a batch: room for the waiting row.
  ASSERT_EQ(blocked.wait_for(milliseconds(10000)), std::future_status::ready);
  ASSERT_TRUE(writer.flush(milliseconds(20000)));
  EXPECT_EQ(writer.stats().written, 5U);
  EXPECT_EQ(writer.stats().dropped, 0U);
  EXPECT_EQ(writer.stats().waited, 1U);
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log"), "5");
}

class AuthenticatorTest : public pg::PgTest {
protected:
  void SetUp() override {
    PgTest::SetUp();
    migrate();
    keys_ = std::make_unique<pg::ApiKeyRepository>(*pool_);
    Result<auth::GeneratedKey> key = auth::generateKey();
    ASSERT_TRUE(key);
    key_ = *key;
    Result<pg::ApiKey> stored =
        keys_->insert({"", key_.prefix, key_.hash, "payments", "product-team", "test"});
    ASSERT_TRUE(stored) << stored.error().toString();
    key_id_ = stored->id;
  }

  std::unique_ptr<pg::ApiKeyRepository> keys_;  // After SetUp() made the pool.
  FakeClock clock_{std::chrono::system_clock::now()};
  auth::GeneratedKey key_;
  std::string key_id_;
};

TEST_F(AuthenticatorTest, CachedPathAnswersFromMemoryOrDeclines) {
  Authenticator authenticator(*keys_, "", milliseconds(1000), clock_);
  // No key and a malformed key need no lookup.
  std::optional<Result<Caller>> missing = authenticator.authenticateCached(std::nullopt);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->error().code, ErrorCode::Unauthenticated);
  std::optional<Result<Caller>> malformed = authenticator.authenticateCached("nope");
  ASSERT_TRUE(malformed.has_value());
  EXPECT_FALSE(*malformed);
  // A key never seen must be looked up.
  EXPECT_FALSE(authenticator.authenticateCached(key_.plaintext).has_value());

  ASSERT_TRUE(authenticator.authenticate(key_.plaintext));
  std::optional<Result<Caller>> cached = authenticator.authenticateCached(key_.plaintext);
  ASSERT_TRUE(cached.has_value());
  ASSERT_TRUE(*cached);
  EXPECT_EQ((*cached)->principal.team, "payments");
  EXPECT_EQ((*cached)->key_uuid, key_id_);

  // The right prefix with a wrong secret is refused from memory.
  std::string forged = key_.plaintext;
  forged.back() = forged.back() == '0' ? '1' : '0';
  std::optional<Result<Caller>> refused = authenticator.authenticateCached(forged);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->error().code, ErrorCode::Unauthenticated);
}

TEST_F(AuthenticatorTest, OneCallerRefreshesAHalfExpiredEntryWhileOthersKeepAnswering) {
  Authenticator authenticator(*keys_, "", milliseconds(1000), clock_);
  ASSERT_TRUE(authenticator.authenticate(key_.plaintext));
  clock_.advance(milliseconds(600));
  // The first caller past half the ttl is sent to refresh; the others are still answered.
  EXPECT_FALSE(authenticator.authenticateCached(key_.plaintext).has_value());
  EXPECT_TRUE(authenticator.authenticateCached(key_.plaintext).has_value());
  EXPECT_TRUE(authenticator.authenticateCached(key_.plaintext).has_value());

  // The refresh sees a revocation made elsewhere (another replica).
  ASSERT_TRUE(keys_->revoke(key_id_));
  Result<Caller> refreshed = authenticator.authenticate(key_.plaintext);
  ASSERT_FALSE(refreshed);
  EXPECT_EQ(refreshed.error().code, ErrorCode::Unauthenticated);
  // A revoked key is not cached: every path now looks it up and refuses it.
  EXPECT_FALSE(authenticator.authenticateCached(key_.plaintext).has_value());
}

TEST_F(AuthenticatorTest, NoEntryIsUsedOnceItsTtlHasPassed) {
  Authenticator authenticator(*keys_, "", milliseconds(1000), clock_);
  ASSERT_TRUE(authenticator.authenticate(key_.plaintext));
  clock_.advance(milliseconds(600));
  EXPECT_FALSE(authenticator.authenticateCached(key_.plaintext).has_value());  // Claims.
  // The claimed refresh never happened; the entry still expires on time.
  clock_.advance(milliseconds(400));
  EXPECT_FALSE(authenticator.authenticateCached(key_.plaintext).has_value());
  EXPECT_FALSE(authenticator.authenticateCached(key_.plaintext).has_value());
  ASSERT_TRUE(authenticator.authenticate(key_.plaintext));
  EXPECT_TRUE(authenticator.authenticateCached(key_.plaintext).has_value());
}

}  // namespace
}  // namespace daap::gateway

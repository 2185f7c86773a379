#include "operator/work_queue.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lib/base/clock.h"
#include "lib/metrics/metrics.h"

namespace daap::controller {
namespace {

using std::chrono::milliseconds;

FakeClock fakeClock() {
  return FakeClock(std::chrono::system_clock::time_point{});
}

WorkQueueOptions exactBackoff(milliseconds base, milliseconds max) {
  WorkQueueOptions options;
  options.backoff_base = base;
  options.backoff_max = max;
  options.jitter = 0;
  return options;
}

// Polls `condition` until it holds or 30 s pass.
template <typename Condition>
bool eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  return condition();
}

TEST(WorkQueueTest, AddDeduplicatesWaitingKeys) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock);
  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");
  EXPECT_EQ(queue.depth(), 2U);
  EXPECT_EQ(queue.tryGet(), "ns/a");
  EXPECT_EQ(queue.tryGet(), "ns/b");
  EXPECT_EQ(queue.tryGet(), std::nullopt);
}

TEST(WorkQueueTest, KeyAddedWhileProcessingIsRequeuedOnceOnDone) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock);
  queue.add("ns/a");
  ASSERT_EQ(queue.get(), "ns/a");
  queue.add("ns/a");
  queue.add("ns/a");
  // Not handed to a second worker while the first holds it.
  EXPECT_EQ(queue.depth(), 0U);
  EXPECT_EQ(queue.tryGet(), std::nullopt);
  queue.done("ns/a");
  EXPECT_EQ(queue.depth(), 1U);
  EXPECT_EQ(queue.tryGet(), "ns/a");
  queue.done("ns/a");
  EXPECT_EQ(queue.tryGet(), std::nullopt);
}

TEST(WorkQueueTest, DoneWithoutNewAddDoesNotRequeue) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock);
  queue.add("ns/a");
  ASSERT_EQ(queue.get(), "ns/a");
  EXPECT_EQ(queue.processingCount(), 1U);
  queue.done("ns/a");
  EXPECT_EQ(queue.processingCount(), 0U);
  EXPECT_EQ(queue.depth(), 0U);
}

TEST(WorkQueueTest, NoKeyIsProcessedByTwoWorkersAtOnce) {
  SystemClock clock;
  WorkQueue queue(clock);
  constexpr int kKeys = 5;
  constexpr int kAddsPerKey = 400;
  std::mutex mu;
  std::map<std::string, int> in_flight;  // Guarded by mu.
  std::map<std::string, int> latest;     // Guarded by mu: last version added per key.
  std::map<std::string, int> seen;       // Guarded by mu: last version a reconcile saw.
  std::atomic<int> overlaps{0};

  WorkerPoolOptions options;
  options.workers = 8;
  WorkerPool pool(
      "test", queue,
      [&](const std::string& key) -> Result<Requeue> {
        {
          const std::lock_guard<std::mutex> lock(mu);
          if (++in_flight[key] > 1) {
            ++overlaps;
          }
          seen[key] = latest[key];
        }
        std::this_thread::yield();
        const std::lock_guard<std::mutex> lock(mu);
        --in_flight[key];
        return Requeue::never();
      },
      options);
  pool.start();

  std::vector<std::thread> producers;
  producers.reserve(4);
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kAddsPerKey; ++i) {
        const std::string key = "ns/k" + std::to_string((i + p) % kKeys);
        {
          const std::lock_guard<std::mutex> lock(mu);
          ++latest[key];
        }
        queue.add(key);
      }
    });
  }
  for (std::thread& producer : producers) {
    producer.join();
  }
  // Level-triggered: every key is reconciled after its last change.
  EXPECT_TRUE(eventually([&] {
    const std::lock_guard<std::mutex> lock(mu);
    for (const auto& [key, version] : latest) {
      if (seen[key] != version) {
        return false;
      }
    }
    return true;
  }));
  pool.stop();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GT(pool.stats().reconciles, static_cast<uint64_t>(kKeys));
  EXPECT_EQ(pool.stats().errors, 0U);
}

TEST(WorkQueueTest, BackoffDoublesUpToTheCap) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock, exactBackoff(milliseconds(5), milliseconds(1000)));
  const std::vector<int64_t> expected = {5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(queue.nextBackoff("ns/a").count(), expected[i]) << "failure " << i;
    queue.addRateLimited("ns/a");
    EXPECT_EQ(queue.numRequeues("ns/a"), static_cast<int>(i) + 1);
  }
  // Other keys have their own backoff.
  EXPECT_EQ(queue.nextBackoff("ns/b").count(), 5);
}

TEST(WorkQueueTest, BackoffNeverOverflowsOnLongStreaks) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock, exactBackoff(milliseconds(5), milliseconds(300000)));
  for (int i = 0; i < 200; ++i) {
    queue.addRateLimited("ns/a");
  }
  EXPECT_EQ(queue.nextBackoff("ns/a").count(), 300000);
}

TEST(WorkQueueTest, JitterStaysWithinItsFraction) {
  FakeClock clock = fakeClock();
  WorkQueueOptions options = exactBackoff(milliseconds(100), milliseconds(100000));
  options.jitter = 0.5;
  options.seed = 42;
  WorkQueue queue(clock, options);
  bool varied = false;
  for (int i = 0; i < 100; ++i) {
    const int64_t delay = queue.nextBackoff("ns/a").count();
    EXPECT_GE(delay, 50);
    EXPECT_LE(delay, 100);
    varied = varied || delay != 100;
  }
  EXPECT_TRUE(varied);
}

TEST(WorkQueueTest, RateLimitedKeyBecomesReadyAfterItsBackoff) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock, exactBackoff(milliseconds(10), milliseconds(1000)));
  queue.addRateLimited("ns/a");  // 10 ms
  queue.addRateLimited("ns/a");  // 20 ms, but the pending 10 ms add wins.
  EXPECT_EQ(queue.delayedCount(), 1U);
  EXPECT_EQ(queue.tryGet(), std::nullopt);
  clock.advance(milliseconds(9));
  EXPECT_EQ(queue.tryGet(), std::nullopt);
  clock.advance(milliseconds(1));
  EXPECT_EQ(queue.tryGet(), "ns/a");
  EXPECT_EQ(queue.delayedCount(), 0U);
}

TEST(WorkQueueTest, ForgetResetsBackoff) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock, exactBackoff(milliseconds(5), milliseconds(1000)));
  for (int i = 0; i < 4; ++i) {
    queue.addRateLimited("ns/a");
  }
  EXPECT_EQ(queue.nextBackoff("ns/a").count(), 80);
  queue.forget("ns/a");
  EXPECT_EQ(queue.numRequeues("ns/a"), 0);
  EXPECT_EQ(queue.nextBackoff("ns/a").count(), 5);
}

TEST(WorkQueueTest, AddAfterHandsKeysOutInReadyOrder) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock);
  queue.addAfter("ns/c", milliseconds(30));
  queue.addAfter("ns/a", milliseconds(10));
  queue.addAfter("ns/b", milliseconds(20));
  EXPECT_EQ(queue.depth(), 0U);
  EXPECT_EQ(queue.delayedCount(), 3U);
  clock.advance(milliseconds(15));
  EXPECT_EQ(queue.tryGet(), "ns/a");
  EXPECT_EQ(queue.tryGet(), std::nullopt);
  clock.advance(milliseconds(20));
  EXPECT_EQ(queue.tryGet(), "ns/b");
  EXPECT_EQ(queue.tryGet(), "ns/c");
}

TEST(WorkQueueTest, EarliestPendingDelayWins) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock);
  queue.addAfter("ns/a", milliseconds(100));
  queue.addAfter("ns/a", milliseconds(10));  // Brings it forward.
  queue.addAfter("ns/a", milliseconds(50));  // Does not postpone it.
  EXPECT_EQ(queue.delayedCount(), 1U);
  clock.advance(milliseconds(10));
  EXPECT_EQ(queue.tryGet(), "ns/a");
  clock.advance(milliseconds(200));
  queue.done("ns/a");
  EXPECT_EQ(queue.tryGet(), std::nullopt);
}

TEST(WorkQueueTest, ZeroDelayAddsAtOnce) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock);
  queue.addAfter("ns/a", milliseconds(0));
  EXPECT_EQ(queue.tryGet(), "ns/a");
}

TEST(WorkQueueTest, BlockedGetWakesWhenADelayPasses) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock);
  std::optional<std::string> got;
  std::thread worker([&] { got = queue.get(); });
  queue.addAfter("ns/a", std::chrono::seconds(60));
  clock.advance(std::chrono::seconds(60));
  worker.join();
  EXPECT_EQ(got, "ns/a");
}

TEST(WorkQueueTest, ShutDownWakesBlockedWorkersAndRefusesKeys) {
  FakeClock clock = fakeClock();
  WorkQueue queue(clock);
  std::vector<std::thread> workers;
  workers.reserve(3);
  std::atomic<int> stopped{0};
  for (int i = 0; i < 3; ++i) {
    workers.emplace_back([&] {
      if (!queue.get().has_value()) {
        ++stopped;
      }
    });
  }
  queue.shutDown();
  for (std::thread& worker : workers) {
    worker.join();
  }
  EXPECT_EQ(stopped.load(), 3);
  EXPECT_TRUE(queue.shuttingDown());
  queue.add("ns/a");
  queue.addAfter("ns/b", milliseconds(1));
  EXPECT_EQ(queue.depth(), 0U);
  EXPECT_EQ(queue.delayedCount(), 0U);
  EXPECT_EQ(queue.get(), std::nullopt);
}

TEST(WorkQueueTest, MetricsFollowTheQueue) {
  FakeClock clock = fakeClock();
  metrics::Registry registry;
  WorkQueue queue(clock, {}, QueueMetrics::create(registry, "databases"));
  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");
  const std::string text = registry.exposition();
  EXPECT_NE(text.find("daap_workqueue_depth{name=\"databases\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("daap_workqueue_adds_total{name=\"databases\"} 2\n"), std::string::npos)
      << text;
  ASSERT_EQ(queue.tryGet(), "ns/a");
  clock.advance(milliseconds(3));
  queue.done("ns/a");
  queue.addRateLimited("ns/a");
  const std::string after = registry.exposition();
  EXPECT_NE(after.find("daap_workqueue_depth{name=\"databases\"} 1\n"), std::string::npos) << after;
  EXPECT_NE(after.find("daap_workqueue_retries_total{name=\"databases\"} 1\n"), std::string::npos)
      << after;
  EXPECT_NE(after.find("daap_workqueue_work_duration_seconds_count{name=\"databases\"} 1\n"),
            std::string::npos)
      << after;
}

// A WorkerPool over a real clock, with a reconcile function scripted per call.
class WorkerPoolTest : public ::testing::Test {
protected:
  WorkerPoolTest() : queue_(clock_, exactBackoff(milliseconds(1), milliseconds(20))) {}

  SystemClock clock_;
  WorkQueue queue_;
};

TEST_F(WorkerPoolTest, ErrorsAreRetriedWithBackoffUntilSuccess) {
  std::atomic<int> calls{0};
  metrics::Registry registry;
  WorkerPool pool(
      "database", queue_,
      [&](const std::string&) -> Result<Requeue> {
        if (++calls < 4) {
          return Error::unavailable("api server down");
        }
        return Requeue::never();
      },
      {}, ReconcileMetrics::create(registry, "database"));
  pool.start();
  queue_.add("ns/a");
  ASSERT_TRUE(eventually([&] { return pool.stats().successes == 1; }));
  pool.stop();
  EXPECT_EQ(calls.load(), 4);
  EXPECT_EQ(pool.stats().errors, 3U);
  EXPECT_EQ(queue_.numRequeues("ns/a"), 0);  // Forgotten after the clean pass.
  const std::string text = registry.exposition();
  EXPECT_NE(text.find("daap_reconcile_total{controller=\"database\",result=\"error\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("daap_reconcile_total{controller=\"database\",result=\"success\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("daap_reconcile_duration_seconds_count{controller=\"database\"} 4\n"),
            std::string::npos)
      << text;
}

TEST_F(WorkerPoolTest, TerminalErrorsAreNotRetried) {
  std::atomic<int> calls{0};
  WorkerPoolOptions options;
  options.is_terminal = [](const Error& error) {
    return error.code == ErrorCode::InvalidArgument;
  };
  WorkerPool pool(
      "database", queue_,
      [&](const std::string&) -> Result<Requeue> {
        ++calls;
        return Error::invalidArgument("spec.tier: unknown");
      },
      options);
  pool.start();
  queue_.add("ns/a");
  ASSERT_TRUE(eventually([&] { return pool.stats().terminal == 1; }));
  // A retry would come within the 20 ms backoff cap; the key must instead be idle for good.
  ASSERT_TRUE(eventually([&] { return queue_.processingCount() == 0; }));
  EXPECT_EQ(queue_.delayedCount(), 0U);
  EXPECT_EQ(queue_.depth(), 0U);
  pool.stop();
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(WorkerPoolTest, ExceptionsAreCountedAndRetried) {
  std::atomic<int> calls{0};
  WorkerPool pool("database", queue_, [&](const std::string&) -> Result<Requeue> {
    if (++calls == 1) {
      throw std::runtime_error("bug");
    }
    return Requeue::never();
  });
  pool.start();
  queue_.add("ns/a");
  ASSERT_TRUE(eventually([&] { return pool.stats().successes == 1; }));
  pool.stop();
  EXPECT_EQ(pool.stats().panics, 1U);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(WorkerPoolTest, RequeueAfterReconcilesAgain) {
  std::atomic<int> calls{0};
  WorkerPool pool("database", queue_, [&](const std::string&) -> Result<Requeue> {
    return ++calls < 3 ? Requeue::afterDelay(milliseconds(5)) : Requeue::never();
  });
  pool.start();
  queue_.add("ns/a");
  ASSERT_TRUE(eventually([&] { return calls.load() == 3; }));
  ASSERT_TRUE(eventually([&] { return queue_.processingCount() == 0; }));
  pool.stop();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(pool.stats().successes, 3U);
}

}  // namespace
}  // namespace daap::controller

#include "lib/kube/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace daap::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Time that moves only when the limiter "sleeps" (or a test advances it).
class FakeTime {
public:
  std::chrono::steady_clock::time_point now() const {
    std::lock_guard lock(mu_);
    return now_;
  }
  void sleep(nanoseconds duration) {
    std::lock_guard lock(mu_);
    now_ += duration;
    slept_ += duration;
    ++sleeps_;
  }
  void advance(nanoseconds duration) {
    std::lock_guard lock(mu_);
    now_ += duration;
  }
  nanoseconds slept() const {
    std::lock_guard lock(mu_);
    return slept_;
  }
  int sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

  RateLimiter limiter(double qps, int burst) {
    return {qps, burst, [this] { return now(); },
            [this](nanoseconds d) {
              sleep(d);
            }};
  }

private:
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point now_{seconds(1000)};
  nanoseconds slept_{0};
  int sleeps_ = 0;
};

// qps values are powers of two so every wait is exact in binary floating point.
TEST(RateLimiterTest, BurstThenOneTokenPerInterval) {
  FakeTime time;
  RateLimiter limiter = time.limiter(4, 3);
  EXPECT_EQ(limiter.reserve(), nanoseconds(0));
  EXPECT_EQ(limiter.reserve(), nanoseconds(0));
  EXPECT_EQ(limiter.reserve(), nanoseconds(0));
  EXPECT_EQ(limiter.reserve(), milliseconds(250));
  EXPECT_EQ(limiter.reserve(), milliseconds(500));
  EXPECT_EQ(limiter.reserve(), milliseconds(750));
}

TEST(RateLimiterTest, AcquireWaitsForTheThrottledRate) {
  FakeTime time;
  RateLimiter limiter = time.limiter(8, 5);
  for (int i = 0; i < 5; ++i) {
    limiter.acquire();
  }
  EXPECT_EQ(time.sleeps(), 0);
  // 80 more at 8 per second: 10 seconds, each call waiting one interval.
  for (int i = 0; i < 80; ++i) {
    limiter.acquire();
  }
  EXPECT_EQ(time.sleeps(), 80);
  EXPECT_EQ(time.slept(), seconds(10));
}

TEST(RateLimiterTest, IdleTimeRefillsUpToTheBurstOnly) {
  FakeTime time;
  RateLimiter limiter = time.limiter(2, 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(limiter.tryAcquire());
  }
  EXPECT_FALSE(limiter.tryAcquire());
  time.advance(seconds(100));
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(limiter.tryAcquire());
  }
  EXPECT_FALSE(limiter.tryAcquire());
  time.advance(milliseconds(500));
  EXPECT_TRUE(limiter.tryAcquire());
  EXPECT_FALSE(limiter.tryAcquire());
}

TEST(RateLimiterTest, TryAcquireDoesNotQueue) {
  FakeTime time;
  RateLimiter limiter = time.limiter(4, 1);
  EXPECT_TRUE(limiter.tryAcquire());
  EXPECT_FALSE(limiter.tryAcquire());
  EXPECT_FALSE(limiter.tryAcquire());
  // Failed attempts took nothing: the next token is one interval away, not three.
  EXPECT_EQ(limiter.reserve(), milliseconds(250));
}

TEST(RateLimiterTest, NonPositiveQpsIsUnlimited) {
  FakeTime time;
  RateLimiter limiter = time.limiter(0, 1);
  EXPECT_TRUE(limiter.unlimited());
  for (int i = 0; i < 1000; ++i) {
    limiter.acquire();
  }
  EXPECT_EQ(time.sleeps(), 0);
}

TEST(RateLimiterTest, ConcurrentCallersGetDistinctSlots) {
  FakeTime time;  // Frozen: nothing refills while the threads reserve.
  RateLimiter limiter = time.limiter(4, 10);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::mutex mu;
  std::vector<nanoseconds> waits;
  {
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          const nanoseconds wait = limiter.reserve();
          std::lock_guard lock(mu);
          waits.push_back(wait);
        }
      });
    }
  }
  std::sort(waits.begin(), waits.end());
  ASSERT_EQ(waits.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < waits.size(); ++i) {
    const nanoseconds expected =
        i < 10 ? nanoseconds(0) : milliseconds(250) * static_cast<int64_t>(i - 9);
    ASSERT_EQ(waits[i], expected) << i;
  }
}

}  // namespace
}  // namespace daap::kube

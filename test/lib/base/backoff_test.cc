#include "lib/base/backoff.h"

#include <gtest/gtest.h>

namespace daap {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DelaysGrowWithinJitterBounds) {
  Backoff backoff(milliseconds(100), milliseconds(10000), 42);
  for (int attempt = 0; attempt < 6; ++attempt) {
    const int64_t ceiling = 100LL << attempt;
    const milliseconds delay = backoff.next();
    EXPECT_GE(delay.count(), ceiling / 2) << "attempt " << attempt;
    EXPECT_LE(delay.count(), ceiling) << "attempt " << attempt;
  }
}

TEST(BackoffTest, NeverExceedsMaximum) {
  Backoff backoff(milliseconds(100), milliseconds(1000), 7);
  for (int attempt = 0; attempt < 100; ++attempt) {
    EXPECT_LE(backoff.next().count(), 1000);
  }
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff backoff(milliseconds(100), milliseconds(100000), 3);
  for (int attempt = 0; attempt < 10; ++attempt) {
    (void)backoff.next();
  }
  backoff.reset();
  EXPECT_EQ(backoff.attempts(), 0);
  EXPECT_LE(backoff.next().count(), 100);
}

}  // namespace
}  // namespace daap

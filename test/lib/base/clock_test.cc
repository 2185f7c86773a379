#include "lib/base/clock.h"

#include <gtest/gtest.h>

namespace daap {
namespace {

using std::chrono::system_clock;

TEST(ClockTest, FormatsRfc3339InUtc) {
  const system_clock::time_point time = system_clock::from_time_t(1795781106);  // 2026-11-27
  EXPECT_EQ(formatRfc3339(time), "2026-11-27T12:05:06Z");
}

TEST(ClockTest, FormatsMicroseconds) {
  const system_clock::time_point time =
      system_clock::from_time_t(1795781106) + std::chrono::microseconds(4200);
  EXPECT_EQ(formatRfc3339Micro(time), "2026-11-27T12:05:06.004200Z");
}

TEST(FakeClockTest, AdvancesBothReadings) {
  FakeClock clock(system_clock::from_time_t(1000));
  const auto monotonic_before = clock.monotonicNow();
  clock.advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.now(), system_clock::from_time_t(1005));
  EXPECT_EQ(clock.monotonicNow() - monotonic_before, std::chrono::seconds(5));
}

}  // namespace
}  // namespace daap

#include "lib/cli/memory.h"

#include <chrono>
#include <future>

#include <gtest/gtest.h>

namespace daap::cli {
namespace {

TEST(HeapTrimmerTest, StopsAtOnceWhenDestroyedMidInterval) {
  // A trimmer due in an hour must not hold its owner's shutdown for that hour.
  auto stopped =
      std::async(std::launch::async, [] { const HeapTrimmer trimmer(std::chrono::hours(1)); });
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

}  // namespace
}  // namespace daap::cli

#include "lib/cli/process.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>

#include <gtest/gtest.h>

namespace daap::cli {
namespace {

TEST(StopSignalsTest, WaitReturnsTheSignalThatArrived) {
  const StopSignals signals;
  // Blocked, so it stays pending for wait() instead of ending the test binary.
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_EQ(signals.wait(), SIGINT);
}

TEST(StopSignalsTest, OnStopRunsWhenTheProcessIsAskedToStop) {
  const StopSignals signals;
  // Shared: the detached thread may outlive this test if the signal never reaches it.
  auto stopped = std::make_shared<std::promise<void>>();
  signals.onStop([stopped] { stopped->set_value(); });
  // Sent to the whole process, as `kill` or Kubernetes would: only the waiting thread takes it.
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_EQ(stopped->get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

}  // namespace
}  // namespace daap::cli

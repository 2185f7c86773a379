#include "test/support/process.h"

#include <signal.h>

#include <string>

#include <gtest/gtest.h>

namespace daap::testing {
namespace {

TEST(RunCommandTest, ReturnsWhileABackgroundedChildLivesOn) {
  // The background child keeps none of the command's output; runCommand must not wait for it
  // (as it would if the child inherited the pipes' write ends).
  const CommandResult result =
      runCommand({"sh", "-c", "sleep 60 >/dev/null 2>&1 </dev/null & echo $!"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const pid_t child = std::stoi(result.out);
  // Still alive when runCommand returned: it did not wait for the child to exit.
  EXPECT_EQ(kill(child, 0), 0);
  kill(child, SIGKILL);
}

TEST(RunCommandTest, PassesInputAndCollectsBothStreams) {
  const CommandResult result =
      runCommand({"sh", "-c", "read line; echo \"$line $EXTRA\"; echo oops >&2; exit 3"},
                 {{"EXTRA", "world"}}, "hello\n");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.out, "hello world\n");
  EXPECT_EQ(result.err, "oops\n");
}

TEST(RunCommandTest, ChildInheritsNoOtherDescriptor) {
  // Only stdin, stdout and stderr (and the descriptor ls opens to read the directory).
  const CommandResult result = runCommand({"ls", "/proc/self/fd"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "0\n1\n2\n3\n");
}

}  // namespace
}  // namespace daap::testing

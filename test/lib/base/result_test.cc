#include "lib/base/result.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace daap {
namespace {

Result<int> half(int value) {
  if (value % 2 != 0) {
    return Error::invalidArgument("odd: " + std::to_string(value));
  }
  return value / 2;
}

TEST(ResultTest, HoldsValue) {
  const Result<int> result = half(8);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 4);
}

TEST(ResultTest, HoldsErrorWithCodeAndMessage) {
  const Result<int> result = half(3);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(result.error().message, "odd: 3");
}

TEST(ResultTest, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(7);
  const std::unique_ptr<int> taken = std::move(result).value();
  EXPECT_EQ(*taken, 7);
}

TEST(ResultTest, VoidResultIsOkByDefault) {
  const Result<void> ok;
  EXPECT_TRUE(ok.has_value());
  const Result<void> failed = Error::conflict("stale");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::Conflict);
}

TEST(ResultDeathTest, ValueOnErrorChecks) {
  const Result<int> result = half(1);
  EXPECT_DEATH((void)result.value(), "odd: 1");
}

TEST(ErrorTest, ToStringNamesCodeAndCauses) {
  Error error = Error::invalidArgument("bad tier");
  error.causes.push_back({"spec.tier", "FieldValueInvalid", "is immutable"});
  EXPECT_EQ(error.toString(), "InvalidArgument: bad tier [spec.tier: is immutable]");
}

}  // namespace
}  // namespace daap

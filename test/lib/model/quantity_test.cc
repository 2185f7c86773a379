#include "lib/model/quantity.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace daap::model {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// The quantity `text` must parse to; parse failures fail the test.
Quantity parsed(std::string_view text) {
  const Result<Quantity> quantity = Quantity::parse(text);
  if (!quantity) {
    ADD_FAILURE() << text << ": " << quantity.error().toString();
    return {};
  }
  return *quantity;
}

struct ParseCase {
  std::string_view text;
  int64_t milli;
};

class QuantityParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(QuantityParseTest, ParsesToExactMilliUnits) {
  const Result<Quantity> quantity = Quantity::parse(GetParam().text);
  ASSERT_TRUE(quantity) << quantity.error().toString();
  EXPECT_EQ(quantity->milli(), GetParam().milli);
}

TEST_P(QuantityParseTest, CanonicalTextParsesBackToTheSameValue) {
  const Quantity quantity = parsed(GetParam().text);
  EXPECT_EQ(parsed(quantity.toString()), quantity) << quantity.toString();
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, QuantityParseTest,
    ::testing::Values(
        ParseCase{"500m", 500}, ParseCase{"2", 2000}, ParseCase{"1Gi", 1073741824000},
        ParseCase{"1.5G", 1500000000000}, ParseCase{"100Mi", 104857600000}, ParseCase{"0.1", 100},
        ParseCase{"1e3", 1000000}, ParseCase{"1E3", 1000000}, ParseCase{"1e+3", 1000000},
        ParseCase{"1e-3", 1}, ParseCase{"1.5Gi", 1610612736000}, ParseCase{"1Ki", 1024000},
        ParseCase{"1k", 1000000}, ParseCase{"1M", 1000000000}, ParseCase{"1T", 1000000000000000},
        ParseCase{"1P", 1000000000000000000}, ParseCase{"0.001Ei", 1152921504606846976},
        ParseCase{"+1", 1000}, ParseCase{"-500m", -500}, ParseCase{".5", 500},
        ParseCase{"5.", 5000}, ParseCase{"00001", 1000}, ParseCase{"0", 0}, ParseCase{"-0", 0},
        ParseCase{"0e100", 0}, ParseCase{"0.000Ei", 0},
        // Finer than a milli-unit: rounded up, away from zero.
        ParseCase{"1n", 1}, ParseCase{"1u", 1}, ParseCase{"1500u", 2}, ParseCase{"0.0001", 1},
        ParseCase{"-0.0001", -1}, ParseCase{"1e-30", 1}, ParseCase{"1e-1000000", 1},
        ParseCase{"0.5Ki", 512000}, ParseCase{"0.0000000000000000000001Ei", 1},
        ParseCase{"1.0000000000000000000000000000000000000001", 1001},
        // Exact at the edge of the range.
        ParseCase{"9223372036854775807m", kMax}, ParseCase{"-9223372036854775807m", -kMax},
        ParseCase{"-9223372036854775808m", kMin}, ParseCase{"9223372036854775.807", kMax}));

class QuantityRejectTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(QuantityRejectTest, IsInvalidArgumentNamingTheInput) {
  const Result<Quantity> quantity = Quantity::parse(GetParam());
  ASSERT_FALSE(quantity) << GetParam() << " parsed to " << quantity->milli();
  EXPECT_EQ(quantity.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(quantity.error().message.find("\"" + std::string(GetParam()) + "\""), std::string::npos)
      << quantity.error().message;
}

INSTANTIATE_TEST_SUITE_P(BadInput, QuantityRejectTest,
                         ::testing::Values("", "1.2.3", "Gi", "1GB", "--1", "1Zi", ".", "+", "1e",
                                           "e3", "1e1.5", "1 ", " 1", "1K", "1ki", "1Mi ", "0x10",
                                           "1,5"));

INSTANTIATE_TEST_SUITE_P(Overflow, QuantityRejectTest,
                         ::testing::Values("9223372036854775808m", "9223372036854776",
                                           "-9223372036854775809m", "1Ei", "9.3P", "1e100",
                                           "100000000000000000000000000000000000000000",
                                           "8589934592Gi"));

TEST(QuantityTest, ComparesByValueAcrossSuffixes) {
  EXPECT_GT(parsed("1Gi"), parsed("1000Mi"));
  EXPECT_EQ(parsed("1000m"), parsed("1"));
  EXPECT_EQ(parsed("1k"), parsed("1e3"));
  EXPECT_LT(parsed("1k"), parsed("1Ki"));
  EXPECT_LT(parsed("-1"), parsed("0"));
  EXPECT_NE(parsed("1G"), parsed("1Gi"));
}

TEST(QuantityTest, SumsAreExact) {
  const Result<Quantity> sum = parsed("1.5G").plus(parsed("500M"));
  ASSERT_TRUE(sum) << sum.error().toString();
  EXPECT_EQ(*sum, parsed("2G"));
  const Result<Quantity> cpu = parsed("0.1").plus(parsed("200m"));
  ASSERT_TRUE(cpu) << cpu.error().toString();
  EXPECT_EQ(*cpu, parsed("300m"));
}

TEST(QuantityTest, ProductsAreExact) {
  const Result<Quantity> product = parsed("100Mi").times(10);
  ASSERT_TRUE(product) << product.error().toString();
  EXPECT_EQ(*product, parsed("1000Mi"));
  const Result<Quantity> negated = parsed("1.5").times(-1);
  ASSERT_TRUE(negated) << negated.error().toString();
  EXPECT_EQ(negated->milli(), -1500);
}

TEST(QuantityTest, SumOverflowIsInvalidArgument) {
  const Result<Quantity> sum = Quantity::fromMilli(kMax).plus(Quantity::fromMilli(1));
  ASSERT_FALSE(sum);
  EXPECT_EQ(sum.error().code, ErrorCode::InvalidArgument);
  const Result<Quantity> low = Quantity::fromMilli(kMin).plus(Quantity::fromMilli(-1));
  EXPECT_FALSE(low);
}

TEST(QuantityTest, ProductOverflowIsInvalidArgument) {
  const Result<Quantity> product = parsed("8P").times(2);
  ASSERT_FALSE(product);
  EXPECT_EQ(product.error().code, ErrorCode::InvalidArgument);
  EXPECT_FALSE(Quantity::fromMilli(kMin).times(-1));
  EXPECT_TRUE(Quantity::fromMilli(kMax).times(1));
}

TEST(QuantityTest, ValueRoundsUpToWholeUnits) {
  EXPECT_EQ(parsed("500m").value(), 1);
  EXPECT_EQ(parsed("1500m").value(), 2);
  EXPECT_EQ(parsed("2").value(), 2);
  EXPECT_EQ(parsed("1Gi").value(), 1073741824);
  EXPECT_EQ(parsed("-500m").value(), -1);
  EXPECT_EQ(Quantity().value(), 0);
}

struct TextCase {
  int64_t milli;
  std::string_view text;
};

class QuantityToStringTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(QuantityToStringTest, IsCanonicalAndRoundTrips) {
  const Quantity quantity = Quantity::fromMilli(GetParam().milli);
  EXPECT_EQ(quantity.toString(), GetParam().text);
  EXPECT_EQ(parsed(quantity.toString()), quantity);
}

INSTANTIATE_TEST_SUITE_P(
    Canonical, QuantityToStringTest,
    ::testing::Values(TextCase{0, "0"}, TextCase{1, "1m"}, TextCase{500, "500m"},
                      TextCase{1500, "1500m"}, TextCase{2000, "2"}, TextCase{-500, "-500m"},
                      TextCase{1000000, "1k"}, TextCase{1500000000000, "1500M"},
                      TextCase{2000000000000, "2G"}, TextCase{1000000000000000000, "1P"},
                      TextCase{1024000, "1Ki"}, TextCase{1073741824000, "1Gi"},
                      TextCase{1610612736000, "1536Mi"}, TextCase{1048576000000, "1000Mi"},
                      TextCase{-1073741824000, "-1Gi"}, TextCase{kMax, "9223372036854775807m"},
                      TextCase{kMin, "-9223372036854775808m"}));

}  // namespace
}  // namespace daap::model

#include "lib/model/quota.h"

#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace daap::model {
namespace {

Quantity q(std::string_view text) {
  return Quantity::parse(text).value();
}

TierParameters parameters(int32_t instances, std::string_view cpu, std::string_view memory,
                          std::string_view storage) {
  TierParameters out;
  out.instances = instances;
  out.cpu = q(cpu);
  out.memory = q(memory);
  out.storage_size = q(storage);
  return out;
}

TEST(DemandTest, CountsInstancesTimesPerInstanceResources) {
  EXPECT_EQ(demandOf(parameters(3, "2", "8Gi", "100Gi")),
            (Usage{1, q("6"), q("24Gi"), q("300Gi")}));
  EXPECT_EQ(demandOf(parameters(1, "500m", "1Gi", "5Gi")),
            (Usage{1, q("500m"), q("1Gi"), q("5Gi")}));
  EXPECT_EQ(demandOf(parameters(3, "0.333", "1G", "1Ki")),
            (Usage{1, q("999m"), q("3G"), q("3Ki")}));
}

TEST(UsageArithmeticTest, AddsExactly) {
  Usage total;
  total += Usage{1, q("500m"), q("512Mi"), q("1Gi")};
  total += Usage{1, q("1.5"), q("512Mi"), q("1Gi")};
  total += Usage{1, q("2"), q("1Gi"), q("1Gi")};
  EXPECT_EQ(total, (Usage{3, q("4"), q("2Gi"), q("3Gi")}));
  EXPECT_EQ(total.cpu.milli(), 4000);
  EXPECT_EQ(total.cpu.toString(), "4");
  // Ten tenths are exactly one: no floating point anywhere.
  Usage tenths;
  for (int i = 0; i < 10; ++i) {
    tenths += Usage{0, q("0.1"), Quantity(), Quantity()};
  }
  EXPECT_EQ(tenths.cpu, q("1"));
}

TEST(UsageArithmeticTest, SubtractsAndNeverGoesNegative) {
  const Usage total{2, q("3"), q("4Gi"), q("10Gi")};
  EXPECT_EQ((total - Usage{1, q("500m"), q("1Gi"), q("5Gi")}),
            (Usage{1, q("2500m"), q("3Gi"), q("5Gi")}));
  EXPECT_EQ((total - Usage{5, q("5"), q("5Gi"), q("50Gi")}), Usage{});
  Usage released = total;
  released -= total;
  released -= total;  // Released twice: still zero, not negative.
  EXPECT_EQ(released, Usage{});
}

TEST(UsageArithmeticTest, SaturatesInsteadOfWrapping) {
  const Usage huge{std::numeric_limits<int64_t>::max(),
                   Quantity::fromMilli(std::numeric_limits<int64_t>::max()),
                   Quantity::fromMilli(std::numeric_limits<int64_t>::max()),
                   Quantity::fromMilli(std::numeric_limits<int64_t>::max())};
  const Usage sum = huge + Usage{1, q("1"), q("1"), q("1")};
  EXPECT_EQ(sum, huge);
  const Quota quota{100, q("100"), q("100Gi"), q("100Gi")};
  const std::optional<QuotaViolation> violation = checkQuota(quota, huge, Usage{1, {}, {}, {}});
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->dimension, "databases");
}

TEST(UsageArithmeticTest, MultipliesByACountAndSaturates) {
  const Usage one{1, q("500m"), q("1Gi"), q("10Gi")};
  EXPECT_EQ(one * 3, (Usage{3, q("1500m"), q("3Gi"), q("30Gi")}));
  EXPECT_EQ(one * 0, Usage{});
  const Usage absurd = one * std::numeric_limits<int64_t>::max();
  EXPECT_EQ(absurd.databases, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(absurd.storage.milli(), std::numeric_limits<int64_t>::max());
}

TEST(UsageArithmeticTest, DemandOfAnAbsurdTierSaturates) {
  const TierParameters absurd = parameters(9, "1", "7Pi", "1Gi");
  EXPECT_EQ(demandOf(absurd).memory.milli(), std::numeric_limits<int64_t>::max());
}

// The quota of the production example: 20 databases, 120 CPU, 480Gi, 6000Gi.
const Quota kProduction{20, q("120"), q("480Gi"), q("6000Gi")};
const Usage kProductionDemand{1, q("6"), q("24Gi"), q("300Gi")};

struct QuotaCase {
  std::string_view name;
  Usage used;
  std::optional<std::string_view> exhausted;  // nullopt: admitted.
};

// Test names in ctest show the case, not its bytes.
// NOLINTNEXTLINE(readability-identifier-naming): GoogleTest looks for this name.
void PrintTo(const QuotaCase& c, std::ostream* os) {
  *os << c.name;
}

class CheckQuotaTest : public ::testing::TestWithParam<QuotaCase> {};

TEST_P(CheckQuotaTest, ReportsTheFirstExhaustedDimension) {
  const std::optional<QuotaViolation> violation =
      checkQuota(kProduction, GetParam().used, kProductionDemand);
  if (!GetParam().exhausted) {
    EXPECT_FALSE(violation.has_value()) << violation->message();
    return;
  }
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->dimension, *GetParam().exhausted);
}

INSTANTIATE_TEST_SUITE_P(
    Dimensions, CheckQuotaTest,
    ::testing::Values(
        QuotaCase{"Empty", Usage{}, std::nullopt},
        // Exactly reaching every limit fits.
        QuotaCase{"ExactlyFull", Usage{19, q("114"), q("456Gi"), q("5700Gi")}, std::nullopt},
        QuotaCase{"DatabasesFull", Usage{20, q("0"), q("0"), q("0")}, "databases"},
        QuotaCase{"CpuOneMilliOver", Usage{0, q("114001m"), q("0"), q("0")}, "cpu"},
        QuotaCase{"MemoryOneByteOver",
                  Usage{0, q("0"), Quantity::fromMilli(q("456Gi").milli() + 1000), q("0")},
                  "memory"},
        QuotaCase{"StorageOver", Usage{0, q("0"), q("0"), q("5701Gi")}, "storage"},
        // Fixed order: databases, cpu, memory, storage.
        QuotaCase{"AllOver", Usage{20, q("120"), q("480Gi"), q("6000Gi")}, "databases"},
        QuotaCase{"CpuAndMemoryOver", Usage{1, q("115"), q("457Gi"), q("0")}, "cpu"},
        QuotaCase{"MemoryAndStorageOver", Usage{1, q("1"), q("457Gi"), q("5701Gi")}, "memory"}),
    [](const ::testing::TestParamInfo<QuotaCase>& info) { return std::string(info.param.name); });

TEST(CheckQuotaTest, ZeroMaxDatabasesClosesTheTier) {
  const Quota closed{0, q("100"), q("100Gi"), q("100Gi")};
  const std::optional<QuotaViolation> violation =
      checkQuota(closed, Usage{}, Usage{1, q("1"), q("1Gi"), q("1Gi")});
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->message(),
            "tier quota exceeded for databases: limit 0, used 0, requested 1");
}

TEST(CheckQuotaTest, MessageNamesLimitUsedAndRequested) {
  const std::optional<QuotaViolation> violation = checkQuota(
      Quota{50, q("25"), q("50Gi"), q("250Gi")}, Usage{49, q("24.5"), q("49Gi"), q("245Gi")},
      Usage{1, q("500m"), q("2Gi"), q("5Gi")});
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->dimension, "memory");
  EXPECT_EQ(violation->limit, "50Gi");
  EXPECT_EQ(violation->used, "49Gi");
  EXPECT_EQ(violation->requested, "2Gi");
  EXPECT_EQ(violation->message(),
            "tier quota exceeded for memory: limit 50Gi, used 49Gi, requested 2Gi");
}

}  // namespace
}  // namespace daap::model

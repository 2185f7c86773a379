#include "lib/json/overlay.h"

#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "lib/json/json.h"

namespace daap::json {
namespace {

Document parsed(std::string_view text) {
  Result<Document> document = parse(text);
  EXPECT_TRUE(document.has_value()) << text;
  return std::move(document).value();
}

struct OverlayCase {
  std::string_view name;
  std::string_view live;
  std::string_view desired;
  std::string_view result;  // `live` after the overlay.
  bool changes;
};

// Test names in ctest show the case, not its bytes.
// NOLINTNEXTLINE(readability-identifier-naming): GoogleTest looks for this name.
void PrintTo(const OverlayCase& c, std::ostream* os) {
  *os << c.name;
}

class OverlayTest : public ::testing::TestWithParam<OverlayCase> {};

TEST_P(OverlayTest, MakesDesiredFieldsEqualAndLeavesTheRest) {
  Document live = parsed(GetParam().live);
  const Document desired = parsed(GetParam().desired);
  EXPECT_EQ(containsOverlay(live, desired), !GetParam().changes);
  EXPECT_EQ(overlay(live, desired, live.GetAllocator()), GetParam().changes);
  EXPECT_TRUE(equal(live, parsed(GetParam().result))) << serialize(live);
  // Afterwards the live object contains the desired one, and a second pass is a no-op.
  EXPECT_TRUE(containsOverlay(live, desired));
  EXPECT_FALSE(overlay(live, desired, live.GetAllocator()));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, OverlayTest,
    ::testing::Values(
        OverlayCase{"UpToDate", R"({"a": 1, "b": {"c": "x"}})", R"({"b": {"c": "x"}})",
                    R"({"a": 1, "b": {"c": "x"}})", false},
        OverlayCase{"KeepsFieldsOthersOwn",
                    R"({"spec": {"instances": 1, "logLevel": "info"}, "status": {"phase": "x"}})",
                    R"({"spec": {"instances": 3}})",
                    R"({"spec": {"instances": 3, "logLevel": "info"}, "status": {"phase": "x"}})",
                    true},
        OverlayCase{"AddsMissingFields", R"({"metadata": {"name": "a"}})",
                    R"({"metadata": {"labels": {"x": "y"}}, "spec": {"n": 1}})",
                    R"({"metadata": {"name": "a", "labels": {"x": "y"}}, "spec": {"n": 1}})", true},
        OverlayCase{"MergesLabelsNotReplacesThem",
                    R"({"labels": {"cnpg.io/cluster": "a", "daap.io/database-id": "old"}})",
                    R"({"labels": {"daap.io/database-id": "new"}})",
                    R"({"labels": {"cnpg.io/cluster": "a", "daap.io/database-id": "new"}})", true},
        OverlayCase{"ReplacesArraysWhole", R"({"pg_hba": ["a", "b", "c"]})",
                    R"({"pg_hba": ["a", "b"]})", R"({"pg_hba": ["a", "b"]})", true},
        OverlayCase{"ArrayOrderMatters", R"({"l": [1, 2]})", R"({"l": [2, 1]})", R"({"l": [2, 1]})",
                    true},
        OverlayCase{"EqualArraysStay", R"({"l": [{"a": 1}, 2]})", R"({"l": [{"a": 1}, 2]})",
                    R"({"l": [{"a": 1}, 2]})", false},
        // An array element with extra live fields is not equal: arrays are compared whole.
        OverlayCase{"ArrayElementsCompareWhole", R"({"l": [{"a": 1, "b": 2}]})",
                    R"({"l": [{"a": 1}]})", R"({"l": [{"a": 1}]})", true},
        OverlayCase{"ReplacesScalars", R"({"s": "old", "n": 1, "b": true})",
                    R"({"s": "new", "n": 2, "b": false})", R"({"s": "new", "n": 2, "b": false})",
                    true},
        OverlayCase{"NumbersCompareByValue", R"({"n": 1})", R"({"n": 1.0})", R"({"n": 1})", false},
        OverlayCase{"TypeChangeReplaces", R"({"x": {"deep": 1}})", R"({"x": "flat"})",
                    R"({"x": "flat"})", true},
        OverlayCase{"ObjectOverScalar", R"({"x": "flat"})", R"({"x": {"deep": 1}})",
                    R"({"x": {"deep": 1}})", true},
        OverlayCase{"NullIsAValue", R"({"x": 1})", R"({"x": null})", R"({"x": null})", true},
        OverlayCase{"EmptyDesiredObjectChangesNothing", R"({"x": {"a": 1}})", R"({"x": {}})",
                    R"({"x": {"a": 1}})", false},
        OverlayCase{"DeepNesting", R"({"a": {"b": {"c": {"d": 1, "e": 2}}}})",
                    R"({"a": {"b": {"c": {"d": 3}}}})", R"({"a": {"b": {"c": {"d": 3, "e": 2}}}})",
                    true}),
    [](const ::testing::TestParamInfo<OverlayCase>& info) { return std::string(info.param.name); });

// Values copied into `live` must outlive the desired document they came from.
TEST(OverlayTest, CopiesOwnedByTheLiveDocument) {
  Document live = parsed(R"({"spec": {}})");
  {
    const Document desired = parsed(R"({"spec": {"name": "a fairly long string value here"}})");
    ASSERT_TRUE(overlay(live, desired, live.GetAllocator()));
  }
  EXPECT_EQ(serialize(live), R"({"spec":{"name":"a fairly long string value here"}})");
}

}  // namespace
}  // namespace daap::json

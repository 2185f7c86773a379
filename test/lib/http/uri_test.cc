#include "lib/http/uri.h"

#include <gtest/gtest.h>

namespace daap::http {
namespace {

TEST(PercentDecodeTest, DecodesEscapesInAnyCase) {
  EXPECT_EQ(percentDecode("a%20b%2fc%2F", false).value(), "a b/c/");
  EXPECT_EQ(percentDecode("%e2%82%AC", false).value(), "\xe2\x82\xac");
}

TEST(PercentDecodeTest, PlusIsASpaceOnlyInQueries) {
  EXPECT_EQ(percentDecode("a+b", true).value(), "a b");
  EXPECT_EQ(percentDecode("a+b", false).value(), "a+b");
  EXPECT_EQ(percentDecode("a%2Bb", true).value(), "a+b");
}

TEST(PercentDecodeTest, RejectsTruncatedOrNonHexEscapes) {
  for (const char* bad : {"%", "%2", "a%g0", "%0x", "abc%"}) {
    Result<std::string> decoded = percentDecode(bad, false);
    ASSERT_FALSE(decoded.has_value()) << bad;
    EXPECT_EQ(decoded.error().code, ErrorCode::InvalidArgument);
  }
}

TEST(ParseQueryTest, KeepsRepeatedNamesInOrder) {
  const auto query = parseQuery("tag=a&name=x%20y&tag=b+c&flag").value();
  ASSERT_EQ(query.size(), 4U);
  const auto [first, last] = query.equal_range("tag");
  ASSERT_EQ(std::distance(first, last), 2);
  EXPECT_EQ(first->second, "a");
  EXPECT_EQ(std::next(first)->second, "b c");
  EXPECT_EQ(query.find("name")->second, "x y");
  EXPECT_EQ(query.find("flag")->second, "");
}

TEST(ParseQueryTest, SkipsEmptyPiecesAndDecodesNames) {
  const auto query = parseQuery("&&a%5B0%5D=1&&").value();
  ASSERT_EQ(query.size(), 1U);
  EXPECT_EQ(query.find("a[0]")->second, "1");
  EXPECT_TRUE(parseQuery("").value().empty());
}

TEST(ParseQueryTest, RejectsMalformedEscapes) {
  EXPECT_FALSE(parseQuery("a=%zz").has_value());
  EXPECT_FALSE(parseQuery("%=1").has_value());
}

}  // namespace
}  // namespace daap::http

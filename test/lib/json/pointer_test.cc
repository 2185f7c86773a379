#include "lib/json/pointer.h"

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace daap::json {
namespace {

Document parsed(std::string_view text) {
  return std::move(parse(text)).value();
}

struct TokensCase {
  std::string_view pointer;
  std::vector<std::string> tokens;
};

TEST(ParsePointerTest, UnescapesTokens) {
  const std::vector<TokensCase> cases = {
      {"", {}},
      {"/", {""}},
      {"//", {"", ""}},
      {"/foo", {"foo"}},
      {"/foo/0", {"foo", "0"}},
      {"/a~1b", {"a/b"}},
      {"/m~0n", {"m~n"}},
      {"/a~1b/~0c", {"a/b", "~c"}},
      // "~01" is "~" then "1": unescaping "~1" first would wrongly give "/".
      {"/~01", {"~1"}},
      {"/ ", {" "}},
      {"/c%d/e^f", {"c%d", "e^f"}},
  };
  for (const TokensCase& test_case : cases) {
    SCOPED_TRACE(test_case.pointer);
    const Result<std::vector<std::string>> tokens = parsePointer(test_case.pointer);
    ASSERT_TRUE(tokens) << tokens.error().toString();
    EXPECT_EQ(*tokens, test_case.tokens);
  }
}

TEST(ParsePointerTest, RejectsMissingSlashAndBadEscapes) {
  for (const std::string_view pointer : {"foo", "#/foo", "/~", "/~2", "/a~", "/a~x/b"}) {
    SCOPED_TRACE(pointer);
    const Result<std::vector<std::string>> tokens = parsePointer(pointer);
    ASSERT_FALSE(tokens);
    EXPECT_EQ(tokens.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(tokens.error().message.find(pointer), std::string::npos);
  }
}

TEST(EscapePointerTokenTest, EscapesTildeBeforeSlash) {
  EXPECT_EQ(escapePointerToken("plain"), "plain");
  EXPECT_EQ(escapePointerToken("a/b"), "a~1b");
  EXPECT_EQ(escapePointerToken("m~n"), "m~0n");
  EXPECT_EQ(escapePointerToken("~1"), "~01");
  EXPECT_EQ(escapePointerToken(""), "");
}

TEST(EscapePointerTokenTest, RoundTripsThroughParse) {
  for (const std::string token : {"", "a/b", "~", "~1", "/~0/", "app.kubernetes.io/name"}) {
    SCOPED_TRACE(token);
    const Result<std::vector<std::string>> tokens = parsePointer("/" + escapePointerToken(token));
    ASSERT_TRUE(tokens);
    EXPECT_EQ(*tokens, std::vector<std::string>{token});
  }
}

TEST(ParseArrayIndexTest, AcceptsDecimalWithoutLeadingZero) {
  EXPECT_EQ(parseArrayIndex("0"), std::optional<std::size_t>(0));
  EXPECT_EQ(parseArrayIndex("7"), std::optional<std::size_t>(7));
  EXPECT_EQ(parseArrayIndex("10"), std::optional<std::size_t>(10));
  EXPECT_EQ(parseArrayIndex("18446744073709551615"),
            std::optional<std::size_t>(std::numeric_limits<std::size_t>::max()));
}

TEST(ParseArrayIndexTest, RejectsEverythingElse) {
  for (const std::string_view token :
       {"", "-", "01", "00", "+1", "-1", " 1", "1 ", "1a", "0x1", "1.0", "18446744073709551616"}) {
    SCOPED_TRACE(token);
    EXPECT_EQ(parseArrayIndex(token), std::nullopt);
  }
}

// The example document of RFC 6901 section 5.
constexpr std::string_view kRfcDocument = R"({
  "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5,
  "k\"l": 6, " ": 7, "m~n": 8
})";

struct ResolveCase {
  std::string_view pointer;
  std::string_view expected;
};

TEST(ResolveTest, FollowsRfcExamples) {
  const Document document = parsed(kRfcDocument);
  const std::vector<ResolveCase> cases = {
      {"/foo", R"(["bar","baz"])"},
      {"/foo/0", R"("bar")"},
      {"/", "0"},
      {"/a~1b", "1"},
      {"/c%d", "2"},
      {"/e^f", "3"},
      {"/g|h", "4"},
      {R"(/i\j)", "5"},
      {R"(/k"l)", "6"},
      {"/ ", "7"},
      {"/m~0n", "8"},
  };
  for (const ResolveCase& test_case : cases) {
    SCOPED_TRACE(test_case.pointer);
    const Value* found = resolve(document, *parsePointer(test_case.pointer));
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(serialize(*found), test_case.expected);
  }
}

TEST(ResolveTest, EmptyPointerIsTheRoot) {
  const Document document = parsed(kRfcDocument);
  EXPECT_EQ(resolve(document, {}), &document);
}

TEST(ResolveTest, MissingTargetsAreNull) {
  const Document document = parsed(kRfcDocument);
  for (const std::string_view pointer :
       {"/missing", "/foo/2", "/foo/-", "/foo/01", "/foo/bar", "/foo/0/x", "/a~1b/c", "/FOO"}) {
    SCOPED_TRACE(pointer);
    EXPECT_EQ(resolve(document, *parsePointer(pointer)), nullptr);
  }
}

TEST(ResolveTest, MutableOverloadAllowsWrites) {
  Document document = parsed(R"({"a":[{"b":1}]})");
  Value* found = resolve(document, std::vector<std::string>{"a", "0", "b"});
  ASSERT_NE(found, nullptr);
  found->SetInt(2);
  EXPECT_EQ(serialize(document), R"({"a":[{"b":2}]})");
}

}  // namespace
}  // namespace daap::json

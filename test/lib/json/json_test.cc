#include "lib/json/json.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace daap::json {
namespace {

Document parsed(std::string_view text) {
  return std::move(parse(text)).value();
}

TEST(ParseTest, ValidTextGivesDocument) {
  const Result<Document> document = parse(R"({"a":[1,"x",null,true]})");
  ASSERT_TRUE(document) << document.error().toString();
  EXPECT_EQ(serialize(*document), R"({"a":[1,"x",null,true]})");
}

TEST(ParseTest, InvalidTextIsInvalidArgumentWithOffset) {
  for (const std::string_view text : {"", "{", "[1,]", R"({"a" 1})", "nul", "{} x", "'a'"}) {
    SCOPED_TRACE(text);
    const Result<Document> document = parse(text);
    ASSERT_FALSE(document);
    EXPECT_EQ(document.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(document.error().message.rfind("invalid JSON at offset ", 0), 0u)
        << document.error().message;
  }
}

TEST(ParseTest, ErrorNamesOffsetAndReason) {
  const Result<Document> document = parse(R"({"a" 1})");
  ASSERT_FALSE(document);
  EXPECT_EQ(document.error().message,
            "invalid JSON at offset 5: Missing a colon after a name of object member.");
}

TEST(ParseTest, ReadsOnlyTheGivenLength) {
  constexpr std::string_view kText = "[1,2]garbage";
  const Result<Document> document = parse(kText.substr(0, 5));
  ASSERT_TRUE(document) << document.error().toString();
  EXPECT_EQ(serialize(*document), "[1,2]");
}

TEST(ParseTest, KeepsFullWidthIntegers) {
  const Document document = parsed(R"([18446744073709551615,-9223372036854775808])");
  EXPECT_TRUE(document[0].IsUint64());
  EXPECT_EQ(document[0].GetUint64(), 18446744073709551615u);
  EXPECT_TRUE(document[1].IsInt64());
  EXPECT_EQ(serialize(document), R"([18446744073709551615,-9223372036854775808])");
}

// RapidJSON 1.1.0's full-precision path turned this into -9.28e-270 (and read out of bounds).
TEST(ParseTest, LongMantissaWithExponentKeepsItsValue) {
  const Document document = parsed("[" + std::string("3") + std::string(40, '0') + "E-40]");
  ASSERT_TRUE(document[0].IsDouble());
  EXPECT_NEAR(document[0].GetDouble(), 3.0, 1e-12);
}

TEST(ParseTest, HugeExponentKeepsItsValue) {
  const Document document = parsed("[3" + std::string(20, '0') + "E280]");
  ASSERT_TRUE(document[0].IsDouble());
  EXPECT_NEAR(document[0].GetDouble() / 3e300, 1.0, 1e-12);
}

TEST(SerializeTest, PrettyIndentsByTwoSpaces) {
  EXPECT_EQ(serializePretty(parsed(R"({"a":[1]})")), "{\n  \"a\": [\n    1\n  ]\n}");
}

TEST(CloneTest, CopyOutlivesSource) {
  Document copy;
  {
    const Document source = parsed(R"({"name":"a string longer than the short-string buffer"})");
    copy = clone(source);
  }
  EXPECT_EQ(getString(copy, "name"), "a string longer than the short-string buffer");
}

TEST(FindTest, ReturnsMemberOrNull) {
  const Document document = parsed(R"({"a":1,"b":{"c":2}})");
  ASSERT_NE(find(document, "a"), nullptr);
  EXPECT_EQ(find(document, "a")->GetInt(), 1);
  EXPECT_EQ(find(document, "c"), nullptr);
  EXPECT_EQ(find(*find(document, "a"), "a"), nullptr);
}

TEST(FindPathTest, FollowsMembersUntilOneIsMissing) {
  const Document document = parsed(R"({"a":{"b":{"c":"x"}}})");
  const Value* found = findPath(document, {"a", "b", "c"});
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(view(*found), "x");
  EXPECT_EQ(findPath(document, {"a", "x", "c"}), nullptr);
  EXPECT_EQ(findPath(document, {"a", "b", "c", "d"}), nullptr);
  EXPECT_EQ(findPath(document, {}), &document);
}

TEST(GetStringTest, FallsBackWhenAbsentOrNotString) {
  const Document document = parsed(R"({"s":"v","n":1})");
  EXPECT_EQ(getString(document, "s"), "v");
  EXPECT_EQ(getString(document, "n", "fallback"), "fallback");
  EXPECT_EQ(getString(document, "missing", "fallback"), "fallback");
  EXPECT_EQ(getString(document, "missing"), "");
}

TEST(SetTest, AddsMissingMember) {
  Document document = parsed(R"({"a":1})");
  set(document, "b", Value(2), document.GetAllocator());
  EXPECT_EQ(serialize(document), R"({"a":1,"b":2})");
}

TEST(SetTest, ReplacesExistingMemberInPlace) {
  Document document = parsed(R"({"a":1,"b":2})");
  set(document, "a", Value(3), document.GetAllocator());
  EXPECT_EQ(serialize(document), R"({"a":3,"b":2})");
}

TEST(SetStringTest, CopiesText) {
  Document document = parsed("{}");
  {
    const std::string text = "copied text that must not dangle";
    setString(document, "k", text, document.GetAllocator());
  }
  EXPECT_EQ(getString(document, "k"), "copied text that must not dangle");
}

TEST(EnsureObjectTest, CreatesMissingObject) {
  Document document = parsed(R"({"a":1})");
  Value& created = ensureObject(document, "labels", document.GetAllocator());
  setString(created, "app", "x", document.GetAllocator());
  EXPECT_EQ(serialize(document), R"({"a":1,"labels":{"app":"x"}})");
}

TEST(EnsureObjectTest, KeepsExistingObject) {
  Document document = parsed(R"({"labels":{"app":"x"}})");
  ensureObject(document, "labels", document.GetAllocator());
  EXPECT_EQ(serialize(document), R"({"labels":{"app":"x"}})");
}

TEST(EnsureObjectTest, ReplacesNonObjectWithEmptyObject) {
  Document document = parsed(R"({"labels":[1,2]})");
  ensureObject(document, "labels", document.GetAllocator());
  EXPECT_EQ(serialize(document), R"({"labels":{}})");
}

TEST(EraseTest, RemovesMemberAndKeepsOrder) {
  Document document = parsed(R"({"a":1,"b":2,"c":3})");
  EXPECT_TRUE(erase(document, "a"));
  EXPECT_EQ(serialize(document), R"({"b":2,"c":3})");
}

TEST(EraseTest, MissingMemberOrNonObjectIsFalse) {
  Document document = parsed(R"({"a":[1]})");
  EXPECT_FALSE(erase(document, "b"));
  EXPECT_FALSE(erase(*find(document, "a"), "a"));
  EXPECT_EQ(serialize(document), R"({"a":[1]})");
}

struct EqualCase {
  std::string_view a;
  std::string_view b;
  bool equal;
};

std::vector<EqualCase> equalCases() {
  return {
      {"1", "1", true},
      {"1", "1.0", true},
      {"1.5", "1.5", true},
      {"1", "2.0", false},
      {"-1", "18446744073709551615", false},
      {"18446744073709551615", "18446744073709551615", true},
      {"0", "-0.0", true},
      {"1", R"("1")", false},
      {"null", "false", false},
      {"true", "true", true},
      {"true", "false", false},
      {R"("a")", R"("a")", true},
      {R"("a")", R"("b")", false},
      {"[1,2]", "[1,2]", true},
      {"[1,2]", "[2,1]", false},
      {"[1,2]", "[1,2,3]", false},
      {"{}", "[]", false},
      {R"({"a":1,"b":2})", R"({"b":2,"a":1})", true},
      {R"({"a":1})", R"({"a":1,"b":2})", false},
      {R"({"a":null})", "{}", false},
      {R"({"a":{"b":[1,{"c":2}]}})", R"({"a":{"b":[1.0,{"c":2}]}})", true},
      {R"({"a":{"b":[1,{"c":2}]}})", R"({"a":{"b":[1,{"c":3}]}})", false},
  };
}

TEST(EqualTest, ComparesStructureAndNumericValue) {
  const std::vector<EqualCase> cases = equalCases();
  for (const EqualCase& test_case : cases) {
    SCOPED_TRACE(std::string(test_case.a) + " vs " + std::string(test_case.b));
    EXPECT_EQ(equal(parsed(test_case.a), parsed(test_case.b)), test_case.equal);
    EXPECT_EQ(equal(parsed(test_case.b), parsed(test_case.a)), test_case.equal);
  }
}

TEST(DigestTest, AgreesWithEqual) {
  for (const EqualCase& test : equalCases()) {
    const Document a = parsed(test.a);
    const Document b = parsed(test.b);
    EXPECT_EQ(digest(a) == digest(b), test.equal) << test.a << " vs " << test.b;
  }
}

TEST(DigestTest, TellsApartWhatConcatenationWouldNot) {
  EXPECT_NE(digest(parsed(R"(["ab","c"])")), digest(parsed(R"(["a","bc"])")));
  EXPECT_NE(digest(parsed(R"({"a":{"b":1}})")), digest(parsed(R"({"a":{},"b":1})")));
  EXPECT_NE(digest(parsed("[[1],2]")), digest(parsed("[1,[2]]")));
}

}  // namespace
}  // namespace daap::json

#include "lib/json/patch.h"

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

// Order-insensitive comparison that prints both sides on failure.
::testing::AssertionResult jsonEquals(const Value& actual, std::string_view expected) {
  if (equal(actual, parsed(expected))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "actual " << serialize(actual) << "\nexpected " << expected;
}

struct MergeCase {
  std::string_view name;
  std::string_view target;
  std::string_view patch;
  std::string_view result;
};

// RFC 7386 appendix A, row by row.
const MergeCase kRfc7386Examples[] = {
    {"ReplacesMember", R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {"AddsMember", R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {"NullDeletesOnlyMember", R"({"a":"b"})", R"({"a":null})", "{}"},
    {"NullDeletesKey", R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {"StringReplacesArray", R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {"ArrayReplacesString", R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {"ObjectsMergeRecursively", R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})",
     R"({"a":{"b":"d"}})"},
    {"ArraysReplaceNotMerge", R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {"ArrayReplacesArray", R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {"ArrayPatchReplacesObject", R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {"NullPatchReplacesDocument", R"({"a":"foo"})", "null", "null"},
    {"StringPatchReplacesDocument", R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {"ExistingNullIsKept", R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {"ObjectPatchReplacesArray", "[1,2]", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {"NewObjectsDropNulls", "{}", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
};

class MergePatchRfcTest : public ::testing::TestWithParam<MergeCase> {};

TEST_P(MergePatchRfcTest, GivesAppendixResult) {
  Document target = parsed(GetParam().target);
  applyMergePatch(target, parsed(GetParam().patch), target.GetAllocator());
  EXPECT_TRUE(jsonEquals(target, GetParam().result));
}

INSTANTIATE_TEST_SUITE_P(AppendixA, MergePatchRfcTest, ::testing::ValuesIn(kRfc7386Examples),
                         [](const ::testing::TestParamInfo<MergeCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(MergePatchTest, NullDeletesKey) {
  Document target = parsed(R"({"metadata":{"labels":{"a":"1","b":"2"}}})");
  applyMergePatch(target, parsed(R"({"metadata":{"labels":{"a":null}}})"), target.GetAllocator());
  EXPECT_EQ(serialize(target), R"({"metadata":{"labels":{"b":"2"}}})");
}

TEST(MergePatchTest, RfcSectionThreeExample) {
  Document target = parsed(R"({
    "title": "Goodbye!",
    "author": {"givenName": "John", "familyName": "Doe"},
    "tags": ["example", "sample"],
    "content": "This will be unchanged"
  })");
  applyMergePatch(target, parsed(R"({
    "title": "Hello!",
    "phoneNumber": "+01-123-456-7890",
    "author": {"familyName": null},
    "tags": ["example"]
  })"),
                  target.GetAllocator());
  EXPECT_TRUE(jsonEquals(target, R"({
    "title": "Hello!",
    "author": {"givenName": "John"},
    "tags": ["example"],
    "content": "This will be unchanged",
    "phoneNumber": "+01-123-456-7890"
  })"));
}

TEST(MergePatchTest, PatchesNestedValueWithTargetAllocator) {
  Document target = parsed(R"({"spec":{"replicas":1}})");
  {
    const Document patch = parsed(R"({"image":"a long image reference that is heap allocated"})");
    applyMergePatch(*find(target, "spec"), patch, target.GetAllocator());
  }
  EXPECT_EQ(serialize(target),
            R"({"spec":{"replicas":1,"image":"a long image reference that is heap allocated"}})");
}

TEST(CreateMergePatchTest, EqualObjectsGiveEmptyObject) {
  EXPECT_EQ(serialize(createMergePatch(parsed(R"({"a":{"b":[1,2]},"c":"d"})"),
                                       parsed(R"({"c":"d","a":{"b":[1,2]}})"))),
            "{}");
}

TEST(CreateMergePatchTest, RemovedKeyBecomesNull) {
  EXPECT_EQ(serialize(createMergePatch(parsed(R"({"a":1,"b":2})"), parsed(R"({"b":2})"))),
            R"({"a":null})");
}

TEST(CreateMergePatchTest, AddedAndChangedKeysCarryNewValue) {
  EXPECT_EQ(
      serialize(createMergePatch(parsed(R"({"a":1,"b":2})"), parsed(R"({"a":3,"b":2,"c":4})"))),
      R"({"a":3,"c":4})");
}

TEST(CreateMergePatchTest, NestedObjectsRecurse) {
  EXPECT_EQ(serialize(createMergePatch(parsed(R"({"spec":{"a":1,"b":{"c":2,"d":3}}})"),
                                       parsed(R"({"spec":{"a":1,"b":{"c":5,"d":3}}})"))),
            R"({"spec":{"b":{"c":5}}})");
}

TEST(CreateMergePatchTest, ChangedArrayIsCopiedWhole) {
  EXPECT_EQ(serialize(createMergePatch(parsed(R"({"a":[1,2,3]})"), parsed(R"({"a":[1,2]})"))),
            R"({"a":[1,2]})");
}

TEST(CreateMergePatchTest, IntegerAndEqualDoubleAreUnchanged) {
  EXPECT_EQ(serialize(createMergePatch(parsed(R"({"a":1})"), parsed(R"({"a":1.0})"))), "{}");
}

TEST(CreateMergePatchTest, NonObjectsGiveTheTargetValue) {
  EXPECT_EQ(serialize(createMergePatch(parsed(R"({"a":1})"), parsed("[1]"))), "[1]");
  EXPECT_EQ(serialize(createMergePatch(parsed("[1]"), parsed(R"({"a":1})"))), R"({"a":1})");
  EXPECT_EQ(serialize(createMergePatch(parsed("1"), parsed("1"))), "1");
}

struct RoundTripCase {
  std::string_view from;
  std::string_view to;
};

TEST(CreateMergePatchTest, ApplyingPatchToSourceGivesTarget) {
  const std::vector<RoundTripCase> cases = {
      {"{}", "{}"},
      {R"({"a":1})", "{}"},
      {"{}", R"({"a":{"b":{"c":[1,{"d":2}]}}})"},
      {R"({"a":{"b":1,"c":2}})", R"({"a":{"c":3,"d":4}})"},
      {R"({"a":{"b":1}})", R"({"a":[1]})"},
      {R"({"a":[1]})", R"({"a":{"b":1}})"},
      {R"({"a":"x"})", R"({"a":{"b":{"c":1}}})"},
      {R"({"a":null,"b":1})", R"({"b":1})"},
      {R"({"a":{"b":1}})", R"({"a":{}})"},
      {"[1,2]", R"({"a":1})"},
      {R"({"a":1})", R"("s")"},
      {R"({"metadata":{"name":"db","labels":{"x":"1"}},"spec":{"instances":1}})",
       R"({"metadata":{"name":"db","labels":{"y":"2"}},"spec":{"instances":3,"storage":"1Gi"}})"},
  };
  for (const RoundTripCase& test_case : cases) {
    SCOPED_TRACE(std::string(test_case.from) + " -> " + std::string(test_case.to));
    Document target = parsed(test_case.from);
    const Document patch = createMergePatch(target, parsed(test_case.to));
    applyMergePatch(target, patch, target.GetAllocator());
    EXPECT_TRUE(jsonEquals(target, test_case.to)) << "patch " << serialize(patch);
  }
}

struct JsonPatchCase {
  std::string_view name;
  std::string_view document;
  std::string_view operations;
  // The document afterwards; nullopt when the patch must fail and leave it unchanged.
  std::optional<std::string_view> result;
};

// RFC 6902 appendix A, one row per example.
const JsonPatchCase kRfc6902Examples[] = {
    {"A1AddObjectMember", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
     R"({"baz":"qux","foo":"bar"})"},
    {"A2AddArrayElement", R"({"foo":["bar","baz"]})",
     R"([{"op":"add","path":"/foo/1","value":"qux"}])", R"({"foo":["bar","qux","baz"]})"},
    {"A3RemoveObjectMember", R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])",
     R"({"foo":"bar"})"},
    {"A4RemoveArrayElement", R"({"foo":["bar","qux","baz"]})",
     R"([{"op":"remove","path":"/foo/1"}])", R"({"foo":["bar","baz"]})"},
    {"A5ReplaceValue", R"({"baz":"qux","foo":"bar"})",
     R"([{"op":"replace","path":"/baz","value":"boo"}])", R"({"baz":"boo","foo":"bar"})"},
    {"A6MoveValue", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
     R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
     R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
    {"A7MoveArrayElement", R"({"foo":["all","grass","cows","eat"]})",
     R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
     R"({"foo":["all","cows","eat","grass"]})"},
    {"A8TestSucceeds", R"({"baz":"qux","foo":["a",2,"c"]})",
     R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
     R"({"baz":"qux","foo":["a",2,"c"]})"},
    {"A9TestFails", R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])",
     std::nullopt},
    {"A10AddNestedObject", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
     R"({"foo":"bar","child":{"grandchild":{}}})"},
    {"A11IgnoresUnknownMembers", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})"},
    {"A12AddToMissingParentFails", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/baz/bat","value":"qux"}])", std::nullopt},
    {"A13RepeatedOpIsInvalid", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/baz","value":"qux","op":"remove"}])", std::nullopt},
    {"A14EscapeOrdering", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])",
     R"({"/":9,"~1":10})"},
    {"A15StringIsNotNumber", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])",
     std::nullopt},
    {"A16AddArrayValue", R"({"foo":["bar"]})",
     R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])", R"({"foo":["bar",["abc","def"]]})"},
};

// Array index rules and the corners RFC 6902 spells out beside its examples.
const JsonPatchCase kJsonPatchRules[] = {
    {"AddAtSizeAppends", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/2","value":3}])",
     R"({"a":[1,2,3]})"},
    {"AddAtZeroPrepends", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/0","value":0}])",
     R"({"a":[0,1,2]})"},
    {"AddPastSizeFails", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/3","value":3}])",
     std::nullopt},
    {"AddLeadingZeroIndexFails", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/01","value":3}])",
     std::nullopt},
    {"AddReplacesExistingMember", R"({"a":1})", R"([{"op":"add","path":"/a","value":2}])",
     R"({"a":2})"},
    {"AddEmptyPathReplacesDocument", R"({"a":1})", R"([{"op":"add","path":"","value":[1]}])",
     "[1]"},
    {"AddUnderScalarFails", R"({"a":1})", R"([{"op":"add","path":"/a/b","value":2}])",
     std::nullopt},
    {"RemoveDashFails", R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])", std::nullopt},
    {"RemoveMissingMemberFails", R"({"a":1})", R"([{"op":"remove","path":"/b"}])", std::nullopt},
    {"RemoveDocumentFails", R"({"a":1})", R"([{"op":"remove","path":""}])", std::nullopt},
    {"ReplaceAtSizeFails", R"({"a":[1]})", R"([{"op":"replace","path":"/a/1","value":2}])",
     std::nullopt},
    {"ReplaceMissingMemberFails", R"({"a":1})", R"([{"op":"replace","path":"/b","value":2}])",
     std::nullopt},
    {"ReplaceEmptyPathReplacesDocument", R"({"a":1})",
     R"([{"op":"replace","path":"","value":{"b":2}}])", R"({"b":2})"},
    {"MoveToSamePathIsNoOp", R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a"}])",
     R"({"a":{"b":1}})"},
    {"MoveIntoOwnChildFails", R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])",
     std::nullopt},
    {"MoveToSiblingWithSharedPrefix", R"({"a":1,"ab":{}})",
     R"([{"op":"move","from":"/a","path":"/ab/x"}])", R"({"ab":{"x":1}})"},
    {"MoveArrayElementToEnd", R"({"a":[1,2,3]})", R"([{"op":"move","from":"/a/0","path":"/a/-"}])",
     R"({"a":[2,3,1]})"},
    {"CopyDeepCopiesValue", R"({"a":{"b":[1]}})",
     R"([{"op":"copy","from":"/a","path":"/c"},{"op":"add","path":"/c/b/-","value":2}])",
     R"({"a":{"b":[1]},"c":{"b":[1,2]}})"},
    {"CopyMissingFromFails", R"({"a":1})", R"([{"op":"copy","from":"/x","path":"/b"}])",
     std::nullopt},
    {"TestComparesNumbersByValue", R"({"a":1})", R"([{"op":"test","path":"/a","value":1.0}])",
     R"({"a":1})"},
    {"TestIgnoresMemberOrder", R"({"a":{"x":1,"y":2}})",
     R"([{"op":"test","path":"/a","value":{"y":2,"x":1}}])", R"({"a":{"x":1,"y":2}})"},
    {"TestMissingPathFails", R"({"a":1})", R"([{"op":"test","path":"/b","value":null}])",
     std::nullopt},
    {"EmptyPatchChangesNothing", R"({"a":1})", "[]", R"({"a":1})"},
    {"UnknownOpFails", R"({"a":1})", R"([{"op":"frobnicate","path":"/a"}])", std::nullopt},
    {"MissingValueFails", R"({"a":1})", R"([{"op":"add","path":"/b"}])", std::nullopt},
    {"MissingFromFails", R"({"a":1})", R"([{"op":"copy","path":"/b"}])", std::nullopt},
    {"MissingPathFails", R"({"a":1})", R"([{"op":"remove"}])", std::nullopt},
    {"BadPointerFails", R"({"a":1})", R"([{"op":"remove","path":"a"}])", std::nullopt},
    {"NonObjectOperationFails", R"({"a":1})", R"(["remove"])", std::nullopt},
    {"NonArrayPatchFails", R"({"a":1})", R"({"op":"remove","path":"/a"})", std::nullopt},
    {"LaterFailureUndoesEarlierOperations", R"({"a":1})",
     R"([{"op":"add","path":"/b","value":2},{"op":"remove","path":"/a"},
         {"op":"test","path":"/b","value":3}])",
     std::nullopt},
};

class JsonPatchTableTest : public ::testing::TestWithParam<JsonPatchCase> {};

TEST_P(JsonPatchTableTest, GivesResultOrLeavesDocumentUnchanged) {
  Document document = parsed(GetParam().document);
  const Result<void> applied = applyJsonPatch(document, parsed(GetParam().operations));
  if (GetParam().result) {
    ASSERT_TRUE(applied) << applied.error().toString();
    EXPECT_TRUE(jsonEquals(document, *GetParam().result));
  } else {
    ASSERT_FALSE(applied);
    EXPECT_EQ(applied.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(serialize(document), serialize(parsed(GetParam().document)));
  }
}

std::string caseName(const ::testing::TestParamInfo<JsonPatchCase>& info) {
  return std::string(info.param.name);
}

INSTANTIATE_TEST_SUITE_P(AppendixA, JsonPatchTableTest, ::testing::ValuesIn(kRfc6902Examples),
                         caseName);
INSTANTIATE_TEST_SUITE_P(Rules, JsonPatchTableTest, ::testing::ValuesIn(kJsonPatchRules), caseName);

struct MessageCase {
  std::string_view operations;
  std::string_view message;
};

TEST(JsonPatchErrorTest, NamesOperationIndexOpAndPath) {
  const Document original = parsed(R"({"metadata":{"resourceVersion":"5"},"a":[1]})");
  const std::vector<MessageCase> cases = {
      {R"([{"op":"add","path":"/x","value":1},{"op":"add","path":"/y","value":2},
           {"op":"test","path":"/metadata/resourceVersion","value":"4"}])",
       "json patch operation 2 (test /metadata/resourceVersion): value differs"},
      {R"([{"op":"add","path":"/a/5","value":1}])",
       "json patch operation 0 (add /a/5): array index 5 out of bounds (size 1)"},
      {R"([{"op":"add","path":"/a/x","value":1}])",
       R"(json patch operation 0 (add /a/x): invalid array index "x")"},
      {R"([{"op":"add","path":"/b/c","value":1}])",
       "json patch operation 0 (add /b/c): parent not found"},
      {R"([{"op":"remove","path":""}])",
       R"(json patch operation 0 (remove ""): cannot remove the whole document)"},
      {R"([{"op":"move","from":"/metadata","path":"/metadata/x"}])",
       "json patch operation 0 (move /metadata/x): cannot move a value into one of its own "
       "children"},
      {R"([{"op":"copy","from":"/nope","path":"/b"}])",
       R"(json patch operation 0 (copy /b): from "/nope" not found)"},
      {R"([{"path":"/a"}])", R"(json patch operation 0 (/a): missing "op")"},
      {R"([{"op":7,"path":"/a"}])", R"(json patch operation 0 (/a): "op" must be a string)"},
      {R"([{"op":"test","path":"/a","value":1,"value":2}])",
       R"(json patch operation 0 (test /a): duplicate member "value")"},
      {R"([{"op":"remove","path":"a"}])",
       R"(json patch operation 0 (remove a): invalid JSON pointer "a": )"
       "must be empty or start with '/'"},
      {"[1]", "json patch operation 0: must be an object"},
      {"{}", "json patch must be an array of operations"},
  };
  for (const MessageCase& test_case : cases) {
    SCOPED_TRACE(test_case.operations);
    Document document = clone(original);
    const Result<void> applied = applyJsonPatch(document, parsed(test_case.operations));
    ASSERT_FALSE(applied);
    EXPECT_EQ(applied.error().message, test_case.message);
  }
}

TEST(JsonPatchTest, ValuesOutliveOperations) {
  Document document = parsed("{}");
  {
    const Document operations = parsed(
        R"([{"op":"add","path":"/long","value":"a string well past the inline buffer"},
            {"op":"add","path":"/list","value":[{"k":"another heap allocated string"}]}])");
    ASSERT_TRUE(applyJsonPatch(document, operations));
  }
  EXPECT_EQ(serialize(document), R"({"long":"a string well past the inline buffer",)"
                                 R"("list":[{"k":"another heap allocated string"}]})");
}

}  // namespace
}  // namespace daap::json

#include "lib/json/yaml.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/json/pointer.h"
#include "test/support/testdata.h"

namespace daap::json {
namespace {

// The single document `text` parses to, serialized; parse failures fail the test.
std::string yamlToJson(std::string_view text) {
  const Result<std::vector<Document>> documents = parseYaml(text);
  if (!documents) {
    ADD_FAILURE() << documents.error().toString();
    return {};
  }
  if (documents->size() != 1) {
    ADD_FAILURE() << documents->size() << " documents";
    return {};
  }
  return serialize(documents->front());
}

// The message of the error `text` must give.
std::string yamlError(std::string_view text) {
  const Result<std::vector<Document>> documents = parseYaml(text);
  if (documents) {
    ADD_FAILURE() << "parsed " << documents->size() << " documents";
    return {};
  }
  EXPECT_EQ(documents.error().code, ErrorCode::InvalidArgument);
  return documents.error().message;
}

struct ScalarCase {
  std::string_view yaml;
  std::string_view json;
};

// Each case is the value of `v:`, compared as serialized JSON so the number type counts too.
void expectScalars(const std::vector<ScalarCase>& cases) {
  for (const ScalarCase& test_case : cases) {
    SCOPED_TRACE(test_case.yaml);
    EXPECT_EQ(yamlToJson("v: " + std::string(test_case.yaml) + "\n"),
              R"({"v":)" + std::string(test_case.json) + "}");
  }
}

TEST(ParseYamlTest, GivesOneDocumentPerDocument) {
  const Result<std::vector<Document>> documents =
      parseYaml("kind: A\n---\nkind: B\n...\n---\n- 1\n- 2\n");
  ASSERT_TRUE(documents) << documents.error().toString();
  ASSERT_EQ(documents->size(), 3u);
  EXPECT_EQ(serialize((*documents)[0]), R"({"kind":"A"})");
  EXPECT_EQ(serialize((*documents)[1]), R"({"kind":"B"})");
  EXPECT_EQ(serialize((*documents)[2]), "[1,2]");
}

TEST(ParseYamlTest, SkipsEmptyAndNullDocuments) {
  const Result<std::vector<Document>> documents =
      parseYaml("---\n# comment only\n---\nkind: A\n---\n~\n---\nnull\n---\n");
  ASSERT_TRUE(documents) << documents.error().toString();
  ASSERT_EQ(documents->size(), 1u);
  EXPECT_EQ(serialize(documents->front()), R"({"kind":"A"})");
}

TEST(ParseYamlTest, EmptyStreamGivesNoDocuments) {
  for (const std::string_view text : {"", "\n", "# nothing\n", "---\n"}) {
    SCOPED_TRACE(text);
    const Result<std::vector<Document>> documents = parseYaml(text);
    ASSERT_TRUE(documents) << documents.error().toString();
    EXPECT_TRUE(documents->empty());
  }
}

TEST(ParseYamlTest, PlainNullsAndBooleansFollowCoreSchema) {
  expectScalars({
      {"", "null"},
      {"~", "null"},
      {"null", "null"},
      {"Null", "null"},
      {"NULL", "null"},
      {"true", "true"},
      {"True", "true"},
      {"TRUE", "true"},
      {"false", "false"},
      {"False", "false"},
      {"FALSE", "false"},
      // YAML 1.1 spellings are plain strings in 1.2.
      {"yes", R"("yes")"},
      {"no", R"("no")"},
      {"on", R"("on")"},
      {"off", R"("off")"},
      {"y", R"("y")"},
      {"nULL", R"("nULL")"},
      {"tRUE", R"("tRUE")"},
  });
}

TEST(ParseYamlTest, PlainIntegersFollowCoreSchema) {
  expectScalars({
      {"0", "0"},
      {"42", "42"},
      {"-17", "-17"},
      {"+17", "17"},
      {"-0", "0"},
      {"012", "12"},
      {"0o17", "15"},
      {"0x1F", "31"},
      {"0xff", "255"},
      {"9223372036854775807", "9223372036854775807"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"18446744073709551615", "18446744073709551615"},
      {"0xFFFFFFFFFFFFFFFF", "18446744073709551615"},
      {"18446744073709551616", "18446744073709553000.0"},
      {"-9223372036854775809", "-9223372036854776000.0"},
      {"0x10000000000000000", "18446744073709553000.0"},
      {"123456789012345678901234567890", "1.2345678901234568e29"},
  });
}

TEST(ParseYamlTest, PlainFloatsFollowCoreSchema) {
  expectScalars({
      {"1.5", "1.5"},
      {"-0.25", "-0.25"},
      {"+2.5", "2.5"},
      {".5", "0.5"},
      {"5.", "5.0"},
      {"1e3", "1000.0"},
      {"1.0E-3", "0.001"},
      {"-1.5e+2", "-150.0"},
  });
}

TEST(ParseYamlTest, OtherPlainScalarsAreStrings) {
  expectScalars({
      {"hello", R"("hello")"},
      {"0x", R"("0x")"},
      {"0o8", R"("0o8")"},
      {"-0x1F", R"("-0x1F")"},
      {"1_000", R"("1_000")"},
      {"1e", R"("1e")"},
      {"1.2.3", R"("1.2.3")"},
      {"--1", R"("--1")"},
      {"+-1", R"("+-1")"},
      {"1Gi", R"("1Gi")"},
      {"2024-01-01", R"("2024-01-01")"},
      {"inf", R"("inf")"},
      {"-.nan", R"("-.nan")"},
      {"hello world", R"("hello world")"},
  });
}

TEST(ParseYamlTest, QuotedNumbersStayStrings) {
  expectScalars({
      {R"("12")", R"("12")"},
      {"'12'", R"("12")"},
      {R"("1.5")", R"("1.5")"},
      {"'true'", R"("true")"},
      {R"("null")", R"("null")"},
      {"'~'", R"("~")"},
      {R"("")", R"("")"},
      {"''", R"("")"},
      {R"("0x1F")", R"("0x1F")"},
  });
}

TEST(ParseYamlTest, BlockScalarsAreStrings) {
  EXPECT_EQ(yamlToJson("v: |\n  12\n"), R"({"v":"12\n"})");
  EXPECT_EQ(yamlToJson("v: |-\n  true\n"), R"({"v":"true"})");
  EXPECT_EQ(yamlToJson("v: >\n  folded\n  line\n"), R"({"v":"folded line\n"})");
  EXPECT_EQ(yamlToJson("v: |\n  a\n  b\n"), R"({"v":"a\nb\n"})");
}

TEST(ParseYamlTest, ExplicitTagsAreHonoured) {
  expectScalars({
      {"!!str 12", R"("12")"},
      {"!!str true", R"("true")"},
      {"!!str ~", R"("~")"},
      {"!!str", R"("")"},
      {R"(!!int "12")", "12"},
      {"!!int 0x10", "16"},
      {"!!float 1", "1.0"},
      {R"(!!float "2.5")", "2.5"},
      {R"(!!bool "false")", "false"},
      {"!!null ''", "null"},
      {"!<tag:yaml.org,2002:str> 7", R"("7")"},
      {"!custom 12", R"("12")"},
      {"! 12", R"("12")"},
  });
}

TEST(ParseYamlTest, ContradictoryTagsAreErrors) {
  for (const std::string_view text :
       {"v: !!int abc\n", "v: !!int 1.5\n", "v: !!bool yes\n", "v: !!float x\n", "v: !!null 0\n",
        "v: !!str {a: 1}\n", "v: !!map [1]\n", "v: !!seq {a: 1}\n"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(yamlError(text).rfind("invalid YAML at line 1, column 4: ", 0), 0u);
  }
}

TEST(ParseYamlTest, InfinityAndNanAreErrors) {
  for (const std::string_view text :
       {"v: .inf\n", "v: -.Inf\n", "v: .NAN\n", "v: !!float .inf\n"}) {
    SCOPED_TRACE(text);
    EXPECT_NE(yamlError(text).find("has no JSON representation"), std::string::npos);
  }
}

TEST(ParseYamlTest, HugeFloatIsError) {
  EXPECT_EQ(yamlError("v: 1e400\n"),
            R"(invalid YAML at line 1, column 4: float "1e400" is out of range)");
}

TEST(ParseYamlTest, ConvertsNestedCollections) {
  EXPECT_EQ(yamlToJson("metadata:\n"
                       "  name: db\n"
                       "  labels: {app: x, tier: '1'}\n"
                       "spec:\n"
                       "  ports:\n"
                       "  - port: 5432\n"
                       "    name: pg\n"
                       "  - [1, two, {three: 3}]\n"
                       "  empty: []\n"
                       "  none: {}\n"),
            R"({"metadata":{"name":"db","labels":{"app":"x","tier":"1"}},)"
            R"("spec":{"ports":[{"port":5432,"name":"pg"},[1,"two",{"three":3}]],)"
            R"("empty":[],"none":{}}})");
}

TEST(ParseYamlTest, KeepsKeyOrder) {
  EXPECT_EQ(yamlToJson("b: 1\na: 2\nc: 3\n"), R"({"b":1,"a":2,"c":3})");
}

TEST(ParseYamlTest, ScalarKeysKeepTheirText) {
  EXPECT_EQ(yamlToJson("1: a\ntrue: b\n0x10: c\n'q': d\n~: e\n"),
            R"({"1":"a","true":"b","0x10":"c","q":"d","null":"e"})");
}

TEST(ParseYamlTest, TopLevelScalarIsADocument) {
  EXPECT_EQ(yamlToJson("hello\n"), R"("hello")");
  EXPECT_EQ(yamlToJson("--- 42\n"), "42");
}

TEST(ParseYamlTest, KeepsUnicodeText) {
  EXPECT_EQ(yamlToJson("v: h\xc3\xa9llo\nw: \"\\u00e9\"\n"),
            "{\"v\":\"h\xc3\xa9llo\",\"w\":\"\xc3\xa9\"}");
}

TEST(ParseYamlTest, AliasesAreCopied) {
  EXPECT_EQ(yamlToJson("a: &x {b: [1, 2]}\nc: *x\n"), R"({"a":{"b":[1,2]},"c":{"b":[1,2]}})");
}

TEST(ParseYamlTest, SelfReferentialAliasIsError) {
  EXPECT_NE(yamlError("a: &x [*x]\n").find("nested deeper than"), std::string::npos);
}

TEST(ParseYamlTest, DeepNestingIsError) {
  for (const int depth : {600, 5000}) {
    SCOPED_TRACE(depth);
    const std::string text = std::string(depth, '[') + std::string(depth, ']');
    const std::string message = yamlError(text);
    EXPECT_EQ(message.rfind("invalid YAML at line 1, column ", 0), 0u) << message;
    EXPECT_NE(message.find("nested too deeply"), std::string::npos) << message;
  }
}

TEST(ParseYamlTest, AliasBombIsError) {
  // Nine levels of ten aliases each would expand to 10^9 nodes.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 9; ++level) {
    const std::string previous = "*a" + std::to_string(level - 1);
    text += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) {
      text += (i == 0 ? "" : ", ") + previous;
    }
    text += "]\n";
  }
  EXPECT_NE(yamlError(text).find("aliases expand to too many nodes"), std::string::npos);
}

TEST(ParseYamlTest, NonScalarKeyIsError) {
  EXPECT_EQ(yamlError("a: 1\n? [1, 2]\n: b\n"),
            "invalid YAML at line 2, column 3: mapping keys must be scalars");
  EXPECT_EQ(yamlError("{a: 1}: b\n"),
            "invalid YAML at line 1, column 1: mapping keys must be scalars");
}

TEST(ParseYamlTest, DuplicateKeyIsError) {
  EXPECT_EQ(yamlError("a: 1\nb: 2\na: 3\n"),
            R"(invalid YAML at line 3, column 1: duplicate key "a")");
}

TEST(ParseYamlTest, SyntaxErrorNamesLineAndColumn) {
  const std::string message = yamlError("a: 1\nb: [1, 2\n");
  EXPECT_EQ(message.rfind("invalid YAML at line ", 0), 0u) << message;
  EXPECT_NE(message.find("end of sequence flow not found"), std::string::npos) << message;
}

TEST(ParseYamlTest, ErrorLinesCountAcrossDocuments) {
  EXPECT_EQ(yamlError("a: 1\n---\nb: 2\nb: 3\n"),
            R"(invalid YAML at line 4, column 1: duplicate key "b")");
}

TEST(ParseYamlTest, BadIndentationIsError) {
  EXPECT_EQ(yamlError("a:\n  b: 1\n c: 2\n").rfind("invalid YAML at line ", 0), 0u);
}

TEST(ParseYamlTest, ParsesCnpgClusterCrd) {
  const std::string text = testing::readFile(
      testing::sourceDir() / "hack/devcluster/cnpg-crds/postgresql.cnpg.io_clusters.yaml");
  const Result<std::vector<Document>> documents = parseYaml(text);
  ASSERT_TRUE(documents) << documents.error().toString();
  ASSERT_EQ(documents->size(), 1u);
  const Document& crd = documents->front();
  EXPECT_EQ(getString(crd, "kind"), "CustomResourceDefinition");
  const Value* kind = findPath(crd, {"spec", "names", "kind"});
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(view(*kind), "Cluster");
  // Deep inside the schema: integers stay integers and strings stay strings.
  const Value* instances = resolve(
      crd, *parsePointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/"
                         "instances"));
  ASSERT_NE(instances, nullptr);
  EXPECT_EQ(serialize(*find(*instances, "default")), "1");
  EXPECT_EQ(serialize(*find(*instances, "minimum")), "1");
  EXPECT_EQ(getString(*instances, "type"), "integer");
  const Value* served = resolve(crd, *parsePointer("/spec/versions/0/served"));
  ASSERT_NE(served, nullptr);
  EXPECT_TRUE(served->IsTrue());
}

}  // namespace
}  // namespace daap::json

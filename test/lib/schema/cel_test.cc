#include "lib/schema/cel.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/json/json.h"

namespace daap::schema {
namespace {

// A rule, the `self` it runs against (JSON), and what it must produce.
struct Case {
  std::string_view rule;
  std::string_view self = "{}";
};

struct ErrorCase {
  std::string_view rule;
  std::string_view self;
  std::string_view message;  // A substring of the error message.
};

json::Document parse(std::string_view text) {
  Result<json::Document> document = json::parse(text);
  EXPECT_TRUE(document.has_value()) << text;
  return document ? std::move(document).value() : json::Document();
}

Result<bool> evaluate(std::string_view rule, std::string_view self,
                      const json::Value* old_self = nullptr) {
  Result<Program> program = Program::compile(rule);
  if (!program) {
    return std::move(program).error();
  }
  const json::Document document = parse(self);
  return program->evaluate(document, old_self);
}

// Every rule in `cases` must compile and evaluate to `expected`.
void expectAll(const std::vector<Case>& cases, bool expected) {
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.rule));
    const Result<bool> result = evaluate(c.rule, c.self);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(*result, expected);
  }
}

void expectErrors(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(std::string(c.rule));
    const Result<bool> result = evaluate(c.rule, c.self);
    ASSERT_FALSE(result.has_value()) << "evaluated to " << *result;
    EXPECT_NE(result.error().message.find(c.message), std::string::npos) << result.error().message;
  }
}

TEST(CelTest, LiteralsEvaluate) {
  expectAll(
      {
          {"true"},
          {"!false"},
          {"1 == 1"},
          {"0x1F == 31"},
          {"1u == 1u"},
          {"18446744073709551615u > 0u"},
          {"-9223372036854775808 < 0"},
          {"1.5 == 1.5"},
          {".5 == 0.5"},
          {"1e3 == 1000.0"},
          {"2.5e-1 == 0.25"},
          {"'a' == \"a\""},
          {"'''multi\nline''' == 'multi\\nline'"},
          {"\"\"\"x\"y\"\"\" == 'x\"y'"},
          {"r'\\d+' == '\\\\d+'"},
          {"R\"\\n\".size() == 2"},
          {"'\\x41\\101\\u0042\\U00000043' == 'AABC'"},
          {"'\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"\\`\\?'.size() == 12"},
          {"'\\u00e9' == '\xc3\xa9'"},
          {"b'abc' == bytes('abc')"},
          {"b'\\xff'.size() == 1"},
          {"null == null"},
          {"[] == []"},
          {"[1, 2,] == [1, 2]"},
          {"{'a': 1, 'b': 2,} == {'b': 2, 'a': 1}"},
          {"{1: 'x', true: 'y'}[1] == 'x'"},
          {"// a comment\n1 == 1 // another"},
      },
      true);
}

TEST(CelTest, ArithmeticFollowsCelSemantics) {
  expectAll(
      {
          {"1 + 2 * 3 == 7"},       {"(1 + 2) * 3 == 9"},
          {"10 - 4 - 3 == 3"},      {"7 / 2 == 3"},
          {"-7 / 2 == -3"},         {"7 % 3 == 1"},
          {"-7 % 3 == -1"},         {"5u - 3u == 2u"},
          {"6u / 4u == 1u"},        {"7u % 4u == 3u"},
          {"2u * 3u == 6u"},        {"1.0 / 4.0 == 0.25"},
          {"1.5 * 2.0 == 3.0"},     {"2.5 - 0.5 == 2.0"},
          {"-(-3) == 3"},           {"- -3 == 3"},
          {"-1.5 < 0.0"},           {"'ab' + 'c' == 'abc'"},
          {"b'a' + b'b' == b'ab'"}, {"[1] + [2, 3] == [1, 2, 3]"},
      },
      true);
}

TEST(CelTest, ComparisonsWorkAcrossNumericTypes) {
  expectAll(
      {
          {"1 < 2"},
          {"2 <= 2"},
          {"3 > 2"},
          {"3 >= 3"},
          {"1 != 2"},
          {"1 == 1.0"},
          {"1 == 1u"},
          {"1u < 1.5"},
          {"-1 < 0u"},
          {"'a' < 'b'"},
          {"'abc' >= 'abc'"},
          {"b'a' < b'b'"},
          {"false < true"},
          {"1 != 'a'"},
          {"[1, 'a'] == [1.0, 'a']"},
          {"{'a': [1]} != {'a': [2]}"},
          {"!(0.0 / 0.0 == 0.0 / 0.0)"},
          {"!(0.0 / 0.0 < 1.0)"},
      },
      true);
}

TEST(CelTest, InAndConditionalOperatorsEvaluate) {
  expectAll(
      {
          {"2 in [1, 2, 3]"},
          {"!(4 in [1, 2, 3])"},
          {"'a' in {'a': 1}"},
          {"!('b' in {'a': 1})"},
          {"'x' in self", R"({"x": 1})"},
          {"(true ? 1 : 2) == 1"},
          {"(false ? 1 : 2) == 2"},
          {"(1 < 2 ? 'yes' : 'no') == 'yes'"},
          {"true ? true : 1 / 0 == 0"},
      },
      true);
}

TEST(CelTest, LogicalOperatorsAbsorbErrors) {
  expectAll(
      {
          {"true && true"},
          {"!(true && false)"},
          {"false || true"},
          {"!(false || false)"},
          {"!(false && self.missing)"},
          {"!(self.missing && false)"},
          {"true || self.missing"},
          {"self.missing || true"},
          {"!(1 / 0 == 0 && false)"},
          {"[0, 1].exists(x, 1 / x == 1)"},
          {"![0, -1].all(x, 1 / x > 0)"},
          {"!!true"},
      },
      true);
}

TEST(CelTest, SelfFieldsAreReadFromJson) {
  expectAll(
      {
          {"self.a == 1", R"({"a": 1})"},
          {"self['a'] == 1", R"({"a": 1})"},
          {"self.list[1] == 'y'", R"({"list": ["x", "y"]})"},
          {"self.list[1u] == 'y'", R"({"list": ["x", "y"]})"},
          {"self.nested.flag", R"({"nested": {"flag": true}})"},
          {"self.ratio == 1.5", R"({"ratio": 1.5})"},
          {"self.whole == 1", R"({"whole": 1.0})"},
          {"self.big > 9223372036854775807", R"({"big": 1e20})"},
          {"self.value == null", R"({"value": null})"},
          {"self == 'plain'", R"("plain")"},
          {"self > 2", "3"},
          {"self.size() == 2", "[1, 2]"},
          {"self.labels.app == 'db'", R"({"labels": {"app": "db"}})"},
          {"self.foo__dash__bar == 1", R"({"foo-bar": 1})"},
          {"self.a__dot__b == 2", R"({"a.b": 2})"},
          {"self.x__slash__y == 3", R"({"x/y": 3})"},
          {"self.a__underscores__b == 4", R"({"a__b": 4})"},
          {"self.__namespace__ == 'ns'", R"({"namespace": "ns"})"},
      },
      true);
}

TEST(CelTest, HasTestsFieldPresence) {
  expectAll(
      {
          {"has(self.a)", R"({"a": 1})"},
          {"!has(self.b)", R"({"a": 1})"},
          {"has(self.a.b)", R"({"a": {"b": null}})"},
          {"has(self.labels.app)", R"({"labels": {"app": "x"}})"},
          {"!has(self.labels.other)", R"({"labels": {"app": "x"}})"},
          {"has({'k': 1}.k)"},
          {"has(self.foo__dash__bar)", R"({"foo-bar": 1})"},
          {"!has(self.serverName)", R"({"destinationPath": "s3://x"})"},
      },
      true);
}

TEST(CelTest, StringFunctionsEvaluate) {
  expectAll(
      {
          {"'hello'.startsWith('he')"},
          {"'hello'.endsWith('lo')"},
          {"'hello'.contains('ell')"},
          {"!'hello'.contains('xyz')"},
          {"'abc'.matches('^a.c$')"},
          {"matches('abc', 'b')"},
          {"!'abc'.matches('^b')"},
          {"'ABC'.matches('(?i)abc')"},
          {"'h\xc3\xa9llo'.size() == 5"},
          {"size('abc') == 3"},
          {"b'h\xc3\xa9'.size() == 3"},
          {"'AbC'.lowerAscii() == 'abc'"},
          {"'AbC'.upperAscii() == 'ABC'"},
          {"'  x \\n'.trim() == 'x'"},
          {"'a,b,c'.split(',') == ['a', 'b', 'c']"},
          {"'a,b,c'.split(',', 2) == ['a', 'b,c']"},
          {"'abc'.split('') == ['a', 'b', 'c']"},
          {"['a', 'b'].join('-') == 'a-b'"},
          {"['a', 'b'].join() == 'ab'"},
          {"'aaa'.replace('a', 'b') == 'bbb'"},
          {"'aaa'.replace('a', 'b', 2) == 'bba'"},
          {"'hello'.substring(1, 3) == 'el'"},
          {"'hello'.substring(2) == 'llo'"},
          {"'hello'.indexOf('l') == 2"},
          {"'hello'.indexOf('l', 3) == 3"},
          {"'hello'.indexOf('z') == -1"},
          {"'hello'.lastIndexOf('l') == 3"},
          {"'h\xc3\xa9llo'.charAt(1) == '\xc3\xa9'"},
          {"'abc'.charAt(3) == ''"},
          {"'abc123def45'.find('[0-9]+') == '123'"},
          {"'abc'.find('[0-9]') == ''"},
          {"'a1b2c3'.findAll('[0-9]') == ['1', '2', '3']"},
          {"'a1b2c3'.findAll('[0-9]', 2) == ['1', '2']"},
      },
      true);
}

TEST(CelTest, ListFunctionsEvaluate) {
  expectAll(
      {
          {"[1, 2, 3].sum() == 6"},
          {"[1.5, 2.5].sum() == 4.0"},
          {"[].sum() == 0"},
          {"[3, 1, 2].min() == 1"},
          {"[3, 1, 2].max() == 3"},
          {"['b', 'a'].min() == 'a'"},
          {"[1, 2, 2, 3].isSorted()"},
          {"![2, 1].isSorted()"},
          {"[1, 2, 3].indexOf(2) == 1"},
          {"[1, 2, 1].lastIndexOf(1) == 2"},
          {"[1, 2].indexOf(5) == -1"},
      },
      true);
}

TEST(CelTest, MacrosIterateListsAndMaps) {
  expectAll(
      {
          {"[1, 2, 3].all(x, x > 0)"},
          {"![1, -2, 3].all(x, x > 0)"},
          {"[1, 2, 3].exists(x, x == 2)"},
          {"![1, 2, 3].exists(x, x == 5)"},
          {"[1, 2, 3].exists_one(x, x == 2)"},
          {"![1, 2, 2].exists_one(x, x == 2)"},
          {"[1, 2, 3].map(x, x * 2) == [2, 4, 6]"},
          {"[1, 2, 3].map(x, x > 1, x * 10) == [20, 30]"},
          {"[1, 2, 3].filter(x, x > 1) == [2, 3]"},
          {"{'a': 1, 'bb': 2}.all(k, k.size() <= 2)"},
          {"{'a': 1, 'bb': 2}.exists(k, k == 'bb')"},
          {"{'a': 1, 'bb': 2}.map(k, k) == ['a', 'bb']"},
          {"[[1], [2, 3]].all(l, l.all(x, x > 0))"},
          {"[1, 2].all(x, [3, 4].all(y, x < y))"},
          {"[].all(x, false)"},
          {"![].exists(x, true)"},
          {"self.args.exists(a, a.startsWith('--log-level'))",
           R"({"args": ["--foo", "--log-level=debug"]})"},
          {"self.items.all(i, i.name.size() > 0)", R"({"items": [{"name": "a"}, {"name": "b"}]})"},
      },
      true);
}

TEST(CelTest, ConversionsEvaluate) {
  expectAll(
      {
          {"int('42') == 42"},
          {"int('-7') == -7"},
          {"int(3.9) == 3"},
          {"int(-3.9) == -3"},
          {"int(5u) == 5"},
          {"uint(5) == 5u"},
          {"uint('7') == 7u"},
          {"uint(2.5) == 2u"},
          {"double(2) == 2.0"},
          {"double(3u) == 3.0"},
          {"double('1.5') == 1.5"},
          {"string(1) == '1'"},
          {"string(2u) == '2'"},
          {"string(1.5) == '1.5'"},
          {"string(1e21) == '1e+21'"},
          {"string(true) == 'true'"},
          {"string(b'ab') == 'ab'"},
          {"bool('true') && !bool('false') && bool('1')"},
          {"bytes('a') == b'a'"},
          {"dyn(1) == 1"},
          {"type(1) == int"},
          {"type(1u) == uint"},
          {"type(1.0) == double"},
          {"type('a') == string"},
          {"type(true) == bool"},
          {"type(null) == null_type"},
          {"type([]) == list"},
          {"type({}) == map"},
          {"type(b'') == bytes"},
          {"type(int) == type"},
      },
      true);
}

TEST(CelTest, CloudNativePgRulesEvaluate) {
  expectAll(
      {
          {"self.kind == 'ImageCatalog' || self.kind == 'ClusterImageCatalog'",
           R"({"kind": "ClusterImageCatalog"})"},
          {"self.apiGroup == 'postgresql.cnpg.io'", R"({"apiGroup": "postgresql.cnpg.io"})"},
          {"!(has(self.imageCatalogRef) && has(self.imageName))", R"({"imageName": "pg:16"})"},
          {"!has(self.builtinLocale) || self.localeProvider == 'builtin'",
           R"({"builtinLocale": "C", "localeProvider": "builtin"})"},
          {"!self.exists(a, a.startsWith('--log-level'))", R"(["--verbose"])"},
          {"self > 0", "2"},
          {"self.dataDurability!='preferred' || ((!has(self.standbyNamesPre)\n"
           "  || self.standbyNamesPre.size()==0) && (!has(self.standbyNamesPost)\n"
           "  || self.standbyNamesPost.size()==0))",
           R"({"dataDurability": "preferred", "standbyNamesPre": []})"},
      },
      true);
  expectAll(
      {
          {"self.kind == 'ImageCatalog' || self.kind == 'ClusterImageCatalog'",
           R"({"kind": "Secret"})"},
          {"!(has(self.imageCatalogRef) && has(self.imageName))",
           R"({"imageName": "pg:16", "imageCatalogRef": {}})"},
          {"!self.exists(a, a.startsWith('--log-level'))", R"(["--log-level=info"])"},
          {"self.dataDurability!='preferred' || ((!has(self.standbyNamesPre)\n"
           "  || self.standbyNamesPre.size()==0) && (!has(self.standbyNamesPost)\n"
           "  || self.standbyNamesPost.size()==0))",
           R"({"dataDurability": "preferred", "standbyNamesPost": ["a"]})"},
      },
      false);
}

TEST(CelTest, RuntimeErrorsCarryCelMessages) {
  expectErrors({
      {"self.missing == 1", "{}", "no such key: missing"},
      {"self['missing'] == 1", "{}", "no such key: missing"},
      {"self.list[5] == 1", R"({"list": [1]})", "index out of bounds: 5"},
      {"self.list[-1] == 1", R"({"list": [1]})", "index out of bounds: -1"},
      {"{'a': 1}['b'] == 1", "{}", "no such key: b"},
      {"1 / 0 == 0", "{}", "division by zero"},
      {"1 % 0 == 0", "{}", "modulus by zero"},
      {"1u / 0u == 0u", "{}", "division by zero"},
      {"9223372036854775807 + 1 > 0", "{}", "integer overflow"},
      {"-9223372036854775808 - 1 < 0", "{}", "integer overflow"},
      {"9223372036854775807 * 2 > 0", "{}", "integer overflow"},
      {"-(-9223372036854775808) > 0", "{}", "integer overflow"},
      {"0u - 1u == 0u", "{}", "unsigned integer overflow"},
      {"1 + 1.0 == 2.0", "{}", "no such overload"},
      {"'a' < 1", "{}", "no such overload"},
      {"!1", "{}", "no such overload"},
      {"(1 ? 2 : 3) == 2", "{}", "no such overload"},
      {"self.a.b == 1", R"({"a": 1})", "no such overload"},
      {"self.missing && true", "{}", "no such key: missing"},
      {"true && self.missing", "{}", "no such key: missing"},
      {"false || self.missing", "{}", "no such key: missing"},
      {"[1, 2].all(x, self.missing)", "{}", "no such key: missing"},
      {"int('abc') == 0", "{}", "strconv.ParseInt: parsing \"abc\": invalid syntax"},
      {"int(1e20) == 0", "{}", "integer overflow"},
      {"uint(-1) == 0u", "{}", "unsigned integer overflow"},
      {"bool('maybe')", "{}", "strconv.ParseBool: parsing \"maybe\": invalid syntax"},
      {"[].min() == 0", "{}", "min called on empty list"},
      {"'abc'.substring(5) == ''", "{}", "index out of range: 5"},
      {"{'a': 1, 'a': 2}.size() == 1", "{}", "repeated key"},
      {"1", "{}", "must evaluate to a bool"},
      {"self == oldSelf", "{}", "no such attribute(s): oldSelf"},
  });
}

TEST(CelTest, CompileRejectsUnsupportedSyntax) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"self.x ==", "Syntax error"},
      {"self.x = 1", "Syntax error"},
      {"foo == 1", "undeclared reference to 'foo'"},
      {"self.x.unknownFn()", "undeclared reference to 'unknownFn'"},
      {"timestamp('2024-01-01T00:00:00Z') > timestamp('2023-01-01T00:00:00Z')",
       "undeclared reference to 'timestamp'"},
      {"self.matches('[')", "regular expression"},
      {"self.matches('\\\\pL')", "not supported"},
      {"has(self)", "invalid argument to has() macro"},
      {"self.all(1, true)", "argument must be a simple name"},
      {"self.?x == 1", "optional syntax"},
      {"'unterminated", "unterminated string literal"},
      {"self.namespace == 'a'", "reserved identifier"},
      {"size(1, 2) == 0", "no matching overload for 'size'"},
      {"99999999999999999999 > 0", "invalid int literal"},
      {"'\\q' == ''", "invalid escape sequence"},
      {"Foo{a: 1}", "message construction"},
  };
  for (const auto& [rule, message] : cases) {
    SCOPED_TRACE(std::string(rule));
    const Result<Program> program = Program::compile(rule);
    ASSERT_FALSE(program.has_value());
    EXPECT_NE(program.error().message.find(message), std::string::npos) << program.error().message;
  }
}

TEST(CelTest, CompileErrorsNameLineAndColumn) {
  const Result<Program> program = Program::compile("self.a == 1 &&\n  foo");
  ASSERT_FALSE(program.has_value());
  EXPECT_EQ(program.error().message,
            "ERROR: <input>:2:3: undeclared reference to 'foo' (in container '')");
  EXPECT_EQ(program.error().code, ErrorCode::InvalidArgument);
}

TEST(CelTest, UsesOldSelfMarksTransitionRules) {
  EXPECT_TRUE(Program::compile("self == oldSelf")->usesOldSelf());
  EXPECT_TRUE(Program::compile("[1].all(x, oldSelf > x)")->usesOldSelf());
  EXPECT_FALSE(Program::compile("self.x > 0")->usesOldSelf());
  EXPECT_EQ(Program::compile("self.x > 0")->source(), "self.x > 0");
}

TEST(CelTest, TransitionRuleComparesWithOldSelf) {
  const Result<Program> program = Program::compile("self == oldSelf");
  ASSERT_TRUE(program.has_value());
  const json::Document self = parse(R"({"tier": "gold", "n": [1, 2]})");
  const json::Document same = parse(R"({"n": [1.0, 2], "tier": "gold"})");
  const json::Document changed = parse(R"({"tier": "silver", "n": [1, 2]})");
  EXPECT_TRUE(*program->evaluate(self, &same));
  EXPECT_FALSE(*program->evaluate(self, &changed));
}

TEST(CelTest, MacroVariablesShadowAndNest) {
  expectAll(
      {
          {"[1, 2].map(self, self * 2) == [2, 4]", R"({"x": 1})"},
          {"[[1, 2], [3]].map(x, x.map(x, x + 1)) == [[2, 3], [4]]"},
      },
      true);
}

TEST(CelTest, EvaluateStringReturnsMessageExpressionText) {
  const Result<Program> program = Program::compile("'replicas ' + string(self.n) + ' too high'");
  ASSERT_TRUE(program.has_value());
  const json::Document self = parse(R"({"n": 7})");
  const Result<std::string> message = program->evaluateString(self, nullptr);
  ASSERT_TRUE(message.has_value()) << message.error().message;
  EXPECT_EQ(*message, "replicas 7 too high");
  EXPECT_FALSE(Program::compile("self.n")->evaluateString(self, nullptr).has_value());
}

TEST(CelTest, ProgramIsReusableAcrossEvaluations) {
  const Result<Program> program = Program::compile("self.a.startsWith('x') && self.b.size() < 3");
  ASSERT_TRUE(program.has_value());
  // Copies share the compiled expression.
  const std::vector<Program> copies(3, *program);
  for (const Program& copy : copies) {
    const json::Document good = parse(R"({"a": "xy", "b": [1]})");
    const json::Document bad = parse(R"({"a": "yx", "b": [1]})");
    EXPECT_TRUE(*copy.evaluate(good, nullptr));
    EXPECT_FALSE(*copy.evaluate(bad, nullptr));
  }
}

}  // namespace
}  // namespace daap::schema

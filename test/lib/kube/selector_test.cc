#include "lib/kube/selector.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/json/json.h"

// Counts heap allocations while `counting_allocations` is set, so a test can check that
// LabelSelector::matches allocates nothing. Replacing the global operators affects the whole
// kube_test binary; with counting off they are plain malloc and free. Every non-aligned form is
// replaced so that each new meets its own delete (ASan checks the pairing); the aligned forms
// keep the library's pair. noinline: inlined, GCC sees malloc meet free and warns of a mismatch.
namespace {
std::atomic<bool> counting_allocations{false};
std::atomic<std::int64_t> allocation_count{0};

__attribute__((noinline)) void* countedAllocation(std::size_t size) noexcept {
  if (counting_allocations.load(std::memory_order_relaxed)) {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
  }
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

__attribute__((noinline)) void* operator new(std::size_t size) {
  if (void* memory = countedAllocation(size)) {
    return memory;
  }
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new[](std::size_t size) {
  if (void* memory = countedAllocation(size)) {
    return memory;
  }
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return countedAllocation(size);
}
__attribute__((noinline)) void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return countedAllocation(size);
}
__attribute__((noinline)) void operator delete(void* memory) noexcept {
  std::free(memory);
}
__attribute__((noinline)) void operator delete[](void* memory) noexcept {
  std::free(memory);
}
__attribute__((noinline)) void operator delete(void* memory, std::size_t /*size*/) noexcept {
  std::free(memory);
}
__attribute__((noinline)) void operator delete[](void* memory, std::size_t /*size*/) noexcept {
  std::free(memory);
}
__attribute__((noinline)) void operator delete(void* memory, const std::nothrow_t&) noexcept {
  std::free(memory);
}
__attribute__((noinline)) void operator delete[](void* memory, const std::nothrow_t&) noexcept {
  std::free(memory);
}

namespace daap::kube {
namespace {

json::Document parsed(std::string_view text) {
  return std::move(json::parse(text)).value();
}

LabelSelector labelSelector(std::string_view text) {
  Result<LabelSelector> selector = LabelSelector::parse(text);
  EXPECT_TRUE(selector) << text << ": " << selector.error().toString();
  return selector ? std::move(selector).value() : LabelSelector();
}

struct MatchCase {
  std::string_view selector;
  std::string_view labels;  // JSON: the metadata.labels object, or null.
  bool matches;
};

TEST(LabelSelectorTest, MatchesEveryOperator) {
  const std::vector<MatchCase> cases = {
      {"", R"({"a":"b"})", true},
      {"", "null", true},
      {"a=b", R"({"a":"b"})", true},
      {"a=b", R"({"a":"c"})", false},
      {"a=b", R"({})", false},
      {"a==b", R"({"a":"b"})", true},
      {"a==b", R"({"a":"c"})", false},
      {"a!=b", R"({"a":"b"})", false},
      {"a!=b", R"({"a":"c"})", true},
      {"a in (x,y)", R"({"a":"y"})", true},
      {"a in (x,y)", R"({"a":"z"})", false},
      {"a in (x,y)", R"({})", false},
      {"a notin (x,y)", R"({"a":"x"})", false},
      {"a notin (x,y)", R"({"a":"z"})", true},
      {"a", R"({"a":""})", true},
      {"a", R"({"b":"a"})", false},
      {"!a", R"({"b":"a"})", true},
      {"!a", R"({"a":""})", false},
      {"a>5", R"({"a":"6"})", true},
      {"a>5", R"({"a":"5"})", false},
      {"a<5", R"({"a":"-3"})", true},
      {"a<5", R"({"a":"+4"})", true},
      {"a<5", R"({"a":"x"})", false},
      {"a<5", R"({})", false},
      {"a=", R"({"a":""})", true},
      {"a=", R"({"a":"x"})", false},
      {"a in ()", R"({"a":""})", true},
      {"a in (,x)", R"({"a":""})", true},
      {"app.kubernetes.io/name=web", R"({"app.kubernetes.io/name":"web"})", true},
      {"tier in (gold,silver),!legacy,team=a", R"({"tier":"gold","team":"a"})", true},
      {"tier in (gold,silver),!legacy,team=a", R"({"tier":"gold","team":"a","legacy":"1"})", false},
      {"a,a!=x", R"({"a":"y"})", true},
      {"a,a!=x", R"({"a":"x"})", false},
  };
  for (const MatchCase& test_case : cases) {
    SCOPED_TRACE(std::string(test_case.selector) + " on " + std::string(test_case.labels));
    const LabelSelector selector = labelSelector(test_case.selector);
    EXPECT_EQ(selector.matches(parsed(test_case.labels)), test_case.matches);
  }
}

TEST(LabelSelectorTest, NotInMatchesAbsentKey) {
  const LabelSelector selector = labelSelector("env notin (prod)");
  EXPECT_TRUE(selector.matches(parsed(R"({"team":"a"})")));
  EXPECT_TRUE(selector.matches(parsed("null")));
  EXPECT_TRUE(selector.matches(nullptr));
}

TEST(LabelSelectorTest, NotEqualsMatchesAbsentKey) {
  const LabelSelector selector = labelSelector("env!=prod");
  EXPECT_TRUE(selector.matches(parsed(R"({})")));
  EXPECT_TRUE(selector.matches(nullptr));
}

TEST(LabelSelectorTest, PositiveRequirementsFailWithoutLabels) {
  for (const std::string_view text : {"a=b", "a==b", "a in (b)", "a", "a>1", "a<1"}) {
    SCOPED_TRACE(text);
    const LabelSelector selector = labelSelector(text);
    EXPECT_FALSE(selector.matches(nullptr));
    EXPECT_FALSE(selector.matches(parsed("null")));
    EXPECT_FALSE(selector.matches(parsed(R"("not an object")")));
  }
}

TEST(LabelSelectorTest, NonStringLabelIsPresentButEqualsNothing) {
  const json::Document labels = parsed(R"({"a":7})");
  EXPECT_TRUE(labelSelector("a").matches(labels));
  EXPECT_FALSE(labelSelector("!a").matches(labels));
  EXPECT_FALSE(labelSelector("a=7").matches(labels));
  EXPECT_TRUE(labelSelector("a!=7").matches(labels));
}

struct CanonicalCase {
  std::string_view text;
  std::string_view canonical;
};

TEST(LabelSelectorTest, ToStringIsCanonical) {
  const std::vector<CanonicalCase> cases = {
      {"", ""},
      {"a=b", "a=b"},
      {"a==b", "a==b"},
      {"a!=b", "a!=b"},
      {"  c != d ,  a in ( y , x , x ) , !b ", "a in (x,y),!b,c!=d"},
      {"a notin ()", "a notin ()"},
      {"a in (x,,y)", "a in (,x,y)"},
      {"a>10,a<20", "a>10,a<20"},
      {"x\tin\n(a),y", "x in (a),y"},
      {"app.kubernetes.io/name", "app.kubernetes.io/name"},
      {"a=", "a="},
  };
  for (const CanonicalCase& test_case : cases) {
    SCOPED_TRACE(test_case.text);
    EXPECT_EQ(labelSelector(test_case.text).toString(), test_case.canonical);
  }
}

TEST(LabelSelectorTest, ParsesRequirementsSortedByKey) {
  const LabelSelector selector = labelSelector("z notin (b,a),!y,x>3");
  ASSERT_EQ(selector.requirements().size(), 3U);
  EXPECT_EQ(selector.requirements()[0].key, "x");
  EXPECT_EQ(selector.requirements()[0].op, LabelSelector::Operator::GreaterThan);
  EXPECT_EQ(selector.requirements()[0].bound, 3);
  EXPECT_EQ(selector.requirements()[1].key, "y");
  EXPECT_EQ(selector.requirements()[1].op, LabelSelector::Operator::DoesNotExist);
  EXPECT_EQ(selector.requirements()[2].key, "z");
  EXPECT_EQ(selector.requirements()[2].op, LabelSelector::Operator::NotIn);
  EXPECT_EQ(selector.requirements()[2].values, (std::vector<std::string>{"a", "b"}));
}

TEST(LabelSelectorTest, InAndNotInAreValuesOutsideOperatorPosition) {
  const LabelSelector selector = labelSelector("in in (in,notin),notin=in");
  EXPECT_EQ(selector.toString(), "in in (in,notin),notin=in");
  EXPECT_TRUE(selector.matches(parsed(R"({"in":"notin","notin":"in"})")));
  EXPECT_FALSE(selector.matches(parsed(R"({"in":"x","notin":"in"})")));
}

TEST(LabelSelectorTest, NulByteEndsTokensLikeGo) {
  using std::string_literals::operator""s;
  // Before a token the NUL ends the input; inside one it only ends that token.
  EXPECT_EQ(labelSelector("a=b,c \0garbage"s).toString(), "a=b,c");
  EXPECT_EQ(labelSelector("a=\0b"s).toString(), "a=b");
  const Result<LabelSelector> split = LabelSelector::parse("a\0b"s);
  ASSERT_FALSE(split);
  EXPECT_EQ(split.error().message,
            "unable to parse requirement: found 'b', expected: '=', '!=', '==', 'in', notin'");
}

TEST(LabelSelectorTest, EmptySelectorMatchesEverything) {
  const LabelSelector selector = labelSelector("  ");
  EXPECT_TRUE(selector.empty());
  EXPECT_TRUE(selector.matches(nullptr));
  EXPECT_FALSE(labelSelector("a").empty());
  EXPECT_TRUE(LabelSelector().empty());
}

struct ErrorCase {
  std::string text;
  std::string message;
};

TEST(LabelSelectorTest, RejectsMalformedWithApiServerMessage) {
  constexpr std::string_view kKeyRule =
      "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
      "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
      "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  constexpr std::string_view kValueRule =
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
      "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
      "'my_value',  or '12345', regex used for validation is "
      "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  const std::string bad_key =
      "unable to parse requirement: <nil>: Invalid value: \"-a\": name part " +
      std::string(kKeyRule);
  const std::string bad_value =
      "unable to parse requirement: values[0][a]: Invalid value: \"-1\": " +
      std::string(kValueRule);
  const std::string long_key = "unable to parse requirement: <nil>: Invalid value: \"" +
                               std::string(64, 'k') +
                               "\": name part must be no more than 63 characters";
  const std::vector<ErrorCase> cases = {
      {"a b", "unable to parse requirement: found 'b', expected: '=', '!=', '==', 'in', notin'"},
      {"a=b,", "found '', expected: identifier after ','"},
      {",a", "found ',', expected: !, identifier, or 'end of string'"},
      {"a=b c", "found 'c', expected: ',' or 'end of string'"},
      {"!a=b", "found '=', expected: ',' or 'end of string'"},
      {"!", "unable to parse requirement: found '', expected: identifier"},
      {"a in x", "unable to parse requirement: found 'x' expected: '('"},
      {"a in (x", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"},
      {"a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"},
      {"a=(b)", "unable to parse requirement: found '(', expected: identifier"},
      {"a>x",
       "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' "
       "operators, the value must be an integer"},
      {"-a", bad_key},
      {"a>-1", bad_value},
      {std::string(64, 'k') + "=v", long_key},
      {"a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name " +
                    std::string(kKeyRule) +
                    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"},
      {"/a",
       "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be "
       "non-empty"},
      {"Example.com/a",
       "unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": prefix part a "
       "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
       "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
       "used for validation is "
       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
  };
  for (const ErrorCase& test_case : cases) {
    SCOPED_TRACE(test_case.text);
    const Result<LabelSelector> selector = LabelSelector::parse(test_case.text);
    ASSERT_FALSE(selector);
    EXPECT_EQ(selector.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(selector.error().message, test_case.message);
  }
}

TEST(LabelSelectorTest, AggregatesSeveralValueErrors) {
  const Result<LabelSelector> selector = LabelSelector::parse("a>-x");
  ASSERT_FALSE(selector);
  EXPECT_TRUE(selector.error().message.starts_with(
      "unable to parse requirement: [values[0]: Invalid value: \"-x\": for 'Gt', 'Lt' operators, "
      "the value must be an integer, values[0][a]: Invalid value: \"-x\": a valid label"))
      << selector.error().message;
  EXPECT_TRUE(selector.error().message.ends_with("')]")) << selector.error().message;
}

Result<LabelSelector> fromJson(std::string_view text) {
  return LabelSelector::fromJson(parsed(text));
}

TEST(LabelSelectorFromJsonTest, CombinesMatchLabelsAndExpressions) {
  const Result<LabelSelector> selector = fromJson(R"({
    "matchLabels": {"cnpg.io/cluster": "orders"},
    "matchExpressions": [
      {"key": "tier", "operator": "In", "values": ["silver", "gold"]},
      {"key": "env", "operator": "NotIn", "values": ["dev"]},
      {"key": "legacy", "operator": "DoesNotExist"},
      {"key": "daap.io/team", "operator": "Exists"}
    ]})");
  ASSERT_TRUE(selector) << selector.error().toString();
  EXPECT_EQ(selector->toString(),
            "cnpg.io/cluster=orders,daap.io/team,env notin (dev),!legacy,tier in (gold,silver)");
  EXPECT_TRUE(selector->matches(
      parsed(R"({"cnpg.io/cluster":"orders","daap.io/team":"a","tier":"gold"})")));
  EXPECT_FALSE(selector->matches(
      parsed(R"({"cnpg.io/cluster":"orders","daap.io/team":"a","tier":"gold","env":"dev"})")));
  EXPECT_FALSE(selector->matches(parsed(R"({"cnpg.io/cluster":"orders","tier":"gold"})")));
}

TEST(LabelSelectorFromJsonTest, EmptyObjectMatchesEverything) {
  for (const std::string_view text :
       {R"({})", R"({"matchLabels":{},"matchExpressions":[]})", R"({"matchLabels":null})"}) {
    SCOPED_TRACE(text);
    const Result<LabelSelector> selector = fromJson(text);
    ASSERT_TRUE(selector) << selector.error().toString();
    EXPECT_TRUE(selector->empty());
    EXPECT_TRUE(selector->matches(nullptr));
  }
}

TEST(LabelSelectorFromJsonTest, NullMatchesNothing) {
  const Result<LabelSelector> selector = fromJson("null");
  ASSERT_TRUE(selector);
  EXPECT_FALSE(selector->empty());
  EXPECT_TRUE(selector->matchesNothing());
  EXPECT_FALSE(selector->matches(parsed(R"({"a":"b"})")));
  EXPECT_FALSE(selector->matches(nullptr));
  EXPECT_EQ(selector->toString(), "");
}

TEST(LabelSelectorFromJsonTest, RejectsInvalidRequirementsWithApiServerMessage) {
  const std::vector<ErrorCase> cases = {
      {R"({"matchExpressions":[{"key":"a","operator":"Gt","values":["1"]}]})",
       "\"Gt\" is not a valid label selector operator"},
      {R"({"matchExpressions":[{"key":"a","operator":"In"}]})",
       "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be "
       "empty"},
      {R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x","y"]}]})",
       "values: Invalid value: []string{\"x\", \"y\"}: values set must be empty for exists and "
       "does not exist"},
      {R"({"matchLabels":{"a b":"c"}})",
       "key: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' "
       "or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
       "'my.name',  or '123-abc', regex used for validation is "
       "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
      {R"({"matchLabels":{"a":7}})", "matchLabels.a: must be a string"},
      {R"({"matchExpressions":{}})", "matchExpressions: must be an array"},
      {R"("a=b")", "label selector: must be an object"},
  };
  for (const ErrorCase& test_case : cases) {
    SCOPED_TRACE(test_case.text);
    const Result<LabelSelector> selector = fromJson(test_case.text);
    ASSERT_FALSE(selector);
    EXPECT_EQ(selector.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(selector.error().message, test_case.message);
  }
}

TEST(LabelSelectorTest, MatchesDoesNotAllocate) {
  const LabelSelector selector = labelSelector(
      "app.kubernetes.io/name=orders,tier in (gold,silver),env notin (dev),!legacy,team,"
      "replicas>2,version!=1");
  const json::Document matching =
      parsed(R"({"app.kubernetes.io/name":"orders","tier":"gold","team":"a","replicas":"3"})");
  const json::Document other = parsed(R"({"app.kubernetes.io/name":"orders","tier":"bronze"})");
  bool first = false;
  bool second = true;
  allocation_count = 0;
  counting_allocations = true;
  for (int i = 0; i < 100; ++i) {
    first = selector.matches(matching);
    second = selector.matches(other);
  }
  counting_allocations = false;
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(allocation_count.load(), 0);
}

struct FieldCase {
  std::string_view selector;
  bool matches;
};

// A Pod-like object: strings, a number, a bool, a missing field.
constexpr std::string_view kPod = R"({
  "metadata": {"name": "orders-1", "namespace": "team-a", "uid": "9d1f"},
  "spec": {"restartPolicy": "Always", "priority": 3, "hostNetwork": false},
  "status": {"phase": "Running", "podIP": null},
  "involvedObject": {"kind": "DaapDatabase", "name": "orders", "uid": "6f1c"}
})";

TEST(FieldSelectorTest, MatchesDottedPathsAsStrings) {
  const json::Document pod = parsed(kPod);
  const std::vector<FieldCase> cases = {
      {"", true},
      {"metadata.name=orders-1", true},
      {"metadata.name==orders-1", true},
      {"metadata.name=orders-2", false},
      {"metadata.name!=orders-2", true},
      {"metadata.name!=orders-1", false},
      {"metadata.namespace=team-a,metadata.name=orders-1", true},
      {"metadata.namespace=team-b,metadata.name=orders-1", false},
      {"involvedObject.uid=6f1c,involvedObject.kind=DaapDatabase", true},
      {"status.phase!=Running", false},
      {"status.phase!=Pending", true},
      {"spec.nodeName=", true},  // Missing reads as "".
      {"spec.nodeName!=", false},
      {"status.podIP=", true},  // So does null.
      {"spec.priority=3", true},
      {"spec.priority=03", false},
      {"spec.hostNetwork=false", true},
      {"spec=", true},  // Objects have no field value.
      {"metadata.name.x=", true},
  };
  for (const FieldCase& test_case : cases) {
    SCOPED_TRACE(test_case.selector);
    const Result<FieldSelector> selector = FieldSelector::parse(test_case.selector);
    ASSERT_TRUE(selector) << selector.error().toString();
    EXPECT_EQ(selector->matches(pod), test_case.matches);
  }
}

TEST(FieldSelectorTest, UnescapesValuesAndEscapesThemBack) {
  const Result<FieldSelector> selector = FieldSelector::parse(R"(metadata.name=a\,b\=c\\d)");
  ASSERT_TRUE(selector) << selector.error().toString();
  ASSERT_EQ(selector->requirements().size(), 1U);
  EXPECT_EQ(selector->requirements()[0].value, R"(a,b=c\d)");
  EXPECT_EQ(selector->toString(), R"(metadata.name=a\,b\=c\\d)");
  EXPECT_TRUE(selector->matches(parsed(R"({"metadata":{"name":"a,b=c\\d"}})")));
}

TEST(FieldSelectorTest, ToStringSortsTermsAndPrintsDoubleEqualsAsEquals) {
  const Result<FieldSelector> selector =
      FieldSelector::parse("status.phase!=Failed,metadata.name==web,,");
  ASSERT_TRUE(selector) << selector.error().toString();
  EXPECT_EQ(selector->toString(), "metadata.name=web,status.phase!=Failed");
}

TEST(FieldSelectorTest, FieldsAreDistinctAndSorted) {
  const Result<FieldSelector> selector = FieldSelector::parse(
      "status.phase!=Failed,metadata.name=web,status.phase!=Unknown,spec.nodeName=n1");
  ASSERT_TRUE(selector) << selector.error().toString();
  EXPECT_EQ(selector->fields(),
            (std::vector<std::string>{"metadata.name", "spec.nodeName", "status.phase"}));
}

TEST(FieldSelectorTest, RequiresExactMatchFindsEquality) {
  const Result<FieldSelector> selector =
      FieldSelector::parse("metadata.namespace!=kube-system,metadata.name=web");
  ASSERT_TRUE(selector);
  EXPECT_EQ(selector->requiresExactMatch("metadata.name"), std::optional<std::string_view>("web"));
  EXPECT_EQ(selector->requiresExactMatch("metadata.namespace"), std::nullopt);
  EXPECT_EQ(selector->requiresExactMatch("status.phase"), std::nullopt);
}

TEST(FieldSelectorTest, EmptyTermsMatchEverything) {
  for (const std::string_view text : {"", ",", ",,", "="}) {
    SCOPED_TRACE(text);
    const Result<FieldSelector> selector = FieldSelector::parse(text);
    ASSERT_TRUE(selector) << selector.error().toString();
    EXPECT_TRUE(selector->empty());
    EXPECT_TRUE(selector->matches(parsed(kPod)));
  }
}

TEST(FieldSelectorTest, RejectsMalformedWithApiServerMessage) {
  const std::vector<ErrorCase> cases = {
      {"metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"},
      {"a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"},
      {"a=b=c", "invalid field selector: unescaped character in value: 61"},
      {"a!==b", "invalid field selector: unescaped character in value: 61"},
      {R"(a=b\x)", R"(invalid field selector: invalid escape sequence: \x)"},
      {R"(a=b\)", R"(invalid field selector: invalid escape sequence: \)"},
  };
  for (const ErrorCase& test_case : cases) {
    SCOPED_TRACE(test_case.text);
    const Result<FieldSelector> selector = FieldSelector::parse(test_case.text);
    ASSERT_FALSE(selector);
    EXPECT_EQ(selector.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(selector.error().message, test_case.message);
  }
}

}  // namespace
}  // namespace daap::kube

#include "lib/kube/jsonpath.h"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/json/json.h"

namespace daap::kube {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

json::Document parsed(std::string_view text) {
  return std::move(json::parse(text)).value();
}

// A DaapDatabase as the API server stores it.
constexpr std::string_view kDatabase = R"({
  "apiVersion": "daap.io/v1alpha1",
  "kind": "DaapDatabase",
  "metadata": {
    "name": "orders",
    "namespace": "team-a",
    "uid": "6f1c2a8e-0d7b-4a52-9b0e-3c1d2e4f5a6b",
    "generation": 3,
    "creationTimestamp": "2026-01-10T08:00:00Z",
    "labels": {
      "app.kubernetes.io/name": "orders-db",
      "daap.io/team": "team-a",
      "tier": "gold"
    },
    "finalizers": ["daap.io/finalizer"]
  },
  "spec": {
    "tier": "gold",
    "instances": 3,
    "cpu": 1.5,
    "storage": {"size": "20Gi"},
    "backup": {"enabled": true, "retentionDays": 7},
    "extensions": ["pgaudit", "pg_stat_statements", "postgis"],
    "comment": null
  },
  "status": {
    "phase": "Ready",
    "observedGeneration": 3,
    "endpoint": "orders-rw.team-a.svc:5432",
    "conditions": [
      {"type": "Ready", "status": "True", "reason": "ClusterHealthy", "observedGeneration": 3,
       "lastTransitionTime": "2026-01-10T08:05:00Z"},
      {"type": "BackupHealthy", "status": "False", "reason": "NoRecentBackup",
       "observedGeneration": 2},
      {"type": "Degraded", "status": "False", "reason": "AsExpected", "observedGeneration": 3,
       "lastTransitionTime": "2026-01-10T08:04:00Z"}
    ],
    "instancesStatus": [
      {"name": "orders-1", "role": "primary", "lag": 0},
      {"name": "orders-2", "role": "replica", "lag": 12},
      {"name": "orders-3", "role": "replica", "lag": 7}
    ]
  }
})";

JsonPath compiled(std::string_view expression) {
  Result<JsonPath> path = JsonPath::compile(expression);
  EXPECT_TRUE(path) << expression << ": " << path.error().toString();
  return std::move(path).value();
}

std::vector<std::string> serialized(const std::vector<const json::Value*>& values) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const json::Value* value : values) {
    out.push_back(json::serialize(*value));
  }
  return out;
}

struct EvaluateCase {
  std::string_view expression;
  std::vector<std::string> matches;  // Serialized JSON.
};

void expectMatches(const std::vector<EvaluateCase>& cases) {
  const json::Document database = parsed(kDatabase);
  for (const EvaluateCase& test_case : cases) {
    SCOPED_TRACE(test_case.expression);
    EXPECT_EQ(serialized(compiled(test_case.expression).evaluate(database)), test_case.matches);
  }
}

TEST(JsonPathTest, SelectsFieldsBareOrInBraces) {
  expectMatches({
      {".spec.tier", {R"("gold")"}},
      {"{.spec.tier}", {R"("gold")"}},
      {"{ .spec.tier }", {R"("gold")"}},
      {"{$.spec.tier}", {R"("gold")"}},
      {".spec.instances", {"3"}},
      {".spec.storage", {R"({"size":"20Gi"})"}},
      {".spec.comment", {"null"}},
      {".metadata.generation", {"3"}},
      {".spec.missing", {}},
      {".spec.tier.deeper", {}},
      {".nothing.at.all", {}},
  });
}

TEST(JsonPathTest, SelectsLabelKeysWithEscapedDots) {
  expectMatches({
      {R"(.metadata.labels.app\.kubernetes\.io/name)", {R"("orders-db")"}},
      {R"(.metadata.labels['app\.kubernetes\.io/name'])", {R"("orders-db")"}},
      {R"({.metadata.labels['daap\.io/team']})", {R"("team-a")"}},
      {".metadata.labels['tier']", {R"("gold")"}},
      // As in client-go, an unescaped dot inside ['...'] still separates fields.
      {".metadata.labels['app.kubernetes.io/name']", {}},
  });
}

TEST(JsonPathTest, IndexesSlicesAndWildcards) {
  expectMatches({
      {".spec.extensions[0]", {R"("pgaudit")"}},
      {".spec.extensions[2]", {R"("postgis")"}},
      {".spec.extensions[-1]", {R"("postgis")"}},
      {".spec.extensions[-3]", {R"("pgaudit")"}},
      {".spec.extensions[*]", {R"("pgaudit")", R"("pg_stat_statements")", R"("postgis")"}},
      {".spec.extensions[1:]", {R"("pg_stat_statements")", R"("postgis")"}},
      {".spec.extensions[:2]", {R"("pgaudit")", R"("pg_stat_statements")"}},
      {".spec.extensions[0:3:2]", {R"("pgaudit")", R"("postgis")"}},
      {".spec.extensions[0,2]", {R"("pgaudit")", R"("postgis")"}},
      {".spec.extensions[1:1]", {}},
      {".status.conditions[*].type", {R"("Ready")", R"("BackupHealthy")", R"("Degraded")"}},
      {".status.instancesStatus[1].name", {R"("orders-2")"}},
      {".metadata.labels.*", {R"("orders-db")", R"("team-a")", R"("gold")"}},
      {".spec.storage['size','missing']", {R"("20Gi")"}},
      {"..role", {R"("primary")", R"("replica")", R"("replica")"}},
      {"..lastTransitionTime", {R"("2026-01-10T08:05:00Z")", R"("2026-01-10T08:04:00Z")"}},
  });
}

TEST(JsonPathTest, FailedEvaluationsYieldNothing) {
  expectMatches({
      {".spec.extensions[3]", {}},  // Out of range is an error in client-go.
      {".spec.extensions[-4]", {}},
      {".spec.extensions[2:1]", {}},
      {".spec.extensions[::0]", {}},  // Step must be positive.
      {".spec.storage[0]", {}},       // Indexing an object.
      {".metadata.labels[*]", {}},
      {".spec[?(@.x)]", {}},                                   // Filtering an object.
      {".spec.comment[0]", {}},                                // Null is skipped, not an error.
      {".status.instancesStatus[?(@.lag==\"0\")].name", {}},   // Number against string.
      {".status.instancesStatus[?(@.lag==7.0)].name", {}},     // A float against ints.
      {".status.conditions[?(@.status<true)].type", {}},       // A string against a bool.
      {".status.conditions[?(@.type=\"Ready\")].status", {}},  // "=" is no operator.
      {"{range .status.conditions[*]}", {}},
  });
}

TEST(JsonPathTest, FiltersConditions) {
  expectMatches({
      {R"(.status.conditions[?(@.type=="Ready")].status)", {R"("True")"}},
      {R"({.status.conditions[?(@.type=="Ready")].reason})", {R"("ClusterHealthy")"}},
      {".status.conditions[?(@.type=='BackupHealthy')].reason", {R"("NoRecentBackup")"}},
      {R"(.status.conditions[?( @.type == "Degraded" )].status)", {R"("False")"}},
      {R"(.status.conditions[?(@.type!="Ready")].type)", {R"("BackupHealthy")", R"("Degraded")"}},
      {R"(.status.conditions[?(@.type=="Missing")].status)", {}},
      {".status.conditions[?(@.observedGeneration<3)].type", {R"("BackupHealthy")"}},
      {".status.conditions[?(@.observedGeneration>=3)].type", {R"("Ready")", R"("Degraded")"}},
      {".status.conditions[?(@.lastTransitionTime)].type", {R"("Ready")", R"("Degraded")"}},
      {".status.conditions[?(@.reason>\"B\")].reason",
       {R"("ClusterHealthy")", R"("NoRecentBackup")"}},
      {".status.instancesStatus[?(@.role==\"replica\")].name", {R"("orders-2")", R"("orders-3")"}},
      {".status.instancesStatus[?(@.lag==0)].name", {R"("orders-1")"}},
      {".status.instancesStatus[?(@.lag==7)].name", {R"("orders-3")"}},
      {".status.instancesStatus[?(@.lag<=0)].role", {R"("primary")"}},
      {".status.conditions[?(@.missing==\"x\")].type", {}},  // Absent fields are skipped.
  });
}

TEST(JsonPathTest, QuotedLiteralIsItsOwnMatch) {
  expectMatches({
      {R"({"ready"})", {R"("ready")"}},
      {R"({'it\'s'})", {R"("it's")"}},
      {R"({"tab\there"})", {R"("tab\there")"}},
  });
}

TEST(JsonPathTest, EmptyExpressionSelectsTheRoot) {
  const json::Document database = parsed(kDatabase);
  const std::vector<const json::Value*> matches = compiled("{}").evaluate(database);
  ASSERT_EQ(matches.size(), 1U);
  EXPECT_EQ(matches[0], &database);
}

TEST(JsonPathTest, MatchesPointIntoTheDocument) {
  const json::Document database = parsed(kDatabase);
  const std::vector<const json::Value*> matches = compiled(".spec.storage").evaluate(database);
  ASSERT_EQ(matches.size(), 1U);
  EXPECT_EQ(matches[0], json::findPath(database, {"spec", "storage"}));
}

TEST(JsonPathTest, KeepsTheExpression) {
  EXPECT_EQ(compiled(".status.phase").expression(), ".status.phase");
}

struct CompileErrorCase {
  std::string_view expression;
  std::string_view reason;  // client-go's message, after the expression.
};

TEST(JsonPathTest, RejectsMalformedExpressions) {
  const std::vector<CompileErrorCase> cases = {
      {".spec[", "unterminated array"},
      {".spec[0", "unterminated array"},
      {"{.spec.tier", "unclosed action"},
      {".spec[0]#", "unrecognized character in action: U+0023 '#'"},
      {".spec *", "unrecognized character in action: U+002A '*'"},
      {".spec[x]", "invalid array index x"},
      {".spec[1:b]", "invalid array index 1:b"},
      {".spec[-]", "array index - is not a number"},
      {".spec[99999999999999999999]", "array index 99999999999999999999 is not a number"},
      {R"(.a[?(@.x=="y")])", ""},  // Valid: listed to keep the next line honest.
      {R"(.a[?(@.x=="y])", "unterminated filter"},
      {R"js(.a[?(@.x=="y"]))js", "unclosed array expect ]"},
      {R"(.a[?(@.x=="y")x])", "unclosed array expect ]"},
      {R"({"abc})", "unterminated quoted string"},
      {R"({"a\qb"})", R"(unquote string "a\qb" error invalid syntax)"},
      {".a[?(1.2.3)]", "cannot parse number 1.2.3"},
      {"{.spec.tier}{.spec.instances}", "expected exactly one {} expression and no text around it"},
      {"{.spec.tier} ", "expected exactly one {} expression and no text around it"},
      {".spec}{.status", "expected exactly one {} expression and no text around it"},
  };
  for (const CompileErrorCase& test_case : cases) {
    SCOPED_TRACE(test_case.expression);
    const Result<JsonPath> path = JsonPath::compile(test_case.expression);
    if (test_case.reason.empty()) {
      EXPECT_TRUE(path);
      continue;
    }
    ASSERT_FALSE(path);
    EXPECT_EQ(path.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(path.error().message, "invalid jsonpath \"" + std::string(test_case.expression) +
                                        "\": " + std::string(test_case.reason));
  }
}

// 2026-01-10T08:00:00Z, the database's creationTimestamp.
std::chrono::system_clock::time_point created() {
  return std::chrono::sys_days{std::chrono::year{2026} / 1 / 10} + hours(8);
}

struct CellCase {
  std::string_view expression;
  std::string_view type;
  std::string_view cell;  // Serialized JSON.
};

void expectCells(const std::vector<CellCase>& cases, std::chrono::system_clock::time_point now) {
  const json::Document database = parsed(kDatabase);
  for (const CellCase& test_case : cases) {
    SCOPED_TRACE(std::string(test_case.expression) + " as " + std::string(test_case.type));
    json::Document table;
    const json::Value cell = cellValue(compiled(test_case.expression).evaluate(database),
                                       test_case.type, now, table.GetAllocator());
    EXPECT_EQ(json::serialize(cell), test_case.cell);
  }
}

TEST(CellValueTest, StringColumnsPrintValuesAsTheApiServerDoes) {
  expectCells(
      {
          {".spec.tier", "string", R"("gold")"},
          {".spec.instances", "string", R"("3")"},
          {".spec.cpu", "string", R"("1.5")"},
          {".spec.backup.enabled", "string", R"("true")"},
          {".spec.backup", "string", R"("map[enabled:true retentionDays:7]")"},
          {".spec.extensions", "string", R"("[pgaudit pg_stat_statements postgis]")"},
          {".status.instancesStatus[0]", "string", R"("map[lag:0 name:orders-1 role:primary]")"},
          {".spec.comment", "string", R"("<no value>")"},
          {".spec.missing", "string", "null"},
          {".spec.extensions[*]", "string", R"("pgaudit")"},  // The first match only.
          {R"(.metadata.labels.app\.kubernetes\.io/name)", "string", R"("orders-db")"},
          {R"(.status.conditions[?(@.type=="Ready")].status)", "string", R"("True")"},
      },
      created());
}

TEST(CellValueTest, StringColumnsPrintFloatsAsGo) {
  const json::Document values =
      parsed(R"([1234567.5, 1000000.0, 999999.5, 0.0001, 0.00001, 100000.0, -2.5, 1e21,
                 18446744073709551615, {"a": null, "b": [], "c": {}}])");
  const std::vector<std::string_view> expected = {"1.2345675e+06",
                                                  "1e+06",
                                                  "999999.5",
                                                  "0.0001",
                                                  "1e-05",
                                                  "100000",
                                                  "-2.5",
                                                  "1e+21",
                                                  "1.8446744073709552e+19",
                                                  "map[a:<nil> b:[] c:map[]]"};
  ASSERT_EQ(values.Size(), expected.size());
  for (rapidjson::SizeType i = 0; i < values.Size(); ++i) {
    SCOPED_TRACE(expected[i]);
    json::Document table;
    const json::Value cell = cellValue({&values[i]}, "string", created(), table.GetAllocator());
    ASSERT_TRUE(cell.IsString());
    EXPECT_EQ(json::view(cell), expected[i]);
  }
}

TEST(CellValueTest, TypedColumnsConvertOrGiveNull) {
  expectCells(
      {
          {".spec.instances", "integer", "3"},
          {".spec.cpu", "integer", "1"},
          {".spec.tier", "integer", "null"},
          {".spec.instances", "number", "3.0"},
          {".spec.cpu", "number", "1.5"},
          {".spec.tier", "number", "null"},
          {".spec.backup.enabled", "boolean", "true"},
          {".spec.tier", "boolean", "null"},
          {".spec.comment", "integer", "null"},
          {".spec.missing", "integer", "null"},
          {".spec.tier", "color", "null"},
      },
      created());
}

TEST(CellValueTest, DateColumnsShowTheAge) {
  expectCells(
      {
          {".metadata.creationTimestamp", "date", R"("5m30s")"},
          {R"(.status.conditions[?(@.type=="Ready")].lastTransitionTime)", "date", R"("30s")"},
          {".status.phase", "date", R"("<invalid>")"},
          {".spec.instances", "date", "null"},
          {".spec.missing", "date", "null"},
      },
      created() + minutes(5) + seconds(30));
}

TEST(CellValueTest, DateColumnsParseRfc3339) {
  const std::chrono::system_clock::time_point now = created() + hours(50);
  const json::Document dates = parsed(R"([
      "2026-01-10T08:00:00Z", "2026-01-10T10:00:00+02:00", "2026-01-10T08:00:00.123456Z",
      "2026-01-10T07:00:00-01:00", "", "null", "0001-01-01T00:00:00Z", "2026-01-10",
      "2026-01-10 08:00:00Z", "2026-02-30T08:00:00Z", "2026-01-10T24:00:00Z",
      "2026-01-10T08:00:00+0200", "2026-01-10T08:00:00z", "2026-01-12T10:00:02Z",
      "2026-01-12T10:00:01Z"])");
  const std::vector<std::string_view> expected = {
      "2d2h",      "2d2h",      "2d1h",      "2d2h",      "<unknown>",
      "<unknown>", "<unknown>", "<invalid>", "<invalid>", "<invalid>",
      "<invalid>", "<invalid>", "<invalid>", "<invalid>", "0s"};
  ASSERT_EQ(dates.Size(), expected.size());
  for (rapidjson::SizeType i = 0; i < dates.Size(); ++i) {
    SCOPED_TRACE(json::view(dates[i]));
    json::Document table;
    const json::Value cell = cellValue({&dates[i]}, "date", now, table.GetAllocator());
    ASSERT_TRUE(cell.IsString());
    EXPECT_EQ(json::view(cell), expected[i]);
  }
}

TEST(CellValueTest, NoMatchIsNull) {
  json::Document table;
  EXPECT_TRUE(cellValue({}, "string", created(), table.GetAllocator()).IsNull());
  EXPECT_TRUE(cellValue({}, "integer", created(), table.GetAllocator()).IsNull());
}

struct DurationCase {
  std::chrono::nanoseconds duration;
  std::string_view text;
};

TEST(HumanDurationTest, FormatsLikeKubectl) {
  const std::vector<DurationCase> cases = {
      {seconds(-2), "<invalid>"},
      {seconds(-1), "0s"},
      {std::chrono::milliseconds(-1500), "0s"},
      {seconds(0), "0s"},
      {seconds(1), "1s"},
      {seconds(70), "70s"},
      {seconds(119), "119s"},
      {seconds(120), "2m"},
      {seconds(190), "3m10s"},
      {minutes(10), "10m"},
      {minutes(70), "70m"},
      {minutes(179), "179m"},
      {hours(3), "3h"},
      {hours(5) + minutes(30), "5h30m"},
      {hours(8), "8h"},
      {hours(47), "47h"},
      {hours(48), "2d"},
      {hours(49), "2d1h"},
      {hours(8 * 24 + 2), "8d"},
      {hours(367 * 24), "367d"},
      {hours(365 * 2 * 24 + 25), "2y1d"},
      {hours(365 * 3 * 24), "3y"},
      {hours(365 * 8 * 24 + 2), "8y"},
  };
  for (const DurationCase& test_case : cases) {
    SCOPED_TRACE(test_case.text);
    EXPECT_EQ(humanDuration(test_case.duration), test_case.text);
  }
}

}  // namespace
}  // namespace daap::kube

// openapi/openapi.yaml is the contract: every route of the gateway has exactly one operation in
// it and the spec has no operation the gateway does not serve.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "gateway/contract.h"
#include "gateway/server.h"
#include "lib/http/request.h"
#include "test/support/testdata.h"

namespace daap::gateway {
namespace {

std::set<Operation> specOperations(std::string_view yaml) {
  Result<Contract> contract = Contract::load(yaml);
  EXPECT_TRUE(contract) << (contract ? "" : contract.error().toString());
  if (!contract) {
    return {};
  }
  const std::vector<Operation> operations = contract->operations();
  return {operations.begin(), operations.end()};
}

std::set<Operation> routerOperations() {
  std::set<Operation> operations;
  for (const Route& route : routeTable()) {
    operations.insert({std::string(http::methodName(route.method)), std::string(route.path)});
  }
  return operations;
}

TEST(OpenApiDriftTest, EveryRouteHasASpecOperation) {
  const std::set<Operation> spec = specOperations(embeddedOpenApiYaml());
  for (const Operation& route : routerOperations()) {
    EXPECT_TRUE(spec.count(route) == 1)
        << route.method << " " << route.path << " is served but missing from openapi.yaml";
  }
}

TEST(OpenApiDriftTest, EverySpecOperationIsRouted) {
  const std::set<Operation> routes = routerOperations();
  for (const Operation& operation : specOperations(embeddedOpenApiYaml())) {
    EXPECT_TRUE(routes.count(operation) == 1)
        << operation.method << " " << operation.path
        << " is in openapi.yaml but the gateway has no route for it";
  }
}

TEST(OpenApiDriftTest, EmbeddedSpecIsTheCheckedInFile) {
  EXPECT_EQ(testing::readFile(testing::sourceDir() / "openapi/openapi.yaml"),
            std::string(embeddedOpenApiYaml()))
      << "rebuild: the binary embeds an older openapi.yaml";
}

TEST(OpenApiDriftTest, RouteNamesAreUnique) {
  std::set<std::string_view> names;
  for (const Route& route : routeTable()) {
    EXPECT_TRUE(names.insert(route.name).second) << route.name;
  }
}

}  // namespace
}  // namespace daap::gateway

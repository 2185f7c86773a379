#include "lib/http/router.h"

#include <gtest/gtest.h>

namespace daap::http {
namespace {

Handler answer(std::string body) {
  return [body = std::move(body)](Request&) {
    return Response::text(200, body);
  };
}

Request requestFor(Method method, std::string target) {
  Request request;
  request.method = method;
  request.target = std::move(target);
  return request;
}

// Runs the matched handler, or returns the miss status as the response status.
Response dispatch(const Router& router, Request& request, RouteMiss* miss_out = nullptr) {
  RouteMiss miss;
  const Handler* handler = router.match(request, miss);
  if (miss_out != nullptr) {
    *miss_out = miss;
  }
  if (handler == nullptr) {
    return Response::text(miss.status, "");
  }
  return (*handler)(request);
}

class RouterTest : public ::testing::Test {
protected:
  RouterTest() {
    router_.add(Method::Get, "/databases", "databases.list", answer("list"));
    router_.add(Method::Post, "/databases", "databases.create", answer("create"));
    router_.add(Method::Get, "/databases/{id}", "databases.get", answer("get"));
    router_.add(Method::Delete, "/databases/{id}", "databases.destroy", answer("destroy"));
    router_.add(Method::Post, "/databases/{id}/restore", "databases.restore", answer("restore"));
    router_.add(Method::Get, "/tiers/{id}/quota", "quotas.get", answer("quota"));
    router_.add(Method::Get, "/", "root", answer("root"));
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralPaths) {
  Request request = requestFor(Method::Post, "/databases");
  EXPECT_EQ(dispatch(router_, request).body, "create");
  EXPECT_EQ(request.route_name, "databases.create");
  Request root = requestFor(Method::Get, "/");
  EXPECT_EQ(dispatch(router_, root).body, "root");
}

TEST_F(RouterTest, FillsDecodedPathParameters) {
  Request request = requestFor(Method::Get, "/databases/orders%2Fv2%20x?verbose=1");
  EXPECT_EQ(dispatch(router_, request).body, "get");
  EXPECT_EQ(request.pathParam("id"), "orders/v2 x");
  EXPECT_EQ(request.pathParam("other"), "");

  Request quota = requestFor(Method::Get, "/tiers/gold/quota");
  EXPECT_EQ(dispatch(router_, quota).body, "quota");
  EXPECT_EQ(quota.pathParam("id"), "gold");
  EXPECT_EQ(quota.route_name, "quotas.get");
}

TEST_F(RouterTest, UnknownPathIs404) {
  for (const char* target : {"/nope", "/databases/a/b", "/databases/", "/tiers/gold", "//"}) {
    Request request = requestFor(Method::Get, target);
    RouteMiss miss;
    EXPECT_EQ(dispatch(router_, request, &miss).status, 404) << target;
    EXPECT_TRUE(miss.allowed.empty());
    EXPECT_EQ(request.route_name, "");
  }
}

TEST_F(RouterTest, WrongMethodIs405WithTheAllowedMethods) {
  Request request = requestFor(Method::Put, "/databases/db1");
  RouteMiss miss;
  EXPECT_EQ(dispatch(router_, request, &miss).status, 405);
  EXPECT_EQ(allowHeader(miss.allowed), "GET, DELETE");

  Request collection = requestFor(Method::Delete, "/databases");
  EXPECT_EQ(dispatch(router_, collection, &miss).status, 405);
  EXPECT_EQ(allowHeader(miss.allowed), "GET, POST");
}

TEST_F(RouterTest, MalformedEscapeInParameterIs404) {
  Request request = requestFor(Method::Get, "/databases/%zz");
  EXPECT_EQ(dispatch(router_, request).status, 404);
}

TEST(RouterPrecedenceTest, LiteralSegmentWinsOverParameterWhateverTheOrder) {
  Router router;
  router.add(Method::Get, "/databases/{id}", "databases.get", answer("param"));
  router.add(Method::Get, "/databases/search", "databases.search", answer("literal"));
  Request literal = requestFor(Method::Get, "/databases/search");
  EXPECT_EQ(dispatch(router, literal).body, "literal");
  Request param = requestFor(Method::Get, "/databases/searches");
  EXPECT_EQ(dispatch(router, param).body, "param");
}

TEST_F(RouterTest, RoutesListsTheTableInOrder) {
  const std::vector<RouteInfo> routes = router_.routes();
  ASSERT_EQ(routes.size(), 7U);
  EXPECT_EQ(routes[0], (RouteInfo{Method::Get, "/databases", "databases.list"}));
  EXPECT_EQ(routes[4], (RouteInfo{Method::Post, "/databases/{id}/restore", "databases.restore"}));
}

TEST(RouterDeathTest, RejectsMalformedTemplatesAndDuplicates) {
  EXPECT_DEATH(Router().add(Method::Get, "databases", "x", answer("")), "must start with");
  EXPECT_DEATH(Router().add(Method::Get, "/a//b", "x", answer("")), "empty segment");
  EXPECT_DEATH(Router().add(Method::Get, "/a/{id", "x", answer("")), "malformed parameter");
  EXPECT_DEATH(Router().add(Method::Get, "/a/{}", "x", answer("")), "malformed parameter");
  EXPECT_DEATH(
      {
        Router router;
        router.add(Method::Get, "/a/{id}", "x", answer(""));
        router.add(Method::Get, "/a/{id}", "y", answer(""));
      },
      "duplicate route");
}

TEST(RouterFastHandlerTest, MatchReportsTheRouteFastHandlerOnlyWhereOneWasGiven) {
  Router router;
  router.add(Method::Get, "/databases/{id}", "databases.get", answer("slow"),
             [](Request& request) -> std::optional<Response> {
               return Response::text(200, "fast " + std::string(request.pathParam("id")));
             });
  router.add(Method::Get, "/databases", "databases.list", answer("list"));

  Request get = requestFor(Method::Get, "/databases/db1");
  RouteMiss miss;
  const FastHandler* fast = nullptr;
  const Handler* handler = router.match(get, miss, &fast);
  ASSERT_NE(handler, nullptr);
  ASSERT_NE(fast, nullptr);
  // The router has filled the parameters before the fast handler reads them.
  std::optional<Response> answered = (*fast)(get);
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->body, "fast db1");
  EXPECT_EQ((*handler)(get).body, "slow");

  Request list = requestFor(Method::Get, "/databases");
  ASSERT_NE(router.match(list, miss, &fast), nullptr);
  EXPECT_EQ(fast, nullptr);

  Request none = requestFor(Method::Get, "/nope");
  const FastHandler stale;
  fast = &stale;  // Must be reset on a miss too.
  EXPECT_EQ(router.match(none, miss, &fast), nullptr);
  EXPECT_EQ(fast, nullptr);
}

}  // namespace
}  // namespace daap::http

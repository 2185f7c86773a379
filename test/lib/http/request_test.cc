#include "lib/http/request.h"

#include <gtest/gtest.h>

#include "lib/http/response.h"

namespace daap::http {
namespace {

TEST(HeadersTest, LookupIgnoresCase) {
  Headers headers;
  headers.add("X-API-Key", "k");
  headers.add("content-type", "application/json");
  EXPECT_EQ(headers.get("x-api-key"), "k");
  EXPECT_EQ(headers.get("Content-Type"), "application/json");
  EXPECT_EQ(headers.get("X-Missing"), std::nullopt);
}

TEST(HeadersTest, SetReplacesEveryValueAddKeepsBoth) {
  Headers headers;
  headers.add("Vary", "a");
  headers.add("vary", "b");
  EXPECT_EQ(headers.all().size(), 2U);
  EXPECT_EQ(headers.get("VARY"), "a");
  headers.set("Vary", "c");
  ASSERT_EQ(headers.all().size(), 1U);
  EXPECT_EQ(headers.get("vary"), "c");
  headers.remove("VARY");
  EXPECT_FALSE(headers.contains("vary"));
}

TEST(RequestTest, QueryAccessorsReturnFirstAndAllValues) {
  Request request;
  request.query = {{"tag", "a"}, {"tag", "b"}, {"limit", "10"}};
  EXPECT_EQ(request.queryParam("tag"), "a");
  EXPECT_EQ(request.queryParams("tag"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(request.queryParam("missing"), std::nullopt);
  EXPECT_TRUE(request.queryParams("missing").empty());
}

TEST(MethodTest, NamesRoundTripAndAreCaseSensitive) {
  for (const Method method : {Method::Get, Method::Head, Method::Post, Method::Put, Method::Patch,
                              Method::Delete, Method::Options}) {
    EXPECT_EQ(parseMethod(methodName(method)), method);
  }
  EXPECT_EQ(parseMethod("get"), Method::Other);
  EXPECT_EQ(parseMethod("BREW"), Method::Other);
}

TEST(ResponseTest, ReasonPhrases) {
  EXPECT_EQ(reasonPhrase(404), "Not Found");
  EXPECT_EQ(reasonPhrase(413), "Payload Too Large");
  EXPECT_EQ(reasonPhrase(299), "Unknown");
}

}  // namespace
}  // namespace daap::http

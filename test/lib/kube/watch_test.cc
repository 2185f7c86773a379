#include "lib/kube/watch.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace daap::kube {
namespace {

// An event as the tests compare it: its type and its object serialized.
struct Decoded {
  WatchEventType type;
  std::string object;

  bool operator==(const Decoded&) const = default;
};

std::vector<Decoded> summarize(const std::vector<WatchEvent>& events) {
  std::vector<Decoded> out;
  out.reserve(events.size());
  for (const WatchEvent& event : events) {
    out.push_back({event.type, json::serialize(event.object)});
  }
  return out;
}

// Five events of every kind, a blank keep-alive line, a CRLF line end and multi-byte UTF-8, so
// splits land inside strings, escapes and line ends.
const std::string& stream() {
  static const std::string kStream =
      R"({"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"1"},"data":{"k":"caf\u00e9 \"q\" \\ é"}}})"
      "\n"
      R"({"type":"MODIFIED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"2"},"data":{"n":[1,2.5,-3e2,true,null]}}})"
      "\r\n"
      "\n"
      R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"3"}}})"
      "\n"
      R"({"type":"DELETED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"4"}}})"
      "\n"
      R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 2 (5)","reason":"Expired","code":410}})json"
      "\n";
  return kStream;
}

std::vector<Decoded> decodeWhole(std::string_view bytes) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  EXPECT_TRUE(decoder.feed(bytes, events));
  EXPECT_EQ(decoder.pending(), 0U);
  return summarize(events);
}

TEST(WatchDecoderTest, DecodesEveryEventOfAStream) {
  const std::vector<Decoded> events = decodeWhole(stream());
  ASSERT_EQ(events.size(), 5U);
  EXPECT_EQ(events[0].type, WatchEventType::Added);
  EXPECT_EQ(events[1].type, WatchEventType::Modified);
  EXPECT_EQ(events[2].type, WatchEventType::Bookmark);
  EXPECT_EQ(events[3].type, WatchEventType::Deleted);
  EXPECT_EQ(events[4].type, WatchEventType::Error);
  EXPECT_EQ(events[2].object,
            R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"3"}})");
}

TEST(WatchDecoderTest, ByteByByteFeedYieldsTheSameEvents) {
  const std::vector<Decoded> expected = decodeWhole(stream());
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  for (const char byte : stream()) {
    ASSERT_TRUE(decoder.feed(std::string_view(&byte, 1), events));
  }
  EXPECT_EQ(decoder.pending(), 0U);
  EXPECT_EQ(summarize(events), expected);
}

TEST(WatchDecoderTest, SplitAtEveryIndexYieldsTheSameEvents) {
  const std::string& bytes = stream();
  const std::vector<Decoded> expected = decodeWhole(bytes);
  for (size_t split = 0; split <= bytes.size(); ++split) {
    WatchDecoder decoder;
    std::vector<WatchEvent> events;
    ASSERT_TRUE(decoder.feed(std::string_view(bytes).substr(0, split), events)) << split;
    ASSERT_TRUE(decoder.feed(std::string_view(bytes).substr(split), events)) << split;
    EXPECT_EQ(decoder.pending(), 0U) << split;
    ASSERT_EQ(summarize(events), expected) << "split at " << split;
  }
}

TEST(WatchDecoderTest, KeepsAnIncompleteEventUntilItsNewline) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  const std::string first = R"({"type":"ADDED","object":{"a":1}})";
  ASSERT_TRUE(decoder.feed(first + "\n" + R"({"type":"DELETED","obj)", events));
  EXPECT_EQ(events.size(), 1U);
  EXPECT_EQ(decoder.pending(), std::string(R"({"type":"DELETED","obj)").size());
  ASSERT_TRUE(decoder.feed(R"(ect":{"b":2}})"
                           "\n",
                           events));
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1].type, WatchEventType::Deleted);
  EXPECT_EQ(json::serialize(events[1].object), R"({"b":2})");
  EXPECT_EQ(decoder.pending(), 0U);
}

TEST(WatchDecoderTest, BadLineIsAnErrorAndDecodingRecovers) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  const Result<void> fed = decoder.feed(
      "{\"type\":\"ADDED\",\"object\":{\"n\":1}}\nnot "
      "json\n{\"type\":\"ADDED\",\"object\":{\"n\":2}}\n",
      events);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, ErrorCode::InvalidArgument);
  // Only what came before the bad line; the rest waits for the next call.
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(json::serialize(events[0].object), R"({"n":1})");
  ASSERT_TRUE(decoder.feed("", events));
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(json::serialize(events[1].object), R"({"n":2})");
  ASSERT_TRUE(decoder.feed("{\"type\":\"DELETED\",\"object\":{\"n\":3}}\n", events));
  EXPECT_EQ(events.size(), 3U);
}

TEST(WatchDecoderTest, BadLineSplitAcrossFeedsIsReportedOnce) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  ASSERT_TRUE(decoder.feed("{\"type\":\"WHAT", events));
  const Result<void> fed = decoder.feed("EVER\",\"object\":{}}\n", events);
  ASSERT_FALSE(fed);
  EXPECT_EQ(decoder.pending(), 0U);
  EXPECT_TRUE(decoder.feed("{\"type\":\"ADDED\",\"object\":{}}\n", events));
  EXPECT_EQ(events.size(), 1U);
}

TEST(DecodeWatchEventTest, MakesTheObjectTheDocumentRoot) {
  Result<WatchEvent> event =
      decodeWatchEvent(R"({"type":"MODIFIED","object":{"metadata":{"name":"x"},"spec":[1,"a"]}})");
  ASSERT_TRUE(event) << event.error().toString();
  EXPECT_EQ(event->type, WatchEventType::Modified);
  EXPECT_EQ(json::serialize(event->object), R"({"metadata":{"name":"x"},"spec":[1,"a"]})");
  EXPECT_EQ(json::getString(*json::find(event->object, "metadata"), "name"), "x");
}

TEST(DecodeWatchEventTest, RejectsWhatIsNotAnEvent) {
  const std::vector<std::string> bad = {
      R"({"type":"ADDED"})",
      R"({"type":"ADDED","object":null})",
      R"({"type":"ADDED","object":[1]})",
      R"({"type":"UPSERTED","object":{}})",
      R"({"type":7,"object":{}})",
      R"({"object":{}})",
      R"([{"type":"ADDED","object":{}}])",
      R"({"type":"ADDED","object":{})",
      "",
  };
  for (const std::string& line : bad) {
    const Result<WatchEvent> event = decodeWatchEvent(line);
    ASSERT_FALSE(event) << line;
    EXPECT_EQ(event.error().code, ErrorCode::InvalidArgument) << line;
  }
}

TEST(StatusErrorTest, ErrorEventWith410IsGone) {
  Result<WatchEvent> event = decodeWatchEvent(
      R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 2 (75)","reason":"Expired","code":410}})json");
  ASSERT_TRUE(event);
  ASSERT_EQ(event->type, WatchEventType::Error);
  const Error error = statusError(event->object, 0);
  EXPECT_EQ(error.code, ErrorCode::Gone);
  EXPECT_EQ(error.http_status, 410);
  EXPECT_EQ(error.reason, "Expired");
  EXPECT_EQ(error.message, "too old resource version: 2 (75)");
}

struct StatusCase {
  std::string status;  // The Status JSON.
  int http_status;     // As the response carried it; 0 for an ERROR event.
  ErrorCode code;
  int expected_http_status;
  std::string reason;
};

TEST(StatusErrorTest, MapsEveryReasonClass) {
  const std::vector<StatusCase> cases = {
      {R"({"kind":"Status","reason":"NotFound","code":404,"message":"x not found"})", 404,
       ErrorCode::NotFound, 404, "NotFound"},
      {R"({"kind":"Status","reason":"AlreadyExists","code":409})", 409, ErrorCode::AlreadyExists,
       409, "AlreadyExists"},
      {R"({"kind":"Status","reason":"Conflict","code":409})", 409, ErrorCode::Conflict, 409,
       "Conflict"},
      {R"({"kind":"Status","reason":"Invalid","code":422})", 422, ErrorCode::InvalidArgument, 422,
       "Invalid"},
      {R"({"kind":"Status","reason":"BadRequest","code":400})", 400, ErrorCode::InvalidArgument,
       400, "BadRequest"},
      {R"({"kind":"Status","reason":"Forbidden","code":403})", 403, ErrorCode::PermissionDenied,
       403, "Forbidden"},
      {R"({"kind":"Status","reason":"Unauthorized","code":401})", 401, ErrorCode::Unauthenticated,
       401, "Unauthorized"},
      {R"({"kind":"Status","reason":"Gone","code":410})", 410, ErrorCode::Gone, 410, "Gone"},
      {R"({"kind":"Status","reason":"Expired","code":410})", 0, ErrorCode::Gone, 410, "Expired"},
      {R"({"kind":"Status","reason":"TooManyRequests","code":429})", 429,
       ErrorCode::TooManyRequests, 429, "TooManyRequests"},
      {R"({"kind":"Status","reason":"InternalError","code":500})", 500, ErrorCode::Unavailable, 500,
       "InternalError"},
      {R"({"kind":"Status","reason":"ServiceUnavailable","code":503})", 503, ErrorCode::Unavailable,
       503, "ServiceUnavailable"},
      {R"({"kind":"Status","reason":"Timeout","code":504})", 504, ErrorCode::Unavailable, 504,
       "Timeout"},
      {R"({"kind":"Status","reason":"MethodNotAllowed","code":405})", 405, ErrorCode::Internal, 405,
       "MethodNotAllowed"},
      {R"({"kind":"Status","reason":"UnsupportedMediaType","code":415})", 415, ErrorCode::Internal,
       415, "UnsupportedMediaType"},
      // No reason: the code decides; the response's code wins over the body's.
      {R"({"kind":"Status","code":404})", 404, ErrorCode::NotFound, 404, ""},
      {R"({"kind":"Status"})", 403, ErrorCode::PermissionDenied, 403, ""},
      {R"({"kind":"Status"})", 422, ErrorCode::InvalidArgument, 422, ""},
      {R"({"kind":"Status"})", 409, ErrorCode::Conflict, 409, ""},
      {R"({"kind":"Status"})", 502, ErrorCode::Unavailable, 502, ""},
      {R"({"kind":"Status"})", 501, ErrorCode::Internal, 501, ""},
      {R"({"kind":"Status","code":410})", 0, ErrorCode::Gone, 410, ""},
  };
  for (const StatusCase& c : cases) {
    const Result<json::Document> status = json::parse(c.status);
    ASSERT_TRUE(status) << c.status;
    const Error error = statusError(*status, c.http_status);
    EXPECT_EQ(error.code, c.code) << c.status << " " << c.http_status;
    EXPECT_EQ(error.http_status, c.expected_http_status) << c.status;
    EXPECT_EQ(error.reason, c.reason) << c.status;
    EXPECT_FALSE(error.message.empty()) << c.status;
  }
}

TEST(StatusErrorTest, InvalidCarriesItsCauses) {
  const Result<json::Document> status = json::parse(
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Invalid","code":422,
          "message":"DaapDatabase.daap.io \"x\" is invalid: spec.lifecycle: Unsupported value",
          "details":{"name":"x","group":"daap.io","kind":"DaapDatabase","causes":[
            {"reason":"FieldValueNotSupported","message":"Unsupported value: \"Sleeping\"",
             "field":"spec.lifecycle"},
            {"reason":"FieldValueRequired","message":"Required value","field":"spec.tier"}]}})");
  ASSERT_TRUE(status);
  const Error error = statusError(*status, 422);
  EXPECT_EQ(error.code, ErrorCode::InvalidArgument);
  EXPECT_EQ(error.message,
            "DaapDatabase.daap.io \"x\" is invalid: spec.lifecycle: Unsupported value");
  const std::vector<ErrorCause> expected = {
      {"spec.lifecycle", "FieldValueNotSupported", "Unsupported value: \"Sleeping\""},
      {"spec.tier", "FieldValueRequired", "Required value"},
  };
  EXPECT_EQ(error.causes, expected);
}

TEST(StatusErrorTest, TooManyRequestsCarriesRetryAfter) {
  const Result<json::Document> status = json::parse(
      R"({"kind":"Status","reason":"TooManyRequests","code":429,"message":"slow down",
          "details":{"retryAfterSeconds":7}})");
  ASSERT_TRUE(status);
  const Error error = statusError(*status, 429);
  EXPECT_EQ(error.code, ErrorCode::TooManyRequests);
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_EQ(*error.retry_after, std::chrono::seconds(7));
}

TEST(StatusErrorTest, ForbiddenIsPermissionDenied) {
  // The devcluster has no RBAC, so 403 is only ever seen here.
  const Result<json::Document> status = json::parse(
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
          "message":"daapdatabases.daap.io is forbidden: User \"system:serviceaccount:x:y\" cannot list resource \"daapdatabases\"",
          "reason":"Forbidden","details":{"group":"daap.io","kind":"daapdatabases"},"code":403})");
  ASSERT_TRUE(status);
  const Error error = statusError(*status, 403);
  EXPECT_EQ(error.code, ErrorCode::PermissionDenied);
  EXPECT_EQ(error.http_status, 403);
  EXPECT_EQ(error.reason, "Forbidden");
  EXPECT_TRUE(error.causes.empty());
}

TEST(StatusErrorTest, MessageFallsBackToTheCode) {
  const Result<json::Document> status = json::parse(R"({"kind":"Status","reason":"NotFound"})");
  ASSERT_TRUE(status);
  const Error error = statusError(*status, 404);
  EXPECT_EQ(error.message, "HTTP 404 NotFound");
}

}  // namespace
}  // namespace daap::kube

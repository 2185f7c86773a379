#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/contract.h"
#include "gateway/middleware/authenticator.h"
#include "lib/base/result.h"
#include "lib/http/request.h"
#include "lib/json/json.h"
#include "lib/pg/types.h"

namespace daap::gateway {

// One authenticated API call as a handler sees it. The handler fills `resource_id` when the
// resource's id is not in the path (a create), for the audit row.
struct Call {
  const http::Request& request;
  const Caller& caller;
  std::string resource_id;
};

// A handler's successful answer: `data` goes into the envelope; lists also carry the cursor.
struct Reply {
  int status = 200;
  json::Document data;
  bool list = false;
  std::string next_cursor;
  // When set, `data` already rendered as JSON text (an object), sent as is instead of data.
  std::shared_ptr<const std::string> data_json;

  static Reply of(int status, json::Document data) {
    Reply reply;
    reply.status = status;
    reply.data = std::move(data);
    return reply;
  }
};

using ApiHandler = std::function<Result<Reply>(Call& call)>;

// The request body as JSON, checked strictly against components/schemas/<schema> of the
// contract: InvalidArgument (400) naming each bad, missing or unknown field.
Result<json::Document> parseBody(const http::Request& request, const Contract& contract,
                                 std::string_view schema);

// ?limit= (1..500, default 50) and ?cursor=.
Result<pg::PageRequest> pageOf(const http::Request& request);

// A query parameter, if present and not empty.
std::optional<std::string> queryString(const http::Request& request, std::string_view name);

// RFC 3339 in UTC with microseconds, as every time in a response.
std::string timeText(pg::Timestamp time);
void setTime(json::Value& object, std::string_view key, std::optional<pg::Timestamp> time,
             json::Allocator& allocator);

Error notFound(std::string_view what);
Error forbidden(std::string_view message);

}  // namespace daap::gateway

#include "gateway/handlers/common.h"

#include <charconv>

#include "lib/base/clock.h"

namespace daap::gateway {

Result<json::Document> parseBody(const http::Request& request, const Contract& contract,
                                 std::string_view schema) {
  if (const std::optional<std::string_view> type = request.header("Content-Type");
      type && type->find("json") == std::string_view::npos) {
    return Error::invalidArgument("the body must be JSON (Content-Type: application/json)");
  }
  Result<json::Document> body = json::parse(request.body);
  if (!body) {
    Error error = Error::invalidArgument("the body is not valid JSON: " + body.error().message);
    return error;
  }
  if (!body->IsObject()) {
    Error error = Error::invalidArgument("the body must be a JSON object");
    error.causes.push_back({"<root>", "FieldValueTypeInvalid", "must be an object"});
    return error;
  }
  if (Result<void> valid = contract.validate(schema, *body, body->GetAllocator()); !valid) {
    Error error = valid.error();
    error.message = "invalid request body: " + error.message;
    return error;
  }
  return std::move(*body);
}

Result<pg::PageRequest> pageOf(const http::Request& request) {
  pg::PageRequest page;
  page.limit = 50;
  if (const std::optional<std::string_view> limit = request.queryParam("limit"); limit) {
    int value = 0;
    const auto [end, error] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (error != std::errc() || end != limit->data() + limit->size() || value < 1 || value > 500) {
      Error invalid = Error::invalidArgument("limit must be an integer from 1 to 500");
      invalid.causes.push_back({"limit", "FieldValueInvalid", "must be an integer from 1 to 500"});
      return invalid;
    }
    page.limit = value;
  }
  if (const std::optional<std::string_view> cursor = request.queryParam("cursor"); cursor) {
    page.cursor = std::string(*cursor);
  }
  return page;
}

std::optional<std::string> queryString(const http::Request& request, std::string_view name) {
  const std::optional<std::string_view> value = request.queryParam(name);
  if (!value || value->empty()) {
    return std::nullopt;
  }
  return std::string(*value);
}

std::string timeText(pg::Timestamp time) {
  return formatRfc3339Micro(time);
}

void setTime(json::Value& object, std::string_view key, std::optional<pg::Timestamp> time,
             json::Allocator& allocator) {
  if (time) {
    json::setString(object, key, timeText(*time), allocator);
  } else {
    json::set(object, key, json::Value(rapidjson::kNullType), allocator);
  }
}

Error notFound(std::string_view what) {
  return Error::notFound(std::string(what) + " not found");
}

Error forbidden(std::string_view message) {
  return {ErrorCode::PermissionDenied, std::string(message), {}, {}, 0, {}};
}

}  // namespace daap::gateway

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lib/base/error.h"
#include "lib/http/response.h"
#include "lib/json/json.h"

namespace daap::gateway {

// The HTTP status and stable machine code (openapi: ErrorCode) of an ErrorCode.
struct HttpError {
  int status = 500;
  std::string_view code = "internal";
};

HttpError httpErrorOf(ErrorCode code);

// {"data": <data>, "error": null, "meta": {"request_id": ..., "next_cursor": ...}}; next_cursor
// is written only for list responses (`list`), null on the last page.
std::string renderData(const json::Value& data, std::string_view request_id, bool list = false,
                       std::string_view next_cursor = {});
// The same, with `data` already rendered as JSON text (not a list).
std::string renderRawData(std::string_view data_json, std::string_view request_id);

// {"data": null, "error": {"code", "message", "details": [...]}, "meta": {...}}.
std::string renderError(std::string_view code, std::string_view message,
                        const std::vector<ErrorCause>& details, std::string_view request_id);

// The envelope for `error`; Internal errors keep their message out of the response (it may
// name internals) and say only that the request id is in the logs.
http::Response errorResponse(const Error& error, std::string_view request_id);

}  // namespace daap::gateway

#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "lib/http/request.h"

namespace daap::http {

// What a handler answers. The server adds Content-Length, Content-Type (from content_type),
// X-Request-Id and Connection; handlers set any other header in `headers`.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  std::string content_type = "application/json";

  static Response json(int status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
  }
  static Response text(int status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    response.content_type = "text/plain; charset=utf-8";
    return response;
  }
};

// The standard reason phrase ("Not Found"); "Unknown" for a status it does not know.
std::string_view reasonPhrase(int status);

}  // namespace daap::http

#include "lib/http/request.h"

#include <algorithm>
#include <array>

#include "lib/http/response.h"

namespace daap::http {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
    };
    return lower(x) == lower(y);
  });
}

constexpr std::array<std::pair<Method, std::string_view>, 7> kMethodNames{{
    {Method::Get, "GET"},
    {Method::Head, "HEAD"},
    {Method::Post, "POST"},
    {Method::Put, "PUT"},
    {Method::Patch, "PATCH"},
    {Method::Delete, "DELETE"},
    {Method::Options, "OPTIONS"},
}};

}  // namespace

std::string_view methodName(Method method) {
  for (const auto& [value, name] : kMethodNames) {
    if (value == method) {
      return name;
    }
  }
  return "OTHER";
}

Method parseMethod(std::string_view name) {
  for (const auto& [value, text] : kMethodNames) {
    if (text == name) {
      return value;
    }
  }
  return Method::Other;
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const auto& field) { return equalsIgnoreCase(field.first, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [field, value] : fields_) {
    if (equalsIgnoreCase(field, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::string_view Request::pathParam(std::string_view name) const {
  const auto it = path_params.find(name);
  return it == path_params.end() ? std::string_view{} : std::string_view{it->second};
}

std::optional<std::string_view> Request::queryParam(std::string_view name) const {
  const auto it = query.find(std::string(name));
  if (it == query.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<std::string_view> Request::queryParams(std::string_view name) const {
  std::vector<std::string_view> values;
  const auto [first, last] = query.equal_range(std::string(name));
  for (auto it = first; it != last; ++it) {
    values.emplace_back(it->second);
  }
  return values;
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

}  // namespace daap::http

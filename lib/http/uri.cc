#include "lib/http/uri.h"

namespace daap::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

Result<std::string> percentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return Error::invalidArgument("malformed percent-encoding");
      }
      const int high = hexValue(text[i + 1]);
      const int low = hexValue(text[i + 2]);
      if (high < 0 || low < 0) {
        return Error::invalidArgument("malformed percent-encoding");
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::multimap<std::string, std::string>> parseQuery(std::string_view query) {
  std::multimap<std::string, std::string> params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (piece.empty()) {
      continue;
    }
    const size_t eq = piece.find('=');
    Result<std::string> name = percentDecode(piece.substr(0, eq), true);
    if (!name) {
      return std::move(name).error();
    }
    std::string value;
    if (eq != std::string_view::npos) {
      Result<std::string> decoded = percentDecode(piece.substr(eq + 1), true);
      if (!decoded) {
        return std::move(decoded).error();
      }
      value = std::move(*decoded);
    }
    params.emplace(std::move(*name), std::move(value));
  }
  return params;
}

}  // namespace daap::http

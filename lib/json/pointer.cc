#include "lib/json/pointer.h"

#include <charconv>

namespace daap::json {

Result<std::vector<std::string>> parsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) {
    return tokens;
  }
  if (pointer.front() != '/') {
    return Error::invalidArgument("invalid JSON pointer \"" + std::string(pointer) +
                                  "\": must be empty or start with '/'");
  }
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] != '~') {
      token.push_back(pointer[i]);
      continue;
    }
    const char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
    if (next != '0' && next != '1') {
      return Error::invalidArgument("invalid JSON pointer \"" + std::string(pointer) +
                                    "\": '~' must be followed by '0' or '1'");
    }
    token.push_back(next == '0' ? '~' : '/');
    ++i;
  }
  return tokens;
}

std::string escapePointerToken(std::string_view token) {
  std::string escaped;
  escaped.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped.push_back(c);
    }
  }
  return escaped;
}

std::optional<std::size_t> parseArrayIndex(std::string_view token) {
  if (token.empty() || (token.size() > 1 && token.front() == '0')) {
    return std::nullopt;
  }
  std::size_t index = 0;
  const char* end = token.data() + token.size();
  // from_chars also rejects signs and whitespace, which RFC 6901 indices never contain.
  const auto [parsed_end, error] = std::from_chars(token.data(), end, index);
  if (error != std::errc() || parsed_end != end) {
    return std::nullopt;
  }
  return index;
}

const Value* resolve(const Value& root, const std::vector<std::string>& tokens) {
  const Value* current = &root;
  for (const std::string& token : tokens) {
    if (current->IsObject()) {
      current = find(*current, token);
    } else if (current->IsArray()) {
      const std::optional<std::size_t> index = parseArrayIndex(token);
      current = index && *index < current->Size()
                    ? &(*current)[static_cast<rapidjson::SizeType>(*index)]
                    : nullptr;
    } else {
      current = nullptr;
    }
    if (current == nullptr) {
      return nullptr;
    }
  }
  return current;
}

Value* resolve(Value& root, const std::vector<std::string>& tokens) {
  // One walk for both overloads; the caller holds the root mutably, so the cast is sound.
  return const_cast<Value*>(resolve(static_cast<const Value&>(root), tokens));
}

}  // namespace daap::json

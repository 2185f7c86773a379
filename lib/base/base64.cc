#include "lib/base/base64.h"

#include <cstddef>
#include <cstdint>

namespace daap {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of a base64 character, or -1.
int sextet(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

}  // namespace

std::string encodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t bits = 0;
  int count = 0;
  for (const char c : bytes) {
    bits = (bits << 8) | static_cast<uint8_t>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) {
    out += kAlphabet[(bits << (6 - count)) & 63];
  }
  while (out.size() % 4 != 0) {
    out += '=';
  }
  return out;
}

Result<std::string> decodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t bits = 0;
  int count = 0;
  std::size_t symbols = 0;  // Alphabet characters and padding, without line breaks.
  std::size_t padding = 0;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      continue;
    }
    ++symbols;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int value = sextet(c);
    if (value < 0 || padding > 0) {
      return Error::invalidArgument("invalid base64");
    }
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  // What is left is at most one partial group: 2 or 3 characters (4 with their padding).
  const std::size_t tail = (symbols - padding) % 4;
  const bool padded_ok = padding == 0 || (symbols % 4 == 0 && padding == 4 - tail);
  if (tail == 1 || padding > 2 || !padded_ok) {
    return Error::invalidArgument("invalid base64");
  }
  return out;
}

bool isBase64(std::string_view text) {
  if (text.size() % 4 != 0) {
    return false;
  }
  std::size_t padding = 0;
  for (const char c : text) {
    if (c == '=') {
      ++padding;
    } else if (sextet(c) < 0 || padding > 0) {
      return false;
    }
  }
  return padding <= 2;
}

}  // namespace daap

#include "lib/schema/go_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace daap::schema::detail {
namespace {

constexpr char32_t kReplacementCharacter = 0xFFFD;

// unicode.IsPrint, closely enough for messages: the Z* separators other than ASCII space, the
// C* controls, format characters and private use areas are not printable.
bool isPrintable(char32_t c) {
  if (c < 0x80) {
    return c >= 0x20 && c < 0x7F;
  }
  if (c <= 0xA0 || c == 0xAD) {
    return false;
  }
  if ((c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
      (c >= 0x205F && c <= 0x206F) || c == 0x3000 || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB)) {
    return false;
  }
  if ((c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000) {
    return false;
  }
  return (c & 0xFFFE) != 0xFFFE;  // Noncharacters U+xFFFE and U+xFFFF.
}

void appendHex(std::string& out, std::uint32_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out += kHex[(value >> shift) & 0xF];
  }
}

void appendGoSyntax(const json::Value& value, std::string& out) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      out += "interface {}(nil)";
      return;
    case rapidjson::kObjectType: {
      std::vector<const json::Value::Member*> members;
      for (const auto& member : value.GetObject()) {
        members.push_back(&member);
      }
      std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
        return json::view(a->name) < json::view(b->name);
      });
      out += "map[string]interface {}{";
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i > 0) {
          out += ", ";
        }
        out += goQuote(json::view(members[i]->name));
        out += ':';
        appendGoSyntax(members[i]->value, out);
      }
      out += '}';
      return;
    }
    case rapidjson::kArrayType: {
      out += "[]interface {}{";
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        if (i > 0) {
          out += ", ";
        }
        appendGoSyntax(value[i], out);
      }
      out += '}';
      return;
    }
    default:
      out += goBadValue(value);
      return;
  }
}

}  // namespace

Rune decodeRune(std::string_view text, std::size_t offset) {
  const auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  const unsigned char first = byte(offset);
  if (first < 0x80) {
    return {first, 1, true};
  }
  std::size_t length = 0;
  char32_t code_point = 0;
  char32_t minimum = 0;
  if ((first & 0xE0) == 0xC0) {
    length = 2;
    code_point = first & 0x1F;
    minimum = 0x80;
  } else if ((first & 0xF0) == 0xE0) {
    length = 3;
    code_point = first & 0x0F;
    minimum = 0x800;
  } else if ((first & 0xF8) == 0xF0) {
    length = 4;
    code_point = first & 0x07;
    minimum = 0x10000;
  } else {
    return {kReplacementCharacter, 1, false};
  }
  if (offset + length > text.size()) {
    return {kReplacementCharacter, 1, false};
  }
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(offset + i);
    if ((next & 0xC0) != 0x80) {
      return {kReplacementCharacter, 1, false};
    }
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return {kReplacementCharacter, 1, false};
  }
  return {code_point, length, true};
}

std::size_t runeCount(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); i += decodeRune(text, i).length) {
    ++count;
  }
  return count;
}

void appendUtf8(char32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

std::string goQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const Rune rune = decodeRune(text, i);
    if (!rune.valid) {
      out += "\\x";
      appendHex(out, static_cast<unsigned char>(text[i]), 2);
      i += 1;
      continue;
    }
    const char32_t c = rune.code_point;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (isPrintable(c)) {
      out.append(text.substr(i, rune.length));
    } else {
      switch (c) {
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            out += "\\x";
            appendHex(out, c, 2);
          } else if (c < 0x10000) {
            out += "\\u";
            appendHex(out, c, 4);
          } else {
            out += "\\U";
            appendHex(out, c, 8);
          }
      }
    }
    i += rune.length;
  }
  out += '"';
  return out;
}

std::string goFloat(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (value == 0) {
    return std::signbit(value) ? "-0" : "0";
  }
  // Shortest round-trip digits, as strconv computes them, then Go's choice between %e and %f.
  char buffer[64];
  const auto converted =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  const std::string_view scientific(buffer, converted.ptr - buffer);
  std::string out;
  std::size_t i = 0;
  if (scientific[0] == '-') {
    out += '-';
    i = 1;
  }
  std::string digits;
  while (i < scientific.size() && scientific[i] != 'e') {
    if (scientific[i] != '.') {
      digits += scientific[i];
    }
    ++i;
  }
  int exponent = 0;
  std::from_chars(scientific.data() + i + (scientific[i + 1] == '+' ? 2 : 1),
                  scientific.data() + scientific.size(), exponent);
  const int digit_count = static_cast<int>(digits.size());
  // %e when the exponent is below -4 or at least the precision, 6 for the shortest form.
  if (exponent < -4 || exponent >= 6) {
    out += digits[0];
    if (digit_count > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    out += exponent < 0 ? '-' : '+';
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) {
      out += '0';
    }
    out += std::to_string(magnitude);
    return out;
  }
  const int point = exponent + 1;  // Digits before the decimal point.
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else if (point >= digit_count) {
    out += digits;
    out.append(static_cast<std::size_t>(point - digit_count), '0');
  } else {
    out.append(digits, 0, static_cast<std::size_t>(point));
    out += '.';
    out.append(digits, static_cast<std::size_t>(point));
  }
  return out;
}

std::string goBadValue(const json::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "\"null\"";
    case rapidjson::kFalseType:
      return "false";
    case rapidjson::kTrueType:
      return "true";
    case rapidjson::kStringType:
      return goQuote(json::view(value));
    case rapidjson::kNumberType:
      // The apiserver decodes integers that fit int64 as int64 and every other number as float64.
      if (value.IsInt64()) {
        return std::to_string(value.GetInt64());
      }
      return goFloat(value.GetDouble());
    default: {
      std::string out;
      appendGoSyntax(value, out);
      return out;
    }
  }
}

}  // namespace daap::schema::detail

#include "lib/schema/formats.h"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <regex>
#include <string>

namespace daap::schema::detail {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isHex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

std::string withoutDashes(std::string_view format) {
  std::string out;
  for (const char c : format) {
    if (c != '-') {
      out += c;
    }
  }
  return out;
}

int number(std::string_view digits) {
  int value = 0;
  for (const char c : digits) {
    value = value * 10 + (c - '0');
  }
  return value;
}

// time.Parse("2006-01-02", text): fixed widths, a real month and a day that exists in it.
bool isDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return false;
  }
  for (const std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!isDigit(text[i])) {
      return false;
    }
  }
  const int year = number(text.substr(0, 4));
  const int month = number(text.substr(5, 2));
  const int day = number(text.substr(8, 2));
  if (month < 1 || month > 12) {
    return false;
  }
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days_in_month = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day >= 1 && day <= days_in_month;
}

// strfmt.IsDateTime: lower-case, split at 't', a date, then a time with an optional fraction
// (the upstream pattern's unescaped '.' accepts any character) and a 'z' or +hh:mm offset.
bool isDateTime(std::string_view text) {
  if (text.size() < 4) {
    return false;
  }
  std::string lower(text);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const std::size_t first_t = lower.find('t');
  if (first_t == std::string::npos) {
    return false;
  }
  const std::size_t second_t = lower.find('t', first_t + 1);
  const std::string_view date = std::string_view(lower).substr(0, first_t);
  const std::string_view time = std::string_view(lower).substr(
      first_t + 1, second_t == std::string::npos ? std::string::npos : second_t - first_t - 1);
  if (!isDate(date)) {
    return false;
  }
  static const std::regex kTimePattern(
      R"(^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$)");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(time.begin(), time.end(), match, kTimePattern)) {
    return false;
  }
  return match.str(1) <= "23" && match.str(2) <= "59" && match.str(3) <= "59";
}

// govalidator.IsBase64: standard alphabet, padded to a multiple of four, at least one quantum.
bool isBase64(std::string_view text) {
  const std::size_t n = text.size();
  if (n == 0 || n % 4 != 0) {
    return false;
  }
  const auto alphabet = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/';
  };
  for (std::size_t i = 0; i + 2 < n; ++i) {
    if (!alphabet(text[i])) {
      return false;
    }
  }
  if (text[n - 2] == '=') {
    return text[n - 1] == '=';
  }
  return alphabet(text[n - 2]) && (alphabet(text[n - 1]) || text[n - 1] == '=');
}

// (?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?V[0-9a-f]{3}-?[89ab]?[0-9a-f]{3}-?[0-9a-f]{12}$, where the
// version digit and the variant nibble are checked only for uuid3/4/5.
bool isUuid(std::string_view text, char version) {
  static constexpr std::array<std::size_t, 5> kGroups = {8, 4, 4, 4, 12};
  std::size_t i = 0;
  for (std::size_t group = 0; group < kGroups.size(); ++group) {
    if (group > 0 && i < text.size() && text[i] == '-') {
      ++i;
    }
    if (i + kGroups[group] > text.size()) {
      return false;
    }
    for (std::size_t j = 0; j < kGroups[group]; ++j) {
      if (!isHex(text[i + j])) {
        return false;
      }
    }
    if (version != 0 && group == 2 && text[i] != version) {
      return false;
    }
    if (version != 0 && version != '3' && group == 3 &&
        std::string_view("89abAB").find(text[i]) == std::string_view::npos) {
      return false;
    }
    i += kGroups[group];
  }
  return i == text.size();
}

// net.ParseIP for dotted quads: four decimal fields up to 255, no leading zeros.
bool isIpv4(std::string_view text) {
  int fields = 0;
  std::size_t i = 0;
  while (fields < 4) {
    std::size_t start = i;
    while (i < text.size() && isDigit(text[i])) {
      ++i;
    }
    const std::size_t length = i - start;
    if (length == 0 || length > 3 || (length > 1 && text[start] == '0') ||
        number(text.substr(start, length)) > 255) {
      return false;
    }
    ++fields;
    if (fields < 4) {
      if (i >= text.size() || text[i] != '.') {
        return false;
      }
      ++i;
    }
  }
  return i == text.size();
}

bool isIpv6(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    return false;
  }
  unsigned char address[16];
  const std::string copy(text);
  return inet_pton(AF_INET6, copy.c_str(), address) == 1;
}

bool isCidr(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return false;
  }
  const std::string_view address = text.substr(0, slash);
  const std::string_view prefix = text.substr(slash + 1);
  const bool v4 = isIpv4(address);
  if (!v4 && !isIpv6(address)) {
    return false;
  }
  if (prefix.empty() || prefix.size() > 3) {
    return false;
  }
  for (const char c : prefix) {
    if (!isDigit(c)) {
      return false;
    }
  }
  return number(prefix) <= (v4 ? 32 : 128);
}

// net.ParseMAC: 6, 8 or 20 octets as xx:xx:.. / xx-xx-.. or xxxx.xxxx.xxxx.
bool isMac(std::string_view text) {
  if (text.size() < 14) {
    return false;
  }
  const auto valid_octets = [](std::size_t octets) {
    return octets == 6 || octets == 8 || octets == 20;
  };
  if (text[2] == ':' || text[2] == '-') {
    const char separator = text[2];
    if ((text.size() + 1) % 3 != 0 || !valid_octets((text.size() + 1) / 3)) {
      return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (i % 3 == 2 ? text[i] != separator : !isHex(text[i])) {
        return false;
      }
    }
    return true;
  }
  if (text[4] == '.') {
    if ((text.size() + 1) % 5 != 0 || !valid_octets(2 * (text.size() + 1) / 5)) {
      return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (i % 5 == 4 ? text[i] != '.' : !isHex(text[i])) {
        return false;
      }
    }
    return true;
  }
  return false;
}

bool isHexColor(std::string_view text) {
  if (text.starts_with('#')) {
    text.remove_prefix(1);
  }
  if (text.size() != 3 && text.size() != 6) {
    return false;
  }
  for (const char c : text) {
    if (!isHex(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool isSupportedStringFormat(std::string_view format) {
  static constexpr std::array<std::string_view, 25> kSupported = {
      "bsonobjectid", "uri",        "email",    "hostname", "ipv4",     "ipv6", "cidr",
      "mac",          "uuid",       "uuid3",    "uuid4",    "uuid5",    "isbn", "isbn10",
      "isbn13",       "creditcard", "ssn",      "hexcolor", "rgbcolor", "byte", "password",
      "date",         "duration",   "datetime", "quantity"};
  const std::string normalized = withoutDashes(format);
  for (const std::string_view supported : kSupported) {
    if (normalized == supported) {
      return true;
    }
  }
  return false;
}

StringFormat stringFormat(std::string_view format) {
  const std::string normalized = withoutDashes(format);
  if (normalized == "datetime") {
    return StringFormat::DateTime;
  }
  if (normalized == "date") {
    return StringFormat::Date;
  }
  if (normalized == "byte") {
    return StringFormat::Byte;
  }
  if (normalized == "uuid") {
    return StringFormat::Uuid;
  }
  if (normalized == "uuid3") {
    return StringFormat::Uuid3;
  }
  if (normalized == "uuid4") {
    return StringFormat::Uuid4;
  }
  if (normalized == "uuid5") {
    return StringFormat::Uuid5;
  }
  if (normalized == "ipv4") {
    return StringFormat::Ipv4;
  }
  if (normalized == "ipv6") {
    return StringFormat::Ipv6;
  }
  if (normalized == "cidr") {
    return StringFormat::Cidr;
  }
  if (normalized == "mac") {
    return StringFormat::Mac;
  }
  if (normalized == "hexcolor") {
    return StringFormat::HexColor;
  }
  if (normalized == "password") {
    return StringFormat::Password;
  }
  return StringFormat::Unchecked;
}

bool isValidFormat(StringFormat format, std::string_view text) {
  switch (format) {
    case StringFormat::DateTime:
      return isDateTime(text);
    case StringFormat::Date:
      return isDate(text);
    case StringFormat::Byte:
      return isBase64(text);
    case StringFormat::Uuid:
      return isUuid(text, 0);
    case StringFormat::Uuid3:
      return isUuid(text, '3');
    case StringFormat::Uuid4:
      return isUuid(text, '4');
    case StringFormat::Uuid5:
      return isUuid(text, '5');
    case StringFormat::Ipv4:
      return isIpv4(text);
    case StringFormat::Ipv6:
      return isIpv6(text);
    case StringFormat::Cidr:
      return isCidr(text);
    case StringFormat::Mac:
      return isMac(text);
    case StringFormat::HexColor:
      return isHexColor(text);
    case StringFormat::Unchecked:
    case StringFormat::Password:
      return true;
  }
  return true;
}

}  // namespace daap::schema::detail

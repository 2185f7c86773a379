#include "lib/model/quantity.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace daap::model {
namespace {

__extension__ typedef __int128 Int128;  // NOLINT(modernize-use-using): __extension__ needs typedef.

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
// A decimal exponent this far out already puts any non-zero mantissa beyond int64 milli-units
// (or below one milli-unit), so larger exponents need not be tracked exactly.
constexpr int64_t kExponentClamp = 1000;
// 2^60 (Ei) times 10^-20 is below one: a fraction starting with this many zeros after the
// point contributes less than one milli-unit.
constexpr int64_t kNegligibleLeadingZeros = 20;

struct Suffix {
  std::string_view text;
  int binary_exponent;   // Power of two (Ki = 10).
  int decimal_exponent;  // Power of ten (k = 3, m = -3).
};

constexpr std::array<Suffix, 16> kSuffixes = {{
    {"Ki", 10, 0},
    {"Mi", 20, 0},
    {"Gi", 30, 0},
    {"Ti", 40, 0},
    {"Pi", 50, 0},
    {"Ei", 60, 0},
    {"n", 0, -9},
    {"u", 0, -6},
    {"m", 0, -3},
    {"", 0, 0},
    {"k", 0, 3},
    {"M", 0, 6},
    {"G", 0, 9},
    {"T", 0, 12},
    {"P", 0, 15},
    {"E", 0, 18},
}};

Error invalid(std::string_view text, std::string_view why) {
  return Error::invalidArgument("invalid quantity \"" + std::string(text) +
                                "\": " + std::string(why));
}

Error overflow(std::string_view operation) {
  return Error::invalidArgument("quantity " + std::string(operation) +
                                " overflows the range of 64-bit milli-units");
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// A decimal exponent "e-3", "E+12", "e5" after the number; nullopt when `suffix` is not one.
std::optional<int64_t> parseExponent(std::string_view suffix) {
  if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) {
    return std::nullopt;
  }
  std::size_t i = 1;
  bool negative = false;
  if (suffix[i] == '+' || suffix[i] == '-') {
    negative = suffix[i] == '-';
    ++i;
  }
  if (i == suffix.size()) {
    return std::nullopt;
  }
  int64_t exponent = 0;
  for (; i < suffix.size(); ++i) {
    if (!isDigit(suffix[i])) {
      return std::nullopt;
    }
    exponent = std::min(kExponentClamp, exponent * 10 + (suffix[i] - '0'));
  }
  return negative ? -exponent : exponent;
}

// ceil(0.<digits> * 2^binary_exponent): doubles the decimal fraction digit by digit, so the
// result is exact whatever the number of digits.
int64_t ceilFractionTimesPowerOfTwo(std::vector<char> digits, int binary_exponent) {
  int64_t whole = 0;
  for (int step = 0; step < binary_exponent; ++step) {
    int carry = 0;
    for (auto digit = digits.rbegin(); digit != digits.rend(); ++digit) {
      const int doubled = *digit * 2 + carry;
      *digit = static_cast<char>(doubled % 10);
      carry = doubled / 10;
    }
    whole = whole * 2 + carry;
  }
  for (const char digit : digits) {
    if (digit != 0) {
      return whole + 1;
    }
  }
  return whole;
}

// "1500m", "2", "1500M": the largest power of 1000 that divides `magnitude` milli-units.
std::string decimalText(uint64_t magnitude) {
  static constexpr std::array<std::string_view, 7> kDecimal = {"m", "", "k", "M", "G", "T", "P"};
  std::size_t index = 0;
  while (magnitude != 0 && magnitude % 1000 == 0 && index + 1 < kDecimal.size()) {
    magnitude /= 1000;
    ++index;
  }
  if (magnitude == 0) {
    return "0";
  }
  return std::to_string(magnitude) + std::string(kDecimal[index]);
}

// "1Gi", "1536Mi": whole units divided by the largest power of 1024 that divides them; nullopt
// when `magnitude` milli-units is not a whole multiple of 1024 units.
std::optional<std::string> binaryText(uint64_t magnitude) {
  static constexpr std::array<std::string_view, 7> kBinary = {"",   "Ki", "Mi", "Gi",
                                                              "Ti", "Pi", "Ei"};
  if (magnitude == 0 || magnitude % 1000 != 0) {
    return std::nullopt;
  }
  uint64_t units = magnitude / 1000;
  std::size_t index = 0;
  while (units % 1024 == 0 && index + 1 < kBinary.size()) {
    units /= 1024;
    ++index;
  }
  if (index == 0) {
    return std::nullopt;
  }
  return std::to_string(units) + std::string(kBinary[index]);
}

Result<Quantity> checked(Int128 milli, std::string_view operation) {
  if (milli > kMax || milli < kMin) {
    return overflow(operation);
  }
  return Quantity::fromMilli(static_cast<int64_t>(milli));
}

}  // namespace

// The grammar of k8s.io/apimachinery/pkg/api/resource:
//   quantity ::= [+-] (digits | digits "." [digits] | "." digits) suffix
//   suffix   ::= Ki|Mi|Gi|Ti|Pi|Ei | n|u|m|""|k|M|G|T|P|E | (e|E) [+-] digits
Result<Quantity> Quantity::parse(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  const std::size_t integer_begin = i;
  while (i < text.size() && isDigit(text[i])) {
    ++i;
  }
  const std::string_view integer = text.substr(integer_begin, i - integer_begin);
  std::string_view fraction;
  if (i < text.size() && text[i] == '.') {
    const std::size_t fraction_begin = ++i;
    while (i < text.size() && isDigit(text[i])) {
      ++i;
    }
    fraction = text.substr(fraction_begin, i - fraction_begin);
  }
  if (integer.empty() && fraction.empty()) {
    return invalid(text, "expected a number");
  }
  const std::string_view suffix = text.substr(i);
  int binary_exponent = 0;
  int64_t decimal_exponent = 0;
  if (const std::optional<int64_t> exponent = parseExponent(suffix)) {
    decimal_exponent = *exponent;
  } else {
    bool known = false;
    for (const Suffix& candidate : kSuffixes) {
      if (candidate.text == suffix) {
        binary_exponent = candidate.binary_exponent;
        decimal_exponent = candidate.decimal_exponent;
        known = true;
        break;
      }
    }
    if (!known) {
      return invalid(text, "unknown suffix \"" + std::string(suffix) + "\"");
    }
  }
  decimal_exponent += 3;  // Milli-units.

  // Move the decimal point by the decimal exponent: milli-units = (whole + 0.fraction) *
  // 2^binary_exponent, rounded up (away from zero, as the API server does).
  std::string digits;
  digits.reserve(integer.size() + fraction.size());
  digits.append(integer).append(fraction);
  const int64_t point = static_cast<int64_t>(integer.size()) + decimal_exponent;
  const std::size_t first_nonzero = digits.find_first_not_of('0');
  if (first_nonzero == std::string::npos) {
    return Quantity();
  }
  const auto first = static_cast<int64_t>(first_nonzero);
  // The largest magnitude: two's complement reaches one further below zero.
  const Int128 limit = negative ? Int128{kMax} + 1 : Int128{kMax};
  // Whole milli-units before the binary scaling: the digits left of the moved point.
  Int128 whole = 0;
  for (int64_t position = first; position < point; ++position) {
    const std::size_t index = static_cast<std::size_t>(position);
    const int digit = index < digits.size() ? digits[index] - '0' : 0;
    whole = whole * 10 + digit;
    if (whole > limit) {
      return overflow("\"" + std::string(text) + "\"");
    }
  }
  whole <<= binary_exponent;
  if (whole > limit) {
    return overflow("\"" + std::string(text) + "\"");
  }
  // The fraction of a milli-unit right of the moved point.
  int64_t rounded_fraction = 0;
  const int64_t fraction_begin = std::max<int64_t>(point, 0);
  if (first >= point && first - point >= kNegligibleLeadingZeros) {
    rounded_fraction = 1;  // Non-zero, but far below one milli-unit even times 2^60.
  } else if (fraction_begin < static_cast<int64_t>(digits.size())) {
    std::vector<char> fraction_digits(static_cast<std::size_t>(fraction_begin - point), 0);
    for (std::size_t index = static_cast<std::size_t>(fraction_begin); index < digits.size();
         ++index) {
      fraction_digits.push_back(static_cast<char>(digits[index] - '0'));
    }
    rounded_fraction = ceilFractionTimesPowerOfTwo(std::move(fraction_digits), binary_exponent);
  }
  const Int128 magnitude = whole + rounded_fraction;
  if (magnitude > limit) {
    return overflow("\"" + std::string(text) + "\"");
  }
  return Quantity(static_cast<int64_t>(negative ? -magnitude : magnitude));
}

int64_t Quantity::value() const {
  // Away from zero, like milli-units from a finer input.
  const int64_t whole = milli_ / 1000;
  if (milli_ % 1000 == 0) {
    return whole;
  }
  return milli_ > 0 ? whole + 1 : whole - 1;
}

Result<Quantity> Quantity::plus(Quantity other) const {
  return checked(Int128{milli_} + other.milli_, "sum");
}

Result<Quantity> Quantity::times(int64_t factor) const {
  return checked(Int128{milli_} * factor, "product");
}

std::string Quantity::toString() const {
  const bool negative = milli_ < 0;
  // Unsigned, so that the magnitude of INT64_MIN is representable.
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(milli_) : static_cast<uint64_t>(milli_);
  std::string text = decimalText(magnitude);
  // Binary only where it reads better: "1Gi" rather than "1073741824", but "2G" rather than
  // "1953125Ki" although 2e9 is also a multiple of 1024.
  if (std::optional<std::string> binary = binaryText(magnitude);
      binary && binary->size() <= text.size()) {
    text = std::move(*binary);
  }
  return negative ? "-" + text : text;
}

}  // namespace daap::model

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lib/json/json.h"

namespace daap::schema::detail {

// Go's spellings of values, so that messages read exactly as kube-apiserver's (which prints with
// fmt and strconv). Private to lib/schema.

// strconv.Quote: double quotes, Go escapes for control and invalid bytes.
std::string goQuote(std::string_view text);

// strconv.FormatFloat(value, 'g', -1, 64), which is also fmt's %v: "1", "1.5", "1e+06", "1e-05".
std::string goFloat(double value);

// A JSON value as field.Error.ErrorBody prints a bad value: strings quoted, numbers and booleans
// bare, null as "null", objects and arrays in %#v syntax (map[string]interface {}{"a":1}).
std::string goBadValue(const json::Value& value);

// utf8.DecodeRuneInString: the code point starting at text[offset] and its length in bytes; an
// invalid or truncated sequence decodes as U+FFFD of length 1.
struct Rune {
  char32_t code_point;
  std::size_t length;
  bool valid;
};
Rune decodeRune(std::string_view text, std::size_t offset);

// utf8.RuneCountInString: code points, each invalid byte counting as one.
std::size_t runeCount(std::string_view text);

// Appends the UTF-8 encoding of `code_point` (assumed valid) to `out`.
void appendUtf8(char32_t code_point, std::string& out);

}  // namespace daap::schema::detail

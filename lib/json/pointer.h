#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::json {

// RFC 6901 JSON Pointer. A pointer is kept as its unescaped reference tokens, so callers compare
// and walk tokens instead of re-parsing strings.

// "" is the whole document (no tokens); otherwise the pointer must start with '/'. "~0" and "~1"
// unescape to "~" and "/"; any other '~' is an InvalidArgument error.
Result<std::vector<std::string>> parsePointer(std::string_view pointer);

// The token escaped for use inside a pointer: "~" becomes "~0", "/" becomes "~1".
std::string escapePointerToken(std::string_view token);

// The array index a token spells: decimal digits without a leading zero ("0" itself is fine).
// nullopt for anything else, including "-" and values that do not fit in size_t.
std::optional<std::size_t> parseArrayIndex(std::string_view token);

// The value the tokens designate, or nullptr when any step is missing, out of range, "-", or
// steps into a scalar.
const Value* resolve(const Value& root, const std::vector<std::string>& tokens);
Value* resolve(Value& root, const std::vector<std::string>& tokens);

}  // namespace daap::json

#pragma once

#include <map>
#include <string>
#include <string_view>

#include "lib/base/result.h"

namespace daap::http {

// Decodes %XX escapes; with plus_as_space, '+' becomes ' ' (the query-string convention, not
// the path's). A '%' not followed by two hex digits is InvalidArgument.
Result<std::string> percentDecode(std::string_view text, bool plus_as_space);

// "a=1&b=x%20y&a=2&flag" -> {a:1, a:2, b:"x y", flag:""}. Empty pieces ("a=1&&b=2") are
// skipped. A malformed escape is InvalidArgument.
Result<std::multimap<std::string, std::string>> parseQuery(std::string_view query);

}  // namespace daap::http

#pragma once

#include <memory>
#include <regex>
#include <string_view>

#include "lib/base/result.h"

namespace daap::schema::detail {

// Kubernetes evaluates `pattern` and CEL `matches()` with Go's RE2. We run std::regex in
// ECMAScript mode after translating the RE2 spellings that differ: a leading (?i) or (?s) flag
// group, (?P<name>...) and (?<name>...) groups (kept as plain groups), \A, \z and \Q...\E.
// Unicode classes (\pL, \p{...}), other inline flags and \C are rejected as unsupported.
// Matching is byte-wise and unanchored, like Go's MatchString. Private to lib/schema.
Result<std::shared_ptr<const std::regex>> compileRegex(std::string_view pattern);

// regex_search; std::regex's own failures (complexity, stack) become an error, never a throw.
Result<bool> regexSearch(const std::regex& regex, std::string_view text);

}  // namespace daap::schema::detail

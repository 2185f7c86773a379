#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::schema {

namespace detail {
struct CelAst;
}  // namespace detail

// One compiled CEL expression, in the subset that Kubernetes CRD validation rules use:
// int/uint/double/string/bytes/bool/null literals, lists and maps, `self` and `oldSelf`, field
// selection (with Kubernetes' __dash__-style escapes) and indexing, the arithmetic, comparison,
// `in`, `?:` and CEL's error-absorbing `&&`/`||` operators, has(), all/exists/exists_one/map/
// filter, size, startsWith/endsWith/contains/matches/find/findAll, int/uint/double/string/bool/
// bytes/dyn/type, the Kubernetes string (lowerAscii, upperAscii, trim, split, join, replace,
// substring, indexOf, lastIndexOf, charAt) and list (sum, min, max, isSorted, indexOf,
// lastIndexOf) functions. `self` and `oldSelf` are read from JSON in place: objects are maps,
// arrays lists, integers that fit int64 are int and other numbers double. Immutable after
// compile(); evaluate() may run concurrently from any thread.
class Program {
public:
  // Parses and checks `rule`. Syntax it does not support (optionals, message construction,
  // timestamps, durations, quantities...), unknown identifiers and functions, and invalid literal
  // regular expressions are InvalidArgument errors shaped like cel-go's
  // ("ERROR: <input>:1:6: undeclared reference to 'x' (in container '')").
  static Result<Program> compile(std::string_view rule);

  // Evaluates the rule. A runtime error ("no such key: x", "no such overload: ...", "integer
  // overflow", ...) or a result that is not a bool is an InvalidArgument error holding CEL's
  // message. `old_self` may be null; a rule that then reads oldSelf fails.
  Result<bool> evaluate(const json::Value& self, const json::Value* old_self) const;

  // Evaluates a messageExpression: the result must be a string.
  Result<std::string> evaluateString(const json::Value& self, const json::Value* old_self) const;

  // Whether the rule reads oldSelf, i.e. is a transition rule.
  bool usesOldSelf() const;

  const std::string& source() const;

private:
  explicit Program(std::shared_ptr<const detail::CelAst> ast) : ast_(std::move(ast)) {}

  std::shared_ptr<const detail::CelAst> ast_;
};

}  // namespace daap::schema

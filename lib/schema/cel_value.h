#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/json/json.h"

namespace daap::schema::detail {

enum class CelKind : std::uint8_t {
  Null,
  Bool,
  Int,
  Uint,
  Double,
  String,
  Bytes,
  List,
  Map,
  Type,
  Error,
};

// One CEL value during evaluation. JSON input is read in place (strings, arrays and objects
// borrow the caller's json::Value, which outlives the evaluation); values computed by the
// expression own their storage through a shared pointer, so copies are cheap. Errors are values
// too, which is how && and || absorb them. Private to lib/schema.
class CelValue {
public:
  CelValue() = default;  // null

  static CelValue boolean(bool value);
  static CelValue integer(std::int64_t value);
  static CelValue unsignedInteger(std::uint64_t value);
  static CelValue floating(double value);
  static CelValue string(std::string text);
  // Borrows `text`: only for storage that outlives the evaluation (the AST, the JSON input).
  static CelValue stringView(std::string_view text);
  static CelValue bytes(std::string data);
  static CelValue list(std::vector<CelValue> items);
  static CelValue map(std::vector<std::pair<CelValue, CelValue>> entries);
  static CelValue fromJson(const json::Value& value);
  // `name` must have static storage ("int", "string", ...).
  static CelValue type(std::string_view name);
  static CelValue error(std::string message);

  CelKind kind() const { return kind_; }
  bool isError() const { return kind_ == CelKind::Error; }
  bool boolValue() const { return scalar_.b; }
  std::int64_t intValue() const { return scalar_.i; }
  std::uint64_t uintValue() const { return scalar_.u; }
  double doubleValue() const { return scalar_.d; }
  // String, Bytes, Type (its name) and Error (its message).
  std::string_view text() const { return text_; }

  // Lists and maps.
  std::size_t size() const;
  CelValue at(std::size_t index) const;                     // List element.
  CelValue keyAt(std::size_t index) const;                  // Map entry key, in insertion order.
  CelValue valueAt(std::size_t index) const;                // Map entry value.
  std::optional<CelValue> find(const CelValue& key) const;  // Map lookup.

private:
  CelKind kind_ = CelKind::Null;
  union {
    bool b;
    std::int64_t i;
    std::uint64_t u;
    double d;
  } scalar_{.i = 0};
  std::string_view text_;
  const json::Value* json_ = nullptr;  // JSON-backed list or map.
  const std::vector<CelValue>* list_ = nullptr;
  const std::vector<std::pair<CelValue, CelValue>>* map_ = nullptr;
  std::shared_ptr<const void> owner_;  // Keeps owned text, list or map alive.
};

// CEL's type names: "int", "uint", "double", "bool", "string", "bytes", "null_type", "list",
// "map", "type".
std::string_view celTypeName(const CelValue& value);

// CEL equality with heterogeneous numbers (1 == 1u == 1.0); values of different kinds are
// unequal. Neither operand may be an error.
bool celEqual(const CelValue& a, const CelValue& b);

// Ordering for <, <=, >, >=: numbers across kinds, strings and bytes by bytes, bools.
enum class CelOrder { Less, Equal, Greater, Unordered, Invalid };
CelOrder celCompare(const CelValue& a, const CelValue& b);

// The "no such overload" error cel-go raises when no function signature matches.
CelValue noSuchOverload(std::string_view function, const CelValue& a);
CelValue noSuchOverload(std::string_view function, const CelValue& a, const CelValue& b);

}  // namespace daap::schema::detail

#include "lib/schema/cel_value.h"

#include <cmath>

namespace daap::schema::detail {
namespace {

// Exact comparison of two numbers of any CEL numeric kind: long double holds every int64 and
// uint64 exactly on the platforms we build for.
bool isNumber(const CelValue& v) {
  return v.kind() == CelKind::Int || v.kind() == CelKind::Uint || v.kind() == CelKind::Double;
}

long double asLongDouble(const CelValue& v) {
  switch (v.kind()) {
    case CelKind::Int:
      return static_cast<long double>(v.intValue());
    case CelKind::Uint:
      return static_cast<long double>(v.uintValue());
    default:
      return static_cast<long double>(v.doubleValue());
  }
}

CelOrder compareNumbers(const CelValue& a, const CelValue& b) {
  if ((a.kind() == CelKind::Double && std::isnan(a.doubleValue())) ||
      (b.kind() == CelKind::Double && std::isnan(b.doubleValue()))) {
    return CelOrder::Unordered;
  }
  const long double x = asLongDouble(a);
  const long double y = asLongDouble(b);
  if (x < y) {
    return CelOrder::Less;
  }
  return x > y ? CelOrder::Greater : CelOrder::Equal;
}

template <typename T>
CelOrder compareValues(const T& a, const T& b) {
  if (a < b) {
    return CelOrder::Less;
  }
  return b < a ? CelOrder::Greater : CelOrder::Equal;
}

}  // namespace

CelValue CelValue::boolean(bool value) {
  CelValue v;
  v.kind_ = CelKind::Bool;
  v.scalar_.b = value;
  return v;
}

CelValue CelValue::integer(std::int64_t value) {
  CelValue v;
  v.kind_ = CelKind::Int;
  v.scalar_.i = value;
  return v;
}

CelValue CelValue::unsignedInteger(std::uint64_t value) {
  CelValue v;
  v.kind_ = CelKind::Uint;
  v.scalar_.u = value;
  return v;
}

CelValue CelValue::floating(double value) {
  CelValue v;
  v.kind_ = CelKind::Double;
  v.scalar_.d = value;
  return v;
}

CelValue CelValue::string(std::string text) {
  CelValue v;
  v.kind_ = CelKind::String;
  auto owned = std::make_shared<const std::string>(std::move(text));
  v.text_ = *owned;
  v.owner_ = std::move(owned);
  return v;
}

CelValue CelValue::stringView(std::string_view text) {
  CelValue v;
  v.kind_ = CelKind::String;
  v.text_ = text;
  return v;
}

CelValue CelValue::bytes(std::string data) {
  CelValue v = string(std::move(data));
  v.kind_ = CelKind::Bytes;
  return v;
}

CelValue CelValue::list(std::vector<CelValue> items) {
  CelValue v;
  v.kind_ = CelKind::List;
  auto owned = std::make_shared<const std::vector<CelValue>>(std::move(items));
  v.list_ = owned.get();
  v.owner_ = std::move(owned);
  return v;
}

CelValue CelValue::map(std::vector<std::pair<CelValue, CelValue>> entries) {
  CelValue v;
  v.kind_ = CelKind::Map;
  auto owned =
      std::make_shared<const std::vector<std::pair<CelValue, CelValue>>>(std::move(entries));
  v.map_ = owned.get();
  v.owner_ = std::move(owned);
  return v;
}

CelValue CelValue::fromJson(const json::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return {};
    case rapidjson::kFalseType:
      return boolean(false);
    case rapidjson::kTrueType:
      return boolean(true);
    case rapidjson::kStringType:
      return stringView(json::view(value));
    case rapidjson::kNumberType:
      // As the apiserver decodes JSON: int64 when it fits, otherwise a double.
      return value.IsInt64() ? integer(value.GetInt64()) : floating(value.GetDouble());
    case rapidjson::kArrayType: {
      CelValue v;
      v.kind_ = CelKind::List;
      v.json_ = &value;
      return v;
    }
    case rapidjson::kObjectType: {
      CelValue v;
      v.kind_ = CelKind::Map;
      v.json_ = &value;
      return v;
    }
  }
  return {};
}

CelValue CelValue::type(std::string_view name) {
  CelValue v;
  v.kind_ = CelKind::Type;
  v.text_ = name;
  return v;
}

CelValue CelValue::error(std::string message) {
  CelValue v = string(std::move(message));
  v.kind_ = CelKind::Error;
  return v;
}

std::size_t CelValue::size() const {
  if (json_ != nullptr) {
    return kind_ == CelKind::List ? json_->Size() : json_->MemberCount();
  }
  if (list_ != nullptr) {
    return list_->size();
  }
  return map_ != nullptr ? map_->size() : 0;
}

CelValue CelValue::at(std::size_t index) const {
  if (json_ != nullptr) {
    return fromJson((*json_)[static_cast<rapidjson::SizeType>(index)]);
  }
  return (*list_)[index];
}

CelValue CelValue::keyAt(std::size_t index) const {
  if (json_ != nullptr) {
    return stringView(
        json::view((json_->MemberBegin() + static_cast<std::ptrdiff_t>(index))->name));
  }
  return (*map_)[index].first;
}

CelValue CelValue::valueAt(std::size_t index) const {
  if (json_ != nullptr) {
    return fromJson((json_->MemberBegin() + static_cast<std::ptrdiff_t>(index))->value);
  }
  return (*map_)[index].second;
}

std::optional<CelValue> CelValue::find(const CelValue& key) const {
  if (json_ != nullptr) {
    if (key.kind() != CelKind::String) {
      return std::nullopt;
    }
    const json::Value* found = json::find(*json_, key.text());
    if (found == nullptr) {
      return std::nullopt;
    }
    return fromJson(*found);
  }
  if (map_ == nullptr) {
    return std::nullopt;
  }
  for (const auto& [entry_key, entry_value] : *map_) {
    if (celEqual(entry_key, key)) {
      return entry_value;
    }
  }
  return std::nullopt;
}

std::string_view celTypeName(const CelValue& value) {
  switch (value.kind()) {
    case CelKind::Null:
      return "null_type";
    case CelKind::Bool:
      return "bool";
    case CelKind::Int:
      return "int";
    case CelKind::Uint:
      return "uint";
    case CelKind::Double:
      return "double";
    case CelKind::String:
      return "string";
    case CelKind::Bytes:
      return "bytes";
    case CelKind::List:
      return "list";
    case CelKind::Map:
      return "map";
    case CelKind::Type:
      return "type";
    case CelKind::Error:
      return "error";
  }
  return "error";
}

bool celEqual(const CelValue& a, const CelValue& b) {
  if (isNumber(a) && isNumber(b)) {
    return compareNumbers(a, b) == CelOrder::Equal;
  }
  if (a.kind() != b.kind()) {
    return false;
  }
  switch (a.kind()) {
    case CelKind::Null:
      return true;
    case CelKind::Bool:
      return a.boolValue() == b.boolValue();
    case CelKind::String:
    case CelKind::Bytes:
    case CelKind::Type:
    case CelKind::Error:
      return a.text() == b.text();
    case CelKind::List: {
      if (a.size() != b.size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!celEqual(a.at(i), b.at(i))) {
          return false;
        }
      }
      return true;
    }
    case CelKind::Map: {
      if (a.size() != b.size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        const std::optional<CelValue> other = b.find(a.keyAt(i));
        if (!other || !celEqual(a.valueAt(i), *other)) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

CelOrder celCompare(const CelValue& a, const CelValue& b) {
  if (isNumber(a) && isNumber(b)) {
    return compareNumbers(a, b);
  }
  if (a.kind() != b.kind()) {
    return CelOrder::Invalid;
  }
  switch (a.kind()) {
    case CelKind::Bool:
      return compareValues(a.boolValue(), b.boolValue());
    case CelKind::String:
    case CelKind::Bytes:
      return compareValues(a.text(), b.text());
    default:
      return CelOrder::Invalid;
  }
}

CelValue noSuchOverload(std::string_view function, const CelValue& a) {
  return CelValue::error("no such overload: " + std::string(function) + "(" +
                         std::string(celTypeName(a)) + ")");
}

CelValue noSuchOverload(std::string_view function, const CelValue& a, const CelValue& b) {
  return CelValue::error("no such overload: " + std::string(function) + "(" +
                         std::string(celTypeName(a)) + ", " + std::string(celTypeName(b)) + ")");
}

}  // namespace daap::schema::detail

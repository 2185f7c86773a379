#include "lib/schema/schema.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/schema/cel.h"
#include "lib/schema/formats.h"
#include "lib/schema/go_text.h"
#include "lib/schema/regex.h"

namespace daap::schema {
namespace detail {

enum class AdditionalProperties : std::uint8_t { Absent, Allowed, Forbidden, Schema };

// JSON types as bits, for kube-openapi's "type list contains" checks without string compares.
constexpr std::uint8_t kBooleanBit = 1;
constexpr std::uint8_t kStringBit = 2;
constexpr std::uint8_t kIntegerBit = 4;
constexpr std::uint8_t kNumberBit = 8;
constexpr std::uint8_t kArrayBit = 16;
constexpr std::uint8_t kObjectBit = 32;
enum class ListType : std::uint8_t { Atomic, Set, Map };

struct Rule {
  Program program;
  std::optional<Program> message_expression;
  std::string rule;
  std::string message;     // Trimmed.
  std::string reason;      // A CauseType; FieldValueInvalid when the rule names none.
  std::string field_path;  // Normalized relative field path (fieldPath), "" for the node itself.
};

struct SchemaNode;

struct Property {
  std::string name;
  std::unique_ptr<SchemaNode> node;
};

// One compiled schema node. The tree is built once by compile() and then only read.
struct SchemaNode {
  std::string type;                // As written; "" when absent.
  std::vector<std::string> types;  // kube-openapi's type list: int-or-string is integer,string.
  std::string type_list;           // `types` joined with commas, for messages.
  std::string format;              // Kept only where the apiserver keeps it.
  std::optional<double> maximum;
  std::optional<double> minimum;
  std::optional<double> multiple_of;
  std::optional<std::int64_t> max_length;
  std::optional<std::int64_t> min_length;
  std::optional<std::int64_t> max_items;
  std::optional<std::int64_t> min_items;
  std::optional<std::int64_t> max_properties;
  std::optional<std::int64_t> min_properties;
  std::string pattern;
  std::shared_ptr<const std::regex> pattern_regex;
  std::unique_ptr<json::Document> enum_values;  // A non-empty array.
  std::vector<std::string> required;
  std::vector<Property> properties;  // Sorted by name.
  // Name -> index in `properties`, for nodes with many properties (views into the names).
  std::unordered_map<std::string_view, std::uint32_t> property_index;
  std::vector<std::uint32_t> defaulted;  // Indices of the properties that have a default.
  std::unique_ptr<SchemaNode> additional_schema;
  std::unique_ptr<SchemaNode> items;
  std::unique_ptr<json::Document> default_value;
  std::vector<std::string> list_map_keys;
  std::vector<Rule> rules;
  std::vector<std::unique_ptr<SchemaNode>> all_of;
  std::vector<std::unique_ptr<SchemaNode>> any_of;
  std::vector<std::unique_ptr<SchemaNode>> one_of;
  std::unique_ptr<SchemaNode> not_schema;
  StringFormat string_format = StringFormat::Unchecked;
  AdditionalProperties additional = AdditionalProperties::Absent;
  ListType list_type = ListType::Atomic;
  std::uint8_t type_mask = 0;  // `types` as k*Bit flags.
  bool check_format = false;   // `format` is a string format with a checker.
  bool nullable = false;
  bool preserve_unknown_fields = false;
  bool embedded_resource = false;
  bool exclusive_maximum = false;
  bool exclusive_minimum = false;
  bool unique_items = false;
  bool rules_below = false;       // This node or one under it has x-kubernetes-validations.
  bool list_types_below = false;  // This node or one under it is a set or map list.

  // Lookups run for every member of every object admitted: a hash for large nodes (CNPG's
  // Cluster spec has 80 properties), a length-first scan for small ones.
  static constexpr std::size_t kIndexedProperties = 8;

  const SchemaNode* property(std::string_view name) const {
    if (properties.size() > kIndexedProperties) {
      const auto found = property_index.find(name);
      return found == property_index.end() ? nullptr : properties[found->second].node.get();
    }
    for (const Property& p : properties) {
      if (p.name.size() == name.size() && p.name == name) {
        return p.node.get();
      }
    }
    return nullptr;
  }

  // The schema of member `name`: its property, else the additionalProperties schema.
  const SchemaNode* member(std::string_view name) const {
    const SchemaNode* found = property(name);
    return found != nullptr ? found : additional_schema.get();
  }
};

}  // namespace detail

namespace {

using detail::AdditionalProperties;
using detail::goBadValue;
using detail::goFloat;
using detail::goQuote;
using detail::ListType;
using detail::Property;
using detail::Rule;
using detail::SchemaNode;

constexpr std::string_view kInvalid = "FieldValueInvalid";
constexpr std::string_view kRequired = "FieldValueRequired";
constexpr std::string_view kNotSupported = "FieldValueNotSupported";
constexpr std::string_view kTypeInvalid = "FieldValueTypeInvalid";
constexpr std::string_view kTooLong = "FieldValueTooLong";
constexpr std::string_view kTooMany = "FieldValueTooMany";
constexpr std::string_view kDuplicate = "FieldValueDuplicate";
constexpr std::string_view kForbidden = "FieldValueForbidden";

// --- Compilation ------------------------------------------------------------------------------

std::string join(const std::string& path, std::string_view segment) {
  return path.empty() ? std::string(segment) : path + "." + std::string(segment);
}

Error schemaError(const std::string& field, std::string_view reason, std::string body) {
  Error error = Error::invalidArgument(field.empty() ? body : field + ": " + body);
  error.causes.push_back({field.empty() ? "<nil>" : field, std::string(reason), std::move(body)});
  return error;
}

std::string trimSpace(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\n\r\v\f");
  if (begin == std::string_view::npos) {
    return "";
  }
  const std::size_t end = text.find_last_not_of(" \t\n\r\v\f");
  return std::string(text.substr(begin, end - begin + 1));
}

// A deep copy that copies every string, borrowed (StringRef) ones included: RapidJSON's own
// copies share those, and schema documents may not outlive the compiled schema.
json::Value deepCopy(const json::Value& value, json::Allocator& allocator) {
  switch (value.GetType()) {
    case rapidjson::kObjectType: {
      json::Value out(rapidjson::kObjectType);
      for (const auto& member : value.GetObject()) {
        out.AddMember(json::stringValue(json::view(member.name), allocator),
                      deepCopy(member.value, allocator), allocator);
      }
      return out;
    }
    case rapidjson::kArrayType: {
      json::Value out(rapidjson::kArrayType);
      for (const json::Value& item : value.GetArray()) {
        out.PushBack(deepCopy(item, allocator), allocator);
      }
      return out;
    }
    case rapidjson::kStringType:
      return json::stringValue(json::view(value), allocator);
    default:
      return json::Value(value, allocator);
  }
}

std::unique_ptr<json::Document> copyDocument(const json::Value& value) {
  auto document = std::make_unique<json::Document>();
  json::Value copy = deepCopy(value, document->GetAllocator());
  static_cast<json::Value&>(*document) = std::move(copy);
  return document;
}

class Compiler {
public:
  Result<std::unique_ptr<SchemaNode>> compile(const json::Value& schema, const std::string& path,
                                              bool in_value_validation) {
    if (!schema.IsObject()) {
      return schemaError(path, kInvalid, "Invalid value: must be a schema object");
    }
    auto node = std::make_unique<SchemaNode>();
    if (Result<void> keywords = scalars(schema, path, *node); !keywords) {
      return std::move(keywords).error();
    }
    if (Result<void> children = structure(schema, path, in_value_validation, *node); !children) {
      return std::move(children).error();
    }
    indexProperties(*node);  // Before the rules: fieldPath resolution looks properties up.
    if (const json::Value* rules = json::find(schema, "x-kubernetes-validations")) {
      if (in_value_validation) {
        return schemaError(join(path, "x-kubernetes-validations"), kForbidden,
                           "Forbidden: rules inside allOf, anyOf, oneOf and not are not "
                           "supported");
      }
      if (Result<void> compiled = compileRules(*rules, path, *node); !compiled) {
        return std::move(compiled).error();
      }
    }
    deriveFlags(*node);
    return node;
  }

private:
  static void indexProperties(SchemaNode& node) {
    for (std::uint32_t i = 0; i < node.properties.size(); ++i) {
      if (node.properties[i].node->default_value != nullptr) {
        node.defaulted.push_back(i);
      }
      if (node.properties.size() > SchemaNode::kIndexedProperties) {
        node.property_index.emplace(node.properties[i].name, i);
      }
    }
  }

  // Derived data for fast admission, computed once the node and its children are complete.
  static void deriveFlags(SchemaNode& node) {
    for (const std::string& type : node.types) {
      node.type_mask |= type == "boolean"   ? detail::kBooleanBit
                        : type == "string"  ? detail::kStringBit
                        : type == "integer" ? detail::kIntegerBit
                        : type == "number"  ? detail::kNumberBit
                        : type == "array"   ? detail::kArrayBit
                                            : detail::kObjectBit;
      node.type_list += node.type_list.empty() ? type : "," + type;
    }
    const auto below = [](const std::unique_ptr<SchemaNode>& child, bool SchemaNode::*flag) {
      return child != nullptr && (*child).*flag;
    };
    node.rules_below = !node.rules.empty() || below(node.items, &SchemaNode::rules_below) ||
                       below(node.additional_schema, &SchemaNode::rules_below);
    node.list_types_below = node.list_type != ListType::Atomic ||
                            below(node.items, &SchemaNode::list_types_below) ||
                            below(node.additional_schema, &SchemaNode::list_types_below);
    for (const Property& property : node.properties) {
      node.rules_below = node.rules_below || property.node->rules_below;
      node.list_types_below = node.list_types_below || property.node->list_types_below;
    }
  }

  static Result<bool> boolean(const json::Value& schema, std::string_view key,
                              const std::string& path) {
    const json::Value* value = json::find(schema, key);
    if (value == nullptr) {
      return false;
    }
    if (!value->IsBool()) {
      return schemaError(join(path, key), kInvalid, "Invalid value: must be a boolean");
    }
    return value->GetBool();
  }

  static Result<std::optional<double>> number(const json::Value& schema, std::string_view key,
                                              const std::string& path) {
    const json::Value* value = json::find(schema, key);
    if (value == nullptr) {
      return std::optional<double>();
    }
    if (!value->IsNumber()) {
      return schemaError(join(path, key), kInvalid, "Invalid value: must be a number");
    }
    return std::optional<double>(value->GetDouble());
  }

  static Result<std::optional<std::int64_t>> count(const json::Value& schema, std::string_view key,
                                                   const std::string& path) {
    const json::Value* value = json::find(schema, key);
    if (value == nullptr) {
      return std::optional<std::int64_t>();
    }
    if (!value->IsInt64() || value->GetInt64() < 0) {
      return schemaError(join(path, key), kInvalid,
                         "Invalid value: must be a non-negative integer");
    }
    return std::optional<std::int64_t>(value->GetInt64());
  }

  static Result<std::vector<std::string>> strings(const json::Value& schema, std::string_view key,
                                                  const std::string& path) {
    std::vector<std::string> out;
    const json::Value* value = json::find(schema, key);
    if (value == nullptr) {
      return out;
    }
    if (!value->IsArray()) {
      return schemaError(join(path, key), kInvalid, "Invalid value: must be a list of strings");
    }
    for (const json::Value& item : value->GetArray()) {
      if (!item.IsString()) {
        return schemaError(join(path, key), kInvalid, "Invalid value: must be a list of strings");
      }
      out.emplace_back(json::view(item));
    }
    return out;
  }

  Result<void> scalars(const json::Value& schema, const std::string& path, SchemaNode& node) {
    for (const std::string_view forbidden :
         {"$ref", "patternProperties", "dependencies", "definitions", "additionalItems"}) {
      if (json::find(schema, forbidden) != nullptr) {
        return schemaError(
            join(path, forbidden), kForbidden,
            "Forbidden: " + std::string(forbidden) + " is not allowed in a structural schema");
      }
    }
    if (const json::Value* type = json::find(schema, "type")) {
      static constexpr std::string_view kTypes[] = {"array",  "boolean", "integer",
                                                    "number", "object",  "string"};
      if (!type->IsString() ||
          std::find(std::begin(kTypes), std::end(kTypes), json::view(*type)) == std::end(kTypes)) {
        return schemaError(join(path, "type"), kNotSupported,
                           "Unsupported value: " + goBadValue(*type) +
                               ": supported values: \"array\", \"boolean\", \"integer\", "
                               "\"number\", \"object\", \"string\"");
      }
      node.type = std::string(json::view(*type));
    }
    Result<bool> int_or_string = boolean(schema, "x-kubernetes-int-or-string", path);
    Result<bool> nullable = boolean(schema, "nullable", path);
    Result<bool> preserve = boolean(schema, "x-kubernetes-preserve-unknown-fields", path);
    Result<bool> embedded = boolean(schema, "x-kubernetes-embedded-resource", path);
    Result<bool> exclusive_maximum = boolean(schema, "exclusiveMaximum", path);
    Result<bool> exclusive_minimum = boolean(schema, "exclusiveMinimum", path);
    Result<bool> unique_items = boolean(schema, "uniqueItems", path);
    for (const Result<bool>* flag : {&int_or_string, &nullable, &preserve, &embedded,
                                     &exclusive_maximum, &exclusive_minimum, &unique_items}) {
      if (!*flag) {
        return flag->error();
      }
    }
    node.nullable = *nullable;
    node.preserve_unknown_fields = *preserve;
    node.embedded_resource = *embedded;
    node.exclusive_maximum = *exclusive_maximum;
    node.exclusive_minimum = *exclusive_minimum;
    node.unique_items = *unique_items;
    if (*int_or_string) {
      node.types = {"integer", "string"};
    } else if (!node.type.empty()) {
      node.types = {node.type};
    }

    if (const json::Value* format = json::find(schema, "format")) {
      if (!format->IsString()) {
        return schemaError(join(path, "format"), kInvalid, "Invalid value: must be a string");
      }
      // As StripUnsupportedFormatsPostProcess: formats the apiserver does not know are dropped.
      const std::string text(json::view(*format));
      const std::string effective_type = *int_or_string ? "" : node.type;
      if (effective_type.empty() || effective_type == "string") {
        if (detail::isSupportedStringFormat(text)) {
          node.format = text;
          node.check_format = true;
          node.string_format = detail::stringFormat(text);
        }
      } else if ((effective_type == "integer" && (text == "int32" || text == "int64")) ||
                 (effective_type == "number" && (text == "float" || text == "double"))) {
        node.format = text;
      }
    }

    Result<std::optional<double>> maximum = number(schema, "maximum", path);
    Result<std::optional<double>> minimum = number(schema, "minimum", path);
    Result<std::optional<double>> multiple_of = number(schema, "multipleOf", path);
    for (const Result<std::optional<double>>* value : {&maximum, &minimum, &multiple_of}) {
      if (!*value) {
        return value->error();
      }
    }
    node.maximum = *maximum;
    node.minimum = *minimum;
    node.multiple_of = *multiple_of;
    if (node.multiple_of && !(*node.multiple_of > 0)) {
      return schemaError(
          join(path, "multipleOf"), kInvalid,
          "Invalid value: " + goFloat(*node.multiple_of) + ": must be greater than zero");
    }

    struct Count {
      std::string_view key;
      std::optional<std::int64_t>* out;
    };
    for (const Count& limit :
         {Count{"maxLength", &node.max_length}, Count{"minLength", &node.min_length},
          Count{"maxItems", &node.max_items}, Count{"minItems", &node.min_items},
          Count{"maxProperties", &node.max_properties},
          Count{"minProperties", &node.min_properties}}) {
      Result<std::optional<std::int64_t>> value = count(schema, limit.key, path);
      if (!value) {
        return std::move(value).error();
      }
      *limit.out = *value;
    }

    if (const json::Value* pattern = json::find(schema, "pattern")) {
      if (!pattern->IsString()) {
        return schemaError(join(path, "pattern"), kInvalid, "Invalid value: must be a string");
      }
      node.pattern = std::string(json::view(*pattern));
      Result<std::shared_ptr<const std::regex>> regex = cachedRegex(node.pattern);
      if (!regex) {
        return schemaError(
            join(path, "pattern"), kInvalid,
            "Invalid value: " + goQuote(node.pattern) + ": " + regex.error().message);
      }
      node.pattern_regex = *regex;
    }

    if (const json::Value* values = json::find(schema, "enum")) {
      if (!values->IsArray()) {
        return schemaError(join(path, "enum"), kInvalid, "Invalid value: must be a list");
      }
      if (!values->Empty()) {
        node.enum_values = copyDocument(*values);
      }
    }
    Result<std::vector<std::string>> required = strings(schema, "required", path);
    if (!required) {
      return std::move(required).error();
    }
    node.required = std::move(required).value();
    if (const json::Value* value = json::find(schema, "default")) {
      node.default_value = copyDocument(*value);
    }

    if (const json::Value* list_type = json::find(schema, "x-kubernetes-list-type")) {
      const std::string_view text = list_type->IsString() ? json::view(*list_type) : "";
      if (text == "set") {
        node.list_type = ListType::Set;
      } else if (text == "map") {
        node.list_type = ListType::Map;
      } else if (text != "atomic") {
        return schemaError(join(path, "x-kubernetes-list-type"), kNotSupported,
                           "Unsupported value: " + goBadValue(*list_type) +
                               ": supported values: \"atomic\", \"set\", \"map\"");
      }
    }
    Result<std::vector<std::string>> keys = strings(schema, "x-kubernetes-list-map-keys", path);
    if (!keys) {
      return std::move(keys).error();
    }
    node.list_map_keys = std::move(keys).value();
    if (node.list_type == ListType::Map && node.list_map_keys.empty()) {
      return schemaError(join(path, "x-kubernetes-list-map-keys"), kRequired,
                         "Required value: must not be empty if x-kubernetes-list-type is map");
    }
    return {};
  }

  Result<void> structure(const json::Value& schema, const std::string& path,
                         bool in_value_validation, SchemaNode& node) {
    if (const json::Value* properties = json::find(schema, "properties")) {
      if (!properties->IsObject()) {
        return schemaError(join(path, "properties"), kInvalid, "Invalid value: must be an object");
      }
      for (const auto& member : properties->GetObject()) {
        const std::string name(json::view(member.name));
        Result<std::unique_ptr<SchemaNode>> child =
            compile(member.value, join(path, "properties[" + name + "]"), in_value_validation);
        if (!child) {
          return std::move(child).error();
        }
        node.properties.push_back({name, std::move(child).value()});
      }
      std::sort(node.properties.begin(), node.properties.end(),
                [](const Property& a, const Property& b) { return a.name < b.name; });
    }
    if (const json::Value* additional = json::find(schema, "additionalProperties")) {
      if (additional->IsBool()) {
        node.additional =
            additional->GetBool() ? AdditionalProperties::Allowed : AdditionalProperties::Forbidden;
      } else {
        Result<std::unique_ptr<SchemaNode>> child =
            compile(*additional, join(path, "additionalProperties"), in_value_validation);
        if (!child) {
          return std::move(child).error();
        }
        node.additional = AdditionalProperties::Schema;
        node.additional_schema = std::move(child).value();
      }
    }
    if (const json::Value* items = json::find(schema, "items")) {
      if (items->IsArray()) {
        return schemaError(join(path, "items"), kForbidden,
                           "Forbidden: items must be a schema object and not an array");
      }
      Result<std::unique_ptr<SchemaNode>> child =
          compile(*items, join(path, "items"), in_value_validation);
      if (!child) {
        return std::move(child).error();
      }
      node.items = std::move(child).value();
    }
    struct Composition {
      std::string_view key;
      std::vector<std::unique_ptr<SchemaNode>>* out;
    };
    for (const Composition& composition :
         {Composition{"allOf", &node.all_of}, Composition{"anyOf", &node.any_of},
          Composition{"oneOf", &node.one_of}}) {
      const json::Value* list = json::find(schema, composition.key);
      if (list == nullptr) {
        continue;
      }
      if (!list->IsArray()) {
        return schemaError(join(path, composition.key), kInvalid,
                           "Invalid value: must be a list of schemas");
      }
      for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        Result<std::unique_ptr<SchemaNode>> child = compile(
            (*list)[i], join(path, std::string(composition.key) + "[" + std::to_string(i) + "]"),
            /*in_value_validation=*/true);
        if (!child) {
          return std::move(child).error();
        }
        composition.out->push_back(std::move(child).value());
      }
    }
    if (const json::Value* not_schema = json::find(schema, "not")) {
      Result<std::unique_ptr<SchemaNode>> child =
          compile(*not_schema, join(path, "not"), /*in_value_validation=*/true);
      if (!child) {
        return std::move(child).error();
      }
      node.not_schema = std::move(child).value();
    }
    return {};
  }

  Result<void> compileRules(const json::Value& rules, const std::string& path, SchemaNode& node) {
    const std::string list_path = join(path, "x-kubernetes-validations");
    if (!rules.IsArray()) {
      return schemaError(list_path, kInvalid, "Invalid value: must be a list of rules");
    }
    for (rapidjson::SizeType i = 0; i < rules.Size(); ++i) {
      const std::string rule_path = list_path + "[" + std::to_string(i) + "]";
      const json::Value& spec = rules[i];
      const std::string_view text = json::getString(spec, "rule");
      if (trimSpace(text).empty()) {
        return schemaError(rule_path + ".rule", kRequired, "Required value");
      }
      Result<Program> program = Program::compile(text);
      if (!program) {
        return schemaError(
            rule_path + ".rule", kInvalid,
            "Invalid value: " + goQuote(text) + ": compilation failed: " + program.error().message);
      }
      Rule rule{std::move(program).value(), std::nullopt,
                std::string(text),          trimSpace(json::getString(spec, "message")),
                std::string(kInvalid),      ""};
      if (const json::Value* expression = json::find(spec, "messageExpression")) {
        const std::string_view source = expression->IsString() ? json::view(*expression) : "";
        Result<Program> compiled = Program::compile(source);
        if (!compiled) {
          return schemaError(
              rule_path + ".messageExpression", kInvalid,
              "Invalid value: " + goQuote(source) +
                  ": messageExpression compilation failed: " + compiled.error().message);
        }
        rule.message_expression = std::move(compiled).value();
      }
      if (const json::Value* reason = json::find(spec, "reason")) {
        const std::string_view value = reason->IsString() ? json::view(*reason) : "";
        if (value != kInvalid && value != kForbidden && value != kRequired && value != kDuplicate) {
          return schemaError(rule_path + ".reason", kNotSupported,
                             "Unsupported value: " + goBadValue(*reason) +
                                 ": supported values: \"FieldValueDuplicate\", "
                                 "\"FieldValueForbidden\", \"FieldValueInvalid\", "
                                 "\"FieldValueRequired\"");
        }
        rule.reason = std::string(value);
      }
      if (const json::Value* field_path = json::find(spec, "fieldPath")) {
        const std::string_view value = field_path->IsString() ? json::view(*field_path) : "";
        Result<std::string> normalized = resolveFieldPath(node, value);
        if (!normalized) {
          return schemaError(rule_path + ".fieldPath", kInvalid,
                             "Invalid value: " + goQuote(value) +
                                 ": fieldPath must be a valid "
                                 "path: " +
                                 normalized.error().message);
        }
        rule.field_path = std::move(normalized).value();
      }
      Result<bool> optional_old_self = boolean(spec, "optionalOldSelf", rule_path);
      if (!optional_old_self) {
        return std::move(optional_old_self).error();
      }
      if (*optional_old_self) {
        return schemaError(rule_path + ".optionalOldSelf", kForbidden,
                           "Forbidden: optionalOldSelf is not supported");
      }
      node.rules.push_back(std::move(rule));
    }
    return {};
  }

  // apiextensions' ValidFieldPath: '.name' and "['name']" steps through properties (or the
  // additionalProperties schema), rendered as a field.Path ("a.b", "labels[x]").
  static Result<std::string> resolveFieldPath(const SchemaNode& root, std::string_view path) {
    const SchemaNode* node = &root;
    std::string out;
    std::size_t i = 0;
    while (i < path.size()) {
      std::string name;
      if (path[i] == '.') {
        const std::size_t end = path.find_first_of(".[]", i + 1);
        name = std::string(path.substr(i + 1, end == std::string_view::npos ? end : end - i - 1));
        if (name.empty()) {
          return Error::invalidArgument("unexpected end of JSON path");
        }
        i = end == std::string_view::npos ? path.size() : end;
      } else if (path[i] == '[') {
        if (i + 1 >= path.size() || path[i + 1] != '\'') {
          return Error::invalidArgument("expected single quoted string");
        }
        std::size_t j = i + 2;
        while (j < path.size() && path[j] != '\'') {
          if (path[j] == '\\' && j + 1 < path.size()) {
            ++j;
          }
          name += path[j++];
        }
        if (j + 1 >= path.size() || path[j + 1] != ']') {
          return Error::invalidArgument("expected ]");
        }
        i = j + 2;
      } else {
        return Error::invalidArgument("expected [ or . but got: " + std::string(path.substr(i)));
      }
      if (!node->properties.empty()) {
        node = node->property(name);
        if (node == nullptr) {
          return Error::invalidArgument("does not refer to a valid field");
        }
        out += out.empty() ? name : "." + name;
      } else if (node->additional_schema != nullptr) {
        node = node->additional_schema.get();
        out += "[" + name + "]";
      } else {
        return Error::invalidArgument("does not refer to a valid field");
      }
    }
    return out;
  }

  Result<std::shared_ptr<const std::regex>> cachedRegex(const std::string& pattern) {
    const auto found = regex_cache_.find(pattern);
    if (found != regex_cache_.end()) {
      return found->second;
    }
    Result<std::shared_ptr<const std::regex>> regex = detail::compileRegex(pattern);
    if (regex) {
      regex_cache_.emplace(pattern, *regex);
    }
    return regex;
  }

  // Large CRDs repeat patterns (CNPG has the quantity pattern 36 times): build each once.
  std::map<std::string, std::shared_ptr<const std::regex>, std::less<>> regex_cache_;
};

// --- Paths --------------------------------------------------------------------------------------

// Where a value sits in the object, kept on the stack and rendered only when an error needs it.
struct Path {
  enum class Kind : std::uint8_t { Root, Property, Key, Index };
  const Path* parent = nullptr;
  Kind kind = Kind::Root;
  std::string_view name;
  std::size_t index = 0;

  Path property(std::string_view child) const { return {this, Kind::Property, child, 0}; }
  Path key(std::string_view child) const { return {this, Kind::Key, child, 0}; }
  Path item(std::size_t child) const { return {this, Kind::Index, {}, child}; }
};

std::vector<const Path*> chain(const Path& path) {
  std::vector<const Path*> out;
  for (const Path* p = &path; p->kind != Path::Kind::Root; p = p->parent) {
    out.push_back(p);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// kube-openapi's name for a value: "spec.replicas", "spec.items[0]"; map keys are joined with a
// dot too, so a key at the root renders as ".key".
std::string openApiName(const Path& path) {
  std::string out;
  for (const Path* p : chain(path)) {
    switch (p->kind) {
      case Path::Kind::Property:
        if (!out.empty()) {
          out += '.';
        }
        out += p->name;
        break;
      case Path::Kind::Key:
        out += '.';
        out += p->name;
        break;
      default:
        out += '[' + std::to_string(p->index) + ']';
    }
  }
  return out;
}

// The field of a kube-openapi error: its name without a leading dot; "<nil>" for the root.
std::string openApiField(std::string_view name) {
  if (name.starts_with('.')) {
    name.remove_prefix(1);
  }
  return name.empty() ? "<nil>" : std::string(name);
}

// field.Path's String(): "spec.labels[app]", "spec.items[0]", "<nil>" for the root.
std::string fieldPath(const Path& path) {
  std::string out;
  for (const Path* p : chain(path)) {
    switch (p->kind) {
      case Path::Kind::Property:
        if (!out.empty()) {
          out += '.';
        }
        out += p->name;
        break;
      case Path::Kind::Key:
        out += '[' + std::string(p->name) + ']';
        break;
      default:
        out += '[' + std::to_string(p->index) + ']';
    }
  }
  return out.empty() ? "<nil>" : out;
}

bool isMetaField(std::string_view name) {
  return name == "apiVersion" || name == "kind" || name == "metadata";
}

// --- Pruning and defaulting ---------------------------------------------------------------------

// structuralpruning.PruneWithOptions, recording the pruned paths.
class Pruner {
public:
  explicit Pruner(std::vector<std::string>& unknown) : unknown_(unknown) {}

  void prune(json::Value& x, const SchemaNode* s, bool root) {
    if (s != nullptr && s->preserve_unknown_fields) {
      skipPrune(x, s, root);
      return;
    }
    if (x.IsObject()) {
      if (s == nullptr) {
        for (const auto& member : x.GetObject()) {
          record(json::view(member.name));
        }
        x.RemoveAllMembers();
        return;
      }
      const bool embedded = root || s->embedded_resource;
      for (auto it = x.MemberBegin(); it != x.MemberEnd();) {
        const std::string_view name = json::view(it->name);
        if (embedded && isMetaField(name)) {
          ++it;
          continue;
        }
        if (const SchemaNode* property = s->property(name)) {
          descend(name, it->value, property);
        } else if (s->additional != AdditionalProperties::Absent) {
          descend(name, it->value, s->additional_schema.get());
        } else {
          record(name);
          it = x.EraseMember(it);
          continue;
        }
        ++it;
      }
    } else if (x.IsArray()) {
      const SchemaNode* items = s != nullptr ? s->items.get() : nullptr;
      for (rapidjson::SizeType i = 0; i < x.Size(); ++i) {
        const std::size_t mark = path_.size();
        path_ += '[' + std::to_string(i) + ']';
        prune(x[i], items, false);
        path_.resize(mark);
      }
    }
  }

private:
  // Under x-kubernetes-preserve-unknown-fields: unknown fields stay, known ones are still pruned.
  void skipPrune(json::Value& x, const SchemaNode* s, bool root) {
    if (s == nullptr) {
      return;
    }
    if (x.IsObject()) {
      const bool embedded = root || s->embedded_resource;
      for (auto& member : x.GetObject()) {
        const std::string_view name = json::view(member.name);
        if (embedded && isMetaField(name)) {
          continue;
        }
        if (const SchemaNode* property = s->property(name)) {
          descend(name, member.value, property);
        } else if (s->additional != AdditionalProperties::Absent) {
          descend(name, member.value, s->additional_schema.get());
        }
      }
    } else if (x.IsArray()) {
      for (rapidjson::SizeType i = 0; i < x.Size(); ++i) {
        const std::size_t mark = path_.size();
        path_ += '[' + std::to_string(i) + ']';
        skipPrune(x[i], s->items.get(), false);
        path_.resize(mark);
      }
    }
  }

  void descend(std::string_view name, json::Value& value, const SchemaNode* s) {
    const std::size_t mark = path_.size();
    if (!path_.empty()) {
      path_ += '.';
    }
    path_ += name;
    prune(value, s, false);
    path_.resize(mark);
  }

  void record(std::string_view name) {
    unknown_.push_back(path_.empty() ? std::string(name) : path_ + "." + std::string(name));
  }

  std::vector<std::string>& unknown_;
  std::string path_;
};

bool isNonNullableNull(const json::Value& x, const SchemaNode* s) {
  return x.IsNull() && s != nullptr && !s->nullable;
}

// structuraldefaulting.PruneNonNullableNullsWithoutDefaults.
void pruneNulls(json::Value& x, const SchemaNode* s) {
  if (x.IsObject()) {
    for (auto it = x.MemberBegin(); it != x.MemberEnd();) {
      const SchemaNode* schema = s != nullptr ? s->member(json::view(it->name)) : nullptr;
      if (isNonNullableNull(it->value, schema) && schema->default_value == nullptr) {
        it = x.EraseMember(it);
        continue;
      }
      pruneNulls(it->value, schema);
      ++it;
    }
  } else if (x.IsArray()) {
    const SchemaNode* items = s != nullptr ? s->items.get() : nullptr;
    for (json::Value& item : x.GetArray()) {
      pruneNulls(item, items);
    }
  }
}

json::Value copyDefault(const SchemaNode& s, json::Allocator& allocator) {
  return deepCopy(*s.default_value, allocator);
}

// structuraldefaulting.Default.
void applyDefaults(json::Value& x, const SchemaNode* s, json::Allocator& allocator) {
  if (s == nullptr) {
    return;
  }
  if (x.IsObject()) {
    for (const std::uint32_t index : s->defaulted) {
      const Property& property = s->properties[index];
      json::Value* current = json::find(x, property.name);
      if (current == nullptr) {
        x.AddMember(json::stringValue(property.name, allocator),
                    copyDefault(*property.node, allocator), allocator);
      } else if (isNonNullableNull(*current, property.node.get())) {
        *current = copyDefault(*property.node, allocator);
      }
    }
    for (auto& member : x.GetObject()) {
      if (const SchemaNode* property = s->property(json::view(member.name))) {
        applyDefaults(member.value, property, allocator);
      } else if (const SchemaNode* additional = s->additional_schema.get()) {
        if (isNonNullableNull(member.value, additional) && additional->default_value != nullptr) {
          member.value = copyDefault(*additional, allocator);
        }
        applyDefaults(member.value, additional, allocator);
      }
    }
  } else if (x.IsArray()) {
    const SchemaNode* items = s->items.get();
    for (json::Value& item : x.GetArray()) {
      if (isNonNullableNull(item, items) && items->default_value != nullptr) {
        item = copyDefault(*items, allocator);
      }
      applyDefaults(item, items, allocator);
    }
  }
}

// --- OpenAPI validation (kube-openapi) -----------------------------------------------------------

// reflect.DeepEqual on decoded JSON: int64 and float64 differ, object member order does not.
bool deepEqual(const json::Value& a, const json::Value& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsInt64() != b.IsInt64()) {
      return false;
    }
    return a.IsInt64() ? a.GetInt64() == b.GetInt64() : a.GetDouble() == b.GetDouble();
  }
  if (a.GetType() != b.GetType()) {
    return false;
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) {
      return false;
    }
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!deepEqual(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) {
      return false;
    }
    for (const auto& member : a.GetObject()) {
      const json::Value* other = json::find(b, json::view(member.name));
      if (other == nullptr || !deepEqual(member.value, *other)) {
        return false;
      }
    }
    return true;
  }
  return json::equal(a, b);
}

// swag.IsFloat64AJSONInteger.
bool isJsonInteger(double f) {
  if (std::isnan(f) || std::isinf(f) || f < -9007199254740992.0 || f > 9007199254740992.0) {
    return false;
  }
  const double g = std::trunc(f);
  if (f == g) {
    return true;
  }
  const double diff = std::abs(f - g);
  if (g == 0 || diff < DBL_TRUE_MIN) {
    return diff < 1e-9 * DBL_TRUE_MIN;
  }
  return diff / std::min(std::abs(f) + std::abs(g), DBL_MAX) < 1e-9;
}

std::int64_t toInt64(double value) {
  if (!(value > -9223372036854775808.0)) {
    return std::numeric_limits<std::int64_t>::min();
  }
  if (!(value < 9223372036854775808.0)) {
    return std::numeric_limits<std::int64_t>::max();
  }
  return static_cast<std::int64_t>(value);
}

// The JSON type name and Go number format kube-openapi infers from a decoded value.
struct DataType {
  std::string_view type;
  std::uint8_t bit;
  std::string_view format;
};

DataType dataType(const json::Value& data) {
  switch (data.GetType()) {
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return {"boolean", detail::kBooleanBit, ""};
    case rapidjson::kStringType:
      return {"string", detail::kStringBit, ""};
    case rapidjson::kNumberType:
      return data.IsInt64() ? DataType{"integer", detail::kIntegerBit, "int64"}
                            : DataType{"number", detail::kNumberBit, "float64"};
    case rapidjson::kArrayType:
      return {"array", detail::kArrayBit, ""};
    case rapidjson::kObjectType:
      return {"object", detail::kObjectBit, ""};
    default:
      return {"null", 0, ""};
  }
}

std::string numberText(const json::Value& data) {
  return data.IsInt64() ? std::to_string(data.GetInt64()) : goFloat(data.GetDouble());
}

class OpenApiValidator {
public:
  explicit OpenApiValidator(std::vector<ErrorCause>& errors) : errors_(errors) {}

  void validate(const SchemaNode& s, const json::Value& data, const Path& path) {
    if (data.IsNull()) {
      checkType(s, data, path);
      checkEnum(s, data, path);
      return;
    }
    checkType(s, data, path);
    checkCompositions(s, data, path);
    if (data.IsString()) {
      checkString(s, data, path);
      if (s.check_format && !detail::isValidFormat(s.string_format, json::view(data))) {
        typeError(path, s.format, json::view(data));
      }
    } else if (data.IsNumber()) {
      checkNumber(s, data, path);
    } else if (data.IsArray()) {
      checkArray(s, data, path);
    }
    checkEnum(s, data, path);
    if (data.IsObject()) {
      checkObject(s, data, path);
    }
  }

private:
  void add(std::string field, std::string_view reason, std::string body) {
    errors_.push_back({std::move(field), std::string(reason), std::move(body)});
  }

  // An error kube-openapi raises at `path`, converted as apiextensions converts it.
  void invalid(const Path& path, const std::string& bad_value, const std::string& message) {
    add(openApiField(openApiName(path)), kInvalid, "Invalid value: " + bad_value + ": " + message);
  }

  void typeError(const Path& path, std::string_view type, std::string_view value) {
    const std::string name = openApiName(path);
    add(openApiField(name), kTypeInvalid,
        "Invalid value: " + goQuote(value) + ": " + name + " in body must be of type " +
            std::string(type) + ": " + goQuote(value));
  }

  static bool hasType(const SchemaNode& s, std::uint8_t type) { return (s.type_mask & type) != 0; }

  // kube-openapi's typeValidator, quirks included (a non-string value under a string format is
  // reported against the format name).
  void checkType(const SchemaNode& s, const json::Value& data, const Path& path) {
    if (s.types.empty() && s.format.empty()) {
      return;
    }
    if (data.IsNull()) {
      if (!s.types.empty() && !s.nullable) {
        typeError(path, s.type_list, "null");
      }
      return;
    }
    const DataType inferred = dataType(data);
    const bool is_float_int = inferred.bit == detail::kNumberBit &&
                              isJsonInteger(data.GetDouble()) && hasType(s, detail::kIntegerBit);
    const bool is_int_float = inferred.bit == detail::kIntegerBit && hasType(s, detail::kNumberBit);
    const bool string_or_array = data.IsString() || data.IsArray();
    if (!string_or_array && !s.format.empty() &&
        !(hasType(s, inferred.bit) || inferred.format == s.format || is_float_int ||
          is_int_float)) {
      typeError(path, s.format, inferred.format);
      return;
    }
    if (!hasType(s, detail::kNumberBit | detail::kIntegerBit) && !s.format.empty() &&
        string_or_array) {
      return;
    }
    if (!(hasType(s, inferred.bit) || is_float_int || is_int_float)) {
      typeError(path, s.type_list, inferred.type);
    }
  }

  bool valid(const SchemaNode& s, const json::Value& data, const Path& path,
             std::vector<ErrorCause>& errors) {
    OpenApiValidator(errors).validate(s, data, path);
    return errors.empty();
  }

  // allOf, anyOf, oneOf and not, as kube-openapi's schemaPropsValidator; the errors it adds
  // itself are not field errors, so they land on the root ("<nil>").
  void checkCompositions(const SchemaNode& s, const json::Value& data, const Path& path) {
    if (s.any_of.empty() && s.one_of.empty() && s.all_of.empty() && s.not_schema == nullptr) {
      return;
    }
    const auto quoted = [&] {
      return goQuote(openApiName(path));
    };
    if (!s.any_of.empty()) {
      std::optional<std::vector<ErrorCause>> best;
      bool succeeded = false;
      for (const auto& sub : s.any_of) {
        std::vector<ErrorCause> errors;
        if (valid(*sub, data, path, errors)) {
          succeeded = true;
          break;
        }
        if (!best) {
          best = std::move(errors);
        }
      }
      if (!succeeded) {
        add("<nil>", kInvalid,
            "Invalid value: \"\": " + quoted() + " must validate at least one schema (anyOf)");
        errors_.insert(errors_.end(), best->begin(), best->end());
      }
    }
    if (!s.one_of.empty()) {
      std::optional<std::vector<ErrorCause>> best;
      int validated = 0;
      for (const auto& sub : s.one_of) {
        std::vector<ErrorCause> errors;
        if (valid(*sub, data, path, errors)) {
          ++validated;
        } else if (!best) {
          best = std::move(errors);
        }
      }
      if (validated != 1) {
        add("<nil>", kInvalid,
            "Invalid value: \"\": " + quoted() +
                " must validate one and only one schema (oneOf). " +
                (validated == 0 ? std::string("Found none valid")
                                : "Found " + std::to_string(validated) + " valid alternatives"));
        if (validated == 0 && best) {
          errors_.insert(errors_.end(), best->begin(), best->end());
        }
      }
    }
    if (!s.all_of.empty()) {
      std::size_t validated = 0;
      for (const auto& sub : s.all_of) {
        std::vector<ErrorCause> errors;
        if (valid(*sub, data, path, errors)) {
          ++validated;
        }
        errors_.insert(errors_.end(), errors.begin(), errors.end());
      }
      if (validated != s.all_of.size()) {
        add("<nil>", kInvalid,
            "Invalid value: \"\": " + quoted() + " must validate all the schemas (allOf)" +
                (validated == 0 ? ". None validated" : ""));
      }
    }
    if (s.not_schema != nullptr) {
      std::vector<ErrorCause> errors;
      if (valid(*s.not_schema, data, path, errors)) {
        add("<nil>", kInvalid,
            "Invalid value: \"\": " + quoted() + " must not validate the schema (not)");
      }
    }
  }

  // maxLength, then minLength, then pattern: kube-openapi stops at the first failure.
  void checkString(const SchemaNode& s, const json::Value& data, const Path& path) {
    const std::string_view text = json::view(data);
    if (!s.max_length && !s.min_length && s.pattern_regex == nullptr) {
      return;
    }
    const auto length = static_cast<std::int64_t>(detail::runeCount(text));
    if (s.max_length && length > *s.max_length) {
      add(openApiField(openApiName(path)), kTooLong,
          "Too long: may not be more than " + std::to_string(*s.max_length) +
              (*s.max_length == 1 ? " byte" : " bytes"));
      return;
    }
    if (s.min_length && length < *s.min_length) {
      invalid(path, goQuote(text),
              openApiName(path) + " in body should be at least " + std::to_string(*s.min_length) +
                  " chars long");
      return;
    }
    if (s.pattern_regex != nullptr) {
      const Result<bool> matched = detail::regexSearch(*s.pattern_regex, text);
      if (!matched || !*matched) {
        invalid(path, goQuote(text),
                openApiName(path) + " in body should match '" + s.pattern + "'");
      }
    }
  }

  void checkNumber(const SchemaNode& s, const json::Value& data, const Path& path) {
    const bool is_int = data.IsInt64();
    const std::string value = numberText(data);
    if (s.multiple_of) {
      const double factor = *s.multiple_of;
      const std::int64_t int_factor = toInt64(factor);
      if (is_int && int_factor > 0) {
        if (data.GetInt64() % int_factor != 0) {
          invalid(
              path, value,
              openApiName(path) + " in body should be a multiple of " + std::to_string(int_factor));
        }
      } else {
        const double d = data.GetDouble();
        const double multiple = factor < 1 ? 1 / factor * d : d / factor;
        if (!isJsonInteger(multiple)) {
          invalid(path, value,
                  openApiName(path) + " in body should be a multiple of " + goFloat(factor));
        }
      }
    }
    // Integers compare against the bound truncated to an integer, as kube-openapi does.
    const auto bound = [&](double limit) {
      return is_int ? std::to_string(toInt64(limit)) : goFloat(limit);
    };
    const auto compare = [&](double limit) {
      if (is_int) {
        const std::int64_t a = data.GetInt64();
        const std::int64_t b = toInt64(limit);
        return a < b ? -1 : (a > b ? 1 : 0);
      }
      const double a = data.GetDouble();
      return a < limit ? -1 : (a > limit ? 1 : 0);
    };
    if (s.minimum) {
      const int order = compare(*s.minimum);
      if (order < 0 || (s.exclusive_minimum && order == 0)) {
        invalid(path, value,
                openApiName(path) + " in body should be greater than " +
                    (s.exclusive_minimum ? "" : "or equal to ") + bound(*s.minimum));
      }
    }
    if (s.maximum) {
      const int order = compare(*s.maximum);
      if (order > 0 || (s.exclusive_maximum && order == 0)) {
        invalid(path, value,
                openApiName(path) + " in body should be less than " +
                    (s.exclusive_maximum ? "" : "or equal to ") + bound(*s.maximum));
      }
    }
  }

  void checkArray(const SchemaNode& s, const json::Value& data, const Path& path) {
    if (s.items != nullptr) {
      for (rapidjson::SizeType i = 0; i < data.Size(); ++i) {
        validate(*s.items, data[i], path.item(i));
      }
    }
    const auto size = static_cast<std::int64_t>(data.Size());
    if (s.min_items && size < *s.min_items) {
      invalid(path, std::to_string(size),
              openApiName(path) + " in body should have at least " + std::to_string(*s.min_items) +
                  " items");
    }
    if (s.max_items && size > *s.max_items) {
      add(openApiField(openApiName(path)), kTooMany,
          "Too many: " + std::to_string(size) + ": must have at most " +
              std::to_string(*s.max_items) + (*s.max_items == 1 ? " item" : " items"));
    }
    if (s.unique_items) {
      for (rapidjson::SizeType i = 1; i < data.Size(); ++i) {
        for (rapidjson::SizeType j = 0; j < i; ++j) {
          if (deepEqual(data[i], data[j])) {
            invalid(path, "\"\"", openApiName(path) + " in body shouldn't contain duplicates");
            return;
          }
        }
      }
    }
  }

  void checkEnum(const SchemaNode& s, const json::Value& data, const Path& path) {
    if (s.enum_values == nullptr) {
      return;
    }
    for (const json::Value& allowed : s.enum_values->GetArray()) {
      // A null value never matches: kube-openapi skips enum members without a Go type.
      if (!data.IsNull() && !allowed.IsNull() && json::equal(data, allowed)) {
        return;
      }
    }
    std::string supported;
    for (const json::Value& allowed : s.enum_values->GetArray()) {
      if (!supported.empty()) {
        supported += ", ";
      }
      supported += goQuote(allowed.IsString() ? json::view(allowed) : json::serialize(allowed));
    }
    add(openApiField(openApiName(path)), kNotSupported,
        "Unsupported value: " + goBadValue(data) + ": supported values: " + supported);
  }

  void checkObject(const SchemaNode& s, const json::Value& data, const Path& path) {
    const auto count = static_cast<std::int64_t>(data.MemberCount());
    if (s.min_properties && count < *s.min_properties) {
      invalid(path, std::to_string(count),
              openApiName(path) + " in body should have at least " +
                  std::to_string(*s.min_properties) + " properties");
      return;
    }
    if (s.max_properties && count > *s.max_properties) {
      add(openApiField(openApiName(path)), kTooMany,
          "Too many: " + std::to_string(count) + ": must have at most " +
              std::to_string(*s.max_properties) + (*s.max_properties == 1 ? " item" : " items"));
      return;
    }
    // Members are checked in the object's order (kube-openapi's order is Go's random map order).
    for (const auto& member : data.GetObject()) {
      const std::string_view name = json::view(member.name);
      if (const SchemaNode* property = s.property(name)) {
        validate(*property, member.value, path.property(name));
      } else if (s.additional == AdditionalProperties::Forbidden) {
        const std::string object_name = openApiName(path);
        add(openApiField(object_name), kInvalid,
            "Invalid value: " + goQuote(name) + ": " + object_name + "." + std::string(name) +
                " in body is a forbidden property");
      } else if (s.additional_schema != nullptr) {
        validate(*s.additional_schema, member.value, path.key(name));
      }
    }
    for (const std::string& name : s.required) {
      if (json::find(data, name) == nullptr) {
        add(openApiField(openApiName(path.key(name))), kRequired, "Required value");
      }
    }
  }

  std::vector<ErrorCause>& errors_;
};

// --- x-kubernetes-list-type (structurallisttype.ValidateListSetsAndMaps) ----------------------

// Go map-key equality for scalars (int64 and float64 differ) and json.Marshal equality for
// objects and arrays (numbers by value, member order irrelevant).
bool sameSetElement(const json::Value& a, const json::Value& b) {
  const bool a_compound = a.IsObject() || a.IsArray();
  if (a_compound != (b.IsObject() || b.IsArray())) {
    return false;
  }
  return a_compound ? json::equal(a, b) : deepEqual(a, b);
}

class ListTypeValidator {
public:
  explicit ListTypeValidator(std::vector<ErrorCause>& errors) : errors_(errors) {}

  void validate(const SchemaNode* s, const json::Value& value, const Path& path) {
    if (s == nullptr || !s->list_types_below) {
      return;
    }
    if (value.IsObject()) {
      for (const auto& member : value.GetObject()) {
        const std::string_view name = json::view(member.name);
        if (const SchemaNode* property = s->property(name)) {
          validate(property, member.value, path.property(name));
        } else if (s->additional_schema != nullptr) {
          validate(s->additional_schema.get(), member.value, path.key(name));
        }
      }
    } else if (value.IsArray()) {
      if (s->list_type == ListType::Set) {
        for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
          if (isSecondOccurrence(value, i)) {
            duplicate(path.item(i), goBadValue(value[i]));
          }
        }
      } else if (s->list_type == ListType::Map) {
        validateMapList(*s, value, path);
      }
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        validate(s->items.get(), value[i], path.item(i));
      }
    }
  }

private:
  // True for the second appearance of a value: each repeated value is reported once.
  static bool isSecondOccurrence(const json::Value& list, rapidjson::SizeType i) {
    int earlier = 0;
    for (rapidjson::SizeType j = 0; j < i; ++j) {
      earlier += sameSetElement(list[j], list[i]) ? 1 : 0;
    }
    return earlier == 1;
  }

  void duplicate(const Path& path, const std::string& bad_value) {
    errors_.push_back({fieldPath(path), std::string(kDuplicate), "Duplicate value: " + bad_value});
  }

  void validateMapList(const SchemaNode& s, const json::Value& list, const Path& path) {
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      if (!list[i].IsNull() && !list[i].IsObject()) {
        errors_.push_back({fieldPath(path.item(i)), std::string(kInvalid),
                           "Invalid value: " + goBadValue(list[i]) +
                               ": must be an object for an array of list-type map"});
        return;
      }
    }
    // Each item's key: an object holding the key fields it sets (a null item sets none).
    json::Document keys(rapidjson::kArrayType);
    for (const json::Value& item : list.GetArray()) {
      json::Value key(rapidjson::kObjectType);
      for (const std::string& field : s.list_map_keys) {
        const json::Value* found = item.IsObject() ? json::find(item, field) : nullptr;
        if (found != nullptr) {
          key.AddMember(json::stringValue(field, keys.GetAllocator()),
                        json::Value(*found, keys.GetAllocator()), keys.GetAllocator());
        }
      }
      keys.PushBack(key, keys.GetAllocator());
    }
    const bool single = s.list_map_keys.size() == 1;
    for (rapidjson::SizeType i = 0; i < keys.Size(); ++i) {
      int earlier = 0;
      for (rapidjson::SizeType j = 0; j < i; ++j) {
        bool same = false;
        if (single) {
          // A lone key compares as a scalar (or compound) value; an unset key equals unset.
          const json::Value* a = json::find(keys[i], s.list_map_keys[0]);
          const json::Value* b = json::find(keys[j], s.list_map_keys[0]);
          same = (a == nullptr || b == nullptr) ? a == b : sameSetElement(*a, *b);
        } else {
          same = json::equal(keys[i], keys[j]);
        }
        earlier += same ? 1 : 0;
      }
      if (earlier == 1) {
        duplicate(path.item(i), goBadValue(keys[i]));
      }
    }
  }

  std::vector<ErrorCause>& errors_;
};

// --- x-kubernetes-validations (apiextensions' CEL validator) ----------------------------------

std::string ruleErrorString(const Rule& rule) {
  return rule.message.empty() ? trimSpace(rule.rule) : rule.message;
}

// The values that correlate with `item` in the old list of an x-kubernetes-list-type=map list:
// the old item with the same keys (an absent key taking its schema default).
const json::Value* correlatedItem(const SchemaNode& list, const json::Value& item,
                                  const json::Value* old_list) {
  if (list.list_type != ListType::Map || old_list == nullptr || !old_list->IsArray() ||
      !item.IsObject()) {
    return nullptr;
  }
  const auto key = [&](const json::Value& entry, const std::string& field) -> const json::Value* {
    if (const json::Value* found = json::find(entry, field)) {
      return found;
    }
    const SchemaNode* schema = list.items != nullptr ? list.items->property(field) : nullptr;
    return schema != nullptr && schema->default_value != nullptr ? schema->default_value.get()
                                                                 : nullptr;
  };
  for (const json::Value& old_item : old_list->GetArray()) {
    if (!old_item.IsObject()) {
      continue;
    }
    bool same = true;
    for (const std::string& field : list.list_map_keys) {
      const json::Value* a = key(item, field);
      const json::Value* b = key(old_item, field);
      if ((a == nullptr) != (b == nullptr) || (a != nullptr && !json::equal(*a, *b))) {
        same = false;
        break;
      }
    }
    if (same) {
      return &old_item;
    }
  }
  return nullptr;
}

class RuleValidator {
public:
  explicit RuleValidator(std::vector<ErrorCause>& errors) : errors_(errors) {}

  void validate(const SchemaNode& s, const json::Value& value, const json::Value* old,
                const Path& path) {
    if (!s.rules_below || value.IsNull()) {
      return;  // Rules see only non-null values; nullable checks belong to the parent.
    }
    if (old != nullptr && old->IsNull()) {
      old = nullptr;
    }
    for (const Rule& rule : s.rules) {
      evaluate(s, rule, value, old, path);
    }
    if (value.IsArray() && s.items != nullptr && s.items->rules_below) {
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        validate(*s.items, value[i], correlatedItem(s, value[i], old), path.item(i));
      }
    } else if (value.IsObject()) {
      for (const auto& member : value.GetObject()) {
        const std::string_view name = json::view(member.name);
        const SchemaNode* property = s.property(name);
        const bool is_key = property == nullptr;
        const SchemaNode* child = is_key ? s.additional_schema.get() : property;
        if (child == nullptr || !child->rules_below) {
          continue;
        }
        const json::Value* old_value = old != nullptr ? json::find(*old, name) : nullptr;
        validate(*child, member.value, old_value, is_key ? path.key(name) : path.property(name));
      }
    }
  }

private:
  void evaluate(const SchemaNode& s, const Rule& rule, const json::Value& value,
                const json::Value* old, const Path& path) {
    if (rule.program.usesOldSelf() && old == nullptr) {
      return;  // A transition rule needs an existing value to compare with.
    }
    const Result<bool> passed = rule.program.evaluate(value, old);
    if (passed && *passed) {
      return;
    }
    const std::string type = goQuote(s.type);
    if (!passed) {
      const std::string& message = passed.error().message;
      std::string body = "Invalid value: " + type + ": ";
      if (message.starts_with("no such overload")) {
        body += "'" + message +
                "': call arguments did not match a supported operator, function or macro "
                "signature for rule: " +
                ruleErrorString(rule);
      } else {
        body += message + " evaluating rule: " + ruleErrorString(rule);
      }
      errors_.push_back({fieldPath(path), std::string(kInvalid), std::move(body)});
      return;
    }
    std::string field = fieldPath(path);
    if (!rule.field_path.empty()) {
      field = field == "<nil>" ? rule.field_path : field + "." + rule.field_path;
    }
    std::string detail =
        rule.message.empty() ? "failed rule: " + trimSpace(rule.rule) : rule.message;
    if (rule.message_expression) {
      // A messageExpression that fails, or yields an empty or multi-line or oversized string,
      // falls back to the static message, as in the apiserver.
      Result<std::string> evaluated = rule.message_expression->evaluateString(value, old);
      if (evaluated) {
        const std::string trimmed = trimSpace(*evaluated);
        if (!trimmed.empty() && trimmed.size() <= 5120 && trimmed.find('\n') == std::string::npos) {
          detail = trimmed;
        }
      }
    }
    if (rule.reason == kForbidden) {
      errors_.push_back({std::move(field), rule.reason, "Forbidden: " + detail});
    } else if (rule.reason == kRequired) {
      errors_.push_back({std::move(field), rule.reason, "Required value: " + detail});
    } else if (rule.reason == kDuplicate) {
      errors_.push_back({std::move(field), rule.reason, "Duplicate value: " + type});
    } else {
      errors_.push_back(
          {std::move(field), std::string(kInvalid), "Invalid value: " + type + ": " + detail});
    }
  }

  std::vector<ErrorCause>& errors_;
};

// Errors after which the apiserver does not run CEL rules (hasBlockingErr).
bool isBlocking(const ErrorCause& error) {
  return error.reason == kNotSupported || error.reason == kRequired || error.reason == kTooLong ||
         error.reason == kTooMany || error.reason == kTypeInvalid;
}

}  // namespace

Result<Schema> Schema::compile(const json::Value& open_api_v3_schema) {
  Compiler compiler;
  Result<std::unique_ptr<SchemaNode>> root =
      compiler.compile(open_api_v3_schema, "", /*in_value_validation=*/false);
  if (!root) {
    return std::move(root).error();
  }
  return Schema(std::shared_ptr<const SchemaNode>(std::move(root).value()));
}

ValidationResult Schema::admit(json::Value& object, const json::Value* old_object,
                               json::Allocator& allocator) const {
  ValidationResult result;
  const SchemaNode& root = *root_;
  Pruner(result.unknown_fields).prune(object, &root, /*root=*/true);
  std::sort(result.unknown_fields.begin(), result.unknown_fields.end());
  pruneNulls(object, &root);
  applyDefaults(object, &root, allocator);

  const Path root_path;
  OpenApiValidator(result.errors).validate(root, object, root_path);
  ListTypeValidator(result.errors).validate(&root, object, root_path);
  if (root.rules_below) {
    if (std::any_of(result.errors.begin(), result.errors.end(), isBlocking)) {
      result.errors.push_back(
          {"<nil>", std::string(kInvalid),
           "Invalid value: \"null\": some validation rules were not checked because the object "
           "was invalid; correct the existing errors to complete validation"});
    } else {
      RuleValidator(result.errors).validate(root, object, old_object, root_path);
    }
  }
  return result;
}

bool Schema::hasValidationRules() const {
  return root_->rules_below;
}

std::string summarize(const std::vector<ErrorCause>& errors) {
  std::vector<std::string> lines;
  for (const ErrorCause& error : errors) {
    std::string line = error.field + ": " + error.message;
    if (std::find(lines.begin(), lines.end(), line) == lines.end()) {
      lines.push_back(std::move(line));
    }
  }
  if (lines.size() == 1) {
    return lines[0];
  }
  std::string out;
  for (const std::string& line : lines) {
    out += out.empty() ? "[" + line : ", " + line;
  }
  return out.empty() ? out : out + "]";
}

}  // namespace daap::schema

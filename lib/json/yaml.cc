#include "lib/json/yaml.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_set>
#include <variant>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

namespace daap::json {
namespace {

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
constexpr std::string_view kIntTag = "tag:yaml.org,2002:int";
constexpr std::string_view kFloatTag = "tag:yaml.org,2002:float";
constexpr std::string_view kBoolTag = "tag:yaml.org,2002:bool";
constexpr std::string_view kNullTag = "tag:yaml.org,2002:null";
constexpr std::string_view kMapTag = "tag:yaml.org,2002:map";
constexpr std::string_view kSeqTag = "tag:yaml.org,2002:seq";

// Far deeper than any Kubernetes object or CRD schema; it also stops an alias that refers to
// its own anchor (`&a [*a]`), which yaml-cpp turns into a cycle.
constexpr int kMaxDepth = 512;
// yaml-cpp shares an aliased node but JSON needs a copy per use: beyond one node per input
// byte, allow this many more so a "billion laughs" stream fails instead of exhausting memory.
constexpr std::size_t kAliasNodeAllowance = std::size_t{1} << 18;

Error errorAt(const YAML::Mark& mark, const std::string& message) {
  if (mark.is_null()) {
    return Error::invalidArgument("invalid YAML: " + message);
  }
  return Error::invalidArgument("invalid YAML at line " + std::to_string(mark.line + 1) +
                                ", column " + std::to_string(mark.column + 1) + ": " + message);
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

bool isCoreNull(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::optional<bool> parseCoreBool(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  return std::nullopt;
}

bool isInfOrNan(std::string_view text) {
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    text.remove_prefix(1);
    if (text == ".nan" || text == ".NaN" || text == ".NAN") {
      return false;  // The core schema gives NaN no sign.
    }
  }
  return text == ".inf" || text == ".Inf" || text == ".INF" || text == ".nan" || text == ".NaN" ||
         text == ".NAN";
}

using Number = std::variant<std::int64_t, std::uint64_t, double>;

// Unsigned digits in `base`, or nullopt unless `digits` is non-empty and all of it.
std::optional<Number> parseDigits(std::string_view digits, int base) {
  if (digits.empty()) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const char* end = digits.data() + digits.size();
  const auto [parsed_end, error] = std::from_chars(digits.data(), end, value, base);
  if (parsed_end != end) {
    return std::nullopt;
  }
  if (error == std::errc()) {
    return value;
  }
  // Too big for 64 bits: a double, as JSON parsers do with such literals.
  double approximate = 0;
  if (base == 10) {
    std::from_chars(digits.data(), end, approximate);  // Correctly rounded; cannot fail here.
    return approximate;
  }
  for (const char c : digits) {
    const int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    approximate = approximate * base + digit;
  }
  return approximate;
}

// The core schema integers [-+]?[0-9]+, 0o[0-7]+ and 0x[0-9a-fA-F]+; nullopt for anything else.
std::optional<Number> parseCoreInteger(std::string_view text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'x')) {
    return parseDigits(text.substr(2), text[1] == 'o' ? 8 : 16);
  }
  const bool negative = !text.empty() && text.front() == '-';
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    text.remove_prefix(1);
  }
  // A second sign is left for parseDigits, whose unsigned from_chars rejects it.
  const std::optional<Number> magnitude = parseDigits(text, 10);
  if (!magnitude) {
    return std::nullopt;
  }
  if (const double* approximate = std::get_if<double>(&*magnitude)) {
    return negative ? -*approximate : *approximate;
  }
  const std::uint64_t value = std::get<std::uint64_t>(*magnitude);
  constexpr std::uint64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
  if (!negative) {
    return value <= kInt64Max ? Number(static_cast<std::int64_t>(value)) : Number(value);
  }
  if (value <= kInt64Max) {
    return -static_cast<std::int64_t>(value);
  }
  if (value == kInt64Max + 1) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return -static_cast<double>(value);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, the core schema's finite floats.
bool isCoreFloat(std::string_view text) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    return i - start;
  };
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    ++i;
  }
  const std::size_t integral = digits();
  std::size_t fraction = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    fraction = digits();
  }
  if (integral == 0 && fraction == 0) {
    return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == text.size();
}

Result<double> parseFloat(std::string_view text, const YAML::Mark& mark) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);  // from_chars takes a '-' but not a '+'.
  }
  double value = 0;
  const auto [parsed_end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || parsed_end != text.data() + text.size()) {
    return errorAt(mark, "float " + quoted(text) + " is out of range");
  }
  return value;
}

void setNumber(const Number& number, Value& out) {
  if (const auto* signed_value = std::get_if<std::int64_t>(&number)) {
    out.SetInt64(*signed_value);
  } else if (const auto* unsigned_value = std::get_if<std::uint64_t>(&number)) {
    out.SetUint64(*unsigned_value);
  } else {
    out.SetDouble(std::get<double>(number));
  }
}

// Shared by every document of one stream.
struct Conversion {
  Allocator* allocator = nullptr;
  std::size_t nodes_left = 0;
};

// An untagged plain scalar, typed by the YAML 1.2 core schema.
Result<void> convertPlain(const std::string& text, const YAML::Mark& mark, Value& out,
                          Allocator& allocator) {
  if (isCoreNull(text)) {
    out.SetNull();
  } else if (const std::optional<bool> flag = parseCoreBool(text)) {
    out.SetBool(*flag);
  } else if (const std::optional<Number> integer = parseCoreInteger(text)) {
    setNumber(*integer, out);
  } else if (isCoreFloat(text)) {
    Result<double> value = parseFloat(text, mark);
    if (!value) {
      return std::move(value).error();
    }
    out.SetDouble(*value);
  } else if (isInfOrNan(text)) {
    return errorAt(mark, quoted(text) + " has no JSON representation");
  } else {
    out = stringValue(text, allocator);
  }
  return {};
}

Result<void> convertScalar(const YAML::Node& node, Value& out, Allocator& allocator) {
  const std::string& tag = node.Tag();
  const std::string& text = node.Scalar();
  const YAML::Mark mark = node.Mark();
  // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
  if (tag == "?") {
    return convertPlain(text, mark, out, allocator);
  }
  if (tag == kNullTag) {
    if (!isCoreNull(text)) {
      return errorAt(mark, "!!null value " + quoted(text) + " is not null");
    }
    out.SetNull();
  } else if (tag == kBoolTag) {
    const std::optional<bool> flag = parseCoreBool(text);
    if (!flag) {
      return errorAt(mark, "!!bool value " + quoted(text) + " is not a boolean");
    }
    out.SetBool(*flag);
  } else if (tag == kIntTag) {
    const std::optional<Number> integer = parseCoreInteger(text);
    if (!integer) {
      return errorAt(mark, "!!int value " + quoted(text) + " is not an integer");
    }
    setNumber(*integer, out);
  } else if (tag == kFloatTag) {
    if (isInfOrNan(text)) {
      return errorAt(mark, quoted(text) + " has no JSON representation");
    }
    if (!isCoreFloat(text)) {
      return errorAt(mark, "!!float value " + quoted(text) + " is not a number");
    }
    Result<double> value = parseFloat(text, mark);
    if (!value) {
      return std::move(value).error();
    }
    out.SetDouble(*value);
  } else {
    // "!", !!str, and tags JSON has no type for (!!binary, !!timestamp, local tags): the text.
    out = stringValue(text, allocator);
  }
  return {};
}

// Scalar tags on a collection, or a collection tag on the other kind, are contradictions.
bool tagFits(const std::string& tag, bool is_map) {
  if (tag == kStrTag || tag == kIntTag || tag == kFloatTag || tag == kBoolTag || tag == kNullTag) {
    return false;
  }
  return tag != (is_map ? kSeqTag : kMapTag);
}

Result<void> convertNode(const YAML::Node& node, int depth, Value& out, Conversion& conversion) {
  if (depth > kMaxDepth) {
    return errorAt(node.Mark(), "nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  if (conversion.nodes_left == 0) {
    return errorAt(node.Mark(), "aliases expand to too many nodes");
  }
  --conversion.nodes_left;
  Allocator& allocator = *conversion.allocator;
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return convertScalar(node, out, allocator);
    case YAML::NodeType::Sequence: {
      if (!tagFits(node.Tag(), /*is_map=*/false)) {
        return errorAt(node.Mark(), "tag " + node.Tag() + " does not apply to a sequence");
      }
      out.SetArray();
      for (const YAML::Node& item : node) {
        Value element;
        if (Result<void> converted = convertNode(item, depth + 1, element, conversion);
            !converted) {
          return converted;
        }
        out.PushBack(element, allocator);
      }
      return {};
    }
    case YAML::NodeType::Map: {
      if (!tagFits(node.Tag(), /*is_map=*/true)) {
        return errorAt(node.Mark(), "tag " + node.Tag() + " does not apply to a mapping");
      }
      out.SetObject();
      std::unordered_set<std::string> keys;
      for (const auto& entry : node) {
        const YAML::Node& key = entry.first;
        std::string name;
        if (key.IsScalar()) {
          name = key.Scalar();
        } else if (key.IsNull()) {
          name = "null";  // `~:` or an empty key; Kubernetes' YAML decoder spells it so too.
        } else {
          return errorAt(key.Mark(), "mapping keys must be scalars");
        }
        if (!keys.insert(name).second) {
          return errorAt(key.Mark(), "duplicate key " + quoted(name));
        }
        Value member;
        if (Result<void> converted = convertNode(entry.second, depth + 1, member, conversion);
            !converted) {
          return converted;
        }
        out.AddMember(stringValue(name, allocator), member, allocator);
      }
      return {};
    }
    default:
      out.SetNull();  // Null, and Undefined which a loaded document never holds.
      return {};
  }
}

}  // namespace

Result<std::vector<Document>> parseYaml(std::string_view text) {
  // yaml-cpp reports every problem by throwing; none of it may leave lib/json.
  try {
    const std::vector<YAML::Node> nodes = YAML::LoadAll(std::string(text));
    Conversion conversion{nullptr, text.size() + kAliasNodeAllowance};
    std::vector<Document> documents;
    for (const YAML::Node& node : nodes) {
      Document document;
      conversion.allocator = &document.GetAllocator();
      if (Result<void> converted = convertNode(node, 0, document, conversion); !converted) {
        return std::move(converted).error();
      }
      if (!document.IsNull()) {
        documents.push_back(std::move(document));
      }
    }
    return documents;
  } catch (const YAML::DeepRecursion& error) {
    return errorAt(error.mark, "nested too deeply");  // yaml-cpp's own message is "bad file".
  } catch (const YAML::Exception& error) {
    // Some yaml-cpp builds report hitting their recursion limit as a plain "bad file" (input
    // here is always a string, never a file).
    return errorAt(error.mark, error.msg == "bad file" ? "nested too deeply" : error.msg);
  }
}

}  // namespace daap::json

#include "lib/schema/cel.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "lib/schema/cel_ast.h"
#include "lib/schema/cel_value.h"
#include "lib/schema/go_text.h"
#include "lib/schema/regex.h"

namespace daap::schema {
namespace {

using detail::CelAst;
using detail::celCompare;
using detail::celEqual;
using detail::CelFunction;
using detail::CelIdent;
using detail::CelKind;
using detail::CelNode;
using detail::CelOp;
using detail::CelOrder;
using detail::celTypeName;
using detail::CelValue;
using detail::noSuchOverload;

constexpr std::int64_t kMinInt = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

CelValue errorValue(std::string message) {
  return CelValue::error(std::move(message));
}

CelValue intOverflow() {
  return errorValue("integer overflow");
}

CelValue uintOverflow() {
  return errorValue("unsigned integer overflow");
}

CelValue indexOutOfRange(std::int64_t index) {
  return errorValue("index out of range: " + std::to_string(index));
}

// Kubernetes exposes property names that are not CEL identifiers through escapes:
// __dash__ '-', __dot__ '.', __slash__ '/', __underscores__ "__", and __{keyword}__ for
// property names that are CEL reserved words.
std::optional<std::string> unescapeProperty(std::string_view name) {
  static constexpr std::array<std::string_view, 21> kReserved = {
      "true",     "false",   "null",      "in",       "as",  "break",  "const",
      "continue", "else",    "for",       "function", "if",  "import", "let",
      "loop",     "package", "namespace", "return",   "var", "void",   "while"};
  if (name.size() > 4 && name.starts_with("__") && name.ends_with("__")) {
    const std::string_view inner = name.substr(2, name.size() - 4);
    for (const std::string_view reserved : kReserved) {
      if (inner == reserved) {
        return std::string(inner);
      }
    }
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kEscapes = {{
      {"__underscores__", "__"},
      {"__dot__", "."},
      {"__dash__", "-"},
      {"__slash__", "/"},
  }};
  std::string out;
  bool changed = false;
  for (std::size_t i = 0; i < name.size();) {
    bool matched = false;
    for (const auto& [escape, replacement] : kEscapes) {
      if (name.substr(i).starts_with(escape)) {
        out += replacement;
        i += escape.size();
        matched = true;
        changed = true;
        break;
      }
    }
    if (!matched) {
      out += name[i++];
    }
  }
  return changed ? std::optional<std::string>(std::move(out)) : std::nullopt;
}

std::optional<CelValue> findField(const CelValue& map, std::string_view name) {
  std::optional<CelValue> found = map.find(CelValue::stringView(name));
  if (!found && name.find("__") != std::string_view::npos) {
    if (const std::optional<std::string> unescaped = unescapeProperty(name)) {
      found = map.find(CelValue::stringView(*unescaped));
    }
  }
  return found;
}

std::string keyText(const CelValue& key) {
  switch (key.kind()) {
    case CelKind::String:
      return std::string(key.text());
    case CelKind::Int:
      return std::to_string(key.intValue());
    case CelKind::Uint:
      return std::to_string(key.uintValue());
    case CelKind::Bool:
      return key.boolValue() ? "true" : "false";
    default:
      return std::string(celTypeName(key));
  }
}

// Byte offsets of each code point of `text`, followed by text.size().
std::vector<std::size_t> runeStarts(std::string_view text) {
  std::vector<std::size_t> starts;
  starts.reserve(text.size() + 1);
  for (std::size_t i = 0; i < text.size(); i += detail::decodeRune(text, i).length) {
    starts.push_back(i);
  }
  starts.push_back(text.size());
  return starts;
}

bool isUnicodeSpace(char32_t c) {
  switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

std::string goSyntaxError(std::string_view function, std::string_view text,
                          std::string_view reason) {
  return "strconv." + std::string(function) + ": parsing " + detail::goQuote(text) + ": " +
         std::string(reason);
}

CelValue parseInt(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with('+')) {
    digits.remove_prefix(1);
  }
  std::int64_t value = 0;
  const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || digits.starts_with('+') || parsed.ptr != digits.data() + digits.size()) {
    return errorValue(goSyntaxError("ParseInt", text, "invalid syntax"));
  }
  if (parsed.ec == std::errc::result_out_of_range) {
    return errorValue(goSyntaxError("ParseInt", text, "value out of range"));
  }
  return CelValue::integer(value);
}

CelValue parseUint(std::string_view text) {
  std::uint64_t value = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.starts_with('-') || parsed.ptr != text.data() + text.size()) {
    return errorValue(goSyntaxError("ParseUint", text, "invalid syntax"));
  }
  if (parsed.ec == std::errc::result_out_of_range) {
    return errorValue(goSyntaxError("ParseUint", text, "value out of range"));
  }
  return CelValue::unsignedInteger(value);
}

CelValue parseDouble(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with('+')) {
    digits.remove_prefix(1);
  }
  double value = 0;
  const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || digits.starts_with('+') || parsed.ptr != digits.data() + digits.size()) {
    return errorValue(goSyntaxError("ParseFloat", text, "invalid syntax"));
  }
  if (parsed.ec == std::errc::result_out_of_range) {
    return errorValue(goSyntaxError("ParseFloat", text, "value out of range"));
  }
  return CelValue::floating(value);
}

// Evaluates one AST against one activation. Errors travel as CelValue errors so that && and ||
// can absorb them; every other operator and function propagates the first one it sees.
class Evaluator {
public:
  Evaluator(const CelAst& ast, CelValue self, std::optional<CelValue> old_self)
      : ast_(ast),
        self_(std::move(self)),
        old_self_(std::move(old_self)),
        slots_(static_cast<std::size_t>(ast.slots)) {}

  CelValue eval(int index) {
    const CelNode& node = ast_.nodes[static_cast<std::size_t>(index)];
    switch (node.op) {
      case CelOp::Literal:
        return node.literal;
      case CelOp::Ident:
        return ident(node);
      case CelOp::Select:
        return select(node);
      case CelOp::Has:
        return has(node);
      case CelOp::Index:
        return indexOp(node);
      case CelOp::Call:
        return call(node);
      case CelOp::CreateList:
        return createList(node);
      case CelOp::CreateMap:
        return createMap(node);
      case CelOp::Conditional:
        return conditional(node);
      case CelOp::And:
      case CelOp::Or:
        return logical(node);
      case CelOp::Not: {
        CelValue operand = child(node, 0);
        if (operand.isError()) {
          return operand;
        }
        if (operand.kind() != CelKind::Bool) {
          return noSuchOverload("!_", operand);
        }
        return CelValue::boolean(!operand.boolValue());
      }
      case CelOp::Negate:
        return negate(child(node, 0));
      case CelOp::Add:
      case CelOp::Subtract:
      case CelOp::Multiply:
      case CelOp::Divide:
      case CelOp::Modulo:
        return arithmetic(node);
      case CelOp::Equal:
      case CelOp::NotEqual:
      case CelOp::Less:
      case CelOp::LessEqual:
      case CelOp::Greater:
      case CelOp::GreaterEqual:
        return relation(node);
      case CelOp::In:
        return in(node);
      case CelOp::All:
      case CelOp::Exists:
      case CelOp::ExistsOne:
      case CelOp::MapMacro:
      case CelOp::Filter:
        return comprehension(node);
    }
    return errorValue("unknown expression");
  }

private:
  CelValue child(const CelNode& node, std::size_t i) { return eval(node.children[i]); }

  CelValue ident(const CelNode& node) {
    switch (node.ident) {
      case CelIdent::Self:
        return self_;
      case CelIdent::OldSelf:
        return old_self_ ? *old_self_ : errorValue("no such attribute(s): oldSelf");
      case CelIdent::Local:
        return slots_[static_cast<std::size_t>(node.slot)];
      case CelIdent::Type:
        return node.literal;
    }
    return errorValue("unknown identifier");
  }

  CelValue select(const CelNode& node) {
    CelValue operand = child(node, 0);
    if (operand.isError()) {
      return operand;
    }
    if (operand.kind() != CelKind::Map) {
      return errorValue("no such overload: field selection '." + node.name + "' on " +
                        std::string(celTypeName(operand)));
    }
    std::optional<CelValue> found = findField(operand, node.name);
    return found ? *found : errorValue("no such key: " + node.name);
  }

  CelValue has(const CelNode& node) {
    CelValue operand = child(node, 0);
    if (operand.isError()) {
      return operand;
    }
    if (operand.kind() != CelKind::Map) {
      return errorValue("no such overload: has() on " + std::string(celTypeName(operand)));
    }
    return CelValue::boolean(findField(operand, node.name).has_value());
  }

  CelValue indexOp(const CelNode& node) {
    CelValue operand = child(node, 0);
    if (operand.isError()) {
      return operand;
    }
    CelValue index = child(node, 1);
    if (index.isError()) {
      return index;
    }
    if (operand.kind() == CelKind::List) {
      std::int64_t i = 0;
      if (index.kind() == CelKind::Int) {
        i = index.intValue();
      } else if (index.kind() == CelKind::Uint && index.uintValue() <= kMaxInt) {
        i = static_cast<std::int64_t>(index.uintValue());
      } else if (index.kind() == CelKind::Double &&
                 std::trunc(index.doubleValue()) == index.doubleValue() &&
                 std::abs(index.doubleValue()) < 9.2e18) {
        i = static_cast<std::int64_t>(index.doubleValue());
      } else {
        return noSuchOverload("_[_]", operand, index);
      }
      if (i < 0 || static_cast<std::uint64_t>(i) >= operand.size()) {
        return errorValue("index out of bounds: " + std::to_string(i));
      }
      return operand.at(static_cast<std::size_t>(i));
    }
    if (operand.kind() == CelKind::Map) {
      std::optional<CelValue> found = operand.find(index);
      return found ? *found : errorValue("no such key: " + keyText(index));
    }
    return noSuchOverload("_[_]", operand, index);
  }

  CelValue createList(const CelNode& node) {
    std::vector<CelValue> items;
    items.reserve(node.children.size());
    for (const int item_index : node.children) {
      CelValue item = eval(item_index);
      if (item.isError()) {
        return item;
      }
      items.push_back(std::move(item));
    }
    return CelValue::list(std::move(items));
  }

  CelValue createMap(const CelNode& node) {
    std::vector<std::pair<CelValue, CelValue>> entries;
    for (std::size_t i = 0; i + 1 < node.children.size(); i += 2) {
      CelValue key = eval(node.children[i]);
      if (key.isError()) {
        return key;
      }
      if (key.kind() != CelKind::String && key.kind() != CelKind::Int &&
          key.kind() != CelKind::Uint && key.kind() != CelKind::Bool) {
        return errorValue("unsupported key type: " + std::string(celTypeName(key)));
      }
      for (const auto& entry : entries) {
        if (celEqual(entry.first, key)) {
          return errorValue("Failed with repeated key");
        }
      }
      CelValue value = eval(node.children[i + 1]);
      if (value.isError()) {
        return value;
      }
      entries.emplace_back(std::move(key), std::move(value));
    }
    return CelValue::map(std::move(entries));
  }

  CelValue conditional(const CelNode& node) {
    CelValue condition = child(node, 0);
    if (condition.isError()) {
      return condition;
    }
    if (condition.kind() != CelKind::Bool) {
      return noSuchOverload("_?_:_", condition);
    }
    return child(node, condition.boolValue() ? 1 : 2);
  }

  // CEL's commutative && and ||: a deciding operand (false for &&, true for ||) wins even over
  // an error on the other side; otherwise the first error, or a non-bool operand, is the result.
  CelValue logical(const CelNode& node) {
    const bool is_and = node.op == CelOp::And;
    const std::string_view name = is_and ? "_&&_" : "_||_";
    CelValue left = child(node, 0);
    if (left.kind() == CelKind::Bool && left.boolValue() != is_and) {
      return left;
    }
    CelValue right = child(node, 1);
    if (right.kind() == CelKind::Bool && right.boolValue() != is_and) {
      return right;
    }
    if (left.isError()) {
      return left;
    }
    if (left.kind() != CelKind::Bool) {
      return noSuchOverload(name, left, right);
    }
    if (right.isError()) {
      return right;
    }
    if (right.kind() != CelKind::Bool) {
      return noSuchOverload(name, left, right);
    }
    return CelValue::boolean(is_and);
  }

  static CelValue negate(const CelValue& operand) {
    switch (operand.kind()) {
      case CelKind::Error:
        return operand;
      case CelKind::Int:
        if (operand.intValue() == kMinInt) {
          return intOverflow();
        }
        return CelValue::integer(-operand.intValue());
      case CelKind::Double:
        return CelValue::floating(-operand.doubleValue());
      default:
        return noSuchOverload("-_", operand);
    }
  }

  CelValue arithmetic(const CelNode& node) {
    CelValue a = child(node, 0);
    if (a.isError()) {
      return a;
    }
    CelValue b = child(node, 1);
    if (b.isError()) {
      return b;
    }
    switch (node.op) {
      case CelOp::Add:
        return add(a, b);
      case CelOp::Subtract:
        return subtract(a, b);
      case CelOp::Multiply:
        return multiply(a, b);
      case CelOp::Divide:
        return divide(a, b);
      default:
        return modulo(a, b);
    }
  }

  static CelValue add(const CelValue& a, const CelValue& b) {
    if (a.kind() != b.kind()) {
      return noSuchOverload("_+_", a, b);
    }
    switch (a.kind()) {
      case CelKind::Int: {
        std::int64_t sum = 0;
        if (__builtin_add_overflow(a.intValue(), b.intValue(), &sum)) {
          return intOverflow();
        }
        return CelValue::integer(sum);
      }
      case CelKind::Uint: {
        std::uint64_t sum = 0;
        if (__builtin_add_overflow(a.uintValue(), b.uintValue(), &sum)) {
          return uintOverflow();
        }
        return CelValue::unsignedInteger(sum);
      }
      case CelKind::Double:
        return CelValue::floating(a.doubleValue() + b.doubleValue());
      case CelKind::String:
        return CelValue::string(std::string(a.text()) + std::string(b.text()));
      case CelKind::Bytes:
        return CelValue::bytes(std::string(a.text()) + std::string(b.text()));
      case CelKind::List: {
        std::vector<CelValue> items;
        items.reserve(a.size() + b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
          items.push_back(a.at(i));
        }
        for (std::size_t i = 0; i < b.size(); ++i) {
          items.push_back(b.at(i));
        }
        return CelValue::list(std::move(items));
      }
      default:
        return noSuchOverload("_+_", a, b);
    }
  }

  static CelValue subtract(const CelValue& a, const CelValue& b) {
    if (a.kind() != b.kind()) {
      return noSuchOverload("_-_", a, b);
    }
    switch (a.kind()) {
      case CelKind::Int: {
        std::int64_t difference = 0;
        if (__builtin_sub_overflow(a.intValue(), b.intValue(), &difference)) {
          return intOverflow();
        }
        return CelValue::integer(difference);
      }
      case CelKind::Uint: {
        std::uint64_t difference = 0;
        if (__builtin_sub_overflow(a.uintValue(), b.uintValue(), &difference)) {
          return uintOverflow();
        }
        return CelValue::unsignedInteger(difference);
      }
      case CelKind::Double:
        return CelValue::floating(a.doubleValue() - b.doubleValue());
      default:
        return noSuchOverload("_-_", a, b);
    }
  }

  static CelValue multiply(const CelValue& a, const CelValue& b) {
    if (a.kind() != b.kind()) {
      return noSuchOverload("_*_", a, b);
    }
    switch (a.kind()) {
      case CelKind::Int: {
        std::int64_t product = 0;
        if (__builtin_mul_overflow(a.intValue(), b.intValue(), &product)) {
          return intOverflow();
        }
        return CelValue::integer(product);
      }
      case CelKind::Uint: {
        std::uint64_t product = 0;
        if (__builtin_mul_overflow(a.uintValue(), b.uintValue(), &product)) {
          return uintOverflow();
        }
        return CelValue::unsignedInteger(product);
      }
      case CelKind::Double:
        return CelValue::floating(a.doubleValue() * b.doubleValue());
      default:
        return noSuchOverload("_*_", a, b);
    }
  }

  static CelValue divide(const CelValue& a, const CelValue& b) {
    if (a.kind() != b.kind()) {
      return noSuchOverload("_/_", a, b);
    }
    switch (a.kind()) {
      case CelKind::Int:
        if (b.intValue() == 0) {
          return errorValue("division by zero");
        }
        if (a.intValue() == kMinInt && b.intValue() == -1) {
          return intOverflow();
        }
        return CelValue::integer(a.intValue() / b.intValue());
      case CelKind::Uint:
        if (b.uintValue() == 0) {
          return errorValue("division by zero");
        }
        return CelValue::unsignedInteger(a.uintValue() / b.uintValue());
      case CelKind::Double:
        return CelValue::floating(a.doubleValue() / b.doubleValue());
      default:
        return noSuchOverload("_/_", a, b);
    }
  }

  static CelValue modulo(const CelValue& a, const CelValue& b) {
    if (a.kind() != b.kind()) {
      return noSuchOverload("_%_", a, b);
    }
    switch (a.kind()) {
      case CelKind::Int:
        if (b.intValue() == 0) {
          return errorValue("modulus by zero");
        }
        if (a.intValue() == kMinInt && b.intValue() == -1) {
          return intOverflow();
        }
        return CelValue::integer(a.intValue() % b.intValue());
      case CelKind::Uint:
        if (b.uintValue() == 0) {
          return errorValue("modulus by zero");
        }
        return CelValue::unsignedInteger(a.uintValue() % b.uintValue());
      default:
        return noSuchOverload("_%_", a, b);
    }
  }

  CelValue relation(const CelNode& node) {
    CelValue a = child(node, 0);
    if (a.isError()) {
      return a;
    }
    CelValue b = child(node, 1);
    if (b.isError()) {
      return b;
    }
    if (node.op == CelOp::Equal) {
      return CelValue::boolean(celEqual(a, b));
    }
    if (node.op == CelOp::NotEqual) {
      return CelValue::boolean(!celEqual(a, b));
    }
    const CelOrder order = celCompare(a, b);
    switch (node.op) {
      case CelOp::Less:
        if (order == CelOrder::Invalid) {
          return noSuchOverload("_<_", a, b);
        }
        return CelValue::boolean(order == CelOrder::Less);
      case CelOp::LessEqual:
        if (order == CelOrder::Invalid) {
          return noSuchOverload("_<=_", a, b);
        }
        return CelValue::boolean(order == CelOrder::Less || order == CelOrder::Equal);
      case CelOp::Greater:
        if (order == CelOrder::Invalid) {
          return noSuchOverload("_>_", a, b);
        }
        return CelValue::boolean(order == CelOrder::Greater);
      default:
        if (order == CelOrder::Invalid) {
          return noSuchOverload("_>=_", a, b);
        }
        return CelValue::boolean(order == CelOrder::Greater || order == CelOrder::Equal);
    }
  }

  CelValue in(const CelNode& node) {
    CelValue element = child(node, 0);
    if (element.isError()) {
      return element;
    }
    CelValue container = child(node, 1);
    if (container.isError()) {
      return container;
    }
    if (container.kind() == CelKind::List) {
      for (std::size_t i = 0; i < container.size(); ++i) {
        if (celEqual(container.at(i), element)) {
          return CelValue::boolean(true);
        }
      }
      return CelValue::boolean(false);
    }
    if (container.kind() == CelKind::Map) {
      return CelValue::boolean(container.find(element).has_value());
    }
    return noSuchOverload("@in", element, container);
  }

  CelValue comprehension(const CelNode& node) {
    CelValue range = child(node, 0);
    if (range.isError()) {
      return range;
    }
    if (range.kind() != CelKind::List && range.kind() != CelKind::Map) {
      return noSuchOverload(node.name, range);
    }
    const bool is_map = range.kind() == CelKind::Map;
    const auto slot = static_cast<std::size_t>(node.slot);
    std::optional<CelValue> first_error;
    std::int64_t matches = 0;
    std::vector<CelValue> produced;
    for (std::size_t i = 0; i < range.size(); ++i) {
      slots_[slot] = is_map ? range.keyAt(i) : range.at(i);
      if (node.op == CelOp::MapMacro && node.children.size() == 2) {
        CelValue mapped = child(node, 1);
        if (mapped.isError()) {
          return mapped;
        }
        produced.push_back(std::move(mapped));
        continue;
      }
      CelValue predicate = child(node, 1);
      if (predicate.kind() != CelKind::Bool) {
        CelValue failure = predicate.isError() ? predicate : noSuchOverload(node.name, predicate);
        if (node.op != CelOp::All && node.op != CelOp::Exists) {
          return failure;
        }
        if (!first_error) {
          first_error = failure;
        }
        continue;
      }
      const bool holds = predicate.boolValue();
      switch (node.op) {
        case CelOp::All:
          if (!holds) {
            return CelValue::boolean(false);
          }
          break;
        case CelOp::Exists:
          if (holds) {
            return CelValue::boolean(true);
          }
          break;
        case CelOp::ExistsOne:
          matches += holds ? 1 : 0;
          break;
        case CelOp::Filter:
          if (holds) {
            produced.push_back(slots_[slot]);
          }
          break;
        default: {  // map(x, filter, transform)
          if (holds) {
            CelValue mapped = child(node, 2);
            if (mapped.isError()) {
              return mapped;
            }
            produced.push_back(std::move(mapped));
          }
        }
      }
    }
    switch (node.op) {
      case CelOp::All:
        return first_error ? *first_error : CelValue::boolean(true);
      case CelOp::Exists:
        return first_error ? *first_error : CelValue::boolean(false);
      case CelOp::ExistsOne:
        return CelValue::boolean(matches == 1);
      default:
        return CelValue::list(std::move(produced));
    }
  }

  CelValue call(const CelNode& node) {
    std::vector<CelValue> args;
    args.reserve(node.children.size());
    for (const int arg_index : node.children) {
      CelValue arg = eval(arg_index);
      if (arg.isError()) {
        return arg;
      }
      args.push_back(std::move(arg));
    }
    switch (node.function) {
      case CelFunction::Size:
        return size(args[0]);
      case CelFunction::StartsWith:
      case CelFunction::EndsWith:
      case CelFunction::Contains:
        return stringPredicate(node, args[0], args[1]);
      case CelFunction::Matches:
      case CelFunction::Find:
      case CelFunction::FindAll:
        return regexFunction(node, args);
      case CelFunction::Int:
        return toInt(args[0]);
      case CelFunction::Uint:
        return toUint(args[0]);
      case CelFunction::Double:
        return toDouble(args[0]);
      case CelFunction::String:
        return toString(args[0]);
      case CelFunction::Bool:
        return toBool(args[0]);
      case CelFunction::Bytes:
        if (args[0].kind() == CelKind::Bytes) {
          return args[0];
        }
        if (args[0].kind() == CelKind::String) {
          return CelValue::bytes(std::string(args[0].text()));
        }
        return noSuchOverload("bytes", args[0]);
      case CelFunction::Dyn:
        return args[0];
      case CelFunction::Type:
        return CelValue::type(celTypeName(args[0]));
      case CelFunction::LowerAscii:
      case CelFunction::UpperAscii:
      case CelFunction::Trim:
      case CelFunction::Split:
      case CelFunction::Replace:
      case CelFunction::Substring:
      case CelFunction::CharAt:
        return stringFunction(node, args);
      case CelFunction::IndexOf:
      case CelFunction::LastIndexOf:
        if (args[0].kind() == CelKind::List) {
          return listFunction(node, args);
        }
        return stringFunction(node, args);
      case CelFunction::Join:
      case CelFunction::Sum:
      case CelFunction::Min:
      case CelFunction::Max:
      case CelFunction::IsSorted:
        return listFunction(node, args);
    }
    return errorValue("unknown function " + node.name);
  }

  static CelValue size(const CelValue& value) {
    switch (value.kind()) {
      case CelKind::String:
        return CelValue::integer(static_cast<std::int64_t>(detail::runeCount(value.text())));
      case CelKind::Bytes:
        return CelValue::integer(static_cast<std::int64_t>(value.text().size()));
      case CelKind::List:
      case CelKind::Map:
        return CelValue::integer(static_cast<std::int64_t>(value.size()));
      default:
        return noSuchOverload("size", value);
    }
  }

  static CelValue stringPredicate(const CelNode& node, const CelValue& text, const CelValue& part) {
    if (text.kind() != CelKind::String || part.kind() != CelKind::String) {
      return noSuchOverload(node.name, text, part);
    }
    switch (node.function) {
      case CelFunction::StartsWith:
        return CelValue::boolean(text.text().starts_with(part.text()));
      case CelFunction::EndsWith:
        return CelValue::boolean(text.text().ends_with(part.text()));
      default:
        return CelValue::boolean(text.text().find(part.text()) != std::string_view::npos);
    }
  }

  static CelValue regexFunction(const CelNode& node, const std::vector<CelValue>& args) {
    const CelValue& text = args[0];
    const CelValue& pattern = args[1];
    if (text.kind() != CelKind::String || pattern.kind() != CelKind::String) {
      return noSuchOverload(node.name, text, pattern);
    }
    std::shared_ptr<const std::regex> regex = node.regex;
    if (regex == nullptr) {
      Result<std::shared_ptr<const std::regex>> compiled = detail::compileRegex(pattern.text());
      if (!compiled) {
        return errorValue(compiled.error().message);
      }
      regex = *compiled;
    }
    const std::string_view subject = text.text();
    if (node.function == CelFunction::Matches) {
      Result<bool> matched = detail::regexSearch(*regex, subject);
      if (!matched) {
        return errorValue(matched.error().message);
      }
      return CelValue::boolean(*matched);
    }
    std::int64_t limit = -1;
    if (node.function == CelFunction::FindAll && args.size() == 3) {
      if (args[2].kind() != CelKind::Int) {
        return noSuchOverload(node.name, text, args[2]);
      }
      limit = args[2].intValue();
    }
    std::vector<CelValue> found;
    using Iterator = std::regex_iterator<std::string_view::const_iterator>;
    try {
      for (Iterator it(subject.begin(), subject.end(), *regex), end; it != end; ++it) {
        if (node.function == CelFunction::Find) {
          return CelValue::string(it->str());
        }
        if (limit >= 0 && static_cast<std::int64_t>(found.size()) >= limit) {
          break;
        }
        found.push_back(CelValue::string(it->str()));
      }
    } catch (const std::regex_error& error) {
      return errorValue(std::string("regular expression match failed: ") + error.what());
    }
    if (node.function == CelFunction::Find) {
      return CelValue::string("");
    }
    return CelValue::list(std::move(found));
  }

  static CelValue toInt(const CelValue& value) {
    switch (value.kind()) {
      case CelKind::Int:
        return value;
      case CelKind::Uint:
        if (value.uintValue() > static_cast<std::uint64_t>(kMaxInt)) {
          return intOverflow();
        }
        return CelValue::integer(static_cast<std::int64_t>(value.uintValue()));
      case CelKind::Double: {
        const double d = value.doubleValue();
        // The range check is exclusive at the top: 2^63 itself does not fit.
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
          return intOverflow();
        }
        return CelValue::integer(static_cast<std::int64_t>(d));
      }
      case CelKind::String:
        return parseInt(value.text());
      default:
        return noSuchOverload("int", value);
    }
  }

  static CelValue toUint(const CelValue& value) {
    switch (value.kind()) {
      case CelKind::Uint:
        return value;
      case CelKind::Int:
        if (value.intValue() < 0) {
          return uintOverflow();
        }
        return CelValue::unsignedInteger(static_cast<std::uint64_t>(value.intValue()));
      case CelKind::Double: {
        const double d = value.doubleValue();
        if (!(d >= 0 && d < 18446744073709551616.0)) {
          return uintOverflow();
        }
        return CelValue::unsignedInteger(static_cast<std::uint64_t>(d));
      }
      case CelKind::String:
        return parseUint(value.text());
      default:
        return noSuchOverload("uint", value);
    }
  }

  static CelValue toDouble(const CelValue& value) {
    switch (value.kind()) {
      case CelKind::Double:
        return value;
      case CelKind::Int:
        return CelValue::floating(static_cast<double>(value.intValue()));
      case CelKind::Uint:
        return CelValue::floating(static_cast<double>(value.uintValue()));
      case CelKind::String:
        return parseDouble(value.text());
      default:
        return noSuchOverload("double", value);
    }
  }

  static CelValue toString(const CelValue& value) {
    switch (value.kind()) {
      case CelKind::String:
        return value;
      case CelKind::Int:
        return CelValue::string(std::to_string(value.intValue()));
      case CelKind::Uint:
        return CelValue::string(std::to_string(value.uintValue()));
      case CelKind::Double:
        return CelValue::string(detail::goFloat(value.doubleValue()));
      case CelKind::Bool:
        return CelValue::string(value.boolValue() ? "true" : "false");
      case CelKind::Bytes: {
        const std::string_view data = value.text();
        for (std::size_t i = 0; i < data.size();) {
          const detail::Rune rune = detail::decodeRune(data, i);
          if (!rune.valid) {
            return errorValue("invalid UTF-8 in bytes, cannot convert to string");
          }
          i += rune.length;
        }
        return CelValue::string(std::string(data));
      }
      default:
        return noSuchOverload("string", value);
    }
  }

  static CelValue toBool(const CelValue& value) {
    if (value.kind() == CelKind::Bool) {
      return value;
    }
    if (value.kind() != CelKind::String) {
      return noSuchOverload("bool", value);
    }
    const std::string_view text = value.text();
    for (const std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"}) {
      if (text == yes) {
        return CelValue::boolean(true);
      }
    }
    for (const std::string_view no : {"0", "f", "F", "FALSE", "false", "False"}) {
      if (text == no) {
        return CelValue::boolean(false);
      }
    }
    return errorValue(goSyntaxError("ParseBool", text, "invalid syntax"));
  }

  static CelValue stringFunction(const CelNode& node, const std::vector<CelValue>& args) {
    const CelValue& receiver = args[0];
    if (receiver.kind() != CelKind::String) {
      return noSuchOverload(node.name, receiver);
    }
    const std::string_view text = receiver.text();
    for (std::size_t i = 1; i < args.size(); ++i) {
      const bool wants_int =
          node.function == CelFunction::Substring || node.function == CelFunction::CharAt ||
          ((node.function == CelFunction::IndexOf || node.function == CelFunction::LastIndexOf ||
            node.function == CelFunction::Split) &&
           i == 2) ||
          (node.function == CelFunction::Replace && i == 3);
      if (args[i].kind() != (wants_int ? CelKind::Int : CelKind::String)) {
        return noSuchOverload(node.name, receiver, args[i]);
      }
    }
    switch (node.function) {
      case CelFunction::LowerAscii:
      case CelFunction::UpperAscii: {
        std::string out(text);
        for (char& c : out) {
          if (node.function == CelFunction::LowerAscii && c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
          } else if (node.function == CelFunction::UpperAscii && c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
          }
        }
        return CelValue::string(std::move(out));
      }
      case CelFunction::Trim:
        return trim(text);
      case CelFunction::Split:
        return split(text, args[1].text(), args.size() == 3 ? args[2].intValue() : -1);
      case CelFunction::Replace:
        return replace(text, args[1].text(), args[2].text(),
                       args.size() == 4 ? args[3].intValue() : -1);
      case CelFunction::Substring: {
        const std::vector<std::size_t> starts = runeStarts(text);
        const auto length = static_cast<std::int64_t>(starts.size() - 1);
        const std::int64_t begin = args[1].intValue();
        const std::int64_t end = args.size() == 3 ? args[2].intValue() : length;
        if (begin < 0 || begin > length) {
          return indexOutOfRange(begin);
        }
        if (end < 0 || end > length) {
          return indexOutOfRange(end);
        }
        if (begin > end) {
          return errorValue("invalid substring range. start: " + std::to_string(begin) +
                            ", end: " + std::to_string(end));
        }
        const std::size_t from = starts[static_cast<std::size_t>(begin)];
        const std::size_t to = starts[static_cast<std::size_t>(end)];
        return CelValue::string(std::string(text.substr(from, to - from)));
      }
      case CelFunction::CharAt: {
        const std::vector<std::size_t> starts = runeStarts(text);
        const auto length = static_cast<std::int64_t>(starts.size() - 1);
        const std::int64_t at = args[1].intValue();
        if (at < 0 || at > length) {
          return indexOutOfRange(at);
        }
        if (at == length) {
          return CelValue::string("");
        }
        const std::size_t from = starts[static_cast<std::size_t>(at)];
        return CelValue::string(
            std::string(text.substr(from, starts[static_cast<std::size_t>(at) + 1] - from)));
      }
      default:
        return indexOf(node.function == CelFunction::LastIndexOf, text, args);
    }
  }

  static CelValue trim(std::string_view text) {
    std::size_t begin = 0;
    while (begin < text.size()) {
      const detail::Rune rune = detail::decodeRune(text, begin);
      if (!isUnicodeSpace(rune.code_point)) {
        break;
      }
      begin += rune.length;
    }
    std::size_t end = text.size();
    while (end > begin) {
      std::size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) {
        --start;
      }
      if (!isUnicodeSpace(detail::decodeRune(text, start).code_point)) {
        break;
      }
      end = start;
    }
    return CelValue::string(std::string(text.substr(begin, end - begin)));
  }

  // Go's strings.SplitN.
  static CelValue split(std::string_view text, std::string_view separator, std::int64_t limit) {
    std::vector<CelValue> parts;
    if (limit == 0) {
      return CelValue::list(std::move(parts));
    }
    if (separator.empty()) {
      const std::vector<std::size_t> starts = runeStarts(text);
      for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
        if (limit > 0 && static_cast<std::int64_t>(parts.size()) == limit - 1) {
          parts.push_back(CelValue::string(std::string(text.substr(starts[i]))));
          return CelValue::list(std::move(parts));
        }
        parts.push_back(
            CelValue::string(std::string(text.substr(starts[i], starts[i + 1] - starts[i]))));
      }
      return CelValue::list(std::move(parts));
    }
    std::size_t begin = 0;
    while (limit < 0 || static_cast<std::int64_t>(parts.size()) < limit - 1) {
      const std::size_t found = text.find(separator, begin);
      if (found == std::string_view::npos) {
        break;
      }
      parts.push_back(CelValue::string(std::string(text.substr(begin, found - begin))));
      begin = found + separator.size();
    }
    parts.push_back(CelValue::string(std::string(text.substr(begin))));
    return CelValue::list(std::move(parts));
  }

  // Go's strings.Replace.
  static CelValue replace(std::string_view text, std::string_view from, std::string_view to,
                          std::int64_t limit) {
    if (from == to || limit == 0) {
      return CelValue::string(std::string(text));
    }
    std::string out;
    std::int64_t done = 0;
    if (from.empty()) {
      const std::vector<std::size_t> starts = runeStarts(text);
      for (std::size_t i = 0; i < starts.size(); ++i) {
        if (limit < 0 || done < limit) {
          out += to;
          ++done;
        }
        if (i + 1 < starts.size()) {
          out += text.substr(starts[i], starts[i + 1] - starts[i]);
        }
      }
      return CelValue::string(std::move(out));
    }
    std::size_t begin = 0;
    while (limit < 0 || done < limit) {
      const std::size_t found = text.find(from, begin);
      if (found == std::string_view::npos) {
        break;
      }
      out += text.substr(begin, found - begin);
      out += to;
      begin = found + from.size();
      ++done;
    }
    out += text.substr(begin);
    return CelValue::string(std::move(out));
  }

  // indexOf / lastIndexOf on strings, in code points, with cel-go's optional offset.
  static CelValue indexOf(bool last, std::string_view text, const std::vector<CelValue>& args) {
    const std::string_view part = args[1].text();
    const std::vector<std::size_t> starts = runeStarts(text);
    const auto length = static_cast<std::int64_t>(starts.size() - 1);
    const std::int64_t offset = args.size() == 3 ? args[2].intValue() : (last ? length : 0);
    if (offset < 0 || offset > length) {
      return indexOutOfRange(offset);
    }
    if (part.empty()) {
      return CelValue::integer(offset);
    }
    if (last) {
      for (std::int64_t i = offset; i >= 0; --i) {
        if (text.substr(starts[static_cast<std::size_t>(i)]).starts_with(part)) {
          return CelValue::integer(i);
        }
      }
      return CelValue::integer(-1);
    }
    for (std::int64_t i = offset; i < length; ++i) {
      if (text.substr(starts[static_cast<std::size_t>(i)]).starts_with(part)) {
        return CelValue::integer(i);
      }
    }
    return CelValue::integer(-1);
  }

  static CelValue listFunction(const CelNode& node, const std::vector<CelValue>& args) {
    const CelValue& list = args[0];
    if (list.kind() != CelKind::List) {
      return noSuchOverload(node.name, list);
    }
    switch (node.function) {
      case CelFunction::Join: {
        if (args.size() == 2 && args[1].kind() != CelKind::String) {
          return noSuchOverload(node.name, list, args[1]);
        }
        const std::string_view separator = args.size() == 2 ? args[1].text() : "";
        std::string out;
        for (std::size_t i = 0; i < list.size(); ++i) {
          CelValue item = list.at(i);
          if (item.kind() != CelKind::String) {
            return noSuchOverload(node.name, item);
          }
          if (i > 0) {
            out += separator;
          }
          out += item.text();
        }
        return CelValue::string(std::move(out));
      }
      case CelFunction::Sum: {
        CelValue total = CelValue::integer(0);
        for (std::size_t i = 0; i < list.size(); ++i) {
          CelValue item = list.at(i);
          total = i == 0 ? item : add(total, item);
          if (total.isError()) {
            return total;
          }
          if (total.kind() != CelKind::Int && total.kind() != CelKind::Uint &&
              total.kind() != CelKind::Double) {
            return noSuchOverload(node.name, item);
          }
        }
        return total;
      }
      case CelFunction::Min:
      case CelFunction::Max: {
        if (list.size() == 0) {
          return errorValue(node.name + " called on empty list");
        }
        CelValue best = list.at(0);
        for (std::size_t i = 1; i < list.size(); ++i) {
          CelValue item = list.at(i);
          const CelOrder order = celCompare(item, best);
          if (order == CelOrder::Invalid) {
            return noSuchOverload(node.name, best, item);
          }
          if ((node.function == CelFunction::Min && order == CelOrder::Less) ||
              (node.function == CelFunction::Max && order == CelOrder::Greater)) {
            best = item;
          }
        }
        if (list.size() == 1 && celCompare(best, best) == CelOrder::Invalid) {
          return noSuchOverload(node.name, best);
        }
        return best;
      }
      case CelFunction::IsSorted: {
        for (std::size_t i = 1; i < list.size(); ++i) {
          const CelOrder order = celCompare(list.at(i - 1), list.at(i));
          if (order == CelOrder::Invalid) {
            return noSuchOverload(node.name, list.at(i - 1), list.at(i));
          }
          if (order == CelOrder::Greater) {
            return CelValue::boolean(false);
          }
        }
        return CelValue::boolean(true);
      }
      default: {  // indexOf, lastIndexOf
        if (args.size() != 2) {
          return noSuchOverload(node.name, list);
        }
        const bool last = node.function == CelFunction::LastIndexOf;
        const auto count = static_cast<std::int64_t>(list.size());
        for (std::int64_t k = 0; k < count; ++k) {
          const std::int64_t i = last ? count - 1 - k : k;
          if (celEqual(list.at(static_cast<std::size_t>(i)), args[1])) {
            return CelValue::integer(i);
          }
        }
        return CelValue::integer(-1);
      }
    }
  }

  const CelAst& ast_;
  CelValue self_;
  std::optional<CelValue> old_self_;
  std::vector<CelValue> slots_;
};

CelValue run(const CelAst& ast, const json::Value& self, const json::Value* old_self) {
  std::optional<CelValue> old_value;
  if (old_self != nullptr) {
    old_value = CelValue::fromJson(*old_self);
  }
  Evaluator evaluator(ast, CelValue::fromJson(self), std::move(old_value));
  return evaluator.eval(ast.root);
}

}  // namespace

Result<Program> Program::compile(std::string_view rule) {
  Result<detail::CelAst> ast = detail::parseCel(rule);
  if (!ast) {
    return std::move(ast).error();
  }
  return Program(std::make_shared<const detail::CelAst>(std::move(ast).value()));
}

Result<bool> Program::evaluate(const json::Value& self, const json::Value* old_self) const {
  CelValue result = run(*ast_, self, old_self);
  if (result.isError()) {
    return Error::invalidArgument(std::string(result.text()));
  }
  if (result.kind() != CelKind::Bool) {
    return Error::invalidArgument("cel expression must evaluate to a bool, got " +
                                  std::string(celTypeName(result)));
  }
  return result.boolValue();
}

Result<std::string> Program::evaluateString(const json::Value& self,
                                            const json::Value* old_self) const {
  CelValue result = run(*ast_, self, old_self);
  if (result.isError()) {
    return Error::invalidArgument(std::string(result.text()));
  }
  if (result.kind() != CelKind::String) {
    return Error::invalidArgument("messageExpression failed to convert to string");
  }
  return std::string(result.text());
}

bool Program::usesOldSelf() const {
  return ast_->uses_old_self;
}

const std::string& Program::source() const {
  return ast_->source;
}

}  // namespace daap::schema

#include "lib/kube/jsonpath.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <system_error>
#include <utility>

namespace daap::kube {
namespace {

// The parse tree of k8s.io/client-go/util/jsonpath/node.go, one struct for every node kind.
struct SliceParam {
  bool known = false;
  std::int64_t value = 0;
  bool derived = false;  // The end of `[i]`, which is `[i:i+1]`.
};

struct Node {
  enum class Kind {
    Field,       // name
    Wildcard,    // .*
    Recursive,   // ..
    Array,       // params: [i], [a:b:c], [*]
    Filter,      // name = operator ("exists" for a bare test), lists = {left, right}
    Union,       // lists = one branch each: [0,2]
    Text,        // value: a quoted string, one value whatever the input
    Constant,    // value: a number or bool, one copy per input value
    Identifier,  // name: a bare word (client-go's range/end), which fails evaluation
  };

  Kind kind = Kind::Field;
  std::string name;
  std::array<SliceParam, 3> params{};
  std::vector<std::vector<Node>> lists;
  json::Value value;
};

using NodeList = std::vector<Node>;

// One piece of a template: literal text or a `{...}` action.
struct Item {
  bool is_action = false;
  NodeList nodes;
};

bool isTerminator(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '.':
    case ',':
    case '[':
    case ']':
    case '$':
    case '@':
    case '{':
    case '}':
      return true;
    default:
      return false;
  }
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Letters, digits and '_'; any non-ASCII byte counts as part of a letter.
bool isAlphaNumeric(char c) {
  return c == '_' || isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::size_t utf8Length(char lead) {
  const auto byte = static_cast<unsigned char>(lead);
  if (byte >= 0xf0) {
    return 4;
  }
  if (byte >= 0xe0) {
    return 3;
  }
  if (byte >= 0xc0) {
    return 2;
  }
  return 1;
}

// Go's %#U of an ASCII character: "U+002A '*'", or "U+0009" when not printable.
std::string goRune(char c) {
  std::array<char, 16> buffer{};
  const auto code = static_cast<unsigned char>(c);
  if (code >= 0x20 && code < 0x7f) {
    std::snprintf(buffer.data(), buffer.size(), "U+%04X '%c'", code, c);
  } else {
    std::snprintf(buffer.data(), buffer.size(), "U+%04X", code);
  }
  return buffer.data();
}

void appendUtf8(std::uint32_t code, std::string& out) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

std::optional<std::uint32_t> hexValue(std::string_view digits) {
  std::uint32_t value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return value;
}

// client-go's UnquoteExtend: strconv.Unquote for single- and double-quoted strings.
std::optional<std::string> unquote(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != quoted.back()) {
    return std::nullopt;
  }
  const char quote = quoted.front();
  const std::string_view body = quoted.substr(1, quoted.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == quote) {
      return std::nullopt;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == body.size()) {
      return std::nullopt;
    }
    const char escape = body[i];
    switch (escape) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
      case '"':
        if (escape != quote) {
          return std::nullopt;
        }
        out += escape;
        break;
      case 'x':
      case 'u':
      case 'U': {
        const std::size_t length = escape == 'x' ? 2 : escape == 'u' ? 4 : 8;
        if (body.size() - i - 1 < length) {
          return std::nullopt;
        }
        const std::optional<std::uint32_t> code = hexValue(body.substr(i + 1, length));
        if (!code || (escape != 'x' && (*code > 0x10ffff || (*code >= 0xd800 && *code < 0xe000)))) {
          return std::nullopt;
        }
        if (escape == 'x') {
          out += static_cast<char>(*code);
        } else {
          appendUtf8(*code, out);
        }
        i += length;
        break;
      }
      default: {
        if (escape < '0' || escape > '7' || body.size() - i < 3) {
          return std::nullopt;
        }
        std::uint32_t code = 0;
        for (std::size_t j = 0; j < 3; ++j) {
          const char digit = body[i + j];
          if (digit < '0' || digit > '7') {
            return std::nullopt;
          }
          code = code * 8 + static_cast<std::uint32_t>(digit - '0');
        }
        if (code > 255) {
          return std::nullopt;
        }
        out += static_cast<char>(code);
        i += 2;
      }
    }
  }
  return out;
}

// strconv.Atoi: an optional sign and decimal digits that fit 64 bits.
std::optional<std::int64_t> parseGoInt(std::string_view text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') {
      return std::nullopt;
    }
  }
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parseGoFloat(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

// The template parser of client-go's parser.go, kept close to it so that what compiles there
// compiles here and means the same.
class Parser {
public:
  Parser(std::string_view input, json::Allocator& allocator)
      : input_(input), allocator_(allocator) {}

  Result<std::vector<Item>> parseTemplate() {
    std::vector<Item> items;
    while (pos_ < input_.size()) {
      const std::size_t open = input_.find('{', pos_);
      if (open != pos_) {
        items.push_back({false, {}});  // Literal text: only its presence matters here.
      }
      if (open == std::string_view::npos) {
        break;
      }
      pos_ = open + 1;
      Item action{true, {}};
      if (Result<void> parsed = parseAction(action.nodes); !parsed) {
        return std::move(parsed).error();
      }
      items.push_back(std::move(action));
    }
    return items;
  }

private:
  static Error syntax(std::string message) { return Error::invalidArgument(std::move(message)); }

  char peek() const { return pos_ < input_.size() ? input_[pos_] : '\0'; }
  bool atEnd() const { return pos_ >= input_.size(); }
  bool startsWith(std::string_view prefix) const { return input_.substr(pos_).starts_with(prefix); }

  // Inside `{...}`, up to and including the closing brace.
  Result<void> parseAction(NodeList& nodes) {
    while (true) {
      if (startsWith("}")) {
        ++pos_;
        return {};
      }
      Result<void> step;
      if (startsWith("[?(")) {
        step = parseFilter(nodes);
      } else if (startsWith("..")) {
        pos_ += 2;
        nodes.push_back(node(Node::Kind::Recursive));
        if (!atEnd() && isAlphaNumeric(peek())) {
          parseField(nodes);
        }
      } else if (atEnd() || peek() == '\r' || peek() == '\n') {
        return syntax("unclosed action");
      } else {
        const char c = peek();
        if (c == ' ' || c == '@' || c == '$') {
          ++pos_;  // '@' and '$' both name the current object: nothing to do.
        } else if (c == '[') {
          step = parseArray(nodes);
        } else if (c == '"' || c == '\'') {
          step = parseQuote(nodes);
        } else if (c == '.') {
          ++pos_;
          parseField(nodes);
        } else if (c == '+' || c == '-' || isDigit(c)) {
          step = parseNumber(nodes);
        } else if (isAlphaNumeric(c)) {
          parseIdentifier(nodes);
        } else {
          return syntax("unrecognized character in action: " + goRune(c));
        }
      }
      if (!step) {
        return step;
      }
    }
  }

  static Node node(Node::Kind kind) {
    Node out;
    out.kind = kind;
    return out;
  }

  // After '.' (or '..'): up to an unescaped terminator; backslashes are dropped.
  void parseField(NodeList& nodes) {
    const std::size_t start = pos_;
    while (!atEnd()) {
      const char c = input_[pos_];
      if (c == '\\') {
        ++pos_;
        if (!atEnd()) {
          pos_ += utf8Length(input_[pos_]);
        }
      } else if (isTerminator(c)) {
        break;
      } else {
        ++pos_;
      }
    }
    pos_ = std::min(pos_, input_.size());
    const std::string_view text = input_.substr(start, pos_ - start);
    if (text == "*") {
      nodes.push_back(node(Node::Kind::Wildcard));
      return;
    }
    Node field = node(Node::Kind::Field);
    for (const char c : text) {
      if (c != '\\') {
        field.name += c;
      }
    }
    nodes.push_back(std::move(field));
  }

  void parseIdentifier(NodeList& nodes) {
    const std::size_t start = pos_;
    while (!atEnd() && !isTerminator(input_[pos_])) {
      ++pos_;
    }
    const std::string_view text = input_.substr(start, pos_ - start);
    if (text == "true" || text == "false") {
      Node constant = node(Node::Kind::Constant);
      constant.value.SetBool(text == "true");
      nodes.push_back(std::move(constant));
      return;
    }
    Node identifier = node(Node::Kind::Identifier);
    identifier.name = text;
    nodes.push_back(std::move(identifier));
  }

  Result<void> parseNumber(NodeList& nodes) {
    const std::size_t start = pos_;
    if (peek() == '+' || peek() == '-') {
      ++pos_;
    }
    while (!atEnd() && (isDigit(peek()) || peek() == '.')) {
      ++pos_;
    }
    const std::string_view text = input_.substr(start, pos_ - start);
    Node constant = node(Node::Kind::Constant);
    if (const std::optional<std::int64_t> integer = parseGoInt(text)) {
      constant.value.SetInt64(*integer);
    } else if (const std::optional<double> number = parseGoFloat(text)) {
      constant.value.SetDouble(*number);
    } else {
      return syntax("cannot parse number " + std::string(text));
    }
    nodes.push_back(std::move(constant));
    return {};
  }

  Result<void> parseQuote(NodeList& nodes) {
    const char quote = peek();
    const std::size_t start = pos_;
    std::size_t i = pos_ + 1;
    while (true) {
      if (i >= input_.size() || input_[i] == '\n') {
        return syntax("unterminated quoted string");
      }
      if (input_[i] == quote && input_[i - 1] != '\\') {
        break;
      }
      ++i;
    }
    pos_ = i + 1;
    const std::string_view quoted = input_.substr(start, pos_ - start);
    const std::optional<std::string> text = unquote(quoted);
    if (!text) {
      return syntax("unquote string " + std::string(quoted) + " error invalid syntax");
    }
    Node literal = node(Node::Kind::Text);
    literal.value = json::stringValue(*text, allocator_);
    nodes.push_back(std::move(literal));
    return {};
  }

  // `text` as a whole action of its own, as client-go's parseAction does for the parts of
  // unions, dictionary keys and filters.
  Result<NodeList> parseSubAction(std::string_view text) const {
    const std::string wrapped = "{" + std::string(text) + "}";
    Result<std::vector<Item>> items = Parser(wrapped, allocator_).parseTemplate();
    if (!items) {
      return std::move(items).error();
    }
    return std::move(items->front().nodes);
  }

  Result<void> parseArray(NodeList& nodes) {
    const std::size_t start = pos_ + 1;
    std::size_t close = start;
    while (true) {
      if (close >= input_.size() || input_[close] == '\n') {
        return syntax("unterminated array");
      }
      if (input_[close] == ']') {
        break;
      }
      ++close;
    }
    pos_ = close + 1;
    std::string_view text = input_.substr(start, close - start);
    if (text == "*") {
      text = ":";
    }

    if (text.find(',') != std::string_view::npos) {
      Node union_node = node(Node::Kind::Union);
      std::size_t from = 0;
      while (true) {
        const std::size_t comma = text.find(',', from);
        std::string_view part = text.substr(
            from, comma == std::string_view::npos ? std::string_view::npos : comma - from);
        while (!part.empty() && part.front() == ' ') {
          part.remove_prefix(1);
        }
        while (!part.empty() && part.back() == ' ') {
          part.remove_suffix(1);
        }
        Result<NodeList> branch = parseSubAction("[" + std::string(part) + "]");
        if (!branch) {
          return std::move(branch).error();
        }
        union_node.lists.push_back(std::move(branch).value());
        if (comma == std::string_view::npos) {
          break;
        }
        from = comma + 1;
      }
      nodes.push_back(std::move(union_node));
      return {};
    }

    // ['key'] is .key: dots in it need escaping, as in client-go.
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'' &&
        text.substr(1, text.size() - 2).find('\'') == std::string_view::npos) {
      Result<NodeList> key = parseSubAction("." + std::string(text.substr(1, text.size() - 2)));
      if (!key) {
        return std::move(key).error();
      }
      for (Node& part : *key) {
        nodes.push_back(std::move(part));
      }
      return {};
    }

    // ^(-?\d*)(:-?\d*)?(:-?\d*)?$
    std::array<std::optional<std::string_view>, 3> groups;
    std::size_t i = 0;
    for (std::size_t group = 0; group < 3; ++group) {
      if (group > 0 && (i >= text.size() || text[i] != ':')) {
        break;
      }
      const std::size_t group_start = i;
      if (group > 0) {
        ++i;
      }
      if (i < text.size() && text[i] == '-') {
        ++i;
      }
      while (i < text.size() && isDigit(text[i])) {
        ++i;
      }
      groups[group] = text.substr(group_start, i - group_start);
    }
    if (i != text.size()) {
      return syntax("invalid array index " + std::string(text));
    }
    Node array = node(Node::Kind::Array);
    for (std::size_t p = 0; p < 3; ++p) {
      std::string_view value = groups[p].value_or("");
      SliceParam& param = array.params[p];
      if (!value.empty()) {
        if (p > 0) {
          value.remove_prefix(1);
        }
        if (p > 0 && value.empty()) {
          param.known = false;
        } else {
          const std::optional<std::int64_t> number = parseGoInt(value);
          if (!number) {
            return syntax("array index " + std::string(value) + " is not a number");
          }
          param.known = true;
          param.value = *number;
        }
      } else if (p == 1) {
        param.known = true;
        // Go's int wraps around; so does this, without undefined behaviour.
        param.value =
            static_cast<std::int64_t>(static_cast<std::uint64_t>(array.params[0].value) + 1);
        param.derived = true;
      }
    }
    nodes.push_back(std::move(array));
    return {};
  }

  Result<void> parseFilter(NodeList& nodes) {
    pos_ += 3;
    const std::size_t start = pos_;
    bool begin = false;
    bool end = false;
    char pair = '\0';
    while (true) {
      if (atEnd() || peek() == '\n') {
        return syntax("unterminated filter");
      }
      const char c = input_[pos_++];
      if (c == '"' || c == '\'') {
        if (!begin) {
          begin = true;
          pair = c;
          continue;
        }
        if (input_[pos_ - 2] != '\\' && c == pair) {
          end = true;
        }
      } else if (c == ')' && begin == end) {
        break;
      }
    }
    if (atEnd() || input_[pos_] != ']') {
      return syntax("unclosed array expect ]");
    }
    ++pos_;
    const std::string_view text = input_.substr(start, pos_ - 2 - start);

    // ^([^!<>=]+)([!<>=]+)(.+?)$
    const auto is_operator = [](char c) {
      return c == '!' || c == '<' || c == '>' || c == '=';
    };
    const std::size_t op_start = std::find_if(text.begin(), text.end(), is_operator) - text.begin();
    std::size_t op_end = op_start;
    while (op_end < text.size() && is_operator(text[op_end])) {
      ++op_end;
    }
    if (op_end == text.size() && op_end - op_start >= 2) {
      --op_end;  // The right side needs one character: the regex backtracks into the operator.
    }
    Node filter = node(Node::Kind::Filter);
    if (op_start == 0 || op_start == text.size() || op_end == text.size()) {
      Result<NodeList> left = parseSubAction(text);
      if (!left) {
        return std::move(left).error();
      }
      filter.name = "exists";
      filter.lists.push_back(std::move(left).value());
      filter.lists.emplace_back();
    } else {
      Result<NodeList> left = parseSubAction(text.substr(0, op_start));
      if (!left) {
        return std::move(left).error();
      }
      Result<NodeList> right = parseSubAction(text.substr(op_end));
      if (!right) {
        return std::move(right).error();
      }
      filter.name = text.substr(op_start, op_end - op_start);
      filter.lists.push_back(std::move(left).value());
      filter.lists.push_back(std::move(right).value());
    }
    nodes.push_back(std::move(filter));
    return {};
  }

  std::string_view input_;
  std::size_t pos_ = 0;
  json::Allocator& allocator_;
};

using Values = std::vector<const json::Value*>;

// Evaluation, as client-go's jsonpath.go with AllowMissingKeys(true). Each function returns
// false where client-go returns an error; the whole evaluation then yields nothing.
bool evalList(const NodeList& nodes, Values input, Values& output);

void collectRecursive(const json::Value& value, Values& output) {
  if (value.IsObject() && value.MemberCount() > 0) {
    output.push_back(&value);
    for (const auto& member : value.GetObject()) {
      collectRecursive(member.value, output);
    }
  } else if (value.IsArray() && !value.Empty()) {
    output.push_back(&value);
    for (const json::Value& element : value.GetArray()) {
      collectRecursive(element, output);
    }
  } else if (value.IsString() && value.GetStringLength() > 0) {
    output.push_back(&value);  // Go walks a string's bytes, which cannot be pointed at.
  }
}

bool evalArray(const Node& node, const Values& input, Values& output) {
  for (const json::Value* value : input) {
    if (value->IsNull()) {
      continue;
    }
    if (!value->IsArray()) {
      return false;
    }
    const auto length = static_cast<std::int64_t>(value->Size());
    std::array<SliceParam, 3> params = node.params;
    if (!params[0].known) {
      params[0].value = 0;
    }
    if (params[0].value < 0) {
      params[0].value += length;
    }
    if (!params[1].known) {
      params[1].value = length;
    }
    if (params[1].value < 0 || (params[1].value == 0 && params[1].derived)) {
      params[1].value += length;
    }
    if (params[1].value == params[0].value) {
      return true;  // Zero elements requested: client-go returns at once, skipping the rest.
    }
    if (params[0].value >= length || params[0].value < 0 || params[1].value > length ||
        params[1].value < 0 || params[0].value > params[1].value) {
      return false;
    }
    std::int64_t step = 1;
    if (params[2].known) {
      if (params[2].value <= 0) {
        return false;
      }
      step = params[2].value;
    }
    for (std::int64_t i = params[0].value; i < params[1].value; i += step) {
      output.push_back(&(*value)[static_cast<rapidjson::SizeType>(i)]);
      if (params[1].value - i <= step) {
        break;
      }
    }
  }
  return true;
}

enum class GoKind { Invalid, Bool, Int, Float, String };

GoKind kindOf(const json::Value& value) {
  if (value.IsString()) {
    return GoKind::String;
  }
  if (value.IsBool()) {
    return GoKind::Bool;
  }
  if (value.IsNumber()) {
    // Unstructured JSON holds int64 when the number fits, float64 otherwise.
    return value.IsInt64() ? GoKind::Int : GoKind::Float;
  }
  return GoKind::Invalid;
}

// text/template's eq and lt: same kinds only; nullopt is an error.
std::optional<bool> goEqual(const json::Value& a, const json::Value& b) {
  const GoKind kind = kindOf(a);
  if (kind == GoKind::Invalid || kindOf(b) != kind) {
    return std::nullopt;
  }
  switch (kind) {
    case GoKind::Bool:
      return a.GetBool() == b.GetBool();
    case GoKind::Int:
      return a.GetInt64() == b.GetInt64();
    case GoKind::Float:
      return a.GetDouble() == b.GetDouble();
    case GoKind::String:
      return json::view(a) == json::view(b);
    case GoKind::Invalid:
      break;
  }
  return std::nullopt;
}

std::optional<bool> goLess(const json::Value& a, const json::Value& b) {
  const GoKind kind = kindOf(a);
  if (kind == GoKind::Invalid || kind == GoKind::Bool || kindOf(b) != kind) {
    return std::nullopt;
  }
  switch (kind) {
    case GoKind::Int:
      return a.GetInt64() < b.GetInt64();
    case GoKind::Float:
      return a.GetDouble() < b.GetDouble();
    case GoKind::String:
      return json::view(a) < json::view(b);
    case GoKind::Bool:
    case GoKind::Invalid:
      break;
  }
  return std::nullopt;
}

std::optional<bool> compare(std::string_view op, const json::Value& a, const json::Value& b) {
  if (op == "==") {
    return goEqual(a, b);
  }
  if (op == "!=") {
    const std::optional<bool> equal = goEqual(a, b);
    return equal ? std::optional<bool>(!*equal) : std::nullopt;
  }
  const std::optional<bool> less = goLess(a, b);
  if (!less) {
    return std::nullopt;
  }
  if (op == "<") {
    return *less;
  }
  if (op == ">=") {
    return !*less;
  }
  if (op == "<=" || op == ">") {
    bool less_equal = *less;
    if (!less_equal) {
      const std::optional<bool> equal = goEqual(a, b);
      if (!equal) {
        return std::nullopt;
      }
      less_equal = *equal;
    }
    return op == "<=" ? less_equal : !less_equal;
  }
  return std::nullopt;  // "=", "=<", ...: client-go's "unrecognized filter operator".
}

bool evalFilter(const Node& node, const Values& input, Values& output) {
  for (const json::Value* value : input) {
    if (!value->IsArray()) {
      return false;  // Null included: client-go filters only arrays.
    }
    for (const json::Value& element : value->GetArray()) {
      Values lefts;
      const bool left_ok = evalList(node.lists[0], {&element}, lefts);
      if (node.name == "exists") {
        // A failed test counts as present: client-go then returns the values it had reached.
        if (!left_ok || !lefts.empty()) {
          output.push_back(&element);
        }
        continue;
      }
      if (!left_ok || lefts.size() > 1) {
        return false;
      }
      if (lefts.empty()) {
        continue;
      }
      Values rights;
      if (!evalList(node.lists[1], {&element}, rights) || rights.size() > 1) {
        return false;
      }
      if (rights.empty()) {
        continue;
      }
      const std::optional<bool> pass = compare(node.name, *lefts.front(), *rights.front());
      if (!pass) {
        return false;
      }
      if (*pass) {
        output.push_back(&element);
      }
    }
  }
  return true;
}

bool walk(const Node& node, const Values& input, Values& output) {
  switch (node.kind) {
    case Node::Kind::Field:
      for (const json::Value* value : input) {
        if (const json::Value* member = json::find(*value, node.name)) {
          output.push_back(member);
        }
      }
      return true;
    case Node::Kind::Wildcard:
      for (const json::Value* value : input) {
        if (value->IsObject()) {
          for (const auto& member : value->GetObject()) {
            output.push_back(&member.value);
          }
        } else if (value->IsArray()) {
          for (const json::Value& element : value->GetArray()) {
            output.push_back(&element);
          }
        }
      }
      return true;
    case Node::Kind::Recursive:
      for (const json::Value* value : input) {
        collectRecursive(*value, output);
      }
      return true;
    case Node::Kind::Array:
      return evalArray(node, input, output);
    case Node::Kind::Filter:
      return evalFilter(node, input, output);
    case Node::Kind::Union:
      for (const NodeList& branch : node.lists) {
        if (!evalList(branch, input, output)) {
          return false;
        }
      }
      return true;
    case Node::Kind::Text:
      output.push_back(&node.value);
      return true;
    case Node::Kind::Constant:
      output.insert(output.end(), input.size(), &node.value);
      return true;
    case Node::Kind::Identifier:
      // range/end belong to kubectl templates, which compile() refuses; any other word is
      // client-go's "unrecognized identifier".
      return false;
  }
  return false;
}

bool evalList(const NodeList& nodes, Values input, Values& output) {
  for (const Node& node : nodes) {
    Values next;
    if (!walk(node, input, next)) {
      return false;
    }
    input = std::move(next);
  }
  output.insert(output.end(), input.begin(), input.end());
  return true;
}

// Go's %v of a float64: strconv's shortest 'g', exponent form below 1e-4 and from 1e6.
std::string goFloat(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  std::array<char, 64> buffer{};
  const auto printed = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                     std::chars_format::scientific);
  std::string_view text(buffer.data(), static_cast<std::size_t>(printed.ptr - buffer.data()));
  std::string out;
  if (text.front() == '-') {
    out += '-';
    text.remove_prefix(1);
  }
  const std::size_t e = text.find('e');
  std::string digits;
  for (const char c : text.substr(0, e)) {
    if (c != '.') {
      digits += c;
    }
  }
  // to_chars writes the exponent as e+XX or e-XX.
  const std::string_view exponent_text = text.substr(e + 1);
  int exponent = 0;
  for (const char c : exponent_text.substr(1)) {
    exponent = exponent * 10 + (c - '0');
  }
  if (exponent_text.front() == '-') {
    exponent = -exponent;
  }
  const auto count = static_cast<int>(digits.size());
  if (exponent < -4 || exponent >= 6) {
    out += digits[0];
    if (count > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += exponent < 0 ? "e-" : "e+";
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) {
      out += '0';
    }
    out += std::to_string(magnitude);
    return out;
  }
  const int point = exponent + 1;  // Digits before the decimal point.
  if (point > 0) {
    for (int i = 0; i < point; ++i) {
      out += i < count ? digits[static_cast<std::size_t>(i)] : '0';
    }
  } else {
    out += '0';
  }
  if (count > point) {
    out += '.';
    for (int i = point; i < count; ++i) {
      out += i < 0 ? '0' : digits[static_cast<std::size_t>(i)];
    }
  }
  return out;
}

// fmt.Fprint of a value of unstructured JSON: what client-go's PrintResults writes.
void goPrint(const json::Value& value, bool top, std::string& out) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      out += top ? "<no value>" : "<nil>";
      return;
    case rapidjson::kFalseType:
      out += "false";
      return;
    case rapidjson::kTrueType:
      out += "true";
      return;
    case rapidjson::kStringType:
      out += json::view(value);
      return;
    case rapidjson::kNumberType:
      out += value.IsInt64() ? std::to_string(value.GetInt64()) : goFloat(value.GetDouble());
      return;
    case rapidjson::kArrayType: {
      out += '[';
      bool first = true;
      for (const json::Value& element : value.GetArray()) {
        if (!first) {
          out += ' ';
        }
        first = false;
        goPrint(element, false, out);
      }
      out += ']';
      return;
    }
    case rapidjson::kObjectType: {
      // A Go map prints sorted by key; with a duplicated key, the last one is the map's.
      std::vector<std::pair<std::string_view, const json::Value*>> members;
      for (const auto& member : value.GetObject()) {
        members.emplace_back(json::view(member.name), &member.value);
      }
      std::stable_sort(members.begin(), members.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      out += "map[";
      bool first = true;
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i + 1 < members.size() && members[i + 1].first == members[i].first) {
          continue;
        }
        if (!first) {
          out += ' ';
        }
        first = false;
        out += members[i].first;
        out += ':';
        goPrint(*members[i].second, false, out);
      }
      out += ']';
      return;
    }
  }
}

// A point in time, or nothing when the text is not RFC 3339 (Go's time.RFC3339 layout, which
// also takes a fraction of a second).
struct Instant {
  std::int64_t seconds = 0;  // Since the Unix epoch.
  std::int64_t nanos = 0;
};

std::optional<int> digitsAt(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!isDigit(text[i])) {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<Instant> parseRfc3339(std::string_view text) {
  const std::optional<int> year = digitsAt(text, 0, 4);
  const std::optional<int> month = digitsAt(text, 5, 2);
  const std::optional<int> day = digitsAt(text, 8, 2);
  const std::optional<int> hour = digitsAt(text, 11, 2);
  const std::optional<int> minute = digitsAt(text, 14, 2);
  const std::optional<int> second = digitsAt(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::int64_t nanos = 0;
  if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
    ++at;
    const std::size_t start = at;
    std::int64_t scale = 100'000'000;
    while (at < text.size() && isDigit(text[at])) {
      nanos += (text[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start) {
      return std::nullopt;
    }
  }
  std::int64_t offset = 0;
  if (at < text.size() && text[at] == 'Z') {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const std::optional<int> offset_hours = digitsAt(text, at + 1, 2);
    const std::optional<int> offset_minutes = digitsAt(text, at + 4, 2);
    if (!offset_hours || !offset_minutes || text[at + 3] != ':' || *offset_hours > 23 ||
        *offset_minutes > 59) {
      return std::nullopt;
    }
    offset = (std::int64_t{*offset_hours} * 3600 + std::int64_t{*offset_minutes} * 60) *
             (text[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) {
    return std::nullopt;
  }
  const std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return Instant{
      days * 86400 + std::int64_t{*hour} * 3600 + std::int64_t{*minute} * 60 + *second - offset,
      nanos};
}

// Go's zero time.Time, 0001-01-01T00:00:00Z: what an empty date reads as.
constexpr std::int64_t kZeroTimeSeconds = -62135596800;

// now - then in nanoseconds, saturated like Go's Time.Sub.
std::int64_t since(std::chrono::system_clock::time_point now, const Instant& then) {
  const auto now_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::int64_t seconds = now_nanos / 1'000'000'000 - then.seconds;
  const std::int64_t nanos = now_nanos % 1'000'000'000 - then.nanos;
  std::int64_t total = 0;
  if (__builtin_mul_overflow(seconds, std::int64_t{1'000'000'000}, &total) ||
      __builtin_add_overflow(total, nanos, &total)) {
    return seconds < 0 ? std::numeric_limits<std::int64_t>::min()
                       : std::numeric_limits<std::int64_t>::max();
  }
  return total;
}

json::Value dateCell(std::string_view text, std::chrono::system_clock::time_point now,
                     json::Allocator& allocator) {
  if (text.empty() || text == "null") {
    return json::stringValue("<unknown>", allocator);
  }
  const std::optional<Instant> instant = parseRfc3339(text);
  if (!instant) {
    return json::stringValue("<invalid>", allocator);
  }
  if (instant->seconds == kZeroTimeSeconds && instant->nanos == 0) {
    return json::stringValue("<unknown>", allocator);
  }
  return json::stringValue(humanDuration(std::chrono::nanoseconds(since(now, *instant))),
                           allocator);
}

// Go's int64(float64): truncation; out of range gives the minimum, as on amd64.
std::int64_t truncateToInt64(double value) {
  constexpr double kLimit = 9223372036854775808.0;  // 2^63
  if (std::isnan(value) || value >= kLimit || value < -kLimit) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return static_cast<std::int64_t>(value);
}

}  // namespace

struct JsonPath::Program {
  std::string expression;
  // Owns the strings of Text nodes; declared before the nodes that point into it.
  json::Document storage;
  NodeList nodes;
};

JsonPath::JsonPath(std::unique_ptr<const Program> program) : program_(std::move(program)) {}
JsonPath::JsonPath(JsonPath&&) noexcept = default;
JsonPath& JsonPath::operator=(JsonPath&&) noexcept = default;
JsonPath::~JsonPath() = default;

Result<JsonPath> JsonPath::compile(std::string_view expression) {
  auto program = std::make_unique<Program>();
  program->expression = expression;
  // Printer columns hold a bare path that the API server wraps in braces; kubectl's form
  // already has them.
  const std::string text =
      expression.starts_with("{") ? std::string(expression) : "{" + std::string(expression) + "}";
  Result<std::vector<Item>> items = Parser(text, program->storage.GetAllocator()).parseTemplate();
  if (!items) {
    return Error::invalidArgument("invalid jsonpath \"" + std::string(expression) +
                                  "\": " + items.error().message);
  }
  if (items->size() != 1 || !items->front().is_action) {
    return Error::invalidArgument("invalid jsonpath \"" + std::string(expression) +
                                  "\": expected exactly one {} expression and no text around it");
  }
  program->nodes = std::move(items->front().nodes);
  return JsonPath(std::move(program));
}

std::vector<const json::Value*> JsonPath::evaluate(const json::Value& root) const {
  Values output;
  if (!evalList(program_->nodes, {&root}, output)) {
    return {};
  }
  return output;
}

const std::string& JsonPath::expression() const {
  return program_->expression;
}

json::Value cellValue(const std::vector<const json::Value*>& matches, std::string_view column_type,
                      std::chrono::system_clock::time_point now, json::Allocator& allocator) {
  if (matches.empty() || matches.front() == nullptr) {
    return json::Value();
  }
  const json::Value& value = *matches.front();
  if (column_type == "string") {
    std::string text;
    goPrint(value, true, text);
    return json::stringValue(text, allocator);
  }
  if (column_type == "integer" && value.IsNumber()) {
    return json::Value(value.IsInt64() ? value.GetInt64() : truncateToInt64(value.GetDouble()));
  }
  if (column_type == "number" && value.IsNumber()) {
    return json::Value(value.GetDouble());
  }
  if (column_type == "boolean" && value.IsBool()) {
    return json::Value(value.GetBool());
  }
  if (column_type == "date" && value.IsString()) {
    return dateCell(json::view(value), now, allocator);
  }
  return json::Value();
}

std::string humanDuration(std::chrono::nanoseconds duration) {
  using std::to_string;
  const std::int64_t d = duration.count();
  constexpr std::int64_t kSecond = 1'000'000'000;
  constexpr std::int64_t kMinute = 60 * kSecond;
  constexpr std::int64_t kHour = 60 * kMinute;
  constexpr std::int64_t kHoursPerDay = 24;
  constexpr std::int64_t kDaysPerYear = 365;
  const std::int64_t seconds = d / kSecond;
  if (seconds < -1) {
    return "<invalid>";
  }
  if (seconds < 0) {
    return "0s";
  }
  if (seconds < 2 * std::int64_t{60}) {
    return to_string(seconds) + "s";
  }
  const std::int64_t minutes = d / kMinute;
  if (minutes < 10) {
    const std::int64_t s = seconds % 60;
    return s == 0 ? to_string(minutes) + "m" : to_string(minutes) + "m" + to_string(s) + "s";
  }
  if (minutes < 3 * std::int64_t{60}) {
    return to_string(minutes) + "m";
  }
  const std::int64_t hours = d / kHour;
  if (hours < 8) {
    const std::int64_t m = minutes % 60;
    return m == 0 ? to_string(hours) + "h" : to_string(hours) + "h" + to_string(m) + "m";
  }
  if (hours < 48) {
    return to_string(hours) + "h";
  }
  if (hours < 8 * kHoursPerDay) {
    const std::int64_t h = hours % 24;
    return h == 0 ? to_string(hours / 24) + "d" : to_string(hours / 24) + "d" + to_string(h) + "h";
  }
  if (hours < 2 * kDaysPerYear * kHoursPerDay) {
    return to_string(hours / 24) + "d";
  }
  if (hours < 8 * kDaysPerYear * kHoursPerDay) {
    const std::int64_t dy = (hours / 24) % 365;
    return dy == 0 ? to_string(hours / 24 / 365) + "y"
                   : to_string(hours / 24 / 365) + "y" + to_string(dy) + "d";
  }
  return to_string(hours / 24 / 365) + "y";
}

}  // namespace daap::kube

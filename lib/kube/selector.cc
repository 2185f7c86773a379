#include "lib/kube/selector.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <system_error>
#include <utility>

namespace daap::kube {
namespace {

// Validation of keys and values, with the messages of k8s.io/apimachinery/pkg/util/validation.

constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::size_t kQualifiedNameMaxLength = 63;
constexpr std::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::size_t kLabelValueMaxLength = 63;
constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::size_t kDns1123SubdomainMaxLength = 253;

bool isAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool isQualifiedNamePart(std::string_view text) {
  if (text.empty() || !isAsciiAlnum(text.front()) || !isAsciiAlnum(text.back())) {
    return false;
  }
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return isAsciiAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*
bool isDns1123Subdomain(std::string_view text) {
  const auto lower_alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view label =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back()) ||
        !std::all_of(label.begin(), label.end(),
                     [&](char c) { return lower_alnum(c) || c == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

std::string regexError(std::string_view message, std::string_view format,
                       std::initializer_list<std::string_view> examples) {
  std::string out(message);
  out += " (e.g. ";
  bool first = true;
  for (const std::string_view example : examples) {
    if (!first) {
      out += " or ";
    }
    first = false;
    out += "'";
    out += example;
    out += "', ";
  }
  out += "regex used for validation is '";
  out += format;
  out += "')";
  return out;
}

std::string maxLenError(std::size_t length) {
  return "must be no more than " + std::to_string(length) + " characters";
}

// validation.IsQualifiedName.
std::vector<std::string> qualifiedNameErrors(std::string_view value) {
  std::vector<std::string> errors;
  const std::size_t slash = value.find('/');
  std::string_view name = value;
  if (slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      errors.push_back(
          "a qualified name " +
          regexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
          " with an optional DNS subdomain prefix and '/' (e.g. "
          "'example.com/MyName')");
      return errors;
    }
    const std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errors.emplace_back("prefix part must be non-empty");
    } else {
      if (prefix.size() > kDns1123SubdomainMaxLength) {
        errors.push_back("prefix part " + maxLenError(kDns1123SubdomainMaxLength));
      }
      if (!isDns1123Subdomain(prefix)) {
        errors.push_back("prefix part " + regexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt,
                                                     {"example.com"}));
      }
    }
  }
  if (name.empty()) {
    errors.emplace_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errors.push_back("name part " + maxLenError(kQualifiedNameMaxLength));
  }
  if (!isQualifiedNamePart(name)) {
    errors.push_back("name part " + regexError(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                               {"MyName", "my.name", "123-abc"}));
  }
  return errors;
}

// validation.IsValidLabelValue.
std::vector<std::string> labelValueErrors(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > kLabelValueMaxLength) {
    errors.push_back(maxLenError(kLabelValueMaxLength));
  }
  if (!value.empty() && !isQualifiedNamePart(value)) {
    errors.push_back(
        regexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errors;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += parts[i];
  }
  return out;
}

// Go's %q of a string (strconv.Quote), for the printable ASCII and UTF-8 that selectors hold.
std::string goQuote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          std::array<char, 5> escaped{};
          std::snprintf(escaped.data(), escaped.size(), "\\x%02x", static_cast<unsigned char>(c));
          out += escaped.data();
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

// Go's %#v of a []string: `[]string(nil)` when empty (the API server copies values with
// append(nil, ...)), else `[]string{"a", "b"}`.
std::string goStringSlice(const std::vector<std::string>& values) {
  if (values.empty()) {
    return "[]string(nil)";
  }
  std::string out = "[]string{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += goQuote(values[i]);
  }
  out += "}";
  return out;
}

// field.Invalid(path, value, detail).Error().
std::string invalidValue(std::string_view path, std::string_view go_value,
                         std::string_view detail) {
  std::string out(path);
  out += ": Invalid value: ";
  out += go_value;
  out += ": ";
  out += detail;
  return out;
}

// utilerrors.NewAggregate(errs).Error(): one message alone, several distinct in brackets.
std::string aggregate(const std::vector<std::string>& errors) {
  std::vector<std::string> distinct;
  for (const std::string& error : errors) {
    if (std::find(distinct.begin(), distinct.end(), error) == distinct.end()) {
      distinct.push_back(error);
    }
  }
  if (distinct.size() == 1) {
    return distinct.front();
  }
  return "[" + join(distinct, ", ") + "]";
}

// strconv.ParseInt(text, 10, 64): optional sign, decimal digits, no overflow.
std::optional<std::int64_t> parseGoInt(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') {
    digits.remove_prefix(1);
    if (!digits.empty() && digits.front() == '-') {
      return std::nullopt;
    }
  }
  std::int64_t value = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

using Operator = LabelSelector::Operator;
using Requirement = LabelSelector::Requirement;

// labels.NewRequirement: validates and builds one requirement. `key_path` names the key in
// errors: the API server's text parser passes a nil path ("<nil>"), the LabelSelector object
// conversion the child "key".
Result<Requirement> newRequirement(std::string key, Operator op, std::vector<std::string> values,
                                   std::string_view key_path) {
  std::vector<std::string> errors;
  if (const std::vector<std::string> key_errors = qualifiedNameErrors(key); !key_errors.empty()) {
    errors.push_back(invalidValue(key_path, goQuote(key), join(key_errors, "; ")));
  }
  Requirement requirement;
  switch (op) {
    case Operator::In:
    case Operator::NotIn:
      if (values.empty()) {
        errors.push_back(invalidValue("values", goStringSlice(values),
                                      "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case Operator::Equals:
    case Operator::DoubleEquals:
    case Operator::NotEquals:
      if (values.size() != 1) {
        errors.push_back(invalidValue("values", goStringSlice(values),
                                      "exact-match compatibility requires one single value"));
      }
      break;
    case Operator::Exists:
    case Operator::DoesNotExist:
      if (!values.empty()) {
        errors.push_back(invalidValue("values", goStringSlice(values),
                                      "values set must be empty for exists and does not exist"));
      }
      break;
    case Operator::GreaterThan:
    case Operator::LessThan:
      if (values.size() != 1) {
        errors.push_back(invalidValue("values", goStringSlice(values),
                                      "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::optional<std::int64_t> bound = parseGoInt(values[i]);
        if (!bound) {
          errors.push_back(invalidValue("values[" + std::to_string(i) + "]", goQuote(values[i]),
                                        "for 'Gt', 'Lt' operators, the value must be an integer"));
        } else {
          requirement.bound = *bound;
        }
      }
      break;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (const std::vector<std::string> value_errors = labelValueErrors(values[i]);
        !value_errors.empty()) {
      errors.push_back(invalidValue("values[" + std::to_string(i) + "][" + key + "]",
                                    goQuote(values[i]), join(value_errors, "; ")));
    }
  }
  if (!errors.empty()) {
    return Error::invalidArgument(aggregate(errors));
  }
  requirement.key = std::move(key);
  requirement.op = op;
  requirement.values = std::move(values);
  return requirement;
}

void sortByKey(std::vector<Requirement>& requirements) {
  // Stable: requirements on the same key keep their written order, as Go's insertion sort does
  // for the handful of requirements a selector holds.
  std::stable_sort(requirements.begin(), requirements.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
}

// The lexer and parser of k8s.io/apimachinery/pkg/labels/selector.go.

enum class Token {
  Error,
  EndOfString,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
};

struct ScannedItem {
  Token token = Token::Error;
  std::string_view literal;
};

std::optional<Token> keywordToken(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, Token>, 11> kTokens = {{
      {")", Token::ClosedPar},
      {",", Token::Comma},
      {"!", Token::DoesNotExist},
      {"==", Token::DoubleEquals},
      {"=", Token::Equals},
      {">", Token::GreaterThan},
      {"in", Token::In},
      {"<", Token::LessThan},
      {"!=", Token::NotEquals},
      {"notin", Token::NotIn},
      {"(", Token::OpenPar},
  }};
  for (const auto& [literal, token] : kTokens) {
    if (literal == text) {
      return token;
    }
  }
  return std::nullopt;
}

bool isWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool isSpecialSymbol(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

// Splits the selector into tokens, as Go's lexer does: a NUL byte where a token would start ends
// the input.
std::vector<ScannedItem> scan(std::string_view text) {
  std::vector<ScannedItem> items;
  std::size_t pos = 0;
  const auto at = [&](std::size_t i) {
    return i < text.size() ? text[i] : '\0';
  };
  while (true) {
    while (isWhitespace(at(pos))) {
      ++pos;
    }
    const char c = at(pos);
    if (c == '\0') {
      items.push_back({Token::EndOfString, {}});
      return items;
    }
    const std::size_t start = pos;
    if (isSpecialSymbol(c)) {
      // The longest run of symbols that is still a token: "!=" but "!" then "(" for "!(".
      ScannedItem last;
      std::size_t end = pos;
      while (isSpecialSymbol(at(end))) {
        ++end;
        if (const std::optional<Token> token = keywordToken(text.substr(start, end - start))) {
          last = {*token, text.substr(start, end - start)};
        } else if (last.token != Token::Error) {
          --end;
          break;
        }
      }
      pos = start + last.literal.size();
      if (last.token == Token::Error) {
        last.literal = text.substr(start, end - start);  // Unreachable: every symbol is a token.
        pos = end;
      }
      if (pos < text.size() && text[pos] == '\0') {
        ++pos;  // Go's lexer consumes the NUL that ends a token; a NUL before one ends the input.
      }
      items.push_back(last);
      continue;
    }
    while (at(pos) != '\0' && !isSpecialSymbol(at(pos)) && !isWhitespace(at(pos))) {
      ++pos;
    }
    const std::string_view literal = text.substr(start, pos - start);
    if (pos < text.size() && text[pos] == '\0') {
      ++pos;
    }
    const std::optional<Token> token = keywordToken(literal);
    items.push_back({token.value_or(Token::Identifier), literal});
  }
}

std::string found(std::string_view literal, std::string_view expected) {
  std::string out = "found '";
  out += literal;
  out += "', expected: ";
  out += expected;
  return out;
}

class Parser {
public:
  explicit Parser(std::string_view text) : items_(scan(text)) {}

  Result<std::vector<Requirement>> parse() {
    std::vector<Requirement> requirements;
    while (true) {
      const ScannedItem next = lookahead(Context::Values);
      switch (next.token) {
        case Token::Identifier:
        case Token::DoesNotExist: {
          Result<Requirement> requirement = parseRequirement();
          if (!requirement) {
            return Error::invalidArgument("unable to parse requirement: " +
                                          requirement.error().message);
          }
          requirements.push_back(std::move(requirement).value());
          const ScannedItem after = consume(Context::Values);
          if (after.token == Token::EndOfString) {
            return requirements;
          }
          if (after.token != Token::Comma) {
            return Error::invalidArgument(found(after.literal, "',' or 'end of string'"));
          }
          const ScannedItem following = lookahead(Context::Values);
          if (following.token != Token::Identifier && following.token != Token::DoesNotExist) {
            return Error::invalidArgument(found(following.literal, "identifier after ','"));
          }
          break;
        }
        case Token::EndOfString:
          return requirements;
        default:
          return Error::invalidArgument(found(next.literal, "!, identifier, or 'end of string'"));
      }
    }
  }

private:
  // Where `in` and `notin` are keywords: only in operator position ("in in (in)" is valid).
  enum class Context { KeyAndOperator, Values };

  ScannedItem lookahead(Context context) const { return contextual(items_[position_], context); }

  ScannedItem consume(Context context) {
    const ScannedItem item = items_[position_];
    // The EndOfString item is never passed: every caller stops there.
    if (position_ + 1 < items_.size()) {
      ++position_;
    }
    return contextual(item, context);
  }

  static ScannedItem contextual(ScannedItem item, Context context) {
    if (context == Context::Values && (item.token == Token::In || item.token == Token::NotIn)) {
      item.token = Token::Identifier;
    }
    return item;
  }

  Result<Requirement> parseRequirement() {
    std::optional<Operator> op;
    ScannedItem key = consume(Context::Values);
    if (key.token == Token::DoesNotExist) {
      op = Operator::DoesNotExist;
      key = consume(Context::Values);
    }
    if (key.token != Token::Identifier) {
      return Error::invalidArgument(found(key.literal, "identifier"));
    }
    if (const std::vector<std::string> errors = qualifiedNameErrors(key.literal); !errors.empty()) {
      return Error::invalidArgument(
          invalidValue("<nil>", goQuote(key.literal), join(errors, "; ")));
    }
    const Token next = lookahead(Context::Values).token;
    if (!op && (next == Token::EndOfString || next == Token::Comma)) {
      op = Operator::Exists;
    }
    if (op) {
      return newRequirement(std::string(key.literal), *op, {}, "key");
    }
    const ScannedItem op_item = consume(Context::KeyAndOperator);
    std::vector<std::string> values;
    switch (op_item.token) {
      case Token::In:
        op = Operator::In;
        break;
      case Token::NotIn:
        op = Operator::NotIn;
        break;
      case Token::Equals:
        op = Operator::Equals;
        break;
      case Token::DoubleEquals:
        op = Operator::DoubleEquals;
        break;
      case Token::NotEquals:
        op = Operator::NotEquals;
        break;
      case Token::GreaterThan:
        op = Operator::GreaterThan;
        break;
      case Token::LessThan:
        op = Operator::LessThan;
        break;
      default:
        return Error::invalidArgument(found(op_item.literal, "'=', '!=', '==', 'in', notin'"));
    }
    Result<std::vector<std::string>> parsed_values =
        (*op == Operator::In || *op == Operator::NotIn) ? parseValues() : parseExactValue();
    if (!parsed_values) {
      return std::move(parsed_values).error();
    }
    // A set, as sets.String.List(): sorted, duplicates dropped.
    values = std::move(parsed_values).value();
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return newRequirement(std::string(key.literal), *op, std::move(values), "key");
  }

  // "(" values ")"; "()" is the set {""}.
  Result<std::vector<std::string>> parseValues() {
    const ScannedItem open = consume(Context::Values);
    if (open.token != Token::OpenPar) {
      return Error::invalidArgument("found '" + std::string(open.literal) + "' expected: '('");
    }
    const ScannedItem next = lookahead(Context::Values);
    switch (next.token) {
      case Token::Identifier:
      case Token::Comma: {
        Result<std::vector<std::string>> values = parseIdentifiersList();
        if (!values) {
          return values;
        }
        if (consume(Context::Values).token != Token::ClosedPar) {
          return Error::invalidArgument(found(next.literal, "')'"));
        }
        return values;
      }
      case Token::ClosedPar:
        consume(Context::Values);
        return std::vector<std::string>{""};
      default:
        return Error::invalidArgument(found(next.literal, "',', ')' or identifier"));
    }
  }

  // Comma-separated, possibly empty identifiers: "a,,b" and "a," hold "".
  Result<std::vector<std::string>> parseIdentifiersList() {
    std::vector<std::string> values;
    while (true) {
      const ScannedItem item = consume(Context::Values);
      switch (item.token) {
        case Token::Identifier: {
          values.emplace_back(item.literal);
          const ScannedItem next = lookahead(Context::Values);
          if (next.token == Token::ClosedPar) {
            return values;
          }
          if (next.token != Token::Comma) {
            return Error::invalidArgument(found(next.literal, "',' or ')'"));
          }
          break;
        }
        case Token::Comma: {
          if (values.empty()) {
            values.emplace_back();  // "(,"
          }
          const Token next = lookahead(Context::Values).token;
          if (next == Token::ClosedPar) {
            values.emplace_back();  // ",)"
            return values;
          }
          if (next == Token::Comma) {
            consume(Context::Values);
            values.emplace_back();  // ",,"
          }
          break;
        }
        default:
          return Error::invalidArgument(found(item.literal, "',', or identifier"));
      }
    }
  }

  // The one value after =, ==, !=, >, <; nothing before ',' or the end is "".
  Result<std::vector<std::string>> parseExactValue() {
    const Token next = lookahead(Context::Values).token;
    if (next == Token::EndOfString || next == Token::Comma) {
      return std::vector<std::string>{""};
    }
    const ScannedItem item = consume(Context::Values);
    if (item.token == Token::Identifier) {
      return std::vector<std::string>{std::string(item.literal)};
    }
    return Error::invalidArgument(found(item.literal, "identifier"));
  }

  std::vector<ScannedItem> items_;
  std::size_t position_ = 0;
};

bool hasValue(const Requirement& requirement, const json::Value& label) {
  if (!label.IsString()) {
    return false;
  }
  const std::string_view value = json::view(label);
  return std::any_of(requirement.values.begin(), requirement.values.end(),
                     [&](const std::string& candidate) { return candidate == value; });
}

// Requirement.Matches. `label` is the label's value, or nullptr when the key is absent.
bool requirementMatches(const Requirement& requirement, const json::Value* label) {
  switch (requirement.op) {
    case Operator::In:
    case Operator::Equals:
    case Operator::DoubleEquals:
      return label != nullptr && hasValue(requirement, *label);
    case Operator::NotIn:
    case Operator::NotEquals:
      return label == nullptr || !hasValue(requirement, *label);
    case Operator::Exists:
      return label != nullptr;
    case Operator::DoesNotExist:
      return label == nullptr;
    case Operator::GreaterThan:
    case Operator::LessThan: {
      if (label == nullptr || !label->IsString()) {
        return false;
      }
      const std::optional<std::int64_t> number = parseGoInt(json::view(*label));
      if (!number) {
        return false;
      }
      return requirement.op == Operator::GreaterThan ? *number > requirement.bound
                                                     : *number < requirement.bound;
    }
  }
  return false;
}

std::string_view operatorText(Operator op) {
  switch (op) {
    case Operator::Equals:
      return "=";
    case Operator::DoubleEquals:
      return "==";
    case Operator::NotEquals:
      return "!=";
    case Operator::In:
      return " in ";
    case Operator::NotIn:
      return " notin ";
    case Operator::GreaterThan:
      return ">";
    case Operator::LessThan:
      return "<";
    case Operator::Exists:
    case Operator::DoesNotExist:
      break;
  }
  return {};
}

std::string requirementString(const Requirement& requirement) {
  std::string out;
  if (requirement.op == Operator::DoesNotExist) {
    out += '!';
  }
  out += requirement.key;
  if (requirement.op == Operator::Exists || requirement.op == Operator::DoesNotExist) {
    return out;
  }
  out += operatorText(requirement.op);
  const bool is_set = requirement.op == Operator::In || requirement.op == Operator::NotIn;
  if (is_set) {
    out += '(';
  }
  std::vector<std::string> values = requirement.values;
  std::sort(values.begin(), values.end());
  out += join(values, ",");
  if (is_set) {
    out += ')';
  }
  return out;
}

Result<std::string> stringMember(const json::Value& object, std::string_view key,
                                 std::string_view where) {
  const json::Value* value = json::find(object, key);
  if (value == nullptr || value->IsNull()) {
    return std::string();
  }
  if (!value->IsString()) {
    return Error::invalidArgument(std::string(where) + "." + std::string(key) +
                                  ": must be a string");
  }
  return std::string(json::view(*value));
}

// Field selectors: k8s.io/apimachinery/pkg/fields/selector.go.

// splitTerms: commas split terms unless escaped; the backslash stays in the term.
std::vector<std::string_view> splitTerms(std::string_view text) {
  std::vector<std::string_view> terms;
  std::size_t start = 0;
  bool in_slash = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (in_slash) {
      in_slash = false;
    } else if (text[i] == '\\') {
      in_slash = true;
    } else if (text[i] == ',') {
      terms.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(text.substr(start));
  return terms;
}

// The length of the UTF-8 sequence starting with `lead` (1 for anything malformed).
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

Result<std::string> unescapeFieldValue(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 == text.size()) {
        return Error::invalidArgument("invalid field selector: invalid escape sequence: \\");
      }
      const char escaped = text[i + 1];
      if (escaped != '\\' && escaped != ',' && escaped != '=') {
        return Error::invalidArgument("invalid field selector: invalid escape sequence: \\" +
                                      std::string(text.substr(i + 1, utf8Length(escaped))));
      }
      out += escaped;
      ++i;
    } else if (c == ',' || c == '=') {
      // Go prints the rune with %v: its code point.
      return Error::invalidArgument("invalid field selector: unescaped character in value: " +
                                    std::to_string(static_cast<int>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

std::string escapeFieldValue(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == ',' || c == '=') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::vector<std::string> splitPath(std::string_view field) {
  std::vector<std::string> path;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = field.find('.', start);
    if (dot == std::string_view::npos) {
      path.emplace_back(field.substr(start));
      return path;
    }
    path.emplace_back(field.substr(start, dot - start));
    start = dot + 1;
  }
}

// Whether the field reads as `expected`, printing scalars into a stack buffer.
bool fieldEquals(const json::Value* field, std::string_view expected) {
  if (field == nullptr) {
    return expected.empty();
  }
  std::array<char, 32> buffer{};
  char* const begin = buffer.data();
  char* const end = begin + buffer.size();
  std::to_chars_result printed{begin, std::errc()};
  switch (field->GetType()) {
    case rapidjson::kStringType:
      return json::view(*field) == expected;
    case rapidjson::kTrueType:
      return expected == "true";
    case rapidjson::kFalseType:
      return expected == "false";
    case rapidjson::kNumberType:
      if (field->IsInt64()) {
        printed = std::to_chars(begin, end, field->GetInt64());
      } else if (field->IsUint64()) {
        printed = std::to_chars(begin, end, field->GetUint64());
      } else {
        printed = std::to_chars(begin, end, field->GetDouble());
      }
      return printed.ec == std::errc() &&
             std::string_view(begin, static_cast<std::size_t>(printed.ptr - begin)) == expected;
    default:
      return expected.empty();  // null, objects and arrays have no field value.
  }
}

}  // namespace

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  Result<std::vector<Requirement>> requirements = Parser(text).parse();
  if (!requirements) {
    return std::move(requirements).error();
  }
  LabelSelector selector;
  selector.requirements_ = std::move(requirements).value();
  sortByKey(selector.requirements_);
  return selector;
}

Result<LabelSelector> LabelSelector::fromJson(const json::Value& selector) {
  LabelSelector out;
  if (selector.IsNull()) {
    out.nothing_ = true;
    return out;
  }
  if (!selector.IsObject()) {
    return Error::invalidArgument("label selector: must be an object");
  }
  if (const json::Value* match_labels = json::find(selector, "matchLabels");
      match_labels != nullptr && !match_labels->IsNull()) {
    if (!match_labels->IsObject()) {
      return Error::invalidArgument("matchLabels: must be an object");
    }
    for (const auto& member : match_labels->GetObject()) {
      if (!member.value.IsString()) {
        return Error::invalidArgument("matchLabels." + std::string(json::view(member.name)) +
                                      ": must be a string");
      }
      Result<Requirement> requirement =
          newRequirement(std::string(json::view(member.name)), Operator::Equals,
                         {std::string(json::view(member.value))}, "key");
      if (!requirement) {
        return std::move(requirement).error();
      }
      out.requirements_.push_back(std::move(requirement).value());
    }
  }
  if (const json::Value* expressions = json::find(selector, "matchExpressions");
      expressions != nullptr && !expressions->IsNull()) {
    if (!expressions->IsArray()) {
      return Error::invalidArgument("matchExpressions: must be an array");
    }
    for (rapidjson::SizeType i = 0; i < expressions->Size(); ++i) {
      const json::Value& expression = (*expressions)[i];
      const std::string where = "matchExpressions[" + std::to_string(i) + "]";
      if (!expression.IsObject()) {
        return Error::invalidArgument(where + ": must be an object");
      }
      Result<std::string> key = stringMember(expression, "key", where);
      if (!key) {
        return std::move(key).error();
      }
      Result<std::string> op_name = stringMember(expression, "operator", where);
      if (!op_name) {
        return std::move(op_name).error();
      }
      Operator op = Operator::Exists;
      if (*op_name == "In") {
        op = Operator::In;
      } else if (*op_name == "NotIn") {
        op = Operator::NotIn;
      } else if (*op_name == "Exists") {
        op = Operator::Exists;
      } else if (*op_name == "DoesNotExist") {
        op = Operator::DoesNotExist;
      } else {
        return Error::invalidArgument(goQuote(*op_name) +
                                      " is not a valid label selector operator");
      }
      std::vector<std::string> values;
      if (const json::Value* listed = json::find(expression, "values");
          listed != nullptr && !listed->IsNull()) {
        if (!listed->IsArray()) {
          return Error::invalidArgument(where + ".values: must be an array");
        }
        for (const json::Value& value : listed->GetArray()) {
          if (!value.IsString()) {
            return Error::invalidArgument(where + ".values: must hold strings");
          }
          values.emplace_back(json::view(value));
        }
      }
      Result<Requirement> requirement =
          newRequirement(std::move(key).value(), op, std::move(values), "key");
      if (!requirement) {
        return std::move(requirement).error();
      }
      out.requirements_.push_back(std::move(requirement).value());
    }
  }
  sortByKey(out.requirements_);
  return out;
}

bool LabelSelector::matches(const json::Value& labels) const {
  return matches(&labels);
}

bool LabelSelector::matches(const json::Value* labels) const {
  if (nothing_) {
    return false;
  }
  const json::Value* object = labels != nullptr && labels->IsObject() ? labels : nullptr;
  return std::all_of(requirements_.begin(), requirements_.end(), [&](const Requirement& r) {
    return requirementMatches(r, object == nullptr ? nullptr : json::find(*object, r.key));
  });
}

std::string LabelSelector::toString() const {
  std::string out;
  for (std::size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += requirementString(requirements_[i]);
  }
  return out;
}

Result<FieldSelector> FieldSelector::parse(std::string_view text) {
  FieldSelector selector;
  if (text.empty()) {
    return selector;
  }
  std::vector<std::string_view> terms = splitTerms(text);
  std::sort(terms.begin(), terms.end());
  for (const std::string_view term : terms) {
    if (term.empty()) {
      continue;
    }
    // The first operator wins, "!=" and "==" before "=": the field part has no escapes.
    std::size_t at = std::string_view::npos;
    std::size_t op_length = 0;
    bool equals = true;
    for (std::size_t i = 0; i < term.size() && at == std::string_view::npos; ++i) {
      const std::string_view rest = term.substr(i);
      if (rest.starts_with("!=")) {
        at = i;
        op_length = 2;
        equals = false;
      } else if (rest.starts_with("==")) {
        at = i;
        op_length = 2;
      } else if (rest.starts_with("=")) {
        at = i;
        op_length = 1;
      }
    }
    if (at == std::string_view::npos) {
      return Error::invalidArgument("invalid selector: '" + std::string(text) +
                                    "'; can't understand '" + std::string(term) + "'");
    }
    Result<std::string> value = unescapeFieldValue(term.substr(at + op_length));
    if (!value) {
      return std::move(value).error();
    }
    const std::string_view field = term.substr(0, at);
    if (field.empty() && value->empty()) {
      continue;  // Go's Transform drops a term with neither field nor value.
    }
    selector.requirements_.push_back(
        {std::string(field), equals, std::move(value).value(), splitPath(field)});
  }
  return selector;
}

bool FieldSelector::matches(const json::Value& object) const {
  return std::all_of(requirements_.begin(), requirements_.end(), [&](const Requirement& r) {
    const json::Value* field = &object;
    for (const std::string& key : r.path) {
      field = json::find(*field, key);
      if (field == nullptr) {
        break;
      }
    }
    return fieldEquals(field, r.value) == r.equals;
  });
}

std::vector<std::string> FieldSelector::fields() const {
  std::vector<std::string> out;
  out.reserve(requirements_.size());
  for (const Requirement& requirement : requirements_) {
    out.push_back(requirement.field);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::string_view> FieldSelector::requiresExactMatch(std::string_view field) const {
  for (const Requirement& requirement : requirements_) {
    if (requirement.equals && requirement.field == field) {
      return requirement.value;
    }
  }
  return std::nullopt;
}

std::string FieldSelector::toString() const {
  std::string out;
  for (std::size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += requirements_[i].field;
    out += requirements_[i].equals ? "=" : "!=";
    out += escapeFieldValue(requirements_[i].value);
  }
  return out;
}

}  // namespace daap::kube

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <optional>

#include "lib/schema/cel_ast.h"
#include "lib/schema/go_text.h"
#include "lib/schema/regex.h"

namespace daap::schema::detail {
namespace {

// Deep enough for any real rule, shallow enough that recursion cannot exhaust the stack.
constexpr int kMaxDepth = 128;

enum class TokenKind { End, Ident, Int, Uint, Double, String, Bytes, Punct };

struct Token {
  TokenKind kind = TokenKind::End;
  std::uint32_t position = 0;
  std::string text;             // Identifier, punctuation, or the decoded string/bytes literal.
  std::uint64_t magnitude = 0;  // Int and Uint literals (Int may exceed int64 until negated).
  double number = 0;            // Double literals.
};

constexpr std::array<std::string_view, 18> kReserved = {
    "as",  "break", "const",   "continue",  "else",   "for", "function", "if",    "import",
    "let", "loop",  "package", "namespace", "return", "var", "void",     "while", "in"};

bool isReserved(std::string_view name) {
  return std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end();
}

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool isIdentChar(char c) {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string location(std::string_view source, std::uint32_t position) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < position && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "ERROR: <input>:" + std::to_string(line) + ":" +
         std::to_string(position - line_start + 1) + ": ";
}

class Lexer {
public:
  explicit Lexer(std::string_view source) : source_(source) {}

  // Tokenizes the whole source; on failure returns the position and message of the first error.
  bool run(std::vector<Token>& tokens, std::uint32_t& error_position, std::string& error) {
    while (true) {
      skipSpaceAndComments();
      Token token;
      token.position = static_cast<std::uint32_t>(pos_);
      if (pos_ >= source_.size()) {
        tokens.push_back(std::move(token));
        return true;
      }
      if (!next(token)) {
        error_position = error_position_;
        error = error_;
        return false;
      }
      tokens.push_back(std::move(token));
    }
  }

private:
  bool fail(std::size_t position, std::string message) {
    error_position_ = static_cast<std::uint32_t>(position);
    error_ = std::move(message);
    return false;
  }

  void skipSpaceAndComments() {
    while (pos_ < source_.size()) {
      const char c = source_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (source_.substr(pos_).starts_with("//")) {
        while (pos_ < source_.size() && source_[pos_] != '\n') {
          ++pos_;
        }
      } else {
        return;
      }
    }
  }

  bool next(Token& token) {
    const char c = source_[pos_];
    // String and bytes literals, with optional r/R (raw) and b/B (bytes) prefixes.
    std::size_t prefix = 0;
    bool raw = false;
    bool bytes = false;
    while (prefix < 2 && pos_ + prefix < source_.size()) {
      const char p = source_[pos_ + prefix];
      if ((p == 'r' || p == 'R') && !raw) {
        raw = true;
      } else if ((p == 'b' || p == 'B') && !bytes) {
        bytes = true;
      } else {
        break;
      }
      ++prefix;
    }
    if (pos_ + prefix < source_.size() &&
        (source_[pos_ + prefix] == '\'' || source_[pos_ + prefix] == '"')) {
      pos_ += prefix;
      return stringLiteral(token, raw, bytes);
    }
    if (isIdentStart(c)) {
      const std::size_t start = pos_;
      while (pos_ < source_.size() && isIdentChar(source_[pos_])) {
        ++pos_;
      }
      token.kind = TokenKind::Ident;
      token.text = std::string(source_.substr(start, pos_ - start));
      if (token.text == "in") {
        token.kind = TokenKind::Punct;
      }
      return true;
    }
    if (isDigit(c) || (c == '.' && pos_ + 1 < source_.size() && isDigit(source_[pos_ + 1]))) {
      return numberLiteral(token);
    }
    static constexpr std::array<std::string_view, 8> kTwoChar = {
        "==", "!=", "<=", ">=", "&&", "||", ".?", "[?"};
    for (const std::string_view op : kTwoChar) {
      if (source_.substr(pos_).starts_with(op)) {
        if (op == ".?" || op == "[?") {
          return fail(pos_,
                      "Syntax error: optional syntax ('" + std::string(op) + "') is not supported");
        }
        token.kind = TokenKind::Punct;
        token.text = std::string(op);
        pos_ += 2;
        return true;
      }
    }
    if (std::string_view("<>!+-*/%?:.,[](){}").find(c) != std::string_view::npos) {
      token.kind = TokenKind::Punct;
      token.text = std::string(1, c);
      ++pos_;
      return true;
    }
    return fail(pos_, "Syntax error: token recognition error at: '" + std::string(1, c) + "'");
  }

  bool numberLiteral(Token& token) {
    const std::size_t start = pos_;
    if (source_.substr(pos_).starts_with("0x") || source_.substr(pos_).starts_with("0X")) {
      pos_ += 2;
      std::uint64_t value = 0;
      const std::size_t digits_start = pos_;
      while (pos_ < source_.size() && hexValue(source_[pos_]) >= 0) {
        if (value > (std::numeric_limits<std::uint64_t>::max() >> 4)) {
          return fail(start, "invalid int literal");
        }
        value = value * 16 + static_cast<std::uint64_t>(hexValue(source_[pos_]));
        ++pos_;
      }
      if (pos_ == digits_start) {
        return fail(start, "Syntax error: invalid hex literal");
      }
      return integerSuffix(token, value);
    }
    while (pos_ < source_.size() && isDigit(source_[pos_])) {
      ++pos_;
    }
    bool is_double = false;
    if (pos_ + 1 < source_.size() && source_[pos_] == '.' && isDigit(source_[pos_ + 1])) {
      is_double = true;
      ++pos_;
      while (pos_ < source_.size() && isDigit(source_[pos_])) {
        ++pos_;
      }
    }
    if (pos_ < source_.size() && (source_[pos_] == 'e' || source_[pos_] == 'E')) {
      std::size_t exponent = pos_ + 1;
      if (exponent < source_.size() && (source_[exponent] == '+' || source_[exponent] == '-')) {
        ++exponent;
      }
      if (exponent < source_.size() && isDigit(source_[exponent])) {
        is_double = true;
        pos_ = exponent;
        while (pos_ < source_.size() && isDigit(source_[pos_])) {
          ++pos_;
        }
      }
    }
    const std::string_view text = source_.substr(start, pos_ - start);
    if (is_double) {
      std::string normalized(text);
      if (normalized.starts_with('.')) {
        normalized.insert(normalized.begin(), '0');
      }
      double value = 0;
      const auto parsed =
          std::from_chars(normalized.data(), normalized.data() + normalized.size(), value);
      if (parsed.ec != std::errc()) {
        return fail(start, "invalid double literal");
      }
      token.kind = TokenKind::Double;
      token.number = value;
      return true;
    }
    std::uint64_t value = 0;
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
    if (parsed.ec != std::errc()) {
      return fail(start, "invalid int literal");
    }
    return integerSuffix(token, value);
  }

  bool integerSuffix(Token& token, std::uint64_t value) {
    token.magnitude = value;
    token.kind = TokenKind::Int;
    if (pos_ < source_.size() && (source_[pos_] == 'u' || source_[pos_] == 'U')) {
      token.kind = TokenKind::Uint;
      ++pos_;
    }
    if (pos_ < source_.size() && isIdentChar(source_[pos_])) {
      return fail(pos_, "Syntax error: token recognition error at: '" +
                            std::string(1, source_[pos_]) + "'");
    }
    return true;
  }

  bool stringLiteral(Token& token, bool raw, bool bytes) {
    const std::size_t start = pos_;
    const char quote = source_[pos_];
    const bool triple = source_.substr(pos_).starts_with(std::string(3, quote));
    const std::string closing = triple ? std::string(3, quote) : std::string(1, quote);
    pos_ += closing.size();
    std::string value;
    while (true) {
      if (pos_ >= source_.size()) {
        return fail(start, "Syntax error: unterminated string literal");
      }
      if (source_.substr(pos_).starts_with(closing)) {
        pos_ += closing.size();
        break;
      }
      const char c = source_[pos_];
      if (!triple && (c == '\n' || c == '\r')) {
        return fail(start, "Syntax error: unterminated string literal");
      }
      if (c == '\\' && !raw) {
        if (!escape(value, bytes)) {
          return false;
        }
        continue;
      }
      value += c;
      ++pos_;
    }
    token.kind = bytes ? TokenKind::Bytes : TokenKind::String;
    token.text = std::move(value);
    return true;
  }

  // Decodes one escape sequence at pos_ (which points at the backslash).
  bool escape(std::string& out, bool bytes) {
    const std::size_t start = pos_;
    if (pos_ + 1 >= source_.size()) {
      return fail(start, "Syntax error: invalid escape sequence");
    }
    const char c = source_[pos_ + 1];
    pos_ += 2;
    switch (c) {
      case 'a':
        out += '\a';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'v':
        out += '\v';
        return true;
      case '\\':
      case '\'':
      case '"':
      case '`':
      case '?':
        out += c;
        return true;
      default:
        break;
    }
    std::uint32_t value = 0;
    if (c == 'x' || c == 'X' || c == 'u' || c == 'U') {
      const int digits = (c == 'x' || c == 'X') ? 2 : (c == 'u' ? 4 : 8);
      if (bytes && (c == 'u' || c == 'U')) {
        return fail(start, "Syntax error: \\u escapes are not allowed in bytes literals");
      }
      for (int i = 0; i < digits; ++i) {
        if (pos_ >= source_.size() || hexValue(source_[pos_]) < 0) {
          return fail(start, "Syntax error: invalid escape sequence");
        }
        value = value * 16 + static_cast<std::uint32_t>(hexValue(source_[pos_]));
        ++pos_;
      }
    } else if (c >= '0' && c <= '3') {
      value = static_cast<std::uint32_t>(c - '0');
      for (int i = 0; i < 2; ++i) {
        if (pos_ >= source_.size() || source_[pos_] < '0' || source_[pos_] > '7') {
          return fail(start, "Syntax error: invalid escape sequence");
        }
        value = value * 8 + static_cast<std::uint32_t>(source_[pos_] - '0');
        ++pos_;
      }
    } else {
      return fail(start, "Syntax error: invalid escape sequence '\\" + std::string(1, c) + "'");
    }
    if (bytes) {
      out += static_cast<char>(value);
      return true;
    }
    if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return fail(start, "Syntax error: invalid code point in escape sequence");
    }
    appendUtf8(value, out);
    return true;
  }

  std::string_view source_;
  std::size_t pos_ = 0;
  std::uint32_t error_position_ = 0;
  std::string error_;
};

struct FunctionSpec {
  std::string_view name;
  CelFunction function;
  bool receiver;
  int min_args;
  int max_args;
};

constexpr std::array<FunctionSpec, 31> kFunctions = {{
    {"size", CelFunction::Size, false, 1, 1},
    {"size", CelFunction::Size, true, 0, 0},
    {"matches", CelFunction::Matches, false, 2, 2},
    {"matches", CelFunction::Matches, true, 1, 1},
    {"int", CelFunction::Int, false, 1, 1},
    {"uint", CelFunction::Uint, false, 1, 1},
    {"double", CelFunction::Double, false, 1, 1},
    {"string", CelFunction::String, false, 1, 1},
    {"bool", CelFunction::Bool, false, 1, 1},
    {"bytes", CelFunction::Bytes, false, 1, 1},
    {"dyn", CelFunction::Dyn, false, 1, 1},
    {"type", CelFunction::Type, false, 1, 1},
    {"startsWith", CelFunction::StartsWith, true, 1, 1},
    {"endsWith", CelFunction::EndsWith, true, 1, 1},
    {"contains", CelFunction::Contains, true, 1, 1},
    {"find", CelFunction::Find, true, 1, 1},
    {"findAll", CelFunction::FindAll, true, 1, 2},
    {"lowerAscii", CelFunction::LowerAscii, true, 0, 0},
    {"upperAscii", CelFunction::UpperAscii, true, 0, 0},
    {"trim", CelFunction::Trim, true, 0, 0},
    {"split", CelFunction::Split, true, 1, 2},
    {"join", CelFunction::Join, true, 0, 1},
    {"replace", CelFunction::Replace, true, 2, 3},
    {"substring", CelFunction::Substring, true, 1, 2},
    {"indexOf", CelFunction::IndexOf, true, 1, 2},
    {"lastIndexOf", CelFunction::LastIndexOf, true, 1, 2},
    {"charAt", CelFunction::CharAt, true, 1, 1},
    {"sum", CelFunction::Sum, true, 0, 0},
    {"min", CelFunction::Min, true, 0, 0},
    {"max", CelFunction::Max, true, 0, 0},
    {"isSorted", CelFunction::IsSorted, true, 0, 0},
}};

constexpr std::array<std::string_view, 10> kTypeNames = {
    "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type"};

class Parser {
public:
  Parser(std::string_view source, std::vector<Token> tokens) : tokens_(std::move(tokens)) {
    ast_.source = std::string(source);
  }

  Result<CelAst> run() {
    const int root = expr();
    if (root >= 0 && peek().kind != TokenKind::End) {
      unexpected();
    }
    if (!error_.empty()) {
      return Error::invalidArgument(location(ast_.source, error_position_) + error_);
    }
    ast_.root = root;
    return std::move(ast_);
  }

private:
  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(index_ + ahead, tokens_.size() - 1)];
  }

  bool isPunct(std::string_view text, std::size_t ahead = 0) const {
    const Token& token = peek(ahead);
    return token.kind == TokenKind::Punct && token.text == text;
  }

  const Token& advance() { return tokens_[std::min(index_++, tokens_.size() - 1)]; }

  int fail(std::uint32_t position, std::string message) {
    if (error_.empty()) {
      error_position_ = position;
      error_ = std::move(message);
    }
    return -1;
  }

  int unexpected() {
    const Token& token = peek();
    if (token.kind == TokenKind::End) {
      return fail(token.position, "Syntax error: mismatched input '<EOF>'");
    }
    std::string text = token.text;
    if (token.kind == TokenKind::String || token.kind == TokenKind::Bytes) {
      text = "string literal";
    } else if (token.kind != TokenKind::Ident && token.kind != TokenKind::Punct) {
      text = "number";
    }
    return fail(token.position, "Syntax error: mismatched input '" + text + "'");
  }

  bool expect(std::string_view punct) {
    if (isPunct(punct)) {
      ++index_;
      return true;
    }
    const Token& token = peek();
    fail(token.position, "Syntax error: missing '" + std::string(punct) + "' at '" +
                             (token.kind == TokenKind::End ? std::string("<EOF>") : token.text) +
                             "'");
    return false;
  }

  int add(CelNode node) {
    ast_.nodes.push_back(std::move(node));
    return static_cast<int>(ast_.nodes.size() - 1);
  }

  int node(CelOp op, std::uint32_t position, std::vector<int> children) {
    CelNode n;
    n.op = op;
    n.position = position;
    n.children = std::move(children);
    return add(std::move(n));
  }

  int expr() {
    if (++depth_ > kMaxDepth) {
      return fail(peek().position, "expression recursion limit exceeded");
    }
    const int condition = conditionalOr();
    int result = condition;
    if (condition >= 0 && isPunct("?")) {
      const std::uint32_t position = advance().position;
      const int then = conditionalOr();
      if (then < 0 || !expect(":")) {
        return -1;
      }
      const int otherwise = expr();
      if (otherwise < 0) {
        return -1;
      }
      result = node(CelOp::Conditional, position, {condition, then, otherwise});
    }
    --depth_;
    return result;
  }

  int conditionalOr() {
    int left = conditionalAnd();
    while (left >= 0 && isPunct("||")) {
      const std::uint32_t position = advance().position;
      const int right = conditionalAnd();
      if (right < 0) {
        return -1;
      }
      left = node(CelOp::Or, position, {left, right});
    }
    return left;
  }

  int conditionalAnd() {
    int left = relation();
    while (left >= 0 && isPunct("&&")) {
      const std::uint32_t position = advance().position;
      const int right = relation();
      if (right < 0) {
        return -1;
      }
      left = node(CelOp::And, position, {left, right});
    }
    return left;
  }

  int relation() {
    int left = addition();
    while (left >= 0) {
      static constexpr std::array<std::pair<std::string_view, CelOp>, 7> kRelations = {{
          {"==", CelOp::Equal},
          {"!=", CelOp::NotEqual},
          {"<", CelOp::Less},
          {"<=", CelOp::LessEqual},
          {">", CelOp::Greater},
          {">=", CelOp::GreaterEqual},
          {"in", CelOp::In},
      }};
      std::optional<CelOp> op;
      for (const auto& [text, relation_op] : kRelations) {
        if (isPunct(text)) {
          op = relation_op;
        }
      }
      if (!op) {
        break;
      }
      const std::uint32_t position = advance().position;
      const int right = addition();
      if (right < 0) {
        return -1;
      }
      left = node(*op, position, {left, right});
    }
    return left;
  }

  int addition() {
    int left = multiplication();
    while (left >= 0 && (isPunct("+") || isPunct("-"))) {
      const CelOp op = peek().text == "+" ? CelOp::Add : CelOp::Subtract;
      const std::uint32_t position = advance().position;
      const int right = multiplication();
      if (right < 0) {
        return -1;
      }
      left = node(op, position, {left, right});
    }
    return left;
  }

  int multiplication() {
    int left = unary();
    while (left >= 0 && (isPunct("*") || isPunct("/") || isPunct("%"))) {
      const CelOp op = peek().text == "*"   ? CelOp::Multiply
                       : peek().text == "/" ? CelOp::Divide
                                            : CelOp::Modulo;
      const std::uint32_t position = advance().position;
      const int right = unary();
      if (right < 0) {
        return -1;
      }
      left = node(op, position, {left, right});
    }
    return left;
  }

  int unary() {
    if (isPunct("!") || isPunct("-")) {
      const std::string op = peek().text;
      const std::uint32_t position = peek().position;
      int count = 0;
      while (isPunct(op)) {
        ++index_;
        ++count;
      }
      // As cel-go: an even run of the same operator cancels out; a single minus before a number
      // is part of the literal (so that -9223372036854775808 is an int).
      if (op == "-" && count % 2 == 1 &&
          (peek().kind == TokenKind::Int || peek().kind == TokenKind::Double)) {
        const int literal = numericLiteral(/*negate=*/true);
        return literal < 0 ? -1 : memberSuffixes(literal);
      }
      const int operand = member();
      if (operand < 0 || count % 2 == 0) {
        return operand;
      }
      return node(op == "!" ? CelOp::Not : CelOp::Negate, position, {operand});
    }
    return member();
  }

  int member() {
    const int primary_node = primary();
    return primary_node < 0 ? -1 : memberSuffixes(primary_node);
  }

  int memberSuffixes(int operand) {
    while (operand >= 0) {
      if (isPunct(".")) {
        ++index_;
        const Token& name = peek();
        if (name.kind != TokenKind::Ident) {
          return unexpected();
        }
        if (isReserved(name.text)) {
          return fail(name.position, "Syntax error: reserved identifier: " + name.text);
        }
        ++index_;
        if (isPunct("(")) {
          operand = call(operand, name);
        } else {
          CelNode select;
          select.op = CelOp::Select;
          select.position = name.position;
          select.name = name.text;
          select.children = {operand};
          operand = add(std::move(select));
        }
      } else if (isPunct("[")) {
        const std::uint32_t position = advance().position;
        const int index = expr();
        if (index < 0 || !expect("]")) {
          return -1;
        }
        operand = node(CelOp::Index, position, {operand, index});
      } else {
        break;
      }
    }
    return operand;
  }

  int numericLiteral(bool negate) {
    const Token& token = advance();
    CelNode literal;
    literal.op = CelOp::Literal;
    literal.position = token.position;
    if (token.kind == TokenKind::Double) {
      literal.literal = CelValue::floating(negate ? -token.number : token.number);
    } else if (token.kind == TokenKind::Uint) {
      literal.literal = CelValue::unsignedInteger(token.magnitude);
    } else {
      constexpr std::uint64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
      if (token.magnitude > kMaxInt + (negate ? 1 : 0)) {
        return fail(token.position, "invalid int literal");
      }
      literal.literal = CelValue::integer(negate ? static_cast<std::int64_t>(0 - token.magnitude)
                                                 : static_cast<std::int64_t>(token.magnitude));
    }
    return add(std::move(literal));
  }

  int primary() {
    const Token& token = peek();
    switch (token.kind) {
      case TokenKind::Int:
      case TokenKind::Uint:
      case TokenKind::Double:
        return numericLiteral(/*negate=*/false);
      case TokenKind::String:
      case TokenKind::Bytes: {
        CelNode literal;
        literal.op = CelOp::Literal;
        literal.position = token.position;
        literal.literal = token.kind == TokenKind::String ? CelValue::string(token.text)
                                                          : CelValue::bytes(token.text);
        ++index_;
        return add(std::move(literal));
      }
      case TokenKind::Ident:
        return identifier();
      case TokenKind::Punct:
        break;
      case TokenKind::End:
        return unexpected();
    }
    if (isPunct("(")) {
      ++index_;
      const int inner = expr();
      if (inner < 0 || !expect(")")) {
        return -1;
      }
      return inner;
    }
    if (isPunct("[")) {
      const std::uint32_t position = advance().position;
      std::vector<int> items;
      if (!elements("]", items)) {
        return -1;
      }
      return node(CelOp::CreateList, position, std::move(items));
    }
    if (isPunct("{")) {
      const std::uint32_t position = advance().position;
      std::vector<int> entries;
      while (!isPunct("}")) {
        const int key = expr();
        if (key < 0 || !expect(":")) {
          return -1;
        }
        const int value = expr();
        if (value < 0) {
          return -1;
        }
        entries.push_back(key);
        entries.push_back(value);
        if (!isPunct(",")) {
          break;
        }
        ++index_;
      }
      if (!expect("}")) {
        return -1;
      }
      return node(CelOp::CreateMap, position, std::move(entries));
    }
    if (isPunct(".")) {
      return fail(token.position, "Syntax error: leading '.' identifiers are not supported");
    }
    return unexpected();
  }

  // Comma-separated expressions up to `close` (consumed), with an optional trailing comma.
  bool elements(std::string_view close, std::vector<int>& out) {
    while (!isPunct(close)) {
      const int item = expr();
      if (item < 0) {
        return false;
      }
      out.push_back(item);
      if (!isPunct(",")) {
        break;
      }
      ++index_;
    }
    return expect(close);
  }

  int identifier() {
    const Token token = advance();
    const std::string& name = token.text;
    if (isReserved(name)) {
      return fail(token.position, "Syntax error: reserved identifier: " + name);
    }
    if (isPunct("(")) {
      return call(-1, token);
    }
    if (isPunct("{")) {
      return fail(token.position, "Syntax error: message construction is not supported");
    }
    CelNode ident;
    ident.position = token.position;
    if (name == "true" || name == "false") {
      ident.op = CelOp::Literal;
      ident.literal = CelValue::boolean(name == "true");
      return add(std::move(ident));
    }
    if (name == "null") {
      ident.op = CelOp::Literal;
      return add(std::move(ident));
    }
    ident.op = CelOp::Ident;
    ident.name = name;
    for (int slot = static_cast<int>(scopes_.size()) - 1; slot >= 0; --slot) {
      if (scopes_[static_cast<std::size_t>(slot)] == name) {
        ident.ident = CelIdent::Local;
        ident.slot = slot;
        return add(std::move(ident));
      }
    }
    if (name == "self") {
      ident.ident = CelIdent::Self;
      return add(std::move(ident));
    }
    if (name == "oldSelf") {
      ident.ident = CelIdent::OldSelf;
      ast_.uses_old_self = true;
      return add(std::move(ident));
    }
    for (const std::string_view type_name : kTypeNames) {
      if (name == type_name) {
        ident.op = CelOp::Literal;
        ident.literal = CelValue::type(type_name);
        return add(std::move(ident));
      }
    }
    return fail(token.position, "undeclared reference to '" + name + "' (in container '')");
  }

  // A call after its name; `receiver` is -1 for a global call. The '(' is next.
  int call(int receiver, const Token& name) {
    ++index_;  // '('
    static constexpr std::array<std::pair<std::string_view, CelOp>, 6> kMacros = {{
        {"all", CelOp::All},
        {"exists", CelOp::Exists},
        {"exists_one", CelOp::ExistsOne},
        {"existsOne", CelOp::ExistsOne},
        {"map", CelOp::MapMacro},
        {"filter", CelOp::Filter},
    }};
    if (receiver >= 0) {
      for (const auto& [macro, op] : kMacros) {
        if (name.text == macro) {
          return comprehension(receiver, name, op);
        }
      }
    }
    std::vector<int> args;
    if (!elements(")", args)) {
      return -1;
    }
    if (receiver < 0 && name.text == "has") {
      if (args.size() != 1 || ast_.nodes[static_cast<std::size_t>(args[0])].op != CelOp::Select) {
        return fail(name.position, "invalid argument to has() macro");
      }
      ast_.nodes[static_cast<std::size_t>(args[0])].op = CelOp::Has;
      return args[0];
    }
    const bool is_receiver = receiver >= 0;
    const int count = static_cast<int>(args.size());
    bool known = false;
    for (const FunctionSpec& spec : kFunctions) {
      if (spec.name != name.text || spec.receiver != is_receiver) {
        continue;
      }
      known = true;
      if (count < spec.min_args || count > spec.max_args) {
        continue;
      }
      CelNode call_node;
      call_node.op = CelOp::Call;
      call_node.position = name.position;
      call_node.name = name.text;
      call_node.function = spec.function;
      call_node.receiver = is_receiver;
      if (is_receiver) {
        call_node.children.push_back(receiver);
      }
      call_node.children.insert(call_node.children.end(), args.begin(), args.end());
      if (spec.function == CelFunction::Matches || spec.function == CelFunction::Find ||
          spec.function == CelFunction::FindAll) {
        // Compile a literal pattern once, and report a bad one now rather than per evaluation.
        const CelNode& pattern = ast_.nodes[static_cast<std::size_t>(call_node.children[1])];
        if (pattern.op == CelOp::Literal && pattern.literal.kind() == CelKind::String) {
          Result<std::shared_ptr<const std::regex>> regex = compileRegex(pattern.literal.text());
          if (!regex) {
            return fail(pattern.position, regex.error().message);
          }
          call_node.regex = *regex;
        }
      }
      return add(std::move(call_node));
    }
    if (known) {
      return fail(name.position, "found no matching overload for '" + name.text + "' applied to " +
                                     std::to_string(count) + " argument(s)");
    }
    return fail(name.position, "undeclared reference to '" + name.text + "' (in container '')");
  }

  int comprehension(int range, const Token& name, CelOp op) {
    const Token& variable = peek();
    if (variable.kind != TokenKind::Ident || isReserved(variable.text) || !isPunct(",", 1)) {
      return fail(variable.position, "argument must be a simple name");
    }
    index_ += 2;
    scopes_.push_back(variable.text);
    ast_.slots = std::max(ast_.slots, static_cast<int>(scopes_.size()));
    std::vector<int> children = {range};
    const int first = expr();
    if (first >= 0) {
      children.push_back(first);
      if (op == CelOp::MapMacro && isPunct(",")) {
        ++index_;
        const int second = expr();
        if (second >= 0) {
          children.push_back(second);
        }
      }
    }
    scopes_.pop_back();
    if (!error_.empty() || !expect(")")) {
      return -1;
    }
    CelNode macro;
    macro.op = op;
    macro.position = name.position;
    macro.name = name.text;
    macro.slot = static_cast<int>(scopes_.size());
    macro.children = std::move(children);
    return add(std::move(macro));
  }

  std::vector<Token> tokens_;
  std::size_t index_ = 0;
  CelAst ast_;
  std::vector<std::string> scopes_;
  int depth_ = 0;
  std::uint32_t error_position_ = 0;
  std::string error_;
};

}  // namespace

Result<CelAst> parseCel(std::string_view source) {
  std::vector<Token> tokens;
  std::uint32_t error_position = 0;
  std::string error;
  if (!Lexer(source).run(tokens, error_position, error)) {
    return Error::invalidArgument(location(source, error_position) + error);
  }
  return Parser(source, std::move(tokens)).run();
}

}  // namespace daap::schema::detail

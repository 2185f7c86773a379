#pragma once

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/schema/cel_value.h"

namespace daap::schema::detail {

enum class CelOp : std::uint8_t {
  Literal,
  Ident,
  Select,       // children: operand
  Index,        // children: operand, index
  Call,         // children: [receiver,] arguments
  CreateList,   // children: items
  CreateMap,    // children: key0, value0, key1, value1, ...
  Conditional,  // children: condition, then, else
  And,
  Or,
  Not,
  Negate,
  Add,
  Subtract,
  Multiply,
  Divide,
  Modulo,
  Equal,
  NotEqual,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  In,
  Has,        // children: operand; name: the field tested
  All,        // children: range, predicate; slot: the loop variable
  Exists,     // as All
  ExistsOne,  // as All
  MapMacro,   // children: range, transform (or range, filter, transform when 3 children)
  Filter,     // children: range, predicate
};

enum class CelIdent : std::uint8_t { Self, OldSelf, Local, Type };

enum class CelFunction : std::uint8_t {
  Size,
  StartsWith,
  EndsWith,
  Contains,
  Matches,
  Find,
  FindAll,
  Int,
  Uint,
  Double,
  String,
  Bool,
  Bytes,
  Dyn,
  Type,
  LowerAscii,
  UpperAscii,
  Trim,
  Split,
  Join,
  Replace,
  Substring,
  IndexOf,
  LastIndexOf,
  CharAt,
  Sum,
  Min,
  Max,
  IsSorted,
};

struct CelNode {
  CelOp op = CelOp::Literal;
  std::uint32_t position = 0;  // Byte offset in the source, for messages.
  CelValue literal;            // Literal.
  std::string name;            // Ident, Select and Has field, Call function name.
  CelIdent ident = CelIdent::Self;
  int slot = -1;  // Local identifiers and comprehension variables.
  CelFunction function = CelFunction::Size;
  bool receiver = false;  // Call written as receiver.function(args).
  std::vector<int> children;
  std::shared_ptr<const std::regex> regex;  // matches()/find() with a literal pattern.
};

// A parsed and checked expression. Nodes refer to each other by index; literal strings live in
// the nodes, so values borrowing them stay valid as long as the AST does.
struct CelAst {
  std::string source;
  std::vector<CelNode> nodes;
  int root = -1;
  int slots = 0;  // Comprehension variables needed at once (the nesting depth).
  bool uses_old_self = false;
};

// Parses `source`; errors are InvalidArgument in cel-go's shape: "ERROR: <input>:1:6: ...".
Result<CelAst> parseCel(std::string_view source);

}  // namespace daap::schema::detail

#pragma once

#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::json {

// Parses a YAML stream into one JSON document per "---"-separated document; empty and null
// documents are skipped, as kubectl does. Untagged plain scalars follow the YAML 1.2 core
// schema: ~/null/empty, true/false, decimal/0o/0x integers (a double past 64 bits) and floats;
// the YAML 1.1 forms yes/no/on/off and leading-zero octal stay strings or decimal. Quoted and
// block scalars are strings. !!str, !!int, !!float, !!bool, !!null are honoured; other scalar
// tags keep the text. Errors are InvalidArgument with a 1-based line and column: syntax,
// non-scalar or duplicate keys, .inf/.nan (JSON has neither), runaway nesting or aliases.
Result<std::vector<Document>> parseYaml(std::string_view text);

}  // namespace daap::json

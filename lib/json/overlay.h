#pragma once

#include "lib/json/json.h"

namespace daap::json {

// Desired-state merging for objects DAAP shares with other writers (the API server's defaults,
// CNPG's mutating webhook): DAAP owns exactly the fields it renders, nothing else.

// Makes every field present in `desired` equal in `live`: objects merge recursively, arrays
// and scalars are replaced whole, members `desired` does not name are left alone. Returns
// whether `live` changed. Values copied into `live` are allocated from `allocator`, which must
// be the allocator of the document holding `live`.
bool overlay(Value& live, const Value& desired, Allocator& allocator);

// True when overlay(live, desired) would change nothing: the operator's "up to date, no write".
bool containsOverlay(const Value& live, const Value& desired);

}  // namespace daap::json

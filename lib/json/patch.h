#pragma once

#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::json {

// RFC 7386 JSON Merge Patch: an object patch merges member by member (null deletes, objects
// recurse); any other patch, arrays included, replaces the target. Values are deep-copied with
// `allocator`, which must be the one that owns `target`.
void applyMergePatch(Value& target, const Value& patch, Allocator& allocator);

// The smallest merge patch that turns `from` into `to`: members missing from `to` become null,
// objects on both sides recurse, anything else is copied from `to`; {} when two objects are
// equal (json::equal). A merge patch cannot set a member to null, so applying the result to
// `from` gives `to` only when `to` holds no nulls.
Document createMergePatch(const Value& from, const Value& to);

// RFC 6902 JSON Patch: `operations` is an array of add, remove, replace, move, copy and test
// operations, applied in order to a copy that replaces `target` only when all succeed. Errors
// are InvalidArgument naming the 0-based operation index, its op and path, e.g.
// "json patch operation 2 (test /metadata/resourceVersion): value differs".
Result<void> applyJsonPatch(Document& target, const Value& operations);

}  // namespace daap::json

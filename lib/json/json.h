#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "lib/base/result.h"

namespace daap::json {

// DAAP's JSON values are RapidJSON's; this header is where the rest of the code meets them.
// A Document owns its allocator; Values inside it borrow that allocator for every write.
using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Allocator = rapidjson::Document::AllocatorType;

// Parses one JSON text. Errors are InvalidArgument naming the byte offset and the reason.
Result<Document> parse(std::string_view text);

std::string serialize(const Value& value);
std::string serializePretty(const Value& value);

// A deep copy that owns its memory.
Document clone(const Value& value);

// Member `key` of an object, or nullptr when `object` is not an object or has no such member.
const Value* find(const Value& object, std::string_view key);
Value* find(Value& object, std::string_view key);

// Follows object members by name; nullptr as soon as one is missing.
const Value* findPath(const Value& root, std::initializer_list<std::string_view> path);

// The string at `key`, or `fallback` when absent or not a string.
std::string_view getString(const Value& object, std::string_view key,
                           std::string_view fallback = {});

// Sets object member `key` (replacing an existing one). `object` must be an object.
void set(Value& object, std::string_view key, Value value, Allocator& allocator);
void setString(Value& object, std::string_view key, std::string_view text, Allocator& allocator);

// The object member `key`, created as an empty object when absent or not an object.
Value& ensureObject(Value& object, std::string_view key, Allocator& allocator);

// Removes member `key` if present; true when something was removed.
bool erase(Value& object, std::string_view key);

inline Value stringValue(std::string_view text, Allocator& allocator) {
  return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

inline std::string_view view(const Value& string) {
  return {string.GetString(), string.GetStringLength()};
}

// Structural equality; integers and doubles compare by numeric value.
bool equal(const Value& a, const Value& b);

// A 64-bit FNV-1a digest of the structure, blind to the order of object members and to how a
// number is written (1 and 1.0 digest alike), so values `equal` calls equal digest the same.
// For change detection, not security.
uint64_t digest(const Value& value);

}  // namespace daap::json

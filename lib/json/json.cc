#include "lib/json/json.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace daap::json {

Result<Document> parse(std::string_view text) {
  Document document;
  // Default (not full) precision: integers are exact either way and Kubernetes carries
  // quantities and resourceVersions as strings, while RapidJSON 1.1.0's full-precision path
  // reads out of bounds on long exponents (found by the fuzzer).
  document.Parse(text.data(), text.size());
  if (document.HasParseError()) {
    return Error::invalidArgument("invalid JSON at offset " +
                                  std::to_string(document.GetErrorOffset()) + ": " +
                                  rapidjson::GetParseError_En(document.GetParseError()));
  }
  return document;
}

std::string serialize(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string serializePretty(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

Document clone(const Value& value) {
  Document document;
  document.CopyFrom(value, document.GetAllocator());
  return document;
}

const Value* find(const Value& object, std::string_view key) {
  if (!object.IsObject()) {
    return nullptr;
  }
  const auto member = object.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
  return member == object.MemberEnd() ? nullptr : &member->value;
}

Value* find(Value& object, std::string_view key) {
  return const_cast<Value*>(find(static_cast<const Value&>(object), key));  // NOLINT
}

const Value* findPath(const Value& root, std::initializer_list<std::string_view> path) {
  const Value* current = &root;
  for (const std::string_view key : path) {
    current = find(*current, key);
    if (current == nullptr) {
      return nullptr;
    }
  }
  return current;
}

std::string_view getString(const Value& object, std::string_view key, std::string_view fallback) {
  const Value* found = find(object, key);
  return found != nullptr && found->IsString() ? view(*found) : fallback;
}

void set(Value& object, std::string_view key, Value value, Allocator& allocator) {
  if (Value* existing = find(object, key)) {
    *existing = std::move(value);
    return;
  }
  object.AddMember(stringValue(key, allocator), value, allocator);
}

void setString(Value& object, std::string_view key, std::string_view text, Allocator& allocator) {
  set(object, key, stringValue(text, allocator), allocator);
}

Value& ensureObject(Value& object, std::string_view key, Allocator& allocator) {
  Value* existing = find(object, key);
  if (existing == nullptr) {
    object.AddMember(stringValue(key, allocator), Value(rapidjson::kObjectType), allocator);
    existing = find(object, key);
  } else if (!existing->IsObject()) {
    existing->SetObject();
  }
  return *existing;
}

bool erase(Value& object, std::string_view key) {
  if (!object.IsObject()) {
    return false;
  }
  const auto member = object.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
  if (member == object.MemberEnd()) {
    return false;
  }
  object.EraseMember(member);
  return true;
}

bool equal(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsDouble() || b.IsDouble()) {
      return a.GetDouble() == b.GetDouble();
    }
    if (a.IsInt64() && b.IsInt64()) {
      return a.GetInt64() == b.GetInt64();
    }
    return a.IsUint64() && b.IsUint64() && a.GetUint64() == b.GetUint64();
  }
  if (a.GetType() != b.GetType()) {
    return false;
  }
  switch (a.GetType()) {
    case rapidjson::kObjectType: {
      if (a.MemberCount() != b.MemberCount()) {
        return false;
      }
      for (const auto& member : a.GetObject()) {
        const Value* other = find(b, view(member.name));
        if (other == nullptr || !equal(member.value, *other)) {
          return false;
        }
      }
      return true;
    }
    case rapidjson::kArrayType: {
      if (a.Size() != b.Size()) {
        return false;
      }
      for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
        if (!equal(a[i], b[i])) {
          return false;
        }
      }
      return true;
    }
    case rapidjson::kStringType:
      return view(a) == view(b);
    default:
      return true;  // null, true, false: the type says it all.
  }
}

namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

void mix(uint64_t& hash, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash = (hash ^ bytes[i]) * kFnvPrime;
  }
}

template <typename T>
void mixScalar(uint64_t& hash, T value) {
  mix(hash, &value, sizeof(value));
}

void mixString(uint64_t& hash, std::string_view text) {
  mixScalar(hash, text.size());  // Length first: "ab","c" and "a","bc" differ.
  mix(hash, text.data(), text.size());
}

void mixValue(uint64_t& hash, const Value& value) {
  mixScalar(hash, static_cast<unsigned char>(value.IsNumber() ? rapidjson::kNumberType
                                                              : value.GetType()));
  switch (value.GetType()) {
    case rapidjson::kObjectType: {
      std::vector<const Value::Member*> members;
      members.reserve(value.MemberCount());
      for (const auto& member : value.GetObject()) {
        members.push_back(&member);
      }
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return view(a->name) < view(b->name); });
      mixScalar(hash, members.size());
      for (const Value::Member* member : members) {
        mixString(hash, view(member->name));
        mixValue(hash, member->value);
      }
      return;
    }
    case rapidjson::kArrayType:
      mixScalar(hash, value.Size());
      for (const Value& item : value.GetArray()) {
        mixValue(hash, item);
      }
      return;
    case rapidjson::kStringType:
      mixString(hash, view(value));
      return;
    case rapidjson::kNumberType: {
      // Integral values digest as integers whatever their representation, as equal compares.
      if (value.IsInt64()) {
        mixScalar(hash, 'i');
        mixScalar(hash, value.GetInt64());
      } else if (value.IsUint64()) {
        mixScalar(hash, 'u');  // Above INT64_MAX: never the bytes of a negative integer.
        mixScalar(hash, value.GetUint64());
      } else if (const double number = value.GetDouble();
                 std::trunc(number) == number && std::abs(number) < 9.2e18) {
        mixScalar(hash, 'i');
        mixScalar(hash, static_cast<int64_t>(number));
      } else {
        mixScalar(hash, 'd');
        mixScalar(hash, number);
      }
      return;
    }
    default:
      return;  // null, true, false: the type says it all.
  }
}

}  // namespace

uint64_t digest(const Value& value) {
  uint64_t hash = kFnvOffset;
  mixValue(hash, value);
  return hash;
}

}  // namespace daap::json

#include "lib/json/patch.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/json/pointer.h"

namespace daap::json {

void applyMergePatch(Value& target, const Value& patch, Allocator& allocator) {
  if (!patch.IsObject()) {
    target.CopyFrom(patch, allocator);
    return;
  }
  if (!target.IsObject()) {
    target.SetObject();
  }
  for (const auto& member : patch.GetObject()) {
    const std::string_view name = view(member.name);
    if (member.value.IsNull()) {
      erase(target, name);
      continue;
    }
    Value* existing = find(target, name);
    if (existing == nullptr) {
      // A missing member merges like null: objects start empty, so their nulls are dropped.
      target.AddMember(stringValue(name, allocator), Value(), allocator);
      existing = &(target.MemberEnd() - 1)->value;
    }
    applyMergePatch(*existing, member.value, allocator);
  }
}

namespace {

// `patch` becomes the merge patch between two objects.
void diffObjects(const Value& from, const Value& to, Value& patch, Allocator& allocator) {
  patch.SetObject();
  for (const auto& member : from.GetObject()) {
    if (find(to, view(member.name)) == nullptr) {
      patch.AddMember(Value(member.name, allocator), Value(), allocator);
    }
  }
  for (const auto& member : to.GetObject()) {
    const Value* old = find(from, view(member.name));
    if (old != nullptr && equal(*old, member.value)) {
      continue;
    }
    Value change;
    if (old != nullptr && old->IsObject() && member.value.IsObject()) {
      diffObjects(*old, member.value, change, allocator);
    } else {
      change.CopyFrom(member.value, allocator);
    }
    patch.AddMember(Value(member.name, allocator), change, allocator);
  }
}

}  // namespace

Document createMergePatch(const Value& from, const Value& to) {
  Document patch;
  if (from.IsObject() && to.IsObject()) {
    diffObjects(from, to, patch, patch.GetAllocator());
  } else {
    // Only the value itself turns a non-object into something else (or keeps it).
    patch.CopyFrom(to, patch.GetAllocator());
  }
  return patch;
}

namespace {

// Why one operation failed; applyJsonPatch prefixes which operation it was.
Error failure(std::string reason) {
  return Error::invalidArgument(std::move(reason));
}

std::vector<std::string> parentOf(const std::vector<std::string>& tokens) {
  return {tokens.begin(), tokens.end() - 1};
}

Result<void> addValue(Value& root, const std::vector<std::string>& tokens, Value value,
                      Allocator& allocator) {
  if (tokens.empty()) {
    root.Swap(value);
    return {};
  }
  Value* parent = resolve(root, parentOf(tokens));
  if (parent == nullptr) {
    return failure("parent not found");
  }
  const std::string& last = tokens.back();
  if (parent->IsObject()) {
    set(*parent, last, std::move(value), allocator);
    return {};
  }
  if (!parent->IsArray()) {
    return failure("parent is neither an object nor an array");
  }
  const std::size_t size = parent->Size();
  // "-" is the slot after the last element; an index may equal the size only when adding.
  const std::optional<std::size_t> index = last == "-" ? size : parseArrayIndex(last);
  if (!index) {
    return failure("invalid array index \"" + last + "\"");
  }
  if (*index > size) {
    return failure("array index " + last + " out of bounds (size " + std::to_string(size) + ")");
  }
  parent->PushBack(value, allocator);
  for (std::size_t i = size; i > *index; --i) {
    (*parent)[static_cast<rapidjson::SizeType>(i)].Swap(
        (*parent)[static_cast<rapidjson::SizeType>(i - 1)]);
  }
  return {};
}

Result<void> removeValue(Value& root, const std::vector<std::string>& tokens) {
  if (tokens.empty()) {
    return failure("cannot remove the whole document");
  }
  Value* parent = resolve(root, parentOf(tokens));
  const std::string& last = tokens.back();
  if (parent != nullptr && parent->IsObject() && erase(*parent, last)) {
    return {};
  }
  if (parent != nullptr && parent->IsArray()) {
    const std::optional<std::size_t> index = parseArrayIndex(last);
    if (index && *index < parent->Size()) {
      parent->Erase(parent->Begin() + *index);
      return {};
    }
  }
  return failure("path not found");
}

// Member `name` of an operation as a string, or an error naming what is wrong with it.
Result<std::string_view> stringMember(const Value& operation, std::string_view name) {
  const Value* member = find(operation, name);
  if (member == nullptr) {
    return failure("missing \"" + std::string(name) + "\"");
  }
  if (!member->IsString()) {
    return failure("\"" + std::string(name) + "\" must be a string");
  }
  return view(*member);
}

Result<const Value*> valueMember(const Value& operation) {
  const Value* value = find(operation, "value");
  if (value == nullptr) {
    return failure("missing \"value\"");
  }
  return value;
}

Result<void> applyOperation(Value& root, const Value& operation, Allocator& allocator) {
  if (!operation.IsObject()) {
    return failure("must be an object");
  }
  // RFC 6902 appendix A.13: a repeated member makes the operation ambiguous, so it is invalid.
  for (const std::string_view name : {"op", "path", "from", "value"}) {
    int count = 0;
    for (const auto& member : operation.GetObject()) {
      count += view(member.name) == name ? 1 : 0;
    }
    if (count > 1) {
      return failure("duplicate member \"" + std::string(name) + "\"");
    }
  }
  Result<std::string_view> op = stringMember(operation, "op");
  if (!op) {
    return std::move(op).error();
  }
  Result<std::string_view> path_text = stringMember(operation, "path");
  if (!path_text) {
    return std::move(path_text).error();
  }
  Result<std::vector<std::string>> path = parsePointer(*path_text);
  if (!path) {
    return std::move(path).error();
  }

  if (*op == "add" || *op == "replace" || *op == "test") {
    Result<const Value*> value = valueMember(operation);
    if (!value) {
      return std::move(value).error();
    }
    if (*op == "add") {
      return addValue(root, *path, Value(**value, allocator), allocator);
    }
    Value* target = resolve(root, *path);
    if (target == nullptr) {
      return failure("path not found");
    }
    if (*op == "test") {
      return equal(*target, **value) ? Result<void>() : failure("value differs");
    }
    target->CopyFrom(**value, allocator);
    return {};
  }
  if (*op == "remove") {
    return removeValue(root, *path);
  }
  if (*op == "move" || *op == "copy") {
    Result<std::string_view> from_text = stringMember(operation, "from");
    if (!from_text) {
      return std::move(from_text).error();
    }
    Result<std::vector<std::string>> from = parsePointer(*from_text);
    if (!from) {
      return std::move(from).error();
    }
    const Value* source = resolve(root, *from);
    if (source == nullptr) {
      return failure("from \"" + std::string(*from_text) + "\" not found");
    }
    Value copy(*source, allocator);
    if (*op == "move") {
      if (*from == *path) {
        return {};
      }
      if (from->size() < path->size() && std::equal(from->begin(), from->end(), path->begin())) {
        return failure("cannot move a value into one of its own children");
      }
      if (Result<void> removed = removeValue(root, *from); !removed) {
        return removed;
      }
    }
    return addValue(root, *path, std::move(copy), allocator);
  }
  return failure("unknown op \"" + std::string(*op) + "\"");
}

// " (op path)" from whatever of the two the operation carries, for error messages.
std::string describe(const Value& operation) {
  std::string label;
  for (const std::string_view name : {"op", "path"}) {
    const Value* member = find(operation, name);
    if (member == nullptr || !member->IsString()) {
      continue;
    }
    const std::string_view text = view(*member);
    label += label.empty() ? " (" : " ";
    label += text.empty() ? "\"\"" : std::string(text);
  }
  return label.empty() ? label : label + ")";
}

}  // namespace

Result<void> applyJsonPatch(Document& target, const Value& operations) {
  if (!operations.IsArray()) {
    return Error::invalidArgument("json patch must be an array of operations");
  }
  // All or nothing: operations run on a copy that replaces the target only at the end.
  Document working = clone(target);
  for (rapidjson::SizeType i = 0; i < operations.Size(); ++i) {
    if (Result<void> applied = applyOperation(working, operations[i], working.GetAllocator());
        !applied) {
      return Error::invalidArgument("json patch operation " + std::to_string(i) +
                                    describe(operations[i]) + ": " + applied.error().message);
    }
  }
  target.Swap(working);
  return {};
}

}  // namespace daap::json

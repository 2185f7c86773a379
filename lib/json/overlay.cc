#include "lib/json/overlay.h"

namespace daap::json {

bool overlay(Value& live, const Value& desired, Allocator& allocator) {
  if (desired.IsObject() && live.IsObject()) {
    bool changed = false;
    for (auto member = desired.MemberBegin(); member != desired.MemberEnd(); ++member) {
      const std::string_view key = view(member->name);
      Value* current = find(live, key);
      if (current == nullptr) {
        live.AddMember(stringValue(key, allocator), Value(member->value, allocator), allocator);
        changed = true;
      } else if (overlay(*current, member->value, allocator)) {
        changed = true;
      }
    }
    return changed;
  }
  if (equal(live, desired)) {
    return false;
  }
  live.CopyFrom(desired, allocator);
  return true;
}

bool containsOverlay(const Value& live, const Value& desired) {
  if (desired.IsObject() && live.IsObject()) {
    for (auto member = desired.MemberBegin(); member != desired.MemberEnd(); ++member) {
      const Value* current = find(live, view(member->name));
      if (current == nullptr || !containsOverlay(*current, member->value)) {
        return false;
      }
    }
    return true;
  }
  return equal(live, desired);
}

}  // namespace daap::json

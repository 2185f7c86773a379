#include "hack/devcluster/object_meta.h"

#include <charconv>
#include <cstdio>
#include <random>

namespace daap::devcluster {

std::string_view metaString(const json::Value& object, std::string_view key) {
  const json::Value* metadata = json::find(object, "metadata");
  return metadata == nullptr ? std::string_view{} : json::getString(*metadata, key);
}

uint64_t parseResourceVersion(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

bool hasFinalizers(const json::Value& object) {
  const json::Value* finalizers = json::findPath(object, {"metadata", "finalizers"});
  return finalizers != nullptr && finalizers->IsArray() && !finalizers->Empty();
}

bool isDeleting(const json::Value& object) {
  const json::Value* stamp = json::findPath(object, {"metadata", "deletionTimestamp"});
  return stamp != nullptr && stamp->IsString();
}

std::vector<OwnerRef> ownerReferences(const json::Value& object) {
  std::vector<OwnerRef> out;
  const json::Value* refs = json::findPath(object, {"metadata", "ownerReferences"});
  if (refs == nullptr || !refs->IsArray()) {
    return out;
  }
  for (const json::Value& ref : refs->GetArray()) {
    OwnerRef owner;
    owner.api_version = std::string(json::getString(ref, "apiVersion"));
    owner.kind = std::string(json::getString(ref, "kind"));
    owner.name = std::string(json::getString(ref, "name"));
    owner.uid = std::string(json::getString(ref, "uid"));
    const json::Value* block = json::find(ref, "blockOwnerDeletion");
    owner.block_owner_deletion = block != nullptr && block->IsTrue();
    out.push_back(std::move(owner));
  }
  return out;
}

std::string newUid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t high = rng();
  const uint64_t low = rng();
  char buffer[37];
  std::snprintf(
      buffer, sizeof(buffer), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(high >> 32),
      static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0x0fff),
      static_cast<unsigned>(0x8000 | ((low >> 48) & 0x3fff)),
      static_cast<unsigned long long>(low & 0xffffffffffffULL));  // NOLINT(google-runtime-int)
  return buffer;
}

namespace {

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool isLabel(std::string_view text) {
  if (text.empty() || text.size() > 63 || !isAlnum(text.front()) || !isAlnum(text.back())) {
    return false;
  }
  for (const char c : text) {
    if (!isAlnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string validateSubdomain(std::string_view name) {
  bool valid = !name.empty() && name.size() <= 253;
  size_t start = 0;
  while (valid && start <= name.size()) {
    const size_t dot = name.find('.', start);
    const std::string_view part =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    valid = isLabel(part);
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (valid) {
    return {};
  }
  return "Invalid value: \"" + std::string(name) +
         "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
         "characters, '-' or '.', and must start and end with an alphanumeric character";
}

std::string validateLabel(std::string_view name) {
  if (isLabel(name)) {
    return {};
  }
  return "Invalid value: \"" + std::string(name) +
         "\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
         "'-', and must start and end with an alphanumeric character";
}

}  // namespace daap::devcluster

#include "lib/kube/objects.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "lib/base/clock.h"

namespace daap::kube {
namespace {

// A string in `object`'s metadata, or empty.
std::string_view metaString(const json::Value& object, std::string_view key) {
  const json::Value* metadata = json::find(object, "metadata");
  return metadata != nullptr ? json::getString(*metadata, key) : std::string_view();
}

int64_t getInt(const json::Value& object, std::string_view key) {
  const json::Value* found = json::find(object, key);
  return found != nullptr && found->IsInt64() ? found->GetInt64() : 0;
}

int32_t getInt32(const json::Value& object, std::string_view key) {
  const int64_t value = getInt(object, key);
  return value >= INT32_MIN && value <= INT32_MAX ? static_cast<int32_t>(value) : 0;
}

bool getBool(const json::Value& object, std::string_view key) {
  const json::Value* found = json::find(object, key);
  return found != nullptr && found->IsBool() && found->GetBool();
}

std::map<std::string, std::string> readStringMap(const json::Value* object) {
  std::map<std::string, std::string> out;
  if (object == nullptr || !object->IsObject()) {
    return out;
  }
  for (const auto& member : object->GetObject()) {
    if (member.value.IsString()) {
      out.emplace(json::view(member.name), json::view(member.value));
    }
  }
  return out;
}

// The array member `key` of `object`, created empty when absent or not an array.
json::Value& ensureArray(json::Value& object, std::string_view key, json::Allocator& allocator) {
  json::Value* existing = json::find(object, key);
  if (existing == nullptr) {
    json::Value array;
    array.SetArray();
    json::set(object, key, std::move(array), allocator);
    existing = json::find(object, key);
  } else if (!existing->IsArray()) {
    existing->SetArray();
  }
  return *existing;
}

OwnerReference readOwnerReference(const json::Value& entry) {
  return {std::string(json::getString(entry, "apiVersion")),
          std::string(json::getString(entry, "kind")),
          std::string(json::getString(entry, "name")),
          std::string(json::getString(entry, "uid")),
          getBool(entry, "controller"),
          getBool(entry, "blockOwnerDeletion")};
}

std::optional<ConditionStatus> parseConditionStatus(std::string_view text) {
  if (text == "True") {
    return ConditionStatus::True;
  }
  if (text == "False") {
    return ConditionStatus::False;
  }
  if (text == "Unknown") {
    return ConditionStatus::Unknown;
  }
  return std::nullopt;
}

std::optional<Time> optionalTime(const json::Value& object, std::string_view key) {
  const std::string_view text = json::getString(object, key);
  if (text.empty()) {
    return std::nullopt;
  }
  Result<Time> time = parseRfc3339(text);
  return time ? std::optional<Time>(*time) : std::nullopt;
}

Condition readCondition(const json::Value& entry) {
  Condition condition;
  condition.type = json::getString(entry, "type");
  condition.status =
      parseConditionStatus(json::getString(entry, "status")).value_or(ConditionStatus::Unknown);
  condition.observed_generation = getInt(entry, "observedGeneration");
  condition.last_transition_time = optionalTime(entry, "lastTransitionTime");
  condition.reason = json::getString(entry, "reason");
  condition.message = json::getString(entry, "message");
  return condition;
}

// Sets string member `key` when it differs; returns whether it did.
bool updateString(json::Value& object, std::string_view key, std::string_view text,
                  json::Allocator& allocator) {
  const json::Value* existing = json::find(object, key);
  if (existing != nullptr && existing->IsString() && json::view(*existing) == text) {
    return false;
  }
  json::setString(object, key, text, allocator);
  return true;
}

bool updateInt(json::Value& object, std::string_view key, int64_t value,
               json::Allocator& allocator) {
  const json::Value* existing = json::find(object, key);
  if (existing != nullptr && existing->IsInt64() && existing->GetInt64() == value) {
    return false;
  }
  json::set(object, key, json::Value(value), allocator);
  return true;
}

// Digits of a fixed width at `text[at]`, or nullopt.
std::optional<int> fixedDigits(std::string_view text, std::size_t at, std::size_t width) {
  if (at + width > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Quantity `key` of `object` (which may be absent), `path` naming it in errors.
Result<model::Quantity> readQuantity(const json::Value* object, std::string_view key,
                                     const std::string& path) {
  const json::Value* found = object != nullptr ? json::find(*object, key) : nullptr;
  if (found == nullptr) {
    return Error::invalidArgument(path + " is required");
  }
  if (!found->IsString()) {
    return Error::invalidArgument(path + " must be a quantity string");
  }
  Result<model::Quantity> quantity = model::Quantity::parse(json::view(*found));
  if (!quantity) {
    return Error::invalidArgument(path + ": " + quantity.error().message);
  }
  return quantity;
}

// Resources of a tier's parameters (`params` is a DaapTier's spec or a DaapDatabase's
// status.provisionedTier, which share their shape), `path` naming `params` in errors.
Result<TierResources> readResourcesAt(const json::Value* params, const std::string& path) {
  if (params == nullptr || !params->IsObject()) {
    return Error::invalidArgument(path + " is required");
  }
  const json::Value* resources = json::find(*params, "resources");
  const json::Value* storage = json::find(*params, "storage");
  Result<model::Quantity> cpu = readQuantity(resources, "cpu", path + ".resources.cpu");
  if (!cpu) {
    return std::move(cpu).error();
  }
  Result<model::Quantity> memory = readQuantity(resources, "memory", path + ".resources.memory");
  if (!memory) {
    return std::move(memory).error();
  }
  Result<model::Quantity> size = readQuantity(storage, "size", path + ".storage.size");
  if (!size) {
    return std::move(size).error();
  }
  return TierResources{*cpu, *memory, *size,
                       std::string(storage != nullptr ? json::getString(*storage, "storageClass")
                                                      : std::string_view())};
}

}  // namespace

Result<Time> parseRfc3339(std::string_view text) {
  const auto invalid = [&text](std::string_view why) {
    return Error::invalidArgument("invalid RFC 3339 time \"" + std::string(text) +
                                  "\": " + std::string(why));
  };
  // "2006-01-02T15:04:05" is 19 characters; then fraction and offset.
  const std::optional<int> year = fixedDigits(text, 0, 4);
  const std::optional<int> month = fixedDigits(text, 5, 2);
  const std::optional<int> day = fixedDigits(text, 8, 2);
  const std::optional<int> hour = fixedDigits(text, 11, 2);
  const std::optional<int> minute = fixedDigits(text, 14, 2);
  const std::optional<int> second = fixedDigits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return invalid("expected YYYY-MM-DDTHH:MM:SS");
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) {
    return invalid("out of range");
  }
  std::size_t i = 19;
  std::chrono::nanoseconds fraction{0};
  if (i < text.size() && text[i] == '.') {
    ++i;
    const std::size_t begin = i;
    int64_t nanos = 0;
    int64_t scale = 100000000;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      nanos += (text[i] - '0') * scale;  // Digits past nanoseconds add zero.
      scale /= 10;
      ++i;
    }
    if (i == begin) {
      return invalid("expected digits after '.'");
    }
    fraction = std::chrono::nanoseconds(nanos);
  }
  std::chrono::minutes offset{0};
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    const std::optional<int> offset_hours = fixedDigits(text, i + 1, 2);
    const std::optional<int> offset_minutes = fixedDigits(text, i + 4, 2);
    if (!offset_hours || !offset_minutes || text[i + 3] != ':' || *offset_hours > 23 ||
        *offset_minutes > 59) {
      return invalid("bad offset");
    }
    offset = std::chrono::hours(*offset_hours) + std::chrono::minutes(*offset_minutes);
    if (text[i] == '-') {
      offset = -offset;
    }
    i += 6;
  } else {
    return invalid("expected 'Z' or an offset");
  }
  if (i != text.size()) {
    return invalid("trailing characters");
  }
  const std::chrono::sys_time<std::chrono::nanoseconds> local =
      std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
      std::chrono::seconds(*second) + fraction;
  return std::chrono::time_point_cast<Time::duration>(local - offset);
}

ObjectMeta readMeta(const json::Value& object) {
  ObjectMeta meta;
  const json::Value* metadata = json::find(object, "metadata");
  if (metadata == nullptr || !metadata->IsObject()) {
    return meta;
  }
  meta.name = json::getString(*metadata, "name");
  meta.namespace_ = json::getString(*metadata, "namespace");
  meta.uid = json::getString(*metadata, "uid");
  meta.resource_version = json::getString(*metadata, "resourceVersion");
  meta.generation = getInt(*metadata, "generation");
  meta.creation_timestamp = optionalTime(*metadata, "creationTimestamp");
  const json::Value* deletion = json::find(*metadata, "deletionTimestamp");
  meta.deleting = deletion != nullptr && !deletion->IsNull();
  meta.labels = readStringMap(json::find(*metadata, "labels"));
  meta.annotations = readStringMap(json::find(*metadata, "annotations"));
  if (const json::Value* finalizers = json::find(*metadata, "finalizers");
      finalizers != nullptr && finalizers->IsArray()) {
    for (const json::Value& finalizer : finalizers->GetArray()) {
      if (finalizer.IsString()) {
        meta.finalizers.emplace_back(json::view(finalizer));
      }
    }
  }
  if (const json::Value* owners = json::find(*metadata, "ownerReferences");
      owners != nullptr && owners->IsArray()) {
    for (const json::Value& owner : owners->GetArray()) {
      meta.owner_references.push_back(readOwnerReference(owner));
    }
  }
  return meta;
}

bool hasFinalizer(const json::Value& object, std::string_view finalizer) {
  const json::Value* finalizers = json::findPath(object, {"metadata", "finalizers"});
  if (finalizers == nullptr || !finalizers->IsArray()) {
    return false;
  }
  return std::any_of(finalizers->Begin(), finalizers->End(), [finalizer](const json::Value& f) {
    return f.IsString() && json::view(f) == finalizer;
  });
}

bool addFinalizer(json::Document& object, std::string_view finalizer) {
  if (hasFinalizer(object, finalizer)) {
    return false;
  }
  json::Allocator& allocator = object.GetAllocator();
  json::Value& metadata = json::ensureObject(object, "metadata", allocator);
  ensureArray(metadata, "finalizers", allocator)
      .PushBack(json::stringValue(finalizer, allocator), allocator);
  return true;
}

bool removeFinalizer(json::Document& object, std::string_view finalizer) {
  json::Value* metadata = json::find(object, "metadata");
  json::Value* finalizers = metadata != nullptr ? json::find(*metadata, "finalizers") : nullptr;
  if (finalizers == nullptr || !finalizers->IsArray()) {
    return false;
  }
  bool removed = false;
  for (auto it = finalizers->Begin(); it != finalizers->End();) {
    if (it->IsString() && json::view(*it) == finalizer) {
      it = finalizers->Erase(it);
      removed = true;
    } else {
      ++it;
    }
  }
  if (finalizers->Empty()) {
    json::erase(*metadata, "finalizers");  // The API server omits an empty list too.
  }
  return removed;
}

OwnerReference controllerReference(const json::Value& owner) {
  return {std::string(json::getString(owner, "apiVersion")),
          std::string(json::getString(owner, "kind")),
          std::string(metaString(owner, "name")),
          std::string(metaString(owner, "uid")),
          true,
          true};
}

json::Value toJson(const OwnerReference& reference, json::Allocator& allocator) {
  json::Value out;
  out.SetObject();
  json::setString(out, "apiVersion", reference.api_version, allocator);
  json::setString(out, "kind", reference.kind, allocator);
  json::setString(out, "name", reference.name, allocator);
  json::setString(out, "uid", reference.uid, allocator);
  json::set(out, "controller", json::Value(reference.controller), allocator);
  json::set(out, "blockOwnerDeletion", json::Value(reference.block_owner_deletion), allocator);
  return out;
}

bool setOwnerReference(json::Document& object, const OwnerReference& reference) {
  json::Allocator& allocator = object.GetAllocator();
  json::Value& metadata = json::ensureObject(object, "metadata", allocator);
  json::Value& owners = ensureArray(metadata, "ownerReferences", allocator);
  for (json::Value& entry : owners.GetArray()) {
    if (json::getString(entry, "uid") == reference.uid) {
      if (readOwnerReference(entry) == reference) {
        return false;
      }
      entry = toJson(reference, allocator);
      return true;
    }
  }
  owners.PushBack(toJson(reference, allocator), allocator);
  return true;
}

std::string_view conditionStatusName(ConditionStatus status) {
  switch (status) {
    case ConditionStatus::True:
      return "True";
    case ConditionStatus::False:
      return "False";
    case ConditionStatus::Unknown:
      return "Unknown";
  }
  return "Unknown";
}

std::vector<Condition> readConditions(const json::Value& status) {
  std::vector<Condition> out;
  const json::Value* conditions = json::find(status, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) {
    return out;
  }
  for (const json::Value& entry : conditions->GetArray()) {
    if (entry.IsObject()) {
      out.push_back(readCondition(entry));
    }
  }
  return out;
}

std::optional<Condition> findCondition(const json::Value& status, std::string_view type) {
  const json::Value* conditions = json::find(status, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) {
    return std::nullopt;
  }
  for (const json::Value& entry : conditions->GetArray()) {
    if (json::getString(entry, "type") == type) {
      return readCondition(entry);
    }
  }
  return std::nullopt;
}

bool setCondition(json::Value& status, const Condition& condition, json::Allocator& allocator,
                  Time now) {
  if (!status.IsObject()) {
    status.SetObject();
  }
  json::Value& conditions = ensureArray(status, "conditions", allocator);
  json::Value* entry = nullptr;
  for (json::Value& candidate : conditions.GetArray()) {
    if (json::getString(candidate, "type") == condition.type) {
      entry = &candidate;
      break;
    }
  }
  bool changed = false;
  if (entry == nullptr) {
    json::Value added;
    added.SetObject();
    conditions.PushBack(added, allocator);
    entry = &conditions[conditions.Size() - 1];
    json::setString(*entry, "type", condition.type, allocator);
    changed = true;
  }
  const std::string_view status_name = conditionStatusName(condition.status);
  const bool transition = json::getString(*entry, "status") != status_name;
  changed |= updateString(*entry, "status", status_name, allocator);
  changed |= updateInt(*entry, "observedGeneration", condition.observed_generation, allocator);
  if (transition || !optionalTime(*entry, "lastTransitionTime")) {
    changed |= updateString(*entry, "lastTransitionTime", formatRfc3339(now), allocator);
  }
  changed |= updateString(*entry, "reason", condition.reason, allocator);
  changed |= updateString(*entry, "message", condition.message, allocator);
  return changed;
}

Result<std::map<std::string, std::string>> readSecretData(const json::Value& secret) {
  std::map<std::string, std::string> out;
  const json::Value* data = json::find(secret, "data");
  if (data == nullptr || data->IsNull()) {
    return out;
  }
  if (!data->IsObject()) {
    return Error::invalidArgument("data must be an object");
  }
  for (const auto& member : data->GetObject()) {
    const std::string key(json::view(member.name));
    if (!member.value.IsString()) {
      return Error::invalidArgument("data." + key + " must be a base64 string");
    }
    Result<std::string> decoded = decodeBase64(json::view(member.value));
    if (!decoded) {
      return Error::invalidArgument("data." + key + ": " + decoded.error().message);
    }
    out.emplace(key, std::move(decoded).value());
  }
  return out;
}

Result<LeaseSpec> readLeaseSpec(const json::Value& lease) {
  LeaseSpec spec;
  const json::Value* node = json::find(lease, "spec");
  if (node == nullptr || node->IsNull()) {
    return spec;
  }
  spec.holder_identity = json::getString(*node, "holderIdentity");
  spec.lease_duration = std::chrono::seconds(getInt(*node, "leaseDurationSeconds"));
  spec.lease_transitions = getInt32(*node, "leaseTransitions");
  for (const auto& [key, field] : {std::pair{"acquireTime", &LeaseSpec::acquire_time},
                                   std::pair{"renewTime", &LeaseSpec::renew_time}}) {
    const json::Value* value = json::find(*node, key);
    if (value == nullptr || value->IsNull()) {
      continue;
    }
    if (!value->IsString()) {
      return Error::invalidArgument(std::string("spec.") + key + " must be a string");
    }
    Result<Time> time = parseRfc3339(json::view(*value));
    if (!time) {
      return Error::invalidArgument(std::string("spec.") + key + ": " + time.error().message);
    }
    spec.*field = *time;
  }
  return spec;
}

void writeLeaseSpec(json::Document& lease, const LeaseSpec& spec) {
  json::Allocator& allocator = lease.GetAllocator();
  json::Value& node = json::ensureObject(lease, "spec", allocator);
  json::setString(node, "holderIdentity", spec.holder_identity, allocator);
  json::set(node, "leaseDurationSeconds",
            json::Value(static_cast<int64_t>(spec.lease_duration.count())), allocator);
  for (const auto& [key, time] :
       {std::pair{"acquireTime", &spec.acquire_time}, std::pair{"renewTime", &spec.renew_time}}) {
    if (time->has_value()) {
      json::setString(node, key, formatRfc3339Micro(**time), allocator);
    } else {
      json::erase(node, key);
    }
  }
  json::set(node, "leaseTransitions", json::Value(spec.lease_transitions), allocator);
}

ObjectReference objectReference(const json::Value& object) {
  return {std::string(json::getString(object, "apiVersion")),
          std::string(json::getString(object, "kind")), std::string(metaString(object, "name")),
          std::string(metaString(object, "namespace")), std::string(metaString(object, "uid"))};
}

json::Document buildEvent(const Event& event) {
  json::Document out;
  out.SetObject();
  json::Allocator& allocator = out.GetAllocator();
  const ObjectReference& involved = event.involved_object;
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(event.first_timestamp.time_since_epoch())
          .count();
  std::array<char, 16> hex{};
  char* hex_end =
      std::to_chars(hex.data(), hex.data() + hex.size(), static_cast<uint64_t>(nanos), 16).ptr;

  json::setString(out, "apiVersion", "v1", allocator);
  json::setString(out, "kind", "Event", allocator);
  json::Value& metadata = json::ensureObject(out, "metadata", allocator);
  json::setString(metadata, "name", involved.name + "." + std::string(hex.data(), hex_end),
                  allocator);
  json::setString(metadata, "namespace",
                  involved.namespace_.empty() ? std::string_view("default") : involved.namespace_,
                  allocator);
  json::Value& reference = json::ensureObject(out, "involvedObject", allocator);
  json::setString(reference, "apiVersion", involved.api_version, allocator);
  json::setString(reference, "kind", involved.kind, allocator);
  json::setString(reference, "name", involved.name, allocator);
  if (!involved.namespace_.empty()) {
    json::setString(reference, "namespace", involved.namespace_, allocator);
  }
  json::setString(reference, "uid", involved.uid, allocator);
  json::setString(out, "reason", event.reason, allocator);
  json::setString(out, "message", event.message, allocator);
  json::setString(out, "type", event.type == EventType::Warning ? "Warning" : "Normal", allocator);
  json::setString(json::ensureObject(out, "source", allocator), "component",
                  event.reporting_component, allocator);
  json::setString(out, "reportingComponent", event.reporting_component, allocator);
  json::setString(out, "reportingInstance", event.reporting_instance, allocator);
  json::setString(out, "firstTimestamp", formatRfc3339(event.first_timestamp), allocator);
  json::setString(out, "lastTimestamp", formatRfc3339(event.last_timestamp), allocator);
  json::set(out, "count", json::Value(event.count), allocator);
  return out;
}

CnpgClusterStatus readCnpgClusterStatus(const json::Value& cluster) {
  CnpgClusterStatus out;
  if (const json::Value* spec = json::find(cluster, "spec")) {
    out.desired_instances = getInt32(*spec, "instances");
  }
  const json::Value* status = json::find(cluster, "status");
  if (status == nullptr) {
    return out;
  }
  out.phase = json::getString(*status, "phase");
  out.phase_reason = json::getString(*status, "phaseReason");
  out.instances = getInt32(*status, "instances");
  out.ready_instances = getInt32(*status, "readyInstances");
  out.current_primary = json::getString(*status, "currentPrimary");
  out.ready = findCondition(*status, "Ready");
  return out;
}

CnpgPoolerStatus readCnpgPoolerStatus(const json::Value& pooler) {
  CnpgPoolerStatus out;
  if (const json::Value* spec = json::find(pooler, "spec")) {
    out.desired_instances = getInt32(*spec, "instances");
  }
  if (const json::Value* status = json::find(pooler, "status")) {
    out.phase = json::getString(*status, "phase");
    out.phase_reason = json::getString(*status, "phaseReason");
    out.instances = getInt32(*status, "instances");
  }
  return out;
}

DatabaseFields readDatabaseFields(const json::Value& database) {
  DatabaseFields out;
  if (const json::Value* spec = json::find(database, "spec")) {
    out.tier = json::getString(*spec, "tier");
    out.owner_team = json::getString(*spec, "ownerTeam");
    out.lifecycle = json::getString(*spec, "lifecycle", "Active");  // The CRD's default.
  } else {
    out.lifecycle = "Active";
  }
  if (const json::Value* status = json::find(database, "status")) {
    out.phase = json::getString(*status, "phase");
  }
  return out;
}

Result<TierResources> readTierResources(const json::Value& tier) {
  return readResourcesAt(json::find(tier, "spec"), "spec");
}

Result<TierResources> readProvisionedResources(const json::Value& database) {
  return readResourcesAt(json::findPath(database, {"status", "provisionedTier"}),
                         "status.provisionedTier");
}

}  // namespace daap::kube

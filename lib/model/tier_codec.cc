#include "lib/model/tier_codec.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace daap::model {
namespace {

// Field errors in the API server's shape: the message leads with the field path, and the
// cause carries it for callers that map errors field by field (the gateway's 422).
Error fieldError(const std::string& field, std::string_view reason, const std::string& message) {
  Error error = Error::invalidArgument(field + ": " + message);
  error.causes.push_back({field, std::string(reason), message});
  return error;
}

Error required(const std::string& field) {
  return fieldError(field, "FieldValueRequired", "Required value");
}

Error invalid(const std::string& field, const std::string& message) {
  return fieldError(field, "FieldValueInvalid", message);
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Reads the members of one JSON object, naming each field by its full path in errors.
class ObjectReader {
public:
  ObjectReader(const json::Value& object, std::string path)
      : object_(&object), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  std::string field(std::string_view key) const { return join(path_, key); }

  // nullptr when absent (or null, which the API server drops).
  const json::Value* find(std::string_view key) const {
    const json::Value* value = json::find(*object_, key);
    return value == nullptr || value->IsNull() ? nullptr : value;
  }

  // An object member; nullopt (no error) when absent and not required.
  Result<std::optional<ObjectReader>> object(std::string_view key, bool is_required) const {
    const json::Value* value = find(key);
    if (value == nullptr) {
      if (is_required) {
        return required(field(key));
      }
      return std::optional<ObjectReader>();
    }
    if (!value->IsObject()) {
      return invalid(field(key), "must be an object");
    }
    return std::optional<ObjectReader>(ObjectReader(*value, field(key)));
  }

  // A string member; `fallback` when absent, an error when absent without one.
  Result<std::string> string(std::string_view key,
                             std::optional<std::string_view> fallback = std::nullopt,
                             size_t max_chars = 0) const {
    const json::Value* value = find(key);
    if (value == nullptr) {
      if (fallback) {
        return std::string(*fallback);
      }
      return required(field(key));
    }
    if (!value->IsString()) {
      return invalid(field(key), "must be a string");
    }
    std::string text(json::view(*value));
    if (text.empty()) {
      return invalid(field(key), "must not be empty");
    }
    if (max_chars > 0 && characters(text) > max_chars) {
      return invalid(field(key), "must have at most " + std::to_string(max_chars) + " characters");
    }
    return text;
  }

  // An integer member in [min, max]; whole doubles count, as the API server accepts them.
  Result<int64_t> integer(std::string_view key, int64_t min, int64_t max,
                          std::optional<int64_t> fallback = std::nullopt) const {
    const json::Value* value = find(key);
    if (value == nullptr) {
      if (fallback) {
        return *fallback;
      }
      return required(field(key));
    }
    int64_t number = 0;
    if (value->IsInt64()) {
      number = value->GetInt64();
    } else if (value->IsDouble() && std::trunc(value->GetDouble()) == value->GetDouble() &&
               std::fabs(value->GetDouble()) < 9.0e15) {
      number = static_cast<int64_t>(value->GetDouble());
    } else {
      return invalid(field(key), "must be an integer");
    }
    if (number < min || number > max) {
      return invalid(field(key), "must be between " + std::to_string(min) + " and " +
                                     std::to_string(max) + ", got " + std::to_string(number));
    }
    return number;
  }

  // A quantity string member: at least `min_milli`, and (for sizes) whole units.
  Result<Quantity> quantity(std::string_view key, int64_t min_milli, bool whole_units) const {
    Result<std::string> text = string(key);
    if (!text) {
      return std::move(text).error();
    }
    Result<Quantity> parsed = Quantity::parse(*text);
    if (!parsed) {
      return invalid(field(key), parsed.error().message);
    }
    if (parsed->milli() < min_milli) {
      return invalid(field(key),
                     min_milli > 0 ? "must be greater than zero" : "must not be negative");
    }
    if (whole_units && parsed->milli() % 1000 != 0) {
      return invalid(field(key), "must be a whole number of bytes");
    }
    return *parsed;
  }

private:
  // Characters, as the API server counts maxLength: UTF-8 code points.
  static size_t characters(std::string_view text) {
    size_t count = 0;
    for (const char c : text) {
      if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
        ++count;
      }
    }
    return count;
  }

  const json::Value* object_;  // Not owned; a pointer keeps the reader assignable.
  std::string path_;
};

// Unpacks a Result into `target`, or returns its error from the enclosing function.
template <typename T, typename U>
bool take(Result<T> result, U& target, std::optional<Error>& error) {
  if (!result) {
    error = std::move(result).error();
    return false;
  }
  target = std::move(result).value();
  return true;
}

bool isScheduleFieldChar(char c, bool allow_question, bool allow_letters) {
  if ((c >= '0' && c <= '9') || c == '*' || c == '/' || c == ',' || c == '-') {
    return true;
  }
  if (allow_question && c == '?') {
    return true;
  }
  return allow_letters && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

// The CRD's schedule pattern, checked by hand: six fields separated by single spaces, the
// seconds a plain number 0-59 (CNPG reads a 5-field string as seconds-first, so a classic
// cron line would silently run every hour).
bool validSchedule(std::string_view schedule) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t space = schedule.find(' ', start);
    fields.push_back(schedule.substr(start, space - start));
    if (space == std::string_view::npos) {
      break;
    }
    start = space + 1;
  }
  if (fields.size() != 6) {
    return false;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].empty()) {
      return false;
    }
    for (const char c : fields[i]) {
      if (!isScheduleFieldChar(c, i == 3 || i == 5, i >= 4)) {
        return false;
      }
    }
  }
  const std::string_view seconds = fields[0];
  if (seconds.size() > 2 || (seconds.size() == 2 && (seconds[0] < '1' || seconds[0] > '5'))) {
    return false;
  }
  for (const char c : seconds) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

bool hasWhitespace(std::string_view text) {
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      return true;
    }
  }
  return false;
}

// The CRD's endpointURL pattern: ^https?://\S+$
bool validEndpoint(std::string_view url) {
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (url.rfind(scheme, 0) == 0) {
      return url.size() > scheme.size() && !hasWhitespace(url);
    }
  }
  return false;
}

// The CRD's destinationPath pattern: ^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?$
bool validDestinationPath(std::string_view path) {
  constexpr std::string_view kScheme = "s3://";
  if (path.rfind(kScheme, 0) != 0 || hasWhitespace(path)) {
    return false;
  }
  const std::string_view rest = path.substr(kScheme.size());
  const std::string_view bucket = rest.substr(0, rest.find('/'));
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (bucket.size() < 3 || bucket.size() > 63 || !alnum(bucket.front()) || !alnum(bucket.back())) {
    return false;
  }
  for (const char c : bucket) {
    if (!alnum(c) && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

// Highest CPU the tier schema admits (99999.999 cores), so its text always fits the schema.
constexpr int64_t kMaxCpuMilli = 99'999'999;

// How the tier spec and status.provisionedTier differ: in a tier, optional fields have CRD
// defaults; in a recorded provisioned tier, everything is written out and required.
enum class Form { TierSpec, Provisioned };

Result<BackupSettings> decodeBackup(const ObjectReader& backup, Form form) {
  const bool provisioned = form == Form::Provisioned;
  std::optional<Error> error;
  BackupSettings out;
  if (!take(backup.string("schedule", std::nullopt, 128), out.schedule, error)) {
    return *error;
  }
  if (!validSchedule(out.schedule)) {
    return invalid(backup.field("schedule"),
                   "must be a 6-field cron expression with a numeric seconds field first, "
                   "e.g. \"0 0 2 * * *\"");
  }
  int64_t retention = 0;
  if (!take(backup.integer("retentionDays", 1, 3650,
                           provisioned ? std::nullopt : std::optional<int64_t>(30)),
            retention, error)) {
    return *error;
  }
  out.retention_days = static_cast<int32_t>(retention);

  std::optional<ObjectReader> destination;
  if (!take(backup.object("destination", true), destination, error)) {
    return *error;
  }
  if (!take(destination->string("endpointURL", ""), out.destination.endpoint_url, error)) {
    return *error;
  }
  if (!out.destination.endpoint_url.empty() && !validEndpoint(out.destination.endpoint_url)) {
    return invalid(destination->field("endpointURL"), "must be an http:// or https:// URL");
  }
  if (!take(destination->string("destinationPath", std::nullopt, 1024),
            out.destination.destination_path, error)) {
    return *error;
  }
  if (!validDestinationPath(out.destination.destination_path)) {
    return invalid(destination->field("destinationPath"), "must be an s3://bucket/prefix/ path");
  }
  std::optional<ObjectReader> secret;
  if (!take(destination->object("credentialsSecret", true), secret, error)) {
    return *error;
  }
  if (!take(secret->string("name", std::nullopt, 253), out.destination.credentials_secret, error) ||
      !take(secret->string(
                "accessKeyIdKey",
                provisioned ? std::nullopt : std::optional<std::string_view>("ACCESS_KEY_ID"), 253),
            out.destination.access_key_id_key, error) ||
      !take(secret->string(
                "secretAccessKeyKey",
                provisioned ? std::nullopt : std::optional<std::string_view>("SECRET_ACCESS_KEY"),
                253),
            out.destination.secret_access_key_key, error)) {
    return *error;
  }
  return out;
}

// The parameters shared by a tier spec and a provisioned tier, read from `object`.
Result<TierParameters> decodeParameters(const ObjectReader& object, Form form) {
  const bool provisioned = form == Form::Provisioned;
  std::optional<Error> error;
  TierParameters out;

  int64_t version = 0;
  if (!take(object.integer("postgresVersion", provisioned ? 1 : 14, provisioned ? 99 : 18), version,
            error)) {
    return *error;
  }
  // CNPG's webhook rejects images older than PostgreSQL 13.
  if (version < 13) {
    return invalid(
        object.field("postgresVersion"),
        "CloudNativePG supports PostgreSQL 13 and later, got " + std::to_string(version));
  }
  out.postgres_version = static_cast<int32_t>(version);

  int64_t instances = 0;
  if (!take(object.integer("instances", 1, 9), instances, error)) {
    return *error;
  }
  out.instances = static_cast<int32_t>(instances);

  std::optional<ObjectReader> resources;
  if (!take(object.object("resources", true), resources, error) ||
      !take(resources->quantity("cpu", 1, false), out.cpu, error) ||
      !take(resources->quantity("memory", 1, true), out.memory, error)) {
    return *error;
  }
  if (out.cpu.milli() > kMaxCpuMilli) {
    return invalid(resources->field("cpu"), "must be at most 99999.999 cores");
  }

  std::optional<ObjectReader> storage;
  if (!take(object.object("storage", true), storage, error) ||
      !take(storage->quantity("size", 1, true), out.storage_size, error) ||
      !take(storage->string("storageClass", "", 253), out.storage_class, error)) {
    return *error;
  }

  std::optional<ObjectReader> pooler;
  if (!take(object.object("pooler", provisioned), pooler, error)) {
    return *error;
  }
  if (pooler) {
    std::string mode;
    int64_t max_client = 0;
    int64_t pool_size = 0;
    if (!take(pooler->string("poolMode", provisioned
                                             ? std::nullopt
                                             : std::optional<std::string_view>("transaction")),
              mode, error) ||
        !take(pooler->integer("maxClientConnections", 1, 100000,
                              provisioned ? std::nullopt : std::optional<int64_t>(100)),
              max_client, error) ||
        !take(pooler->integer("defaultPoolSize", 1, 5000,
                              provisioned ? std::nullopt : std::optional<int64_t>(20)),
              pool_size, error)) {
      return *error;
    }
    Result<PoolMode> pool_mode = parsePoolMode(mode);
    if (!pool_mode) {
      return fieldError(pooler->field("poolMode"), "FieldValueNotSupported",
                        pool_mode.error().message);
    }
    out.pooler = {*pool_mode, static_cast<int32_t>(max_client), static_cast<int32_t>(pool_size)};
  }

  std::optional<ObjectReader> backup;
  if (!take(object.object("backup", false), backup, error)) {
    return *error;
  }
  if (backup) {
    Result<BackupSettings> settings = decodeBackup(*backup, form);
    if (!settings) {
      return std::move(settings).error();
    }
    out.backup = std::move(settings).value();
  }

  std::optional<ObjectReader> destruction;
  std::string strategy;
  int64_t archive_days = 0;
  if (!take(object.object("destruction", true), destruction, error) ||
      !take(destruction->string("strategy"), strategy, error) ||
      !take(destruction->integer("archiveRetentionDays", 1, 3650,
                                 provisioned ? std::nullopt : std::optional<int64_t>(30)),
            archive_days, error)) {
    return *error;
  }
  Result<DestructionStrategy> parsed_strategy = parseDestructionStrategy(strategy);
  if (!parsed_strategy) {
    return fieldError(destruction->field("strategy"), "FieldValueNotSupported",
                      parsed_strategy.error().message);
  }
  out.destruction = {*parsed_strategy, static_cast<int32_t>(archive_days)};
  if (out.destruction.strategy == DestructionStrategy::Archive && !out.backup) {
    return invalid(object.path(),
                   "an archive destruction strategy needs backup: set " + object.field("backup"));
  }
  return out;
}

// CPU as the schemas spell it: whole cores ("2") or millicores ("500m").
std::string cpuText(Quantity cpu) {
  if (cpu.milli() % 1000 == 0) {
    return std::to_string(cpu.milli() / 1000);
  }
  return std::to_string(cpu.milli()) + "m";
}

void setQuantity(json::Value& object, std::string_view key, const std::string& text,
                 json::Allocator& allocator) {
  json::setString(object, key, text, allocator);
}

json::Value encodeBackup(const BackupSettings& backup, json::Allocator& allocator) {
  json::Value out(rapidjson::kObjectType);
  json::setString(out, "schedule", backup.schedule, allocator);
  json::set(out, "retentionDays", json::Value(backup.retention_days), allocator);
  json::Value destination(rapidjson::kObjectType);
  if (!backup.destination.endpoint_url.empty()) {
    json::setString(destination, "endpointURL", backup.destination.endpoint_url, allocator);
  }
  json::setString(destination, "destinationPath", backup.destination.destination_path, allocator);
  json::Value secret(rapidjson::kObjectType);
  json::setString(secret, "name", backup.destination.credentials_secret, allocator);
  json::setString(secret, "accessKeyIdKey", backup.destination.access_key_id_key, allocator);
  json::setString(secret, "secretAccessKeyKey", backup.destination.secret_access_key_key,
                  allocator);
  json::set(destination, "credentialsSecret", std::move(secret), allocator);
  json::set(out, "destination", std::move(destination), allocator);
  return out;
}

// The members a tier spec and a provisioned tier share, written into `out`.
void encodeParameters(const TierParameters& parameters, json::Value& out,
                      json::Allocator& allocator) {
  json::set(out, "postgresVersion", json::Value(parameters.postgres_version), allocator);
  json::set(out, "instances", json::Value(parameters.instances), allocator);
  json::Value resources(rapidjson::kObjectType);
  setQuantity(resources, "cpu", cpuText(parameters.cpu), allocator);
  setQuantity(resources, "memory", parameters.memory.toString(), allocator);
  json::set(out, "resources", std::move(resources), allocator);
  json::Value storage(rapidjson::kObjectType);
  setQuantity(storage, "size", parameters.storage_size.toString(), allocator);
  if (!parameters.storage_class.empty()) {
    json::setString(storage, "storageClass", parameters.storage_class, allocator);
  }
  json::set(out, "storage", std::move(storage), allocator);
  json::Value pooler(rapidjson::kObjectType);
  json::setString(pooler, "poolMode", poolModeName(parameters.pooler.pool_mode), allocator);
  json::set(pooler, "maxClientConnections", json::Value(parameters.pooler.max_client_connections),
            allocator);
  json::set(pooler, "defaultPoolSize", json::Value(parameters.pooler.default_pool_size), allocator);
  json::set(out, "pooler", std::move(pooler), allocator);
  if (parameters.backup) {
    json::set(out, "backup", encodeBackup(*parameters.backup, allocator), allocator);
  }
  json::Value destruction(rapidjson::kObjectType);
  json::setString(destruction, "strategy", destructionStrategyName(parameters.destruction.strategy),
                  allocator);
  json::set(destruction, "archiveRetentionDays",
            json::Value(parameters.destruction.archive_retention_days), allocator);
  json::set(out, "destruction", std::move(destruction), allocator);
}

}  // namespace

Result<Tier> decodeTier(const json::Value& daap_tier) {
  if (!daap_tier.IsObject()) {
    return invalid("<root>", "a DaapTier must be an object");
  }
  const ObjectReader root(daap_tier, "");
  std::optional<Error> error;
  Tier tier;

  std::optional<ObjectReader> metadata;
  if (!take(root.object("metadata", true), metadata, error) ||
      !take(metadata->string("name"), tier.name, error) ||
      !take(metadata->integer("generation", 0, INT64_MAX, 0), tier.generation, error)) {
    return *error;
  }

  std::optional<ObjectReader> spec;
  if (!take(root.object("spec", true), spec, error) ||
      !take(spec->string("description", std::nullopt, 1024), tier.description, error)) {
    return *error;
  }
  Result<TierParameters> parameters = decodeParameters(*spec, Form::TierSpec);
  if (!parameters) {
    return std::move(parameters).error();
  }
  tier.parameters = std::move(parameters).value();
  tier.parameters.tier_generation = tier.generation;

  std::optional<ObjectReader> quota;
  if (!take(spec->object("quota", true), quota, error) ||
      !take(quota->integer("maxDatabases", 0, 100000), tier.quota.max_databases, error) ||
      !take(quota->quantity("maxCpu", 0, false), tier.quota.max_cpu, error) ||
      !take(quota->quantity("maxMemory", 0, true), tier.quota.max_memory, error) ||
      !take(quota->quantity("maxStorage", 0, true), tier.quota.max_storage, error)) {
    return *error;
  }
  return tier;
}

Result<TierParameters> decodeProvisionedTier(const json::Value& provisioned_tier) {
  const std::string path = "status.provisionedTier";
  if (!provisioned_tier.IsObject()) {
    return invalid(path, "must be an object");
  }
  const ObjectReader object(provisioned_tier, path);
  std::optional<Error> error;
  int64_t generation = 0;
  if (!take(object.integer("tierGeneration", 1, INT64_MAX), generation, error)) {
    return *error;
  }
  Result<TierParameters> parameters = decodeParameters(object, Form::Provisioned);
  if (!parameters) {
    return std::move(parameters).error();
  }
  parameters->tier_generation = generation;
  return parameters;
}

json::Value encodeProvisionedTier(const TierParameters& parameters, json::Allocator& allocator) {
  json::Value out(rapidjson::kObjectType);
  json::set(out, "tierGeneration", json::Value(parameters.tier_generation), allocator);
  encodeParameters(parameters, out, allocator);
  return out;
}

json::Value encodeTierSpec(const Tier& tier, json::Allocator& allocator) {
  json::Value out(rapidjson::kObjectType);
  json::setString(out, "description", tier.description, allocator);
  encodeParameters(tier.parameters, out, allocator);
  json::Value quota(rapidjson::kObjectType);
  json::set(quota, "maxDatabases", json::Value(tier.quota.max_databases), allocator);
  setQuantity(quota, "maxCpu", cpuText(tier.quota.max_cpu), allocator);
  setQuantity(quota, "maxMemory", tier.quota.max_memory.toString(), allocator);
  setQuantity(quota, "maxStorage", tier.quota.max_storage.toString(), allocator);
  json::set(out, "quota", std::move(quota), allocator);
  return out;
}

json::Value encodeUsage(const Usage& usage, json::Allocator& allocator) {
  json::Value out(rapidjson::kObjectType);
  json::set(out, "databases", json::Value(usage.databases), allocator);
  setQuantity(out, "cpu", cpuText(usage.cpu), allocator);
  setQuantity(out, "memory", usage.memory.toString(), allocator);
  setQuantity(out, "storage", usage.storage.toString(), allocator);
  return out;
}

Result<Usage> decodeUsage(const json::Value& usage) {
  const std::string path = "status.usage";
  if (!usage.IsObject()) {
    return invalid(path, "must be an object");
  }
  const ObjectReader object(usage, path);
  std::optional<Error> error;
  Usage out;
  if (!take(object.integer("databases", 0, INT64_MAX, 0), out.databases, error)) {
    return *error;
  }
  for (const auto& [key, target] : {std::pair<std::string_view, Quantity*>{"cpu", &out.cpu},
                                    {"memory", &out.memory},
                                    {"storage", &out.storage}}) {
    if (object.find(key) == nullptr) {
      continue;
    }
    if (!take(object.quantity(key, 0, false), *target, error)) {
      return *error;
    }
  }
  return out;
}

}  // namespace daap::model

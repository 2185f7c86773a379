#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/base/result.h"
#include "lib/model/quantity.h"

namespace daap::model {

// A DaapTier in plain values: the contract a platform team defines and product teams choose by
// name. JSON field names live only in tier_codec.h; these structs carry no defaults of their
// own beyond the CRD's, so a decoded tier is complete.

enum class PoolMode { Session, Transaction };
enum class DestructionStrategy { Freeze, Archive, Hard };

// Names as the CRD spells them ("session", "freeze", ...); parse errors are InvalidArgument.
std::string_view poolModeName(PoolMode mode);
Result<PoolMode> parsePoolMode(std::string_view name);
std::string_view destructionStrategyName(DestructionStrategy strategy);
Result<DestructionStrategy> parseDestructionStrategy(std::string_view name);

struct PoolerSettings {
  PoolMode pool_mode = PoolMode::Transaction;
  int32_t max_client_connections = 100;
  int32_t default_pool_size = 20;

  bool operator==(const PoolerSettings&) const = default;
};

struct BackupDestination {
  std::string endpoint_url;      // Empty: AWS S3.
  std::string destination_path;  // "s3://bucket/prefix/".
  // A Secret in the DAAP namespace; the operator copies the two keys next to each database.
  std::string credentials_secret;
  std::string access_key_id_key = "ACCESS_KEY_ID";
  std::string secret_access_key_key = "SECRET_ACCESS_KEY";

  bool operator==(const BackupDestination&) const = default;
};

struct BackupSettings {
  std::string schedule;  // 6-field cron, seconds first ("0 0 2 * * *").
  int32_t retention_days = 30;
  BackupDestination destination;

  bool operator==(const BackupSettings&) const = default;
};

struct DestructionSettings {
  DestructionStrategy strategy = DestructionStrategy::Hard;
  int32_t archive_retention_days = 30;

  bool operator==(const DestructionSettings&) const = default;
};

// What all databases of a tier may allocate together.
struct Quota {
  int64_t max_databases = 0;
  Quantity max_cpu;
  Quantity max_memory;
  Quantity max_storage;

  bool operator==(const Quota&) const = default;
};

// What a database is provisioned with: a copy of its tier's parameters, recorded on the
// database (status.provisionedTier) so later tier edits never reshape it.
struct TierParameters {
  int64_t tier_generation = 0;  // metadata.generation of the DaapTier copied from.
  int32_t postgres_version = 0;
  int32_t instances = 1;
  Quantity cpu;               // Per instance.
  Quantity memory;            // Per instance.
  Quantity storage_size;      // Per instance.
  std::string storage_class;  // Empty: the cluster's default StorageClass.
  PoolerSettings pooler;
  std::optional<BackupSettings> backup;  // Absent: no backup.
  DestructionSettings destruction;

  bool operator==(const TierParameters&) const = default;
};

struct Tier {
  std::string name;
  int64_t generation = 0;
  std::string description;
  TierParameters parameters;  // parameters.tier_generation == generation.
  Quota quota;

  bool operator==(const Tier&) const = default;
};

}  // namespace daap::model

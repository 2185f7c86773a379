#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"
#include "lib/model/tier.h"

// The CNPG objects DAAP writes for one database, as pure functions of the database and the tier
// parameters it was provisioned with (never the live tier). Field facts and the webhook-only
// rules every rendering respects: ../shared/reference/cnpg.md. Each object carries the labels
// app.kubernetes.io/managed-by=daap and daap.io/database-id=<uid> and a controller owner
// reference to the DaapDatabase, so deleting the DaapDatabase collects them all.
namespace daap::cnpg {

// The DaapDatabase an object is rendered for.
struct DatabaseRef {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string owner_team;  // spec.ownerTeam
};

struct RenderOptions {
  // PostgreSQL images: "<repository>:<major>-<flavor>". pgAudit needs a "standard" image.
  std::string image_repository = "ghcr.io/cloudnative-pg/postgresql";
  std::string image_flavor = "standard-trixie";
  // Where DAAP runs: its pods may connect to every database.
  std::string daap_namespace = "daap-system";
  // Where the CNPG operator and the Barman Cloud plugin run: they must reach the instance
  // managers, or CNPG cannot run the cluster.
  std::string cnpg_namespace = "cnpg-system";
  // Namespaces labelled <team_label>=<ownerTeam> may connect to the team's databases.
  std::string team_label = "daap.io/team";
  std::string cluster_domain = "cluster.local";
};

inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "daap";
inline constexpr std::string_view kDatabaseIdLabel = "daap.io/database-id";
inline constexpr std::string_view kBarmanCloudPlugin = "barman-cloud.cloudnative-pg.io";
inline constexpr int32_t kPostgresPort = 5432;

// Object names. clusterName is the DaapDatabase name when that is a DNS-1035 label of at most
// kMaxClusterNameLength characters not ending in "-pooler" (another database's pooler name);
// otherwise a DNS-1035 prefix of the name plus "-" and 8 hex digits of a hash of the uid
// (unique per database, stable across reconciles). The limit keeps
// every name CNPG derives within its bounds: the cluster <= 50, services, pods, jobs
// ("<cluster>-1-full-recovery") and label values such as generated Backup names <= 63.
inline constexpr size_t kMaxClusterNameLength = 40;
std::string clusterName(const DatabaseRef& database);
std::string poolerName(const DatabaseRef& database);           // <cluster>-pooler
std::string objectStoreName(const DatabaseRef& database);      // <cluster>-store
std::string scheduledBackupName(const DatabaseRef& database);  // <cluster>-backup
std::string finalBackupName(const DatabaseRef& database);      // <cluster>-final
std::string networkPolicyName(const DatabaseRef& database);    // <cluster>-access
std::string appSecretName(const DatabaseRef& database);        // <cluster>-app (CNPG creates)
std::string caSecretName(const DatabaseRef& database);         // <cluster>-ca (CNPG creates)
// The copy of the tier's object-store credentials next to the database.
std::string backupCredentialsSecretName(const DatabaseRef& database);  // <cluster>-backup-s3
// The Barman server name: the folder under the tier's destinationPath holding this database's
// base backups and WAL. The uid, so a later database of the same name (or a restore of this
// one) never finds someone else's WAL there, and a purge knows exactly what to delete.
std::string backupServerName(const DatabaseRef& database);

// The application database and its owner role inside PostgreSQL: the DaapDatabase name as a
// plain identifier (lower case, '-' and '.' become '_', at most 63 bytes), prefixed "db_" when
// it would start with a digit, be reserved (postgres, template0/1) or start with "pg_".
std::string appDatabaseName(const DatabaseRef& database);

// DaapDatabase status.connection: through the pooler, TLS only, verify-full.
struct ConnectionInfo {
  std::string host;  // <pooler>.<namespace>.svc
  int32_t port = kPostgresPort;
  std::string database;
  std::string secret_name;     // CNPG's <cluster>-app secret (username, password, ...)
  std::string ca_secret_name;  // CNPG's <cluster>-ca secret; ca.crt verifies the server
  std::string sslmode = "verify-full";

  bool operator==(const ConnectionInfo&) const = default;
};

ConnectionInfo connectionInfo(const DatabaseRef& database);
json::Value encodeConnection(const ConnectionInfo& connection, json::Allocator& allocator);

// Each renders one whole object (apiVersion, kind, metadata, spec). Only the fields DAAP owns
// are set; compare with live objects through json::containsOverlay, never whole specs (CNPG's
// defaulting fills in many more).
json::Document renderCluster(const DatabaseRef& database, const model::TierParameters& tier,
                             const RenderOptions& options);
json::Document renderPooler(const DatabaseRef& database, const model::TierParameters& tier,
                            const RenderOptions& options);
// Only when tier.backup is set (CHECK-fails otherwise).
json::Document renderObjectStore(const DatabaseRef& database, const model::TierParameters& tier,
                                 const RenderOptions& options);
json::Document renderScheduledBackup(const DatabaseRef& database, const model::TierParameters& tier,
                                     const RenderOptions& options);
json::Document renderNetworkPolicy(const DatabaseRef& database, const model::TierParameters& tier,
                                   const RenderOptions& options);
// The Secret the ObjectStore reads: the two credential keys of `source_secret` (the tier's
// Secret in the DAAP namespace, as read from the API: base64 `data`), under the same keys.
// Only when tier.backup is set. An error (naming the key, never a value) when a key is missing.
Result<json::Document> renderBackupCredentials(const DatabaseRef& database,
                                               const model::TierParameters& tier,
                                               const json::Value& source_secret);

// Everything above except the credentials Secret, in apply order: NetworkPolicy, ObjectStore
// (with backup), Cluster, Pooler, ScheduledBackup (with backup). Dependencies come first, so
// the cluster never starts unprotected or without its archive.
std::vector<json::Document> renderAll(const DatabaseRef& database,
                                      const model::TierParameters& tier,
                                      const RenderOptions& options);

}  // namespace daap::cnpg

#include "lib/cnpg/render.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include <glog/logging.h>

#include "lib/kube/objects.h"

namespace daap::cnpg {
namespace {

constexpr std::string_view kCnpgApiVersion = "postgresql.cnpg.io/v1";
constexpr std::string_view kBarmanApiVersion = "barmancloud.cnpg.io/v1";
constexpr std::string_view kClusterLabel = "cnpg.io/cluster";
// Length of the "-xxxxxxxx" uid hash appended to names that had to be shortened.
constexpr size_t kHashSuffixLength = 9;
constexpr size_t kMaxIdentifierBytes = 63;  // PostgreSQL's NAMEDATALEN - 1.

bool isLower(char c) {
  return c >= 'a' && c <= 'z';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// A DNS-1035 label: lower-case letters, digits and '-', starting with a letter and not ending
// with '-'.
bool isDns1035Label(std::string_view name) {
  if (name.empty() || !isLower(name.front()) || name.back() == '-') {
    return false;
  }
  for (const char c : name) {
    if (!isLower(c) && !isDigit(c) && c != '-') {
      return false;
    }
  }
  return true;
}

// 32-bit FNV-1a: a stable, dependency-free spread of the uid into 8 hex digits.
std::string shortHash(std::string_view text) {
  uint32_t hash = 2166136261U;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619U;
  }
  std::array<char, 9> hex{};
  std::snprintf(hex.data(), hex.size(), "%08x", hash);
  return std::string(hex.data(), 8);
}

json::Value str(std::string_view text, json::Allocator& allocator) {
  return json::stringValue(text, allocator);
}

json::Value object() {
  return json::Value(rapidjson::kObjectType);
}

json::Value stringArray(std::initializer_list<std::string> items, json::Allocator& allocator) {
  json::Value array(rapidjson::kArrayType);
  for (const std::string& item : items) {
    array.PushBack(str(item, allocator), allocator);
  }
  return array;
}

// One {key: value} object.
json::Value singleton(std::string_view key, json::Value value, json::Allocator& allocator) {
  json::Value out = object();
  json::set(out, key, std::move(value), allocator);
  return out;
}

json::Value labels(const DatabaseRef& database, json::Allocator& allocator) {
  json::Value out = object();
  json::setString(out, kManagedByLabel, kManagedByValue, allocator);
  json::setString(out, kDatabaseIdLabel, database.uid, allocator);
  return out;
}

// apiVersion, kind and metadata (name, namespace, DAAP labels, controller reference to the
// DaapDatabase) of a new object.
json::Document skeleton(const DatabaseRef& database, std::string_view api_version,
                        std::string_view kind, std::string_view name) {
  json::Document document(rapidjson::kObjectType);
  json::Allocator& allocator = document.GetAllocator();
  json::setString(document, "apiVersion", api_version, allocator);
  json::setString(document, "kind", kind, allocator);
  json::Value metadata = object();
  json::setString(metadata, "name", name, allocator);
  json::setString(metadata, "namespace", database.namespace_, allocator);
  json::set(metadata, "labels", labels(database, allocator), allocator);
  const kube::OwnerReference owner{"daap.io/v1alpha1", "DaapDatabase", database.name,
                                   database.uid,       true,           true};
  json::Value owners(rapidjson::kArrayType);
  owners.PushBack(kube::toJson(owner, allocator), allocator);
  json::set(metadata, "ownerReferences", std::move(owners), allocator);
  json::set(document, "metadata", std::move(metadata), allocator);
  return document;
}

// CPU as Kubernetes writes it: whole cores ("2") or millicores ("500m").
std::string cpuText(model::Quantity cpu) {
  if (cpu.milli() % 1000 == 0) {
    return std::to_string(cpu.milli() / 1000);
  }
  return std::to_string(cpu.milli()) + "m";
}

std::string join(std::string_view a, std::string_view b) {
  std::string out(a);
  out += b;
  return out;
}

}  // namespace

std::string clusterName(const DatabaseRef& database) {
  // A cluster named like another database's pooler ("orders-pooler") would share its
  // ServiceAccount, Role and RoleBinding, which CNPG names after the Cluster and the Pooler
  // alike; such names take the hashed form, which never ends in "-pooler".
  const std::string_view suffix = "-pooler";
  const bool pooler_like =
      database.name.size() >= suffix.size() &&
      database.name.compare(database.name.size() - suffix.size(), suffix.size(), suffix) == 0;
  if (database.name.size() <= kMaxClusterNameLength && isDns1035Label(database.name) &&
      !pooler_like) {
    return database.name;
  }
  // Keep what reads well of the name, so `kubectl get clusters` still says whose it is.
  std::string prefix;
  for (const char c : database.name) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (isLower(lower) || isDigit(lower)) {
      prefix += lower;
    } else if (!prefix.empty() && prefix.back() != '-') {
      prefix += '-';
    }
  }
  if (prefix.empty() || !isLower(prefix.front())) {
    prefix = "db-" + prefix;
  }
  const size_t room = kMaxClusterNameLength - kHashSuffixLength;
  if (prefix.size() > room) {
    prefix.resize(room);
  }
  while (!prefix.empty() && prefix.back() == '-') {
    prefix.pop_back();
  }
  return prefix + "-" + shortHash(database.uid);
}

std::string poolerName(const DatabaseRef& database) {
  return join(clusterName(database), "-pooler");
}
std::string objectStoreName(const DatabaseRef& database) {
  return join(clusterName(database), "-store");
}
std::string scheduledBackupName(const DatabaseRef& database) {
  return join(clusterName(database), "-backup");
}
std::string finalBackupName(const DatabaseRef& database) {
  return join(clusterName(database), "-final");
}
std::string networkPolicyName(const DatabaseRef& database) {
  return join(clusterName(database), "-access");
}
std::string appSecretName(const DatabaseRef& database) {
  return join(clusterName(database), "-app");
}
std::string caSecretName(const DatabaseRef& database) {
  return join(clusterName(database), "-ca");
}
std::string backupCredentialsSecretName(const DatabaseRef& database) {
  return join(clusterName(database), "-backup-s3");
}
std::string backupServerName(const DatabaseRef& database) {
  return database.uid;
}

std::string appDatabaseName(const DatabaseRef& database) {
  std::string name;
  for (const char c : database.name) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    name += (isLower(lower) || isDigit(lower) || lower == '_') ? lower : '_';
  }
  // Reserved by PostgreSQL or CNPG: the maintenance database, templates, "pg_" roles.
  if (name.empty() || isDigit(name.front()) || name == "postgres" || name == "template0" ||
      name == "template1" || name.rfind("pg_", 0) == 0 || name == "streaming_replica" ||
      name.rfind("cnpg_", 0) == 0) {
    name = "db_" + name;
  }
  if (name.size() > kMaxIdentifierBytes) {
    name.resize(kMaxIdentifierBytes);
  }
  return name;
}

ConnectionInfo connectionInfo(const DatabaseRef& database) {
  ConnectionInfo info;
  info.host = poolerName(database) + "." + database.namespace_ + ".svc";
  info.database = appDatabaseName(database);
  info.secret_name = appSecretName(database);
  info.ca_secret_name = caSecretName(database);
  return info;
}

json::Value encodeConnection(const ConnectionInfo& connection, json::Allocator& allocator) {
  json::Value out = object();
  json::setString(out, "host", connection.host, allocator);
  json::set(out, "port", json::Value(connection.port), allocator);
  json::setString(out, "database", connection.database, allocator);
  json::setString(out, "secretName", connection.secret_name, allocator);
  json::setString(out, "caSecretName", connection.ca_secret_name, allocator);
  json::setString(out, "sslmode", connection.sslmode, allocator);
  return out;
}

json::Document renderCluster(const DatabaseRef& database, const model::TierParameters& tier,
                             const RenderOptions& options) {
  const std::string cluster = clusterName(database);
  json::Document document = skeleton(database, kCnpgApiVersion, "Cluster", cluster);
  json::Allocator& allocator = document.GetAllocator();
  json::Value spec = object();

  json::set(spec, "instances", json::Value(tier.instances), allocator);
  // The tag starts with the major, as CNPG's webhook requires; the rolling "<major>-<flavor>"
  // tag picks up minor releases when pods restart.
  json::setString(spec, "imageName",
                  options.image_repository + ":" + std::to_string(tier.postgres_version) + "-" +
                      options.image_flavor,
                  allocator);
  // Everything CNPG creates for the cluster (pods, PVCs, services, secrets) is findable by
  // database id. Not managed-by: CNPG labels its children as its own.
  json::set(
      spec, "inheritedMetadata",
      singleton("labels", singleton(kDatabaseIdLabel, str(database.uid, allocator), allocator),
                allocator),
      allocator);

  json::Value storage = object();
  json::setString(storage, "size", tier.storage_size.toString(), allocator);
  if (!tier.storage_class.empty()) {
    json::setString(storage, "storageClass", tier.storage_class, allocator);
  }
  json::set(spec, "storage", std::move(storage), allocator);

  // Requests equal limits: the tier's compute is reserved, not best effort (Guaranteed QoS).
  json::Value compute = object();
  json::setString(compute, "cpu", cpuText(tier.cpu), allocator);
  json::setString(compute, "memory", tier.memory.toString(), allocator);
  json::Value resources = object();
  json::set(resources, "requests", json::Value(compute, allocator), allocator);
  json::set(resources, "limits", std::move(compute), allocator);
  json::set(spec, "resources", std::move(resources), allocator);

  json::Value postgresql = object();
  // Any pgaudit.* key makes CNPG preload pgaudit and create the extension in every database.
  // DDL, role changes and writes are audited; catalog noise and statement parameters (which may
  // carry secrets) are not.
  json::Value parameters = object();
  json::setString(parameters, "pgaudit.log", "ddl, role, write", allocator);
  json::setString(parameters, "pgaudit.log_catalog", "off", allocator);
  json::setString(parameters, "pgaudit.log_parameter", "off", allocator);
  json::setString(parameters, "pgaudit.log_relation", "on", allocator);
  json::set(postgresql, "parameters", std::move(parameters), allocator);
  // TLS only: without these, CNPG's trailing "host all all all scram-sha-256" also admits
  // plain TCP. CNPG's own traffic is local or hostssl cert and comes first.
  json::set(
      postgresql, "pg_hba",
      stringArray({"hostnossl all all all reject", "hostssl all all all scram-sha-256"}, allocator),
      allocator);
  if (tier.instances > 1) {
    // Quorum commit on one standby, "preferred": a commit survives the loss of the primary
    // whenever a standby is up, and writes keep flowing (self-healing) when none is, instead of
    // blocking the application on a standby outage.
    json::Value synchronous = object();
    json::setString(synchronous, "method", "any", allocator);
    json::set(synchronous, "number", json::Value(1), allocator);
    json::setString(synchronous, "dataDurability", "preferred", allocator);
    json::set(postgresql, "synchronous", std::move(synchronous), allocator);
  }
  json::set(spec, "postgresql", std::move(postgresql), allocator);

  json::Value initdb = object();
  const std::string app_database = appDatabaseName(database);
  json::setString(initdb, "database", app_database, allocator);
  json::setString(initdb, "owner", app_database, allocator);
  json::set(spec, "bootstrap", singleton("initdb", std::move(initdb), allocator), allocator);
  json::set(spec, "enableSuperuserAccess", json::Value(false), allocator);
  // A PDB over a single instance blocks node drains and protects nothing.
  json::set(spec, "enablePDB", json::Value(tier.instances > 1), allocator);

  // PgBouncer presents the cluster's server certificate: it must also name the pooler's
  // service for sslmode=verify-full through the pooler.
  const std::string pooler = poolerName(database);
  const std::string pooler_ns = pooler + "." + database.namespace_;
  json::set(spec, "certificates",
            singleton("serverAltDNSNames",
                      stringArray({pooler, pooler_ns, pooler_ns + ".svc",
                                   pooler_ns + ".svc." + options.cluster_domain},
                                  allocator),
                      allocator),
            allocator);

  if (tier.instances > 1) {
    json::Value affinity = object();
    json::set(affinity, "enablePodAntiAffinity", json::Value(true), allocator);
    json::setString(affinity, "topologyKey", "kubernetes.io/hostname", allocator);
    // Preferred: spread instances across nodes when possible, still schedule when nodes are
    // short.
    json::setString(affinity, "podAntiAffinityType", "preferred", allocator);
    json::set(spec, "affinity", std::move(affinity), allocator);
  }

  if (tier.backup) {
    json::Value plugin = object();
    json::setString(plugin, "name", kBarmanCloudPlugin, allocator);
    // Written although it is the CRD default: plugins is an array, compared whole, and a
    // defaulted member the rendering lacks would look like drift on every reconcile.
    json::set(plugin, "enabled", json::Value(true), allocator);
    json::set(plugin, "isWALArchiver", json::Value(true), allocator);
    json::Value plugin_parameters = object();
    json::setString(plugin_parameters, "barmanObjectName", objectStoreName(database), allocator);
    json::setString(plugin_parameters, "serverName", backupServerName(database), allocator);
    json::set(plugin, "parameters", std::move(plugin_parameters), allocator);
    json::Value plugins(rapidjson::kArrayType);
    plugins.PushBack(std::move(plugin), allocator);
    json::set(spec, "plugins", std::move(plugins), allocator);
  }

  json::set(document, "spec", std::move(spec), allocator);
  return document;
}

json::Document renderPooler(const DatabaseRef& database, const model::TierParameters& tier,
                            const RenderOptions& /*options*/) {
  json::Document document = skeleton(database, kCnpgApiVersion, "Pooler", poolerName(database));
  json::Allocator& allocator = document.GetAllocator();
  json::Value spec = object();
  json::set(spec, "cluster", singleton("name", str(clusterName(database), allocator), allocator),
            allocator);
  json::setString(spec, "type", "rw", allocator);
  // A highly available database gets a pooler that survives losing one pod or node.
  json::set(spec, "instances", json::Value(tier.instances > 1 ? 2 : 1), allocator);
  json::Value pgbouncer = object();
  json::setString(pgbouncer, "poolMode", model::poolModeName(tier.pooler.pool_mode), allocator);
  json::Value parameters = object();
  json::setString(parameters, "max_client_conn", std::to_string(tier.pooler.max_client_connections),
                  allocator);
  json::setString(parameters, "default_pool_size", std::to_string(tier.pooler.default_pool_size),
                  allocator);
  // CNPG's default "prefer" would accept plain-text clients.
  json::setString(parameters, "client_tls_sslmode", "require", allocator);
  // Keeps protocol-level prepared statements working in transaction mode.
  json::setString(parameters, "max_prepared_statements", "100", allocator);
  json::set(pgbouncer, "parameters", std::move(parameters), allocator);
  json::set(spec, "pgbouncer", std::move(pgbouncer), allocator);
  json::set(document, "spec", std::move(spec), allocator);
  return document;
}

json::Document renderObjectStore(const DatabaseRef& database, const model::TierParameters& tier,
                                 const RenderOptions& /*options*/) {
  CHECK(tier.backup.has_value()) << "renderObjectStore for a tier without backup";
  const model::BackupDestination& destination = tier.backup->destination;
  json::Document document =
      skeleton(database, kBarmanApiVersion, "ObjectStore", objectStoreName(database));
  json::Allocator& allocator = document.GetAllocator();
  json::Value configuration = object();
  json::setString(configuration, "destinationPath", destination.destination_path, allocator);
  if (!destination.endpoint_url.empty()) {
    json::setString(configuration, "endpointURL", destination.endpoint_url, allocator);
  }
  const std::string secret = backupCredentialsSecretName(database);
  json::Value access_key = object();
  json::setString(access_key, "name", secret, allocator);
  json::setString(access_key, "key", destination.access_key_id_key, allocator);
  json::Value secret_key = object();
  json::setString(secret_key, "name", secret, allocator);
  json::setString(secret_key, "key", destination.secret_access_key_key, allocator);
  json::Value credentials = object();
  json::set(credentials, "accessKeyId", std::move(access_key), allocator);
  json::set(credentials, "secretAccessKey", std::move(secret_key), allocator);
  json::set(configuration, "s3Credentials", std::move(credentials), allocator);
  json::set(configuration, "wal", singleton("compression", str("gzip", allocator), allocator),
            allocator);
  json::Value spec = object();
  json::set(spec, "configuration", std::move(configuration), allocator);
  json::setString(spec, "retentionPolicy", std::to_string(tier.backup->retention_days) + "d",
                  allocator);
  json::set(document, "spec", std::move(spec), allocator);
  return document;
}

json::Document renderScheduledBackup(const DatabaseRef& database, const model::TierParameters& tier,
                                     const RenderOptions& /*options*/) {
  CHECK(tier.backup.has_value()) << "renderScheduledBackup for a tier without backup";
  json::Document document =
      skeleton(database, kCnpgApiVersion, "ScheduledBackup", scheduledBackupName(database));
  json::Allocator& allocator = document.GetAllocator();
  json::Value spec = object();
  json::setString(spec, "schedule", tier.backup->schedule, allocator);
  json::set(spec, "cluster", singleton("name", str(clusterName(database), allocator), allocator),
            allocator);
  json::setString(spec, "method", "plugin", allocator);
  json::set(spec, "pluginConfiguration",
            singleton("name", str(kBarmanCloudPlugin, allocator), allocator), allocator);
  // Backup objects go with the schedule; the data in object storage outlives them either way.
  json::setString(spec, "backupOwnerReference", "self", allocator);
  // A first base backup right away: point-in-time restore works from the start, not only
  // after the first scheduled run.
  json::set(spec, "immediate", json::Value(true), allocator);
  json::set(document, "spec", std::move(spec), allocator);
  return document;
}

json::Document renderNetworkPolicy(const DatabaseRef& database,
                                   const model::TierParameters& /*tier*/,
                                   const RenderOptions& options) {
  const std::string cluster = clusterName(database);
  json::Document document =
      skeleton(database, "networking.k8s.io/v1", "NetworkPolicy", networkPolicyName(database));
  json::Allocator& allocator = document.GetAllocator();
  auto namespace_named = [&](std::string_view name) {
    return singleton(
        "namespaceSelector",
        singleton("matchLabels",
                  singleton("kubernetes.io/metadata.name", str(name, allocator), allocator),
                  allocator),
        allocator);
  };
  // CNPG labels both the instance pods and the pooler's PgBouncer pods with cnpg.io/cluster,
  // so one selector covers the database and its pooler.
  auto cluster_pods = [&]() {
    return singleton("matchLabels", singleton(kClusterLabel, str(cluster, allocator), allocator),
                     allocator);
  };

  json::Value spec = object();
  json::set(spec, "podSelector", cluster_pods(), allocator);
  json::set(spec, "policyTypes", stringArray({"Ingress"}, allocator), allocator);

  json::Value ingress(rapidjson::kArrayType);
  // Clients: the owning team's namespaces and DAAP itself, on the PostgreSQL/PgBouncer port.
  {
    json::Value from(rapidjson::kArrayType);
    from.PushBack(singleton("namespaceSelector",
                            singleton("matchLabels",
                                      singleton(options.team_label,
                                                str(database.owner_team, allocator), allocator),
                                      allocator),
                            allocator),
                  allocator);
    from.PushBack(namespace_named(options.daap_namespace), allocator);
    json::Value port = object();
    json::setString(port, "protocol", "TCP", allocator);
    json::set(port, "port", json::Value(kPostgresPort), allocator);
    json::Value ports(rapidjson::kArrayType);
    ports.PushBack(std::move(port), allocator);
    json::Value rule = object();
    json::set(rule, "from", std::move(from), allocator);
    json::set(rule, "ports", std::move(ports), allocator);
    ingress.PushBack(std::move(rule), allocator);
  }
  // The cluster's own pods (replication, pooler to primary) and the CNPG operator and its
  // plugins (instance manager status and control): without them CNPG cannot run the cluster.
  {
    json::Value from(rapidjson::kArrayType);
    from.PushBack(singleton("podSelector", cluster_pods(), allocator), allocator);
    from.PushBack(namespace_named(options.cnpg_namespace), allocator);
    ingress.PushBack(singleton("from", std::move(from), allocator), allocator);
  }
  json::set(spec, "ingress", std::move(ingress), allocator);
  json::set(document, "spec", std::move(spec), allocator);
  return document;
}

Result<json::Document> renderBackupCredentials(const DatabaseRef& database,
                                               const model::TierParameters& tier,
                                               const json::Value& source_secret) {
  CHECK(tier.backup.has_value()) << "renderBackupCredentials for a tier without backup";
  const model::BackupDestination& destination = tier.backup->destination;
  json::Document document =
      skeleton(database, "v1", "Secret", backupCredentialsSecretName(database));
  json::Allocator& allocator = document.GetAllocator();
  json::setString(document, "type", "Opaque", allocator);
  const json::Value* source_data = json::find(source_secret, "data");
  json::Value data = object();
  for (const std::string& key :
       {destination.access_key_id_key, destination.secret_access_key_key}) {
    const json::Value* value = source_data == nullptr ? nullptr : json::find(*source_data, key);
    if (value == nullptr || !value->IsString()) {
      return Error::invalidArgument("backup credentials secret " + destination.credentials_secret +
                                    " has no key " + key);
    }
    json::set(data, key, json::Value(*value, allocator), allocator);
  }
  json::set(document, "data", std::move(data), allocator);
  return document;
}

std::vector<json::Document> renderAll(const DatabaseRef& database,
                                      const model::TierParameters& tier,
                                      const RenderOptions& options) {
  std::vector<json::Document> objects;
  objects.push_back(renderNetworkPolicy(database, tier, options));
  if (tier.backup) {
    objects.push_back(renderObjectStore(database, tier, options));
  }
  objects.push_back(renderCluster(database, tier, options));
  objects.push_back(renderPooler(database, tier, options));
  if (tier.backup) {
    objects.push_back(renderScheduledBackup(database, tier, options));
  }
  return objects;
}

}  // namespace daap::cnpg

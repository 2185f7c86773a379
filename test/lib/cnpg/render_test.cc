#include "lib/cnpg/render.h"

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/json/json.h"
#include "lib/kube/objects.h"
#include "test/lib/cnpg/crd_validator.h"

namespace daap::cnpg {
namespace {

constexpr std::string_view kUid = "5b1c7e0a-9d4f-4c1e-8a2b-6f3e9d0c1a27";

DatabaseRef database(std::string name = "orders") {
  return DatabaseRef{std::move(name), "daap-payments", std::string(kUid), "payments"};
}

model::Quantity q(std::string_view text) {
  return model::Quantity::parse(text).value();
}

model::TierParameters tier(int32_t instances, bool backup) {
  model::TierParameters out;
  out.tier_generation = 1;
  out.postgres_version = 16;
  out.instances = instances;
  out.cpu = q("1500m");
  out.memory = q("2Gi");
  out.storage_size = q("20Gi");
  out.pooler = {model::PoolMode::Session, 300, 15};
  if (backup) {
    out.backup = model::BackupSettings{
        "0 30 1 * * *", 14,
        model::BackupDestination{"https://minio.storage.svc:9000", "s3://bucket/prefix/", "creds",
                                 "id", "secret"}};
  }
  out.destruction = {model::DestructionStrategy::Hard, 30};
  return out;
}

const json::Value& at(const json::Value& root, std::initializer_list<std::string_view> path) {
  const json::Value* value = json::findPath(root, path);
  EXPECT_NE(value, nullptr);
  static const json::Value kNull;
  return value == nullptr ? kNull : *value;
}

std::vector<std::string> strings(const json::Value& array) {
  std::vector<std::string> out;
  for (const json::Value& item : array.GetArray()) {
    out.emplace_back(json::view(item));
  }
  return out;
}

struct NameCase {
  std::string_view name;
  std::string_view expected;  // "" with a hash: compare prefix + "-" + 8 hex.
};

TEST(ClusterNameTest, KeepsShortDns1035Names) {
  EXPECT_EQ(clusterName(database("orders")), "orders");
  EXPECT_EQ(clusterName(database("a")), "a");
  EXPECT_EQ(clusterName(database("orders-v2")), "orders-v2");
  const std::string forty(40, 'x');
  EXPECT_EQ(clusterName(database(forty)), forty);
}

TEST(ClusterNameTest, ShortensWithAStableUidHash) {
  const std::string long_name = "customer-order-history-with-payments-and-refunds";
  const std::string name = clusterName(database(long_name));
  EXPECT_EQ(name.size(), kMaxClusterNameLength);
  EXPECT_EQ(name.substr(0, 31), long_name.substr(0, 31));
  EXPECT_EQ(name[31], '-');
  EXPECT_EQ(name, clusterName(database(long_name)));  // Stable.
  DatabaseRef other = database(long_name);
  other.uid = "8a0d2c1e-0000-4000-8000-000000000001";
  EXPECT_NE(clusterName(other), name);  // Same name prefix, another database: another name.
  EXPECT_EQ(clusterName(database(std::string(41, 'x'))).size(), kMaxClusterNameLength);
}

// Database "orders" has pooler "orders-pooler"; a database of that name must not take it.
TEST(ClusterNameTest, NeverTakesAnotherDatabasesPoolerName) {
  const std::string name = clusterName(database("orders-pooler"));
  EXPECT_NE(name, "orders-pooler");
  EXPECT_EQ(name.rfind("orders-pooler-", 0), 0U) << name;
  EXPECT_EQ(name.size(), std::string("orders-pooler-").size() + 8);
}

TEST(ClusterNameTest, MakesOtherNamesValidDns1035Labels) {
  const auto hashed = [](std::string_view name) {
    const std::string out = clusterName(database(std::string(name)));
    return out.substr(0, out.size() - 9);
  };
  EXPECT_EQ(hashed("1orders"), "db-1orders");
  EXPECT_EQ(hashed("orders.eu"), "orders-eu");
  EXPECT_EQ(hashed("2024.reports"), "db-2024-reports");
  // Truncation never leaves a trailing '-' before the hash.
  EXPECT_EQ(hashed(std::string(30, 'a') + "-bbbbbbbbbbbbbbbbbbbbbbbbbbbb"), std::string(30, 'a'));
}

TEST(ClusterNameTest, EveryDerivedNameFitsItsLimit) {
  for (const std::string& name :
       {std::string("orders"), std::string(40, 'o'), std::string(253, 'o'),
        std::string("9-lives.of.a.cat"), std::string("a.b")}) {
    const DatabaseRef ref = database(name);
    const std::string cluster = clusterName(ref);
    EXPECT_LE(cluster.size(), 50U) << name;
    EXPECT_TRUE(cluster[0] >= 'a' && cluster[0] <= 'z') << cluster;
    // The longest names CNPG derives: recovery jobs and generated Backups (a label value).
    EXPECT_LE((cluster + "-1-full-recovery").size(), 63U) << name;
    EXPECT_LE((scheduledBackupName(ref) + "-20261127020000").size(), 63U) << name;
    EXPECT_LE(poolerName(ref).size(), 63U) << name;
    EXPECT_NE(poolerName(ref), cluster);
  }
}

TEST(ObjectNamesTest, DeriveFromTheClusterName) {
  const DatabaseRef ref = database("orders");
  EXPECT_EQ(poolerName(ref), "orders-pooler");
  EXPECT_EQ(objectStoreName(ref), "orders-store");
  EXPECT_EQ(scheduledBackupName(ref), "orders-backup");
  EXPECT_EQ(finalBackupName(ref), "orders-final");
  EXPECT_EQ(networkPolicyName(ref), "orders-access");
  EXPECT_EQ(appSecretName(ref), "orders-app");
  EXPECT_EQ(caSecretName(ref), "orders-ca");
  EXPECT_EQ(backupCredentialsSecretName(ref), "orders-backup-s3");
  EXPECT_EQ(backupServerName(ref), kUid);
}

TEST(AppDatabaseNameTest, IsAPlainPostgresIdentifier) {
  EXPECT_EQ(appDatabaseName(database("orders")), "orders");
  EXPECT_EQ(appDatabaseName(database("order-history")), "order_history");
  EXPECT_EQ(appDatabaseName(database("orders.eu")), "orders_eu");
  EXPECT_EQ(appDatabaseName(database("1st")), "db_1st");
  EXPECT_EQ(appDatabaseName(database("postgres")), "db_postgres");
  EXPECT_EQ(appDatabaseName(database("template1")), "db_template1");
  EXPECT_EQ(appDatabaseName(database("pg-stats")), "db_pg_stats");
  EXPECT_EQ(appDatabaseName(database(std::string(100, 'a'))), std::string(63, 'a'));
}

TEST(ConnectionInfoTest, PointsAtThePoolerWithVerifyFull) {
  const ConnectionInfo info = connectionInfo(database("order-history"));
  EXPECT_EQ(info, (ConnectionInfo{"order-history-pooler.daap-payments.svc", 5432, "order_history",
                                  "order-history-app", "order-history-ca", "verify-full"}));
  json::Document document;
  EXPECT_EQ(json::serialize(encodeConnection(info, document.GetAllocator())),
            R"({"host":"order-history-pooler.daap-payments.svc","port":5432,)"
            R"("database":"order_history","secretName":"order-history-app",)"
            R"("caSecretName":"order-history-ca","sslmode":"verify-full"})");
}

TEST(RenderTest, EveryObjectIsLabelledAndOwnedByTheDatabase) {
  const DatabaseRef ref = database();
  json::Document secret = json::parse(R"({"data": {"id": "aWQ=", "secret": "c2VjcmV0"}})").value();
  std::vector<json::Document> objects = renderAll(ref, tier(3, true), RenderOptions{});
  objects.push_back(renderBackupCredentials(ref, tier(3, true), secret).value());
  for (const json::Document& object : objects) {
    const kube::ObjectMeta meta = kube::readMeta(object);
    EXPECT_EQ(meta.namespace_, "daap-payments");
    EXPECT_EQ(meta.labels.at("app.kubernetes.io/managed-by"), "daap");
    EXPECT_EQ(meta.labels.at("daap.io/database-id"), kUid);
    ASSERT_EQ(meta.owner_references.size(), 1U);
    EXPECT_EQ(meta.owner_references[0],
              (kube::OwnerReference{"daap.io/v1alpha1", "DaapDatabase", "orders", std::string(kUid),
                                    true, true}));
  }
}

TEST(RenderTest, AppliesInDependencyOrder) {
  const auto kinds = [](const std::vector<json::Document>& objects) {
    std::vector<std::string> out;
    out.reserve(objects.size());
    for (const json::Document& object : objects) {
      out.emplace_back(json::getString(object, "kind"));
    }
    return out;
  };
  EXPECT_EQ(kinds(renderAll(database(), tier(1, false), RenderOptions{})),
            (std::vector<std::string>{"NetworkPolicy", "Cluster", "Pooler"}));
  EXPECT_EQ(kinds(renderAll(database(), tier(1, true), RenderOptions{})),
            (std::vector<std::string>{"NetworkPolicy", "ObjectStore", "Cluster", "Pooler",
                                      "ScheduledBackup"}));
}

TEST(RenderClusterTest, SingleInstanceHasNoPdbNoSyncReplicationNoBackup) {
  const json::Document cluster = renderCluster(database(), tier(1, false), RenderOptions{});
  const json::Value& spec = at(cluster, {"spec"});
  EXPECT_EQ(at(spec, {"instances"}).GetInt(), 1);
  EXPECT_FALSE(at(spec, {"enablePDB"}).GetBool());
  EXPECT_FALSE(at(spec, {"enableSuperuserAccess"}).GetBool());
  EXPECT_EQ(json::findPath(spec, {"postgresql", "synchronous"}), nullptr);
  EXPECT_EQ(json::find(spec, "plugins"), nullptr);
  EXPECT_EQ(json::find(spec, "affinity"), nullptr);
}

TEST(RenderClusterTest, CarriesTheTierResources) {
  model::TierParameters parameters = tier(3, false);
  parameters.storage_class = "fast-ssd";
  const json::Document cluster = renderCluster(database(), parameters, RenderOptions{});
  const json::Value& spec = at(cluster, {"spec"});
  EXPECT_EQ(json::getString(spec, "imageName"),
            "ghcr.io/cloudnative-pg/postgresql:16-standard-trixie");
  EXPECT_EQ(json::serialize(at(spec, {"storage"})), R"({"size":"20Gi","storageClass":"fast-ssd"})");
  EXPECT_EQ(
      json::serialize(at(spec, {"resources"})),
      R"({"requests":{"cpu":"1500m","memory":"2Gi"},"limits":{"cpu":"1500m","memory":"2Gi"}})");
  EXPECT_EQ(json::serialize(at(spec, {"bootstrap"})),
            R"({"initdb":{"database":"orders","owner":"orders"}})");
  EXPECT_EQ(json::serialize(at(spec, {"inheritedMetadata"})),
            R"({"labels":{"daap.io/database-id":")" + std::string(kUid) + R"("}})");
}

TEST(RenderClusterTest, ImageComesFromTheOptions) {
  RenderOptions options;
  options.image_repository = "registry.local/pg";
  options.image_flavor = "standard-bookworm";
  model::TierParameters parameters = tier(1, false);
  parameters.postgres_version = 18;
  EXPECT_EQ(
      json::getString(at(renderCluster(database(), parameters, options), {"spec"}), "imageName"),
      "registry.local/pg:18-standard-bookworm");
}

TEST(RenderClusterTest, EnforcesTlsAndEnablesPgAudit) {
  const json::Document cluster = renderCluster(database(), tier(1, false), RenderOptions{});
  EXPECT_EQ(strings(at(cluster, {"spec", "postgresql", "pg_hba"})),
            (std::vector<std::string>{"hostnossl all all all reject",
                                      "hostssl all all all scram-sha-256"}));
  const json::Value& parameters = at(cluster, {"spec", "postgresql", "parameters"});
  EXPECT_FALSE(json::getString(parameters, "pgaudit.log").empty());
  for (auto member = parameters.MemberBegin(); member != parameters.MemberEnd(); ++member) {
    EXPECT_EQ(json::view(member->name).rfind("pgaudit.", 0), 0U) << json::view(member->name);
  }
}

TEST(RenderClusterTest, CertificateNamesThePoolerService) {
  RenderOptions options;
  options.cluster_domain = "corp.internal";
  const json::Document cluster = renderCluster(database(), tier(1, false), options);
  EXPECT_EQ(strings(at(cluster, {"spec", "certificates", "serverAltDNSNames"})),
            (std::vector<std::string>{"orders-pooler", "orders-pooler.daap-payments",
                                      "orders-pooler.daap-payments.svc",
                                      "orders-pooler.daap-payments.svc.corp.internal"}));
}

TEST(RenderClusterTest, HighAvailabilityUsesQuorumReplicationAndSpreadsPods) {
  const json::Document cluster = renderCluster(database(), tier(3, false), RenderOptions{});
  const json::Value& spec = at(cluster, {"spec"});
  EXPECT_TRUE(at(spec, {"enablePDB"}).GetBool());
  EXPECT_EQ(json::serialize(at(spec, {"postgresql", "synchronous"})),
            R"({"method":"any","number":1,"dataDurability":"preferred"})");
  EXPECT_EQ(json::getString(at(spec, {"affinity"}), "podAntiAffinityType"), "preferred");
}

TEST(RenderClusterTest, BackupArchivesWalThroughThePlugin) {
  const json::Document cluster = renderCluster(database(), tier(1, true), RenderOptions{});
  const json::Value& plugins = at(cluster, {"spec", "plugins"});
  ASSERT_EQ(plugins.Size(), 1U);
  EXPECT_EQ(json::serialize(plugins[0]),
            R"({"name":"barman-cloud.cloudnative-pg.io","enabled":true,"isWALArchiver":true,)"
            R"("parameters":{"barmanObjectName":"orders-store","serverName":")" +
                std::string(kUid) + R"("}})");
}

TEST(RenderPoolerTest, CarriesThePoolSettingsAndRequiresTls) {
  const json::Document pooler = renderPooler(database(), tier(1, false), RenderOptions{});
  const json::Value& spec = at(pooler, {"spec"});
  EXPECT_EQ(json::getString(at(spec, {"cluster"}), "name"), "orders");
  EXPECT_EQ(json::getString(spec, "type"), "rw");
  EXPECT_EQ(at(spec, {"instances"}).GetInt(), 1);
  EXPECT_EQ(json::serialize(at(spec, {"pgbouncer"})),
            R"({"poolMode":"session","parameters":{"max_client_conn":"300",)"
            R"("default_pool_size":"15","client_tls_sslmode":"require",)"
            R"("max_prepared_statements":"100"}})");
  EXPECT_EQ(
      at(renderPooler(database(), tier(2, false), RenderOptions{}), {"spec", "instances"}).GetInt(),
      2);
}

TEST(RenderObjectStoreTest, PointsAtTheCopiedCredentials) {
  const json::Document store = renderObjectStore(database(), tier(1, true), RenderOptions{});
  EXPECT_EQ(json::serialize(at(store, {"spec"})),
            R"({"configuration":{"destinationPath":"s3://bucket/prefix/",)"
            R"("endpointURL":"https://minio.storage.svc:9000","s3Credentials":{)"
            R"("accessKeyId":{"name":"orders-backup-s3","key":"id"},)"
            R"("secretAccessKey":{"name":"orders-backup-s3","key":"secret"}},)"
            R"("wal":{"compression":"gzip"}},"retentionPolicy":"14d"})");
  model::TierParameters aws = tier(1, true);
  aws.backup->destination.endpoint_url.clear();
  EXPECT_EQ(json::findPath(renderObjectStore(database(), aws, RenderOptions{}),
                           {"spec", "configuration", "endpointURL"}),
            nullptr);
}

TEST(RenderScheduledBackupTest, RunsThePluginOnTheTierSchedule) {
  const json::Document backup = renderScheduledBackup(database(), tier(1, true), RenderOptions{});
  EXPECT_EQ(json::serialize(at(backup, {"spec"})),
            R"({"schedule":"0 30 1 * * *","cluster":{"name":"orders"},"method":"plugin",)"
            R"("pluginConfiguration":{"name":"barman-cloud.cloudnative-pg.io"},)"
            R"("backupOwnerReference":"self","immediate":true})");
}

TEST(RenderNetworkPolicyTest, AdmitsOnlyTheTeamDaapAndCnpg) {
  RenderOptions options;
  options.team_label = "example.com/team";
  options.daap_namespace = "platform";
  options.cnpg_namespace = "cnpg-operator";
  const json::Document policy = renderNetworkPolicy(database(), tier(1, false), options);
  const json::Value& spec = at(policy, {"spec"});
  EXPECT_EQ(json::serialize(at(spec, {"podSelector"})),
            R"({"matchLabels":{"cnpg.io/cluster":"orders"}})");
  EXPECT_EQ(strings(at(spec, {"policyTypes"})), std::vector<std::string>{"Ingress"});
  const json::Value& ingress = at(spec, {"ingress"});
  ASSERT_EQ(ingress.Size(), 2U);
  EXPECT_EQ(json::serialize(ingress[0]),
            R"({"from":[{"namespaceSelector":{"matchLabels":{"example.com/team":"payments"}}},)"
            R"({"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"platform"}}}],)"
            R"("ports":[{"protocol":"TCP","port":5432}]})");
  EXPECT_EQ(json::serialize(ingress[1]),
            R"({"from":[{"podSelector":{"matchLabels":{"cnpg.io/cluster":"orders"}}},)"
            R"({"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":)"
            R"("cnpg-operator"}}}]})");
  EXPECT_EQ(json::getString(policy, "apiVersion"), "networking.k8s.io/v1");
}

TEST(RenderBackupCredentialsTest, CopiesOnlyTheTwoKeys) {
  const json::Document source =
      json::parse(R"({"data": {"id": "QUtJQQ==", "secret": "c2VjcmV0", "unrelated": "eA=="}})")
          .value();
  const Result<json::Document> secret = renderBackupCredentials(database(), tier(1, true), source);
  ASSERT_TRUE(secret.has_value()) << secret.error().toString();
  EXPECT_EQ(json::getString(*secret, "kind"), "Secret");
  EXPECT_EQ(json::getString(at(*secret, {"metadata"}), "name"), "orders-backup-s3");
  EXPECT_EQ(json::serialize(at(*secret, {"data"})), R"({"id":"QUtJQQ==","secret":"c2VjcmV0"})");
}

TEST(RenderBackupCredentialsTest, NamesAMissingKeyNeverAValue) {
  const json::Document source = json::parse(R"({"data": {"id": "c2VjcmV0LXZhbHVl"}})").value();
  const Result<json::Document> secret = renderBackupCredentials(database(), tier(1, true), source);
  ASSERT_FALSE(secret.has_value());
  EXPECT_NE(secret.error().message.find("secret"), std::string::npos);
  EXPECT_EQ(secret.error().message.find("c2VjcmV0LXZhbHVl"), std::string::npos);
}

// Many shapes of database and tier, each CNPG object held against the real CRDs and CNPG's
// webhook rules.
TEST(RenderValidationTest, EveryShapeIsAdmittedByTheCnpgCrds) {
  const testing::CrdValidator validator;
  const std::vector<std::string> names = {
      "orders", "1st-db", "orders.eu", std::string(60, 'z'), "a", "x-" + std::string(38, 'y')};
  int validated = 0;
  for (const std::string& name : names) {
    for (int32_t instances = 1; instances <= 9; instances += 2) {
      for (const bool backup : {false, true}) {
        model::TierParameters parameters = tier(instances, backup);
        parameters.postgres_version = 14 + instances % 5;
        parameters.pooler.pool_mode =
            instances % 2 == 0 ? model::PoolMode::Session : model::PoolMode::Transaction;
        if (instances > 3) {
          parameters.storage_class = "fast-ssd";
          parameters.cpu = q("100m");
        }
        for (const json::Document& object :
             renderAll(database(name), parameters, RenderOptions{})) {
          if (!validator.covers(object)) {
            continue;
          }
          const std::vector<std::string> problems = validator.problems(object);
          EXPECT_TRUE(problems.empty())
              << name << " x" << instances << " " << json::getString(object, "kind") << ": "
              << problems.front();
          ++validated;
        }
      }
    }
  }
  EXPECT_EQ(validated, static_cast<int>(names.size()) * 5 * (2 + 4));
}

}  // namespace
}  // namespace daap::cnpg

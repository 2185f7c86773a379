#include "lib/model/tier_codec.h"

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/json/json.h"
#include "lib/json/pointer.h"
#include "lib/json/yaml.h"
#include "lib/schema/schema.h"
#include "test/support/testdata.h"

namespace daap::model {
namespace {

Quantity q(std::string_view text) {
  return Quantity::parse(text).value();
}

// The first document of a YAML file in the repository.
json::Document loadYaml(const std::string& relative_path, size_t index = 0) {
  Result<std::vector<json::Document>> documents =
      json::parseYaml(testing::readFile(testing::sourceDir() / relative_path));
  EXPECT_TRUE(documents.has_value()) << relative_path;
  EXPECT_GT(documents->size(), index);
  return std::move((*documents)[index]);
}

json::Document exampleTier(std::string_view name) {
  return loadYaml("manifests/examples/tier-" + std::string(name) + ".yaml");
}

// The compiled openAPIV3Schema of one of DAAP's own CRDs.
schema::Schema crdSchema(const std::string& file) {
  const json::Document crd = loadYaml("crds/" + file);
  const json::Value& version = (*json::findPath(crd, {"spec", "versions"}))[0];
  Result<schema::Schema> compiled =
      schema::Schema::compile(*json::findPath(version, {"schema", "openAPIV3Schema"}));
  EXPECT_TRUE(compiled.has_value());
  return std::move(compiled).value();
}

Tier decoded(const json::Value& tier) {
  Result<Tier> result = decodeTier(tier);
  EXPECT_TRUE(result.has_value()) << result.error().toString();
  return result ? std::move(result).value() : Tier{};
}

TEST(DecodeTierTest, DevExampleTakesTheCrdDefaults) {
  const Tier tier = decoded(exampleTier("dev"));
  EXPECT_EQ(tier.name, "dev");
  EXPECT_EQ(tier.generation, 0);  // Not applied yet.
  EXPECT_EQ(tier.parameters.postgres_version, 17);
  EXPECT_EQ(tier.parameters.instances, 1);
  EXPECT_EQ(tier.parameters.cpu, q("500m"));
  EXPECT_EQ(tier.parameters.memory, q("1Gi"));
  EXPECT_EQ(tier.parameters.storage_size, q("5Gi"));
  EXPECT_EQ(tier.parameters.storage_class, "");
  EXPECT_EQ(tier.parameters.pooler, (PoolerSettings{PoolMode::Transaction, 100, 20}));
  EXPECT_FALSE(tier.parameters.backup.has_value());
  EXPECT_EQ(tier.parameters.destruction, (DestructionSettings{DestructionStrategy::Hard, 30}));
  EXPECT_EQ(tier.quota, (Quota{50, q("25"), q("50Gi"), q("250Gi")}));
  EXPECT_NE(tier.description.find("Development"), std::string::npos);
}

TEST(DecodeTierTest, ProductionExampleCarriesBackupAndArchive) {
  json::Document document = exampleTier("production");
  json::set(*json::find(document, "metadata"), "generation", json::Value(4),
            document.GetAllocator());
  const Tier tier = decoded(document);
  EXPECT_EQ(tier.generation, 4);
  EXPECT_EQ(tier.parameters.tier_generation, 4);
  EXPECT_EQ(tier.parameters.instances, 3);
  EXPECT_EQ(tier.parameters.cpu, q("2"));
  EXPECT_EQ(tier.parameters.pooler, (PoolerSettings{PoolMode::Transaction, 500, 20}));
  ASSERT_TRUE(tier.parameters.backup.has_value());
  const BackupSettings& backup = *tier.parameters.backup;
  EXPECT_EQ(backup.schedule, "0 0 * * * *");
  EXPECT_EQ(backup.retention_days, 30);
  EXPECT_EQ(backup.destination,
            (BackupDestination{"http://s3.daap-system.svc:4569", "s3://daap-backups/production/",
                               "daap-backup-credentials", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY"}));
  EXPECT_EQ(tier.parameters.destruction, (DestructionSettings{DestructionStrategy::Archive, 90}));
  EXPECT_EQ(tier.quota, (Quota{20, q("120"), q("480Gi"), q("6000Gi")}));
}

TEST(DecodeTierTest, StagingExampleDefaultsTheCredentialKeys) {
  const Tier tier = decoded(exampleTier("staging"));
  ASSERT_TRUE(tier.parameters.backup.has_value());
  EXPECT_EQ(tier.parameters.backup->destination.access_key_id_key, "ACCESS_KEY_ID");
  EXPECT_EQ(tier.parameters.backup->destination.secret_access_key_key, "SECRET_ACCESS_KEY");
  EXPECT_EQ(tier.parameters.backup->retention_days, 7);
  EXPECT_EQ(tier.parameters.destruction.strategy, DestructionStrategy::Freeze);
  EXPECT_EQ(tier.parameters.pooler, (PoolerSettings{PoolMode::Transaction, 200, 10}));
}

TEST(DecodeTierTest, DecodesTheSameAfterTheApiServerAppliedDefaults) {
  const schema::Schema tier_schema = crdSchema("daap.io_daaptiers.yaml");
  for (const std::string_view name : {"dev", "staging", "production"}) {
    json::Document document = exampleTier(name);
    const Tier as_written = decoded(document);
    const schema::ValidationResult admitted =
        tier_schema.admit(document, nullptr, document.GetAllocator());
    ASSERT_TRUE(admitted.ok()) << name << ": " << schema::summarize(admitted.errors);
    EXPECT_EQ(decoded(document), as_written) << name;
  }
}

// A field-path mutation of a valid object and the error it must produce.
struct FieldErrorCase {
  std::string_view name;
  std::string_view pointer;
  std::string_view value_json;  // Empty: remove the field.
  std::string_view field;
  std::string_view reason;
};

// Test names in ctest show the case, not its bytes.
// NOLINTNEXTLINE(readability-identifier-naming): GoogleTest looks for this name.
void PrintTo(const FieldErrorCase& c, std::ostream* os) {
  *os << c.name;
}

void mutate(json::Document& document, std::string_view pointer, std::string_view value_json) {
  std::vector<std::string> tokens = json::parsePointer(pointer).value();
  const std::string last = tokens.back();
  tokens.pop_back();
  json::Value* parent = json::resolve(document, tokens);
  ASSERT_NE(parent, nullptr) << pointer;
  if (value_json.empty()) {
    ASSERT_TRUE(json::erase(*parent, last)) << pointer;
    return;
  }
  json::Document value = json::parse(value_json).value();
  json::set(*parent, last, json::Value(value, document.GetAllocator()), document.GetAllocator());
}

class TierFieldErrorTest : public ::testing::TestWithParam<FieldErrorCase> {};

TEST_P(TierFieldErrorTest, NamesTheField) {
  json::Document document = exampleTier("production");
  mutate(document, GetParam().pointer, GetParam().value_json);
  const Result<Tier> tier = decodeTier(document);
  ASSERT_FALSE(tier.has_value());
  EXPECT_EQ(tier.error().code, ErrorCode::InvalidArgument);
  ASSERT_EQ(tier.error().causes.size(), 1U);
  EXPECT_EQ(tier.error().causes[0].field, GetParam().field);
  EXPECT_EQ(tier.error().causes[0].reason, GetParam().reason);
  EXPECT_EQ(tier.error().message.rfind(std::string(GetParam().field) + ": ", 0), 0U)
      << tier.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, TierFieldErrorTest,
    ::testing::Values(
        FieldErrorCase{"MissingName", "/metadata/name", "", "metadata.name", "FieldValueRequired"},
        FieldErrorCase{"MissingCpu", "/spec/resources/cpu", "", "spec.resources.cpu",
                       "FieldValueRequired"},
        FieldErrorCase{"GarbageCpu", "/spec/resources/cpu", R"("two")", "spec.resources.cpu",
                       "FieldValueInvalid"},
        FieldErrorCase{"ZeroCpu", "/spec/resources/cpu", R"("0")", "spec.resources.cpu",
                       "FieldValueInvalid"},
        FieldErrorCase{"NumericCpu", "/spec/resources/cpu", "2", "spec.resources.cpu",
                       "FieldValueInvalid"},
        FieldErrorCase{"FractionalBytes", "/spec/storage/size", R"("1.5")", "spec.storage.size",
                       "FieldValueInvalid"},
        FieldErrorCase{"ZeroInstances", "/spec/instances", "0", "spec.instances",
                       "FieldValueInvalid"},
        FieldErrorCase{"TenInstances", "/spec/instances", "10", "spec.instances",
                       "FieldValueInvalid"},
        FieldErrorCase{"StringInstances", "/spec/instances", R"("3")", "spec.instances",
                       "FieldValueInvalid"},
        FieldErrorCase{"OldPostgres", "/spec/postgresVersion", "12", "spec.postgresVersion",
                       "FieldValueInvalid"},
        FieldErrorCase{"MissingDescription", "/spec/description", "", "spec.description",
                       "FieldValueRequired"},
        FieldErrorCase{"StatementPooling", "/spec/pooler/poolMode", R"("statement")",
                       "spec.pooler.poolMode", "FieldValueNotSupported"},
        FieldErrorCase{"HugePool", "/spec/pooler/defaultPoolSize", "5001",
                       "spec.pooler.defaultPoolSize", "FieldValueInvalid"},
        FieldErrorCase{"FiveFieldCron", "/spec/backup/schedule", R"("0 2 * * *")",
                       "spec.backup.schedule", "FieldValueInvalid"},
        FieldErrorCase{"SecondsNotANumber", "/spec/backup/schedule", R"("*/5 0 2 * * *")",
                       "spec.backup.schedule", "FieldValueInvalid"},
        FieldErrorCase{"NoRetention", "/spec/backup/retentionDays", "0",
                       "spec.backup.retentionDays", "FieldValueInvalid"},
        FieldErrorCase{"NoSecretName", "/spec/backup/destination/credentialsSecret/name", "",
                       "spec.backup.destination.credentialsSecret.name", "FieldValueRequired"},
        FieldErrorCase{"NotS3", "/spec/backup/destination/destinationPath", R"("http://x/y")",
                       "spec.backup.destination.destinationPath", "FieldValueInvalid"},
        FieldErrorCase{"ShortBucket", "/spec/backup/destination/destinationPath", R"("s3://ab/")",
                       "spec.backup.destination.destinationPath", "FieldValueInvalid"},
        FieldErrorCase{"UpperCaseBucket", "/spec/backup/destination/destinationPath",
                       R"("s3://Backups/")", "spec.backup.destination.destinationPath",
                       "FieldValueInvalid"},
        FieldErrorCase{"SchemeOnlyEndpoint", "/spec/backup/destination/endpointURL",
                       R"("https://")", "spec.backup.destination.endpointURL", "FieldValueInvalid"},
        FieldErrorCase{"BadEndpoint", "/spec/backup/destination/endpointURL", R"("s3.local")",
                       "spec.backup.destination.endpointURL", "FieldValueInvalid"},
        FieldErrorCase{"ShredStrategy", "/spec/destruction/strategy", R"("shred")",
                       "spec.destruction.strategy", "FieldValueNotSupported"},
        FieldErrorCase{"ArchiveWithoutBackup", "/spec/backup", "", "spec", "FieldValueInvalid"},
        FieldErrorCase{"MissingQuota", "/spec/quota", "", "spec.quota", "FieldValueRequired"},
        FieldErrorCase{"BadQuotaMemory", "/spec/quota/maxMemory", R"("lots")",
                       "spec.quota.maxMemory", "FieldValueInvalid"},
        FieldErrorCase{"NegativeMaxDatabases", "/spec/quota/maxDatabases", "-1",
                       "spec.quota.maxDatabases", "FieldValueInvalid"}),
    [](const ::testing::TestParamInfo<FieldErrorCase>& info) {
      return std::string(info.param.name);
    });

TierParameters productionParameters() {
  json::Document document = exampleTier("production");
  TierParameters parameters = decoded(document).parameters;
  parameters.tier_generation = 7;
  return parameters;
}

TEST(ProvisionedTierTest, RoundTripsEveryExampleTier) {
  for (const std::string_view name : {"dev", "staging", "production"}) {
    TierParameters parameters = decoded(exampleTier(name)).parameters;
    parameters.tier_generation = 3;
    json::Document document;
    const json::Value encoded = encodeProvisionedTier(parameters, document.GetAllocator());
    const Result<TierParameters> back = decodeProvisionedTier(encoded);
    ASSERT_TRUE(back.has_value()) << name << ": " << back.error().toString();
    EXPECT_EQ(*back, parameters) << name << ": " << json::serialize(encoded);
  }
}

TEST(ProvisionedTierTest, RoundTripsUnusualValues) {
  TierParameters parameters = productionParameters();
  parameters.cpu = q("1.5");
  parameters.memory = q("1536Mi");
  parameters.storage_size = q("1500M");
  parameters.storage_class = "fast-ssd";
  parameters.pooler = {PoolMode::Session, 1, 5000};
  parameters.backup->destination.endpoint_url = "";
  parameters.backup->destination.access_key_id_key = "id";
  json::Document document;
  const json::Value encoded = encodeProvisionedTier(parameters, document.GetAllocator());
  EXPECT_EQ(json::getString(*json::find(encoded, "resources"), "cpu"), "1500m");
  EXPECT_EQ(json::find(*json::findPath(encoded, {"backup", "destination"}), "endpointURL"),
            nullptr);
  const Result<TierParameters> back = decodeProvisionedTier(encoded);
  ASSERT_TRUE(back.has_value()) << back.error().toString();
  EXPECT_EQ(*back, parameters);
}

// status.provisionedTier as encoded is exactly what the DaapDatabase CRD describes: nothing
// pruned, nothing defaulted, nothing rejected.
TEST(ProvisionedTierTest, EncodingMatchesTheDatabaseCrdSchema) {
  const schema::Schema database_schema = crdSchema("daap.io_daapdatabases.yaml");
  for (const std::string_view name : {"dev", "staging", "production"}) {
    TierParameters parameters = decoded(exampleTier(name)).parameters;
    parameters.tier_generation = 1;
    json::Document database =
        loadYaml("manifests/examples/database-orders.yaml", 1);  // The DaapDatabase.
    json::Allocator& allocator = database.GetAllocator();
    json::Value& status = json::ensureObject(database, "status", allocator);
    json::set(status, "provisionedTier", encodeProvisionedTier(parameters, allocator), allocator);
    const std::string before = json::serialize(status);
    const schema::ValidationResult admitted = database_schema.admit(database, nullptr, allocator);
    EXPECT_TRUE(admitted.ok()) << name << ": " << schema::summarize(admitted.errors);
    EXPECT_TRUE(admitted.unknown_fields.empty()) << name << ": " << admitted.unknown_fields[0];
    EXPECT_EQ(json::serialize(*json::find(database, "status")), before) << name;
  }
}

struct ProvisionedErrorCase {
  std::string_view name;
  std::string_view pointer;
  std::string_view value_json;
  std::string_view field;
};

// Test names in ctest show the case, not its bytes.
// NOLINTNEXTLINE(readability-identifier-naming): GoogleTest looks for this name.
void PrintTo(const ProvisionedErrorCase& c, std::ostream* os) {
  *os << c.name;
}

class ProvisionedFieldErrorTest : public ::testing::TestWithParam<ProvisionedErrorCase> {};

// A recorded tier has no defaults: every field must be there, as the CRD requires.
TEST_P(ProvisionedFieldErrorTest, NamesTheField) {
  json::Document document;
  document.CopyFrom(encodeProvisionedTier(productionParameters(), document.GetAllocator()),
                    document.GetAllocator());
  mutate(document, GetParam().pointer, GetParam().value_json);
  const Result<TierParameters> parameters = decodeProvisionedTier(document);
  ASSERT_FALSE(parameters.has_value());
  ASSERT_EQ(parameters.error().causes.size(), 1U);
  EXPECT_EQ(parameters.error().causes[0].field, GetParam().field);
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ProvisionedFieldErrorTest,
    ::testing::Values(
        ProvisionedErrorCase{"NoGeneration", "/tierGeneration", "",
                             "status.provisionedTier.tierGeneration"},
        ProvisionedErrorCase{"ZeroGeneration", "/tierGeneration", "0",
                             "status.provisionedTier.tierGeneration"},
        ProvisionedErrorCase{"NoPooler", "/pooler", "", "status.provisionedTier.pooler"},
        ProvisionedErrorCase{"NoPoolMode", "/pooler/poolMode", "",
                             "status.provisionedTier.pooler.poolMode"},
        ProvisionedErrorCase{"NoRetention", "/backup/retentionDays", "",
                             "status.provisionedTier.backup.retentionDays"},
        ProvisionedErrorCase{"NoAccessKeyKey",
                             "/backup/destination/credentialsSecret/accessKeyIdKey", "",
                             "status.provisionedTier.backup.destination.credentialsSecret."
                             "accessKeyIdKey"},
        ProvisionedErrorCase{"NoArchiveDays", "/destruction/archiveRetentionDays", "",
                             "status.provisionedTier.destruction.archiveRetentionDays"},
        ProvisionedErrorCase{"BadMemory", "/resources/memory", R"("8 GB")",
                             "status.provisionedTier.resources.memory"}),
    [](const ::testing::TestParamInfo<ProvisionedErrorCase>& info) {
      return std::string(info.param.name);
    });

// The gateway writes tiers with encodeTierSpec: the API server must keep it verbatim, and
// decoding must give the same tier back.
TEST(TierSpecTest, EncodingRoundTripsThroughTheTierCrd) {
  const schema::Schema tier_schema = crdSchema("daap.io_daaptiers.yaml");
  for (const std::string_view name : {"dev", "staging", "production"}) {
    Tier tier = decoded(exampleTier(name));
    tier.generation = 2;
    tier.parameters.tier_generation = 2;
    json::Document document(rapidjson::kObjectType);
    json::Allocator& allocator = document.GetAllocator();
    json::setString(document, "apiVersion", "daap.io/v1alpha1", allocator);
    json::setString(document, "kind", "DaapTier", allocator);
    json::Value metadata(rapidjson::kObjectType);
    json::setString(metadata, "name", tier.name, allocator);
    json::set(metadata, "generation", json::Value(2), allocator);
    json::set(document, "metadata", std::move(metadata), allocator);
    json::set(document, "spec", encodeTierSpec(tier, allocator), allocator);
    const std::string spec_before = json::serialize(*json::find(document, "spec"));

    const schema::ValidationResult admitted = tier_schema.admit(document, nullptr, allocator);
    EXPECT_TRUE(admitted.ok()) << name << ": " << schema::summarize(admitted.errors);
    EXPECT_TRUE(admitted.unknown_fields.empty()) << name;
    EXPECT_EQ(json::serialize(*json::find(document, "spec")), spec_before) << name;
    EXPECT_EQ(decoded(document), tier) << name;
  }
}

TEST(UsageCodecTest, RoundTripsAndMatchesTheTierStatusSchema) {
  const Usage usage{3, q("4500m"), q("24Gi"), q("300Gi")};
  json::Document document;
  const json::Value encoded = encodeUsage(usage, document.GetAllocator());
  EXPECT_EQ(json::serialize(encoded),
            R"({"databases":3,"cpu":"4500m","memory":"24Gi","storage":"300Gi"})");
  const Result<Usage> back = decodeUsage(encoded);
  ASSERT_TRUE(back.has_value()) << back.error().toString();
  EXPECT_EQ(*back, usage);

  const schema::Schema tier_schema = crdSchema("daap.io_daaptiers.yaml");
  json::Document tier = exampleTier("dev");
  json::Allocator& allocator = tier.GetAllocator();
  json::set(json::ensureObject(tier, "status", allocator), "usage", encodeUsage(usage, allocator),
            allocator);
  const schema::ValidationResult admitted = tier_schema.admit(tier, nullptr, allocator);
  EXPECT_TRUE(admitted.ok()) << schema::summarize(admitted.errors);
  EXPECT_TRUE(admitted.unknown_fields.empty());
}

TEST(UsageCodecTest, EmptyUsageReadsAsZero) {
  const json::Document empty = json::parse("{}").value();
  const Result<Usage> usage = decodeUsage(empty);
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(*usage, Usage{});
}

TEST(TierNamesTest, ParseWhatTheyPrint) {
  for (const PoolMode mode : {PoolMode::Session, PoolMode::Transaction}) {
    EXPECT_EQ(parsePoolMode(poolModeName(mode)).value(), mode);
  }
  for (const DestructionStrategy strategy :
       {DestructionStrategy::Freeze, DestructionStrategy::Archive, DestructionStrategy::Hard}) {
    EXPECT_EQ(parseDestructionStrategy(destructionStrategyName(strategy)).value(), strategy);
  }
  EXPECT_FALSE(parsePoolMode("Transaction").has_value());
  EXPECT_FALSE(parseDestructionStrategy("delete").has_value());
}

}  // namespace
}  // namespace daap::model

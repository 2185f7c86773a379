// Request bodies are checked strictly against the contract's schemas: the error names the field.
#include "gateway/contract.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace daap::gateway {
namespace {

class ContractTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    Result<Contract> loaded = Contract::load(embeddedOpenApiYaml());
    ASSERT_TRUE(loaded) << loaded.error().toString();
    contract_ = new Contract(std::move(*loaded));  // NOLINT: shared by the suite, never freed.
  }

  // The causes' fields of validating `text` against `schema`; empty when it is valid.
  static std::vector<std::string> failures(std::string_view schema, std::string_view text) {
    Result<json::Document> body = json::parse(text);
    EXPECT_TRUE(body);
    Result<void> valid = contract_->validate(schema, *body, body->GetAllocator());
    std::vector<std::string> fields;
    if (!valid) {
      for (const ErrorCause& cause : valid.error().causes) {
        fields.push_back(cause.field);
      }
      if (fields.empty()) {
        fields.push_back("<no cause>: " + valid.error().message);
      }
    }
    return fields;
  }

  static Contract* contract_;
};

Contract* ContractTest::contract_ = nullptr;

TEST_F(ContractTest, AcceptsAValidCreate) {
  EXPECT_TRUE(failures("DatabaseCreate",
                       R"({"name":"orders","owner_team":"payments","purpose":"p","tier":"dev"})")
                  .empty());
}

TEST_F(ContractTest, UnknownFieldIsNamed) {
  EXPECT_EQ(failures("DatabaseCreate",
                     R"({"name":"orders","owner_team":"payments","purpose":"p","tier":"dev",)"
                     R"("instances":3})"),
            std::vector<std::string>{"instances"});
}

TEST_F(ContractTest, UnknownRootMetadataIsNamed) {
  EXPECT_EQ(failures("DatabaseCreate",
                     R"({"name":"orders","owner_team":"payments","purpose":"p","tier":"dev",)"
                     R"("metadata":{}})"),
            std::vector<std::string>{"metadata"});
}

TEST_F(ContractTest, WrongTypeIsNamed) {
  EXPECT_EQ(failures("DatabaseCreate",
                     R"({"name":7,"owner_team":"payments","purpose":"p","tier":"dev"})"),
            std::vector<std::string>{"name"});
}

TEST_F(ContractTest, NameMustBeADns1123Label) {
  EXPECT_EQ(failures("DatabaseCreate",
                     R"({"name":"Orders_DB","owner_team":"payments","purpose":"p","tier":"dev"})"),
            std::vector<std::string>{"name"});
  EXPECT_EQ(
      failures("DatabaseCreate", R"({"name":")" + std::string(64, 'a') +
                                     R"(","owner_team":"payments","purpose":"p","tier":"dev"})"),
      std::vector<std::string>{"name"});
}

TEST_F(ContractTest, MissingFieldIsNamed) {
  EXPECT_EQ(failures("DatabaseCreate", R"({"name":"orders","owner_team":"payments","tier":"dev"})"),
            std::vector<std::string>{"purpose"});
}

TEST_F(ContractTest, PatchAcceptsOnlyOwnerAndPurpose) {
  EXPECT_TRUE(failures("DatabasePatch", R"({"purpose":"new"})").empty());
  // The unknown field is named (the emptied object also fails minProperties at the root).
  const std::vector<std::string> fields = failures("DatabasePatch", R"({"tier":"production"})");
  EXPECT_NE(std::find(fields.begin(), fields.end(), "tier"), fields.end());
}

TEST_F(ContractTest, NestedUnknownFieldHasItsPath) {
  const std::vector<std::string> fields = failures(
      "TierCreate",
      R"({"name":"t","description":"d","postgres_version":17,"instances":1,)"
      R"("resources":{"cpu":"1","memory":"1Gi","gpu":"1"},"storage":{"size":"1Gi"},)"
      R"("destruction":{"strategy":"hard"},)"
      R"("quota":{"max_databases":1,"max_cpu":"1","max_memory":"1Gi","max_storage":"1Gi"}})");
  EXPECT_EQ(fields, std::vector<std::string>{"resources.gpu"});
}

TEST_F(ContractTest, TierResponseIsEitherView) {
  Result<json::Document> summary =
      json::parse(R"({"data":{"id":"dev","name":"dev","description":"d"},"error":null,)"
                  R"("meta":{"request_id":"r"}})");
  ASSERT_TRUE(summary);
  EXPECT_TRUE(contract_->validateResponse("GET", "/tiers/{id}", 200, *summary));
  // A product-team view that leaks a platform field matches neither schema.
  Result<json::Document> leaky = json::parse(
      R"({"data":{"id":"dev","name":"dev","description":"d","instances":3},"error":null,)"
      R"("meta":{"request_id":"r"}})");
  ASSERT_TRUE(leaky);
  EXPECT_FALSE(contract_->validateResponse("GET", "/tiers/{id}", 200, *leaky));
}

TEST_F(ContractTest, ErrorEnvelopeValidates) {
  Result<json::Document> body = json::parse(
      R"({"data":null,"error":{"code":"not_found","message":"m"},"meta":{"request_id":"r"}})");
  ASSERT_TRUE(body);
  EXPECT_TRUE(contract_->validateResponse("GET", "/databases/{id}", 404, *body));
  Result<json::Document> drifted = json::parse(
      R"({"data":null,"error":{"code":"gone_fishing","message":"m"},"meta":{"request_id":"r"}})");
  ASSERT_TRUE(drifted);
  EXPECT_FALSE(contract_->validateResponse("GET", "/databases/{id}", 404, *drifted));
}

TEST_F(ContractTest, UndeclaredStatusIsReported) {
  Result<json::Document> body = json::parse(R"({"data":null})");
  ASSERT_TRUE(body);
  EXPECT_EQ(contract_->validateResponse("GET", "/tiers", 418, *body).error().code,
            ErrorCode::NotFound);
}

}  // namespace
}  // namespace daap::gateway

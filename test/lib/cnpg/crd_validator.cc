#include "test/lib/cnpg/crd_validator.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/cnpg/webhook.h"
#include "lib/json/overlay.h"
#include "lib/json/yaml.h"
#include "test/support/testdata.h"

namespace daap::cnpg::testing {
namespace {

std::string keyOf(const json::Value& object) {
  return std::string(json::getString(object, "apiVersion")) + "/" +
         std::string(json::getString(object, "kind"));
}

}  // namespace

CrdValidator::CrdValidator() {
  const std::filesystem::path dir = daap::testing::sourceDir() / "hack/devcluster/cnpg-crds";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    Result<std::vector<json::Document>> documents =
        json::parseYaml(daap::testing::readFile(entry.path()));
    if (!documents) {
      ADD_FAILURE() << entry.path() << ": " << documents.error().toString();
      continue;
    }
    for (const json::Document& crd : *documents) {
      const std::string group(json::getString(*json::find(crd, "spec"), "group"));
      const std::string kind(json::getString(*json::findPath(crd, {"spec", "names"}), "kind"));
      for (const json::Value& version : json::findPath(crd, {"spec", "versions"})->GetArray()) {
        Result<schema::Schema> compiled =
            schema::Schema::compile(*json::findPath(version, {"schema", "openAPIV3Schema"}));
        if (!compiled) {
          ADD_FAILURE() << entry.path() << ": " << compiled.error().toString();
          continue;
        }
        std::string key = group;
        key.append("/").append(json::getString(version, "name")).append("/").append(kind);
        schemas_.emplace(std::move(key), std::move(compiled).value());
      }
    }
  }
  EXPECT_EQ(schemas_.size(), 5U) << "expected the five vendored CNPG CRDs";
}

bool CrdValidator::covers(const json::Value& object) const {
  return schemas_.count(keyOf(object)) > 0;
}

std::vector<std::string> CrdValidator::problems(const json::Value& object) const {
  std::vector<std::string> problems;
  const auto schema = schemas_.find(keyOf(object));
  if (schema == schemas_.end()) {
    return problems;
  }
  json::Document admitted = json::clone(object);
  const schema::ValidationResult result =
      schema->second.admit(admitted, nullptr, admitted.GetAllocator());
  for (const ErrorCause& error : result.errors) {
    problems.push_back("schema: " + error.field + ": " + error.message);
  }
  for (const std::string& field : result.unknown_fields) {
    problems.push_back("unknown field: " + field);
  }
  // Defaulting may add fields but must not change any DAAP renders, or every reconcile would
  // see drift.
  if (result.ok() && !json::containsOverlay(admitted, object)) {
    problems.emplace_back("admission changed rendered fields: " + json::serialize(admitted));
  }
  for (const std::string& violation : webhookViolations(object)) {
    problems.push_back("webhook: " + violation);
  }
  return problems;
}

}  // namespace daap::cnpg::testing

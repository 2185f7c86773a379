#include "lib/schema/schema.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "test/support/testdata.h"

namespace daap::schema {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

json::Document parse(std::string_view text) {
  Result<json::Document> document = json::parse(text);
  EXPECT_TRUE(document.has_value()) << text;
  return document ? std::move(document).value() : json::Document();
}

// A custom resource schema whose `spec` is `spec_schema`, as CRDs are written.
std::string resourceSchema(std::string_view spec_schema) {
  return R"({"type": "object", "properties": {"apiVersion": {"type": "string"},
            "kind": {"type": "string"}, "metadata": {"type": "object"}, "spec": )" +
         std::string(spec_schema) + "}}";
}

Schema compileSchema(std::string_view schema_json) {
  const json::Document document = parse(schema_json);
  Result<Schema> schema = Schema::compile(document);
  EXPECT_TRUE(schema.has_value()) << schema.error().toString();
  return std::move(schema).value();
}

Schema compileSpec(std::string_view spec_schema) {
  return compileSchema(resourceSchema(spec_schema));
}

struct Admitted {
  json::Document object;
  ValidationResult result;
};

// Parses `object_json` (and `old_json` when given) and admits it like an apiserver would.
Admitted admit(const Schema& schema, std::string_view object_json, std::string_view old_json = "") {
  Admitted admitted;
  admitted.object.Parse(object_json.data(), object_json.size());
  EXPECT_FALSE(admitted.object.HasParseError()) << object_json;
  json::Document old;
  if (!old_json.empty()) {
    old.Parse(old_json.data(), old_json.size());
    EXPECT_FALSE(old.HasParseError()) << old_json;
  }
  admitted.result = schema.admit(admitted.object, old_json.empty() ? nullptr : &old,
                                 admitted.object.GetAllocator());
  return admitted;
}

// The object with `spec` = `spec_json`.
std::string withSpec(std::string_view spec_json) {
  return R"({"apiVersion": "daap.io/v1alpha1", "kind": "Thing", "metadata": {"name": "x"},
            "spec": )" +
         std::string(spec_json) + "}";
}

ErrorCause cause(std::string field, std::string reason, std::string message) {
  return {std::move(field), std::move(reason), std::move(message)};
}

std::string specJson(const Admitted& admitted) {
  return json::serialize(*json::find(admitted.object, "spec"));
}

// --- Pruning -------------------------------------------------------------------------------------

TEST(SchemaTest, PrunesUnknownFieldAndReportsPath) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "instances": {"type": "integer"}}})");
  const Admitted admitted = admit(schema, withSpec(R"({"instances": 3, "instancez": 4})"));
  EXPECT_THAT(admitted.result.unknown_fields, ElementsAre("spec.instancez"));
  EXPECT_EQ(specJson(admitted), R"({"instances":3})");
  EXPECT_TRUE(admitted.result.ok());
}

TEST(SchemaTest, PrunesUnknownFieldsInListItemsWithIndexPaths) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {"items": {
      "type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}})");
  const Admitted admitted =
      admit(schema, withSpec(R"({"items": [{"name": "a"}, {"name": "b", "foo": {"x": 1}}]})"));
  EXPECT_THAT(admitted.result.unknown_fields, ElementsAre("spec.items[1].foo"));
  EXPECT_EQ(specJson(admitted), R"({"items":[{"name":"a"},{"name":"b"}]})");
}

TEST(SchemaTest, KeepsApiVersionKindAndMetadataAtRoot) {
  const Schema schema = compileSchema(R"({"type": "object", "properties": {
      "spec": {"type": "object"}}})");
  const Admitted admitted = admit(schema, R"({"apiVersion": "v1", "kind": "Thing",
      "metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {}, "extra": true})");
  EXPECT_THAT(admitted.result.unknown_fields, ElementsAre("extra"));
  EXPECT_EQ(json::serialize(admitted.object),
            R"({"apiVersion":"v1","kind":"Thing","metadata":{"name":"x","labels":{"a":"b"}},)"
            R"("spec":{}})");
}

TEST(SchemaTest, PreserveUnknownFieldsKeepsUnknownButPrunesKnownChildren) {
  const Schema schema = compileSpec(R"({"type": "object",
      "x-kubernetes-preserve-unknown-fields": true, "properties": {
      "known": {"type": "object", "properties": {"a": {"type": "string"}}}}})");
  const Admitted admitted =
      admit(schema, withSpec(R"({"anything": {"goes": [1]}, "known": {"a": "x", "b": "y"}})"));
  EXPECT_THAT(admitted.result.unknown_fields, ElementsAre("spec.known.b"));
  EXPECT_EQ(specJson(admitted), R"({"anything":{"goes":[1]},"known":{"a":"x"}})");
}

TEST(SchemaTest, AdditionalPropertiesKeepsEveryKey) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {"parameters": {
      "type": "object", "additionalProperties": {"type": "string"}}}})");
  const Admitted admitted =
      admit(schema, withSpec(R"({"parameters": {"max_connections": "100", "work_mem": "4MB"}})"));
  EXPECT_THAT(admitted.result.unknown_fields, IsEmpty());
  EXPECT_EQ(specJson(admitted), R"({"parameters":{"max_connections":"100","work_mem":"4MB"}})");
}

TEST(SchemaTest, EmbeddedResourceKeepsItsTypeAndObjectMeta) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {"template": {
      "type": "object", "x-kubernetes-embedded-resource": true, "properties": {
      "spec": {"type": "object", "properties": {"image": {"type": "string"}}}}}}})");
  const Admitted admitted = admit(schema, withSpec(R"({"template": {"apiVersion": "v1",
      "kind": "Pod", "metadata": {"name": "p"}, "spec": {"image": "i", "other": 1}}})"));
  EXPECT_THAT(admitted.result.unknown_fields, ElementsAre("spec.template.spec.other"));
  EXPECT_EQ(specJson(admitted),
            R"({"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},)"
            R"("spec":{"image":"i"}}})");
}

TEST(SchemaTest, UnknownFieldsAreSorted) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "a": {"type": "object", "properties": {}}}})");
  const Admitted admitted = admit(schema, withSpec(R"({"zeta": 1, "a": {"y": 1, "b": 2}})"));
  EXPECT_THAT(admitted.result.unknown_fields, ElementsAre("spec.a.b", "spec.a.y", "spec.zeta"));
}

// --- Nulls and defaults --------------------------------------------------------------------------

TEST(SchemaTest, AppliesDefaultsToAbsentFieldsRecursively) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "logLevel": {"type": "string", "default": "info"},
      "slots": {"type": "object", "default": {"highAvailability": {}}, "properties": {
        "highAvailability": {"type": "object", "properties": {
          "enabled": {"type": "boolean", "default": true},
          "prefix": {"type": "string", "default": "_cnpg_"}}}}}}})");
  const Admitted admitted = admit(schema, withSpec("{}"));
  EXPECT_EQ(
      specJson(admitted),
      R"({"logLevel":"info","slots":{"highAvailability":{"enabled":true,"prefix":"_cnpg_"}}})");
  EXPECT_TRUE(admitted.result.ok());
}

TEST(SchemaTest, DefaultsReplaceNullOfNonNullableField) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "logLevel": {"type": "string", "default": "info"}}})");
  const Admitted admitted = admit(schema, withSpec(R"({"logLevel": null})"));
  EXPECT_EQ(specJson(admitted), R"({"logLevel":"info"})");
}

TEST(SchemaTest, DropsNullOfNonNullableFieldWithoutDefault) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "description": {"type": "string"}}})");
  const Admitted admitted = admit(schema, withSpec(R"({"description": null})"));
  EXPECT_EQ(specJson(admitted), "{}");
  EXPECT_TRUE(admitted.result.ok());
}

TEST(SchemaTest, KeepsNullOfNullableField) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "description": {"type": "string", "nullable": true, "default": "x"}}})");
  const Admitted admitted = admit(schema, withSpec(R"({"description": null})"));
  EXPECT_EQ(specJson(admitted), R"({"description":null})");
  EXPECT_TRUE(admitted.result.ok());
}

TEST(SchemaTest, DefaultsAreDeepCopies) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "tags": {"type": "array", "items": {"type": "string"}, "default": ["a"]}}})");
  Admitted first = admit(schema, withSpec("{}"));
  json::find(*json::find(first.object, "spec"), "tags")
      ->PushBack(json::stringValue("b", first.object.GetAllocator()), first.object.GetAllocator());
  const Admitted second = admit(schema, withSpec("{}"));
  EXPECT_EQ(specJson(second), R"({"tags":["a"]})");
}

// --- Types ---------------------------------------------------------------------------------------

TEST(SchemaTest, RejectsWrongTypeWithApiserverMessage) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "instances": {"type": "integer"}}})");
  const Admitted admitted = admit(schema, withSpec(R"({"instances": "three"})"));
  EXPECT_THAT(admitted.result.errors,
              ElementsAre(cause("spec.instances", "FieldValueTypeInvalid",
                                "Invalid value: \"string\": spec.instances in body must be of "
                                "type integer: \"string\"")));
}

TEST(SchemaTest, AcceptsWholeNumberForInteger) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "instances": {"type": "integer", "format": "int32"}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"instances": 3.0})")).result.ok());
}

TEST(SchemaTest, RejectsFractionForInteger) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "instances": {"type": "integer"}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"instances": 1.5})")).result.errors,
              ElementsAre(cause("spec.instances", "FieldValueTypeInvalid",
                                "Invalid value: \"number\": spec.instances in body must be of "
                                "type integer: \"number\"")));
}

TEST(SchemaTest, AcceptsIntegerForNumber) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "ratio": {"type": "number", "format": "double"}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"ratio": 2})")).result.ok());
}

TEST(SchemaTest, IntOrStringAcceptsIntegerAndStringOnly) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "port": {"x-kubernetes-int-or-string": true}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"port": 5432})")).result.ok());
  EXPECT_TRUE(admit(schema, withSpec(R"({"port": "postgres"})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"port": true})")).result.errors,
              ElementsAre(cause("spec.port", "FieldValueTypeInvalid",
                                "Invalid value: \"boolean\": spec.port in body must be of type "
                                "integer,string: \"boolean\"")));
}

TEST(SchemaTest, RejectsNullInNonNullableListItem) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "names": {"type": "array", "items": {"type": "string"}}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"names": ["a", null]})")).result.errors,
              ElementsAre(cause("spec.names[1]", "FieldValueTypeInvalid",
                                "Invalid value: \"null\": spec.names[1] in body must be of type "
                                "string: \"null\"")));
}

TEST(SchemaTest, TypeErrorUnderStringFormatNamesTheFormat) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "at": {"type": "string", "format": "date-time"}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"at": 5})")).result.errors,
              ElementsAre(cause("spec.at", "FieldValueTypeInvalid",
                                "Invalid value: \"int64\": spec.at in body must be of type "
                                "date-time: \"int64\"")));
}

// --- Value validations ---------------------------------------------------------------------------

TEST(SchemaTest, RejectsValueOutsideEnum) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "mode": {"type": "string", "enum": ["any", "first"]},
      "level": {"type": "integer", "enum": [1, 2]}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"mode": "any", "level": 2})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"mode": "all", "level": 3})")).result.errors,
              ElementsAre(cause("spec.mode", "FieldValueNotSupported",
                                "Unsupported value: \"all\": supported values: \"any\", "
                                "\"first\""),
                          cause("spec.level", "FieldValueNotSupported",
                                "Unsupported value: 3: supported values: \"1\", \"2\"")));
}

TEST(SchemaTest, ReportsMissingRequiredField) {
  const Schema schema = compileSpec(R"({"type": "object", "required": ["instances", "storage"],
      "properties": {"instances": {"type": "integer"}, "storage": {"type": "object"}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"instances": 1})")).result.errors,
              ElementsAre(cause("spec.storage", "FieldValueRequired", "Required value")));
}

TEST(SchemaTest, ValidatesDateTimeFormat) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "at": {"type": "string", "format": "date-time"}}})");
  for (const std::string_view valid :
       {"2024-02-29T10:00:00Z", "2024-01-01T23:59:59.123+02:00", "2024-01-01t00:00:00z"}) {
    EXPECT_TRUE(admit(schema, withSpec(R"({"at": ")" + std::string(valid) + "\"}")).result.ok())
        << valid;
  }
  for (const std::string_view invalid :
       {"2023-02-29T10:00:00Z", "2024-01-01", "2024-01-01T24:00:00Z", "yesterday"}) {
    EXPECT_THAT(admit(schema, withSpec(R"({"at": ")" + std::string(invalid) + "\"}")).result.errors,
                ElementsAre(cause("spec.at", "FieldValueTypeInvalid",
                                  "Invalid value: \"" + std::string(invalid) +
                                      "\": spec.at in body must be of type date-time: \"" +
                                      std::string(invalid) + "\"")));
  }
}

TEST(SchemaTest, ValidatesByteUuidAndAddressFormats) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "ca": {"type": "string", "format": "byte"},
      "id": {"type": "string", "format": "uuid"},
      "ip": {"type": "string", "format": "ipv4"},
      "net": {"type": "string", "format": "cidr"}}})");
  EXPECT_TRUE(
      admit(schema, withSpec(R"({"ca": "aGVsbG8=", "id": "123e4567-e89b-12d3-a456-426614174000",
      "ip": "10.0.0.1", "net": "10.0.0.0/8"})"))
          .result.ok());
  const Admitted bad = admit(schema, withSpec(R"({"ca": "hello!", "id": "123",
      "ip": "10.0.0.256", "net": "10.0.0.0/33"})"));
  ASSERT_EQ(bad.result.errors.size(), 4U);
  EXPECT_EQ(bad.result.errors[0].message,
            "Invalid value: \"hello!\": spec.ca in body must be of type byte: \"hello!\"");
  EXPECT_EQ(bad.result.errors[1].field, "spec.id");
  EXPECT_EQ(bad.result.errors[2].field, "spec.ip");
  EXPECT_EQ(bad.result.errors[3].field, "spec.net");
}

TEST(SchemaTest, IgnoresUnknownFormatsAndInt32Range) {
  // The apiserver drops formats it does not know and does not range-check int32/int64 values.
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "name": {"type": "string", "format": "no-such-format"},
      "size": {"type": "integer", "format": "int32"}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"name": "x", "size": 1099511627776})")).result.ok());
}

TEST(SchemaTest, ChecksMinimumAndMaximum) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "instances": {"type": "integer", "minimum": 1, "maximum": 10},
      "ratio": {"type": "number", "minimum": 0.5}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"instances": 10, "ratio": 0.5})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"instances": 0, "ratio": 0.25})")).result.errors,
              ElementsAre(cause("spec.instances", "FieldValueInvalid",
                                "Invalid value: 0: spec.instances in body should be greater "
                                "than or equal to 1"),
                          cause("spec.ratio", "FieldValueInvalid",
                                "Invalid value: 0.25: spec.ratio in body should be greater than "
                                "or equal to 0.5")));
  EXPECT_THAT(admit(schema, withSpec(R"({"instances": 11})")).result.errors,
              ElementsAre(cause("spec.instances", "FieldValueInvalid",
                                "Invalid value: 11: spec.instances in body should be less than "
                                "or equal to 10")));
}

TEST(SchemaTest, ChecksExclusiveBounds) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "n": {"type": "integer", "minimum": 0, "exclusiveMinimum": true,
            "maximum": 5, "exclusiveMaximum": true}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"n": 4})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"n": 0})")).result.errors,
              ElementsAre(cause("spec.n", "FieldValueInvalid",
                                "Invalid value: 0: spec.n in body should be greater than 0")));
  EXPECT_THAT(admit(schema, withSpec(R"({"n": 5})")).result.errors,
              ElementsAre(cause("spec.n", "FieldValueInvalid",
                                "Invalid value: 5: spec.n in body should be less than 5")));
}

TEST(SchemaTest, ChecksMultipleOf) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "n": {"type": "integer", "multipleOf": 5}, "x": {"type": "number", "multipleOf": 0.5}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"n": 15, "x": 2.5})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"n": 7, "x": 0.3})")).result.errors,
              ElementsAre(cause("spec.n", "FieldValueInvalid",
                                "Invalid value: 7: spec.n in body should be a multiple of 5"),
                          cause("spec.x", "FieldValueInvalid",
                                "Invalid value: 0.3: spec.x in body should be a multiple of "
                                "0.5")));
}

TEST(SchemaTest, ChecksMaxLengthInCharacters) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "name": {"type": "string", "maxLength": 3}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"name": "\u00e9\u00e9\u00e9"})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"name": "abcd"})")).result.errors,
              ElementsAre(cause("spec.name", "FieldValueTooLong",
                                "Too long: may not be more than 3 bytes")));
}

TEST(SchemaTest, ChecksMinLength) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "name": {"type": "string", "minLength": 3}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"name": "ab"})")).result.errors,
              ElementsAre(cause("spec.name", "FieldValueInvalid",
                                "Invalid value: \"ab\": spec.name in body should be at least 3 "
                                "chars long")));
}

TEST(SchemaTest, ChecksPattern) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
      "size": {"anyOf": [{"type": "integer"}, {"type": "string"}],
               "x-kubernetes-int-or-string": true,
               "pattern": "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"name": "pg-main", "size": "10Gi"})")).result.ok());
  EXPECT_TRUE(admit(schema, withSpec(R"({"size": 1024})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"name": "PG", "size": "ten"})")).result.errors,
              ElementsAre(cause("spec.name", "FieldValueInvalid",
                                "Invalid value: \"PG\": spec.name in body should match "
                                "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"),
                          ::testing::Field(&ErrorCause::field, "spec.size")));
}

TEST(SchemaTest, ChecksItemCountsAndUniqueness) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "hosts": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": true,
                "items": {"type": "string"}}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"hosts": []})")).result.errors,
              ElementsAre(cause("spec.hosts", "FieldValueInvalid",
                                "Invalid value: 0: spec.hosts in body should have at least 1 "
                                "items")));
  EXPECT_THAT(admit(schema, withSpec(R"({"hosts": ["a", "b", "c"]})")).result.errors,
              ElementsAre(cause("spec.hosts", "FieldValueTooMany",
                                "Too many: 3: must have at most 2 items")));
  EXPECT_THAT(admit(schema, withSpec(R"({"hosts": ["a", "a"]})")).result.errors,
              ElementsAre(cause("spec.hosts", "FieldValueInvalid",
                                "Invalid value: \"\": spec.hosts in body shouldn't contain "
                                "duplicates")));
}

TEST(SchemaTest, ChecksPropertyCounts) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "labels": {"type": "object", "minProperties": 1, "maxProperties": 2,
                 "additionalProperties": {"type": "string"}}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"labels": {}})")).result.errors,
              ElementsAre(cause("spec.labels", "FieldValueInvalid",
                                "Invalid value: 0: spec.labels in body should have at least 1 "
                                "properties")));
  EXPECT_THAT(
      admit(schema, withSpec(R"({"labels": {"a": "1", "b": "2", "c": "3"}})")).result.errors,
      ElementsAre(
          cause("spec.labels", "FieldValueTooMany", "Too many: 3: must have at most 2 items")));
}

TEST(SchemaTest, AdditionalPropertiesSchemaValidatesMapValues) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"labels": {"app": 1}})")).result.errors,
              ElementsAre(cause("spec.labels.app", "FieldValueTypeInvalid",
                                "Invalid value: \"integer\": spec.labels.app in body must be of "
                                "type string: \"integer\"")));
}

TEST(SchemaTest, AdditionalPropertiesFalseForbidsKeys) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "empty": {"type": "object", "additionalProperties": false}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"empty": {}})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"empty": {"x": {}}})")).result.errors,
              ElementsAre(cause("spec.empty", "FieldValueInvalid",
                                "Invalid value: \"x\": spec.empty.x in body is a forbidden "
                                "property")));
}

TEST(SchemaTest, AnyOfReportsWhenNoBranchMatches) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "size": {"type": "string", "anyOf": [{"pattern": "^[0-9]+Gi$"}, {"pattern": "^[0-9]+Mi$"}]}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"size": "10Gi"})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"size": "10Ti"})")).result.errors,
              ElementsAre(cause("<nil>", "FieldValueInvalid",
                                "Invalid value: \"\": \"spec.size\" must validate at least one "
                                "schema (anyOf)"),
                          cause("spec.size", "FieldValueInvalid",
                                "Invalid value: \"10Ti\": spec.size in body should match "
                                "'^[0-9]+Gi$'")));
}

TEST(SchemaTest, OneOfAllOfAndNotFollowKubeOpenApi) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "one": {"type": "integer", "oneOf": [{"minimum": 0}, {"maximum": 10}]},
      "all": {"type": "integer", "allOf": [{"minimum": 0}, {"maximum": 10}]},
      "not": {"type": "string", "not": {"enum": ["forbidden"]}}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"one": 20, "all": 5, "not": "fine"})")).result.ok());
  EXPECT_THAT(
      admit(schema, withSpec(R"({"one": 5, "all": 20, "not": "forbidden"})")).result.errors,
      ElementsAre(cause("<nil>", "FieldValueInvalid",
                        "Invalid value: \"\": \"spec.one\" must validate one and only one "
                        "schema (oneOf). Found 2 valid alternatives"),
                  cause("spec.all", "FieldValueInvalid",
                        "Invalid value: 20: spec.all in body should be less than or equal to 10"),
                  cause("<nil>", "FieldValueInvalid",
                        "Invalid value: \"\": \"spec.all\" must validate all the schemas "
                        "(allOf)"),
                  cause("<nil>", "FieldValueInvalid",
                        "Invalid value: \"\": \"spec.not\" must not validate the schema (not)")));
}

TEST(SchemaTest, ListTypeSetRejectsDuplicates) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {"tags": {
      "type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"tags": ["a", "b", "a", "a"]})")).result.errors,
              ElementsAre(cause("spec.tags[2]", "FieldValueDuplicate", "Duplicate value: \"a\"")));
}

TEST(SchemaTest, ListTypeMapRejectsDuplicateKeys) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {"env": {
      "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
      "items": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string"}, "value": {"type": "string"}}}}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"env": [{"name": "A"}, {"name": "B"}]})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"env": [{"name": "A", "value": "1"}, {"name": "A"}]})"))
                  .result.errors,
              ElementsAre(cause("spec.env[1]", "FieldValueDuplicate",
                                "Duplicate value: map[string]interface {}{\"name\":\"A\"}")));
}

// --- x-kubernetes-validations --------------------------------------------------------------------

constexpr std::string_view kExclusiveImage = R"json({"type": "object", "properties": {
    "imageName": {"type": "string"}, "imageCatalogRef": {"type": "object",
      "properties": {"name": {"type": "string"}}}},
    "x-kubernetes-validations": [{"message": "imageName and imageCatalogRef are mutually exclusive",
      "rule": "!(has(self.imageCatalogRef) && has(self.imageName))"}]})json";

TEST(SchemaTest, RuleFailureReportsMessageAtNode) {
  const Schema schema = compileSpec(kExclusiveImage);
  EXPECT_TRUE(admit(schema, withSpec(R"({"imageName": "pg:16"})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"imageName": "pg:16", "imageCatalogRef": {"name": "c"}})"))
                  .result.errors,
              ElementsAre(cause("spec", "FieldValueInvalid",
                                "Invalid value: \"object\": imageName and imageCatalogRef are "
                                "mutually exclusive")));
}

TEST(SchemaTest, RuleWithoutMessageReportsFailedRule) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {"number": {
      "type": "integer", "x-kubernetes-validations": [{"rule": "self > 0"}]}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"number": 0})")).result.errors,
              ElementsAre(cause("spec.number", "FieldValueInvalid",
                                "Invalid value: \"integer\": failed rule: self > 0")));
}

constexpr std::string_view kImmutableTier = R"({"type": "object", "properties": {"tier": {
    "type": "string", "x-kubernetes-validations": [
      {"message": "tier is immutable", "rule": "self == oldSelf"}]}}})";

TEST(SchemaTest, TransitionRuleRunsOnlyOnUpdate) {
  const Schema schema = compileSpec(kImmutableTier);
  EXPECT_TRUE(admit(schema, withSpec(R"({"tier": "gold"})")).result.ok());
  EXPECT_TRUE(
      admit(schema, withSpec(R"({"tier": "gold"})"), withSpec(R"({"tier": "gold"})")).result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"tier": "silver"})"), withSpec(R"({"tier": "gold"})"))
                  .result.errors,
              ElementsAre(cause("spec.tier", "FieldValueInvalid",
                                "Invalid value: \"string\": tier is immutable")));
}

TEST(SchemaTest, TransitionRuleSkipsFieldAbsentFromOldObject) {
  const Schema schema = compileSpec(kImmutableTier);
  EXPECT_TRUE(admit(schema, withSpec(R"({"tier": "silver"})"), withSpec("{}")).result.ok());
}

TEST(SchemaTest, RuleRuntimeErrorIsReported) {
  const Schema schema = compileSpec(R"json({"type": "object", "properties": {
      "dataDurability": {"type": "string"}, "standbyNamesPre": {"type": "array",
        "items": {"type": "string"}}},
      "x-kubernetes-validations": [{"message": "preferred durability needs no standby names",
        "rule": "self.dataDurability != 'preferred' || !has(self.standbyNamesPre)"}]})json");
  EXPECT_THAT(admit(schema, withSpec(R"({"standbyNamesPre": ["a"]})")).result.errors,
              ElementsAre(cause("spec", "FieldValueInvalid",
                                "Invalid value: \"object\": no such key: dataDurability "
                                "evaluating rule: preferred durability needs no standby names")));
}

TEST(SchemaTest, RuleReasonAndFieldPathShapeTheError) {
  const Schema schema = compileSpec(R"json({"type": "object", "properties": {
      "configuration": {"type": "object", "properties": {"serverName": {"type": "string"}},
        "x-kubernetes-validations": [{"fieldPath": ".serverName",
          "message": "use the 'serverName' plugin parameter in the Cluster resource",
          "reason": "FieldValueForbidden", "rule": "!has(self.serverName)"}]}}})json");
  EXPECT_THAT(admit(schema, withSpec(R"({"configuration": {"serverName": "x"}})")).result.errors,
              ElementsAre(cause("spec.configuration.serverName", "FieldValueForbidden",
                                "Forbidden: use the 'serverName' plugin parameter in the "
                                "Cluster resource")));
}

TEST(SchemaTest, MessageExpressionFormatsTheMessage) {
  const Schema schema = compileSpec(R"json({"type": "object", "properties": {"instances": {
      "type": "integer", "x-kubernetes-validations": [{"rule": "self <= 5",
        "message": "too many", "messageExpression": "'at most 5 instances, got ' + string(self)"}]}}})json");
  EXPECT_THAT(admit(schema, withSpec(R"({"instances": 7})")).result.errors,
              ElementsAre(cause("spec.instances", "FieldValueInvalid",
                                "Invalid value: \"integer\": at most 5 instances, got 7")));
}

TEST(SchemaTest, RulesOnMapListItemsCorrelateOldItemsByKey) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {"roles": {
      "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
      "items": {"type": "object", "properties": {"name": {"type": "string"},
        "login": {"type": "boolean"}},
        "x-kubernetes-validations": [{"message": "login is immutable",
          "rule": "self.login == oldSelf.login"}]}}}})");
  // Reordering items keeps each correlated with its old self; a new item has no old self.
  EXPECT_TRUE(admit(schema, withSpec(R"({"roles": [{"name": "b", "login": false},
                                                   {"name": "a", "login": true},
                                                   {"name": "c", "login": true}]})"),
                    withSpec(R"({"roles": [{"name": "a", "login": true},
                                           {"name": "b", "login": false}]})"))
                  .result.ok());
  EXPECT_THAT(admit(schema, withSpec(R"({"roles": [{"name": "b", "login": true}]})"),
                    withSpec(R"({"roles": [{"name": "a", "login": true},
                                           {"name": "b", "login": false}]})"))
                  .result.errors,
              ElementsAre(cause("spec.roles[0]", "FieldValueInvalid",
                                "Invalid value: \"object\": login is immutable")));
}

TEST(SchemaTest, RulesOnMapValuesUseKeyPaths) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {"limits": {
      "type": "object", "additionalProperties": {"type": "integer",
        "x-kubernetes-validations": [{"rule": "self >= 0", "message": "must not be negative"}]}}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"limits": {"cpu": 1, "memory": -1}})")).result.errors,
              ElementsAre(cause("spec.limits[memory]", "FieldValueInvalid",
                                "Invalid value: \"integer\": must not be negative")));
}

TEST(SchemaTest, BlockingErrorsSkipRules) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {
      "instances": {"type": "integer", "x-kubernetes-validations": [{"rule": "self > 0"}]},
      "mode": {"type": "string", "enum": ["a"]}}})");
  EXPECT_THAT(admit(schema, withSpec(R"({"instances": 0, "mode": "b"})")).result.errors,
              ElementsAre(cause("spec.mode", "FieldValueNotSupported",
                                "Unsupported value: \"b\": supported values: \"a\""),
                          cause("<nil>", "FieldValueInvalid",
                                "Invalid value: \"null\": some validation rules were not checked "
                                "because the object was invalid; correct the existing errors to "
                                "complete validation")));
}

TEST(SchemaTest, RootRuleFailureHasNilField) {
  const Schema schema = compileSchema(R"json({"type": "object", "properties": {
      "spec": {"type": "object"}}, "x-kubernetes-validations": [
      {"rule": "has(self.spec)", "message": "spec is required"}]})json");
  EXPECT_THAT(admit(schema, R"({"apiVersion": "v1", "kind": "Thing"})").result.errors,
              ElementsAre(cause("<nil>", "FieldValueInvalid",
                                "Invalid value: \"object\": spec is required")));
}

TEST(SchemaTest, RulesSkipNullValues) {
  const Schema schema = compileSpec(R"({"type": "object", "properties": {"note": {
      "type": "string", "nullable": true, "x-kubernetes-validations": [{"rule": "self.size() > 3"}]}}})");
  EXPECT_TRUE(admit(schema, withSpec(R"({"note": null})")).result.ok());
}

// --- Compilation ---------------------------------------------------------------------------------

Error compileError(std::string_view schema_json) {
  const json::Document document = parse(schema_json);
  Result<Schema> schema = Schema::compile(document);
  EXPECT_FALSE(schema.has_value());
  return schema ? Error{} : std::move(schema).error();
}

TEST(SchemaTest, CompileRejectsUncompilableRuleNamingItsPath) {
  const Error error = compileError(resourceSchema(R"({"type": "object", "properties": {
      "tier": {"type": "string", "x-kubernetes-validations": [{"rule": "self ==="}]}}})"));
  EXPECT_EQ(error.code, ErrorCode::InvalidArgument);
  ASSERT_EQ(error.causes.size(), 1U);
  EXPECT_EQ(error.causes[0].field,
            "properties[spec].properties[tier].x-kubernetes-validations[0].rule");
  EXPECT_THAT(error.causes[0].message,
              ::testing::StartsWith("Invalid value: \"self ===\": compilation failed: ERROR: "
                                    "<input>:1:"));
  EXPECT_THAT(error.message, ::testing::StartsWith(error.causes[0].field + ": Invalid value"));
}

TEST(SchemaTest, CompileRejectsInvalidPattern) {
  const Error error = compileError(R"({"type": "string", "pattern": "(unclosed"})");
  ASSERT_EQ(error.causes.size(), 1U);
  EXPECT_EQ(error.causes[0].field, "pattern");
}

TEST(SchemaTest, CompileRejectsUnknownType) {
  const Error error = compileError(R"({"type": "object", "properties": {"a": {"type": "int"}}})");
  ASSERT_EQ(error.causes.size(), 1U);
  EXPECT_EQ(error.causes[0].field, "properties[a].type");
  EXPECT_EQ(error.causes[0].reason, "FieldValueNotSupported");
}

TEST(SchemaTest, CompileRejectsNonStructuralKeywords) {
  const Error error = compileError(R"({"type": "object", "properties": {"a": {
      "$ref": "#/definitions/b"}}})");
  ASSERT_EQ(error.causes.size(), 1U);
  EXPECT_EQ(error.causes[0].field, "properties[a].$ref");
  EXPECT_EQ(error.causes[0].reason, "FieldValueForbidden");
}

TEST(SchemaTest, CompileRejectsFieldPathOutsideSchema) {
  const Error error = compileError(R"({"type": "object", "properties": {"a": {"type": "string"}},
      "x-kubernetes-validations": [{"rule": "true", "fieldPath": ".b"}]})");
  ASSERT_EQ(error.causes.size(), 1U);
  EXPECT_EQ(error.causes[0].field, "x-kubernetes-validations[0].fieldPath");
}

TEST(SchemaTest, CompileRejectsRulesInsideAnyOf) {
  const Error error = compileError(R"({"type": "object", "anyOf": [
      {"x-kubernetes-validations": [{"rule": "true"}]}]})");
  ASSERT_EQ(error.causes.size(), 1U);
  EXPECT_EQ(error.causes[0].field, "anyOf[0].x-kubernetes-validations");
}

// --- Helpers -------------------------------------------------------------------------------------

TEST(SchemaTest, SummarizeMatchesStatusMessage) {
  EXPECT_EQ(summarize({}), "");
  EXPECT_EQ(summarize({cause("spec.a", "FieldValueRequired", "Required value")}),
            "spec.a: Required value");
  EXPECT_EQ(summarize({cause("spec.a", "FieldValueRequired", "Required value"),
                       cause("spec.b", "FieldValueInvalid", "Invalid value: 1: x"),
                       cause("spec.a", "FieldValueRequired", "Required value")}),
            "[spec.a: Required value, spec.b: Invalid value: 1: x]");
}

TEST(SchemaTest, HasValidationRulesReportsAnyRule) {
  EXPECT_TRUE(compileSpec(kImmutableTier).hasValidationRules());
  EXPECT_FALSE(compileSpec(R"({"type": "object"})").hasValidationRules());
}

// --- The real CloudNativePG CRDs -----------------------------------------------------------------

std::filesystem::path cnpgCrd(std::string_view file) {
  return testing::sourceDir() / "hack/devcluster/cnpg-crds" / file;
}

// The openAPIV3Schema of `version` in the CRD file, compiled.
Result<Schema> compileCrdVersion(const std::filesystem::path& file, std::string_view version) {
  Result<std::vector<json::Document>> documents = json::parseYaml(testing::readFile(file));
  if (!documents) {
    return std::move(documents).error();
  }
  for (const json::Value& crd : *documents) {
    const json::Value* versions = json::findPath(crd, {"spec", "versions"});
    if (versions == nullptr || !versions->IsArray()) {
      continue;
    }
    for (const json::Value& entry : versions->GetArray()) {
      if (json::getString(entry, "name") == version) {
        const json::Value* open_api = json::findPath(entry, {"schema", "openAPIV3Schema"});
        if (open_api != nullptr) {
          return Schema::compile(*open_api);
        }
      }
    }
  }
  return Error::notFound(std::string(version));
}

// Compiled once for all tests: the Cluster CRD is 460 KB of YAML.
const Schema& cnpgCluster() {
  static const Schema kSchema = [] {
    Result<Schema> compiled = compileCrdVersion(cnpgCrd("postgresql.cnpg.io_clusters.yaml"), "v1");
    EXPECT_TRUE(compiled.has_value()) << compiled.error().toString();
    return compiled ? std::move(compiled).value() : compileSchema(R"({"type": "object"})");
  }();
  return kSchema;
}

constexpr std::string_view kMinimalCluster = R"({"apiVersion": "postgresql.cnpg.io/v1",
    "kind": "Cluster", "metadata": {"name": "pg", "namespace": "team-a"},
    "spec": {"instances": 3, "storage": {"size": "1Gi"},
             "imageName": "ghcr.io/cloudnative-pg/postgresql:16"}})";

TEST(SchemaTest, CnpgCrdsCompile) {
  for (const auto& [file, version] : std::vector<std::pair<std::string, std::string>>{
           {"postgresql.cnpg.io_clusters.yaml", "v1"},
           {"postgresql.cnpg.io_poolers.yaml", "v1"},
           {"postgresql.cnpg.io_backups.yaml", "v1"},
           {"postgresql.cnpg.io_scheduledbackups.yaml", "v1"},
           {"barmancloud.cnpg.io_objectstores.yaml", "v1"}}) {
    const Result<Schema> schema = compileCrdVersion(cnpgCrd(file), version);
    EXPECT_TRUE(schema.has_value()) << file << ": " << schema.error().toString();
  }
}

TEST(SchemaTest, CnpgClusterAcceptsMinimalCluster) {
  const Admitted admitted = admit(cnpgCluster(), kMinimalCluster);
  EXPECT_THAT(admitted.result.errors, IsEmpty()) << summarize(admitted.result.errors);
  EXPECT_THAT(admitted.result.unknown_fields, IsEmpty());
  const json::Value& spec = *json::find(admitted.object, "spec");
  EXPECT_EQ(json::getString(spec, "logLevel"), "info");
  EXPECT_TRUE(json::findPath(spec, {"replicationSlots", "highAvailability", "enabled"})->GetBool());
  EXPECT_EQ(json::findPath(spec, {"instances"})->GetInt(), 3);
}

TEST(SchemaTest, CnpgClusterReportsUnknownField) {
  const Admitted admitted = admit(cnpgCluster(), R"({"apiVersion": "postgresql.cnpg.io/v1",
      "kind": "Cluster", "metadata": {"name": "pg"},
      "spec": {"instancez": 3, "storage": {"size": "1Gi"}}})");
  EXPECT_THAT(admitted.result.unknown_fields, ElementsAre("spec.instancez"));
  // instances has a default, so the pruned typo leaves a valid Cluster with one instance.
  EXPECT_THAT(admitted.result.errors, IsEmpty()) << summarize(admitted.result.errors);
  EXPECT_EQ(json::findPath(admitted.object, {"spec", "instances"})->GetInt(), 1);
}

TEST(SchemaTest, CnpgClusterRejectsImageNameWithImageCatalog) {
  const Admitted admitted = admit(cnpgCluster(), R"({"apiVersion": "postgresql.cnpg.io/v1",
      "kind": "Cluster", "metadata": {"name": "pg"},
      "spec": {"instances": 1, "storage": {"size": "1Gi"}, "imageName": "pg:16",
               "imageCatalogRef": {"apiGroup": "postgresql.cnpg.io", "kind": "ImageCatalog",
                                   "name": "catalog", "major": 16}}})");
  EXPECT_THAT(admitted.result.errors,
              ElementsAre(cause("spec", "FieldValueInvalid",
                                "Invalid value: \"object\": imageName and imageCatalogRef are "
                                "mutually exclusive")));
}

TEST(SchemaTest, CnpgClusterRejectsInvalidValues) {
  const Admitted admitted = admit(cnpgCluster(), R"({"apiVersion": "postgresql.cnpg.io/v1",
      "kind": "Cluster", "metadata": {"name": "pg"},
      "spec": {"instances": 0, "logLevel": "loud", "storage": {"size": "1Gi"}}})");
  std::vector<std::string> fields;
  for (const ErrorCause& error : admitted.result.errors) {
    fields.push_back(error.field);
  }
  EXPECT_THAT(fields, ElementsAre("spec.instances", "spec.logLevel", "<nil>"));
}

TEST(SchemaTest, CnpgClusterServiceAccountNameIsImmutable) {
  const std::string old = R"({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
      "metadata": {"name": "pg"}, "spec": {"instances": 1, "serviceAccountName": "a"}})";
  const Admitted admitted = admit(cnpgCluster(), R"({"apiVersion": "postgresql.cnpg.io/v1",
      "kind": "Cluster", "metadata": {"name": "pg"},
      "spec": {"instances": 1, "serviceAccountName": "b"}})",
                                  old);
  EXPECT_THAT(admitted.result.errors,
              ElementsAre(cause("spec.serviceAccountName", "FieldValueInvalid",
                                "Invalid value: \"string\": serviceAccountName is immutable")));
}

}  // namespace
}  // namespace daap::schema

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/base/error.h"
#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::schema {

namespace detail {
struct SchemaNode;
}  // namespace detail

// What admitting one custom resource found.
struct ValidationResult {
  // Field errors as kube-apiserver reports them in a 422 Status's details.causes: `field` is a
  // field path ("spec.instances", "spec.items[0].name", "<nil>" for the root), `reason` a
  // CauseType ("FieldValueInvalid", "FieldValueRequired", ...) and `message` the error body
  // without the field ("Required value", "Invalid value: \"object\": tier is immutable").
  std::vector<ErrorCause> errors;
  // Paths of the fields pruned because the schema does not describe them, sorted, as the
  // apiserver reports them for fieldValidation=Strict/Warn ("spec.instancez", "spec.a[0].b").
  std::vector<std::string> unknown_fields;

  bool ok() const { return errors.empty(); }
};

// The structural schema of one custom resource version (a CRD's openAPIV3Schema), compiled once:
// CEL rules are parsed and regular expressions built up front. admit() then does to an object
// what kube-apiserver does to a custom resource on create and update, in its order:
//  1. prunes unknown fields (not under x-kubernetes-preserve-unknown-fields; apiVersion, kind and
//     metadata at the root and in x-kubernetes-embedded-resource objects are kept);
//  2. drops nulls of non-nullable fields that have no default;
//  3. applies defaults (deep copies) to absent fields and to nulls of non-nullable fields;
//  4. validates against the OpenAPI schema with kube-openapi's rules and messages: type (whole
//     numbers pass as integers), nullable, x-kubernetes-int-or-string, enum, format, minimum/
//     maximum (exclusive too), multipleOf, minLength/maxLength (in characters), pattern,
//     minItems/maxItems, uniqueItems, minProperties/maxProperties, required,
//     additionalProperties (a schema or false), allOf/anyOf/oneOf/not;
//  5. checks x-kubernetes-list-type set and map uniqueness;
//  6. runs x-kubernetes-validations CEL rules (with message, messageExpression, reason and
//     fieldPath), unless step 4 or 5 found a type, enum, required, too-long or too-many error,
//     in which case a single "some validation rules were not checked" error stands in for them,
//     as in the apiserver. Transition rules (those reading oldSelf) run only where the old object
//     has a value at the same path: object fields correlate by name, map-list items by their
//     keys, other list items not at all.
// Not done: validation ratcheting of unchanged fields on update, CEL cost limits, embedded
// ObjectMeta validation, rules inside allOf/anyOf/oneOf/not (compile() rejects them).
// Immutable and cheap to copy (the compiled tree is shared); admit() is thread-safe.
class Schema {
public:
  // Compiles an openAPIV3Schema. Errors are InvalidArgument naming the offending place relative
  // to the schema root, in apiextensions' notation, both in the message and in causes[].field
  // (e.g. "properties[spec].x-kubernetes-validations[0].rule"): a malformed keyword, a pattern
  // that does not compile, a CEL rule that does not compile, an invalid fieldPath or reason.
  static Result<Schema> compile(const json::Value& open_api_v3_schema);

  // Prunes, defaults and validates `object` (a whole custom resource) in place; `old_object` is
  // the stored object on update, null on create. Strings added by defaulting are allocated from
  // `allocator`, which must be the allocator of the document that holds `object`.
  ValidationResult admit(json::Value& object, const json::Value* old_object,
                         json::Allocator& allocator) const;

  // Whether any x-kubernetes-validations rule exists anywhere in the schema.
  bool hasValidationRules() const;

private:
  explicit Schema(std::shared_ptr<const detail::SchemaNode> root) : root_(std::move(root)) {}

  std::shared_ptr<const detail::SchemaNode> root_;
};

// The apiserver's one-line summary of field errors, as it appears after "... is invalid: " in a
// Status message: "spec.x: Required value", or "[a: ..., b: ...]" for several, duplicates
// dropped. Empty for no errors.
std::string summarize(const std::vector<ErrorCause>& errors);

}  // namespace daap::schema

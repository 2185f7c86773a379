#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::kube {

// A Kubernetes label selector: the `labelSelector` query parameter (`a=b,c!=d,e in (x,y),!f`)
// or a metav1.LabelSelector object (`matchLabels` / `matchExpressions`). Parsing, matching and
// printing follow k8s.io/apimachinery/pkg/labels, error messages included. Immutable once built;
// const methods are safe to call from many threads. matches() does not allocate.
class LabelSelector {
public:
  enum class Operator {
    Equals,        // a=b
    DoubleEquals,  // a==b
    NotEquals,     // a!=b (also true when a is absent)
    In,            // a in (x,y)
    NotIn,         // a notin (x,y) (also true when a is absent)
    Exists,        // a
    DoesNotExist,  // !a
    GreaterThan,   // a>1 (integers; false when a is absent or not an integer)
    LessThan,      // a<1
  };

  struct Requirement {
    std::string key;
    Operator op = Operator::Exists;
    // Sorted and unique when parsed from text; as given when built from JSON.
    std::vector<std::string> values;
    // The parsed value of a GreaterThan / LessThan requirement.
    std::int64_t bound = 0;
  };

  // Matches everything, like an empty selector string.
  LabelSelector() = default;

  // Parses the `labelSelector` query syntax. Errors are InvalidArgument with the API server's
  // message, e.g. `unable to parse requirement: found '', expected: identifier`.
  static Result<LabelSelector> parse(std::string_view text);

  // Builds a selector from a metav1.LabelSelector object (operators In, NotIn, Exists,
  // DoesNotExist). As in the API server, `{}` matches everything and null matches nothing.
  static Result<LabelSelector> fromJson(const json::Value& selector);

  // `labels` is an object of string values (metadata.labels); anything else, null included,
  // counts as no labels. A label whose value is not a string is present but equals no value.
  bool matches(const json::Value& labels) const;
  // nullptr counts as no labels, so `matches(json::findPath(object, {"metadata", "labels"}))`.
  bool matches(const json::Value* labels) const;

  // True when the selector does not restrict anything (it matches every object).
  bool empty() const { return !nothing_ && requirements_.empty(); }
  // True for the selector built from a null LabelSelector: it matches no object.
  bool matchesNothing() const { return nothing_; }

  // Canonical form, as labels.Selector.String(): requirements sorted by key and set values
  // sorted, e.g. `a in (x,y),!b,c!=d`. "" for both the empty and the matches-nothing selector.
  std::string toString() const;

  // Sorted by key.
  const std::vector<Requirement>& requirements() const { return requirements_; }

private:
  std::vector<Requirement> requirements_;
  bool nothing_ = false;
};

// A Kubernetes field selector: the `fieldSelector` query parameter (`metadata.name=x,
// status.phase!=Running`), parsed and matched as k8s.io/apimachinery/pkg/fields does. Fields
// are dotted paths into the object, compared as strings: numbers and booleans are printed,
// a missing or null field (or an object or array) reads as "". Which fields a resource
// supports is the server's decision: see fields(). Immutable; matches() does not allocate.
class FieldSelector {
public:
  struct Requirement {
    std::string field;
    bool equals = true;             // `=` or `==`; false for `!=`.
    std::string value;              // Unescaped (`\,` `\=` `\\` in the query).
    std::vector<std::string> path;  // `field` split at '.'.
  };

  // Matches everything.
  FieldSelector() = default;

  // Errors are InvalidArgument with the API server's message, e.g.
  // `invalid selector: 'a'; can't understand 'a'`.
  static Result<FieldSelector> parse(std::string_view text);

  bool matches(const json::Value& object) const;

  bool empty() const { return requirements_.empty(); }

  // The distinct field names, sorted, so the server can refuse unsupported ones with 400
  // `field label not supported: x`.
  std::vector<std::string> fields() const;

  // The value a selector requires `field` to equal (`field=value`), if any: lets a server
  // answer `metadata.name=x` with one lookup.
  std::optional<std::string_view> requiresExactMatch(std::string_view field) const;

  // Canonical form, as fields.Selector.String(): terms sorted, `==` printed as `=`, values
  // escaped.
  std::string toString() const;

  const std::vector<Requirement>& requirements() const { return requirements_; }

private:
  std::vector<Requirement> requirements_;
};

}  // namespace daap::kube

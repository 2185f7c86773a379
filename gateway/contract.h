#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"
#include "lib/schema/schema.h"

namespace daap::gateway {

// openapi/openapi.yaml as compiled into the binary.
std::string_view embeddedOpenApiYaml();

// One operation of the spec: "GET" and "/databases/{id}".
struct Operation {
  std::string method;
  std::string path;

  bool operator==(const Operation&) const = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 flags the synthesized `cmp != 0`.
  auto operator<=>(const Operation&) const = default;
};

// The OpenAPI document, the gateway's contract: served at /openapi.json, and the source of the
// strict request-body validation (the same schemas the clients are generated from), and of the
// response validation the e2e suite runs. Immutable after load(); thread-safe.
class Contract {
public:
  // Parses the YAML, resolves every local $ref and compiles each schema of
  // components/schemas with lib/schema. InvalidArgument for a malformed document.
  static Result<Contract> load(std::string_view yaml);

  // The whole document as JSON text.
  const std::string& json() const { return json_; }
  std::vector<Operation> operations() const;

  // Checks `value` strictly against components/schemas/<name>: wrong types, bad values, missing
  // or unknown fields are InvalidArgument with one cause per field (field = its path, e.g.
  // "resources.cpu"). Defaults of the schema are applied to `value`.
  Result<void> validate(std::string_view name, json::Value& value,
                        json::Allocator& allocator) const;

  // Checks a response body against the schema the spec gives for `method path` and `status`
  // (application/json only). NotFound when the spec declares no such response.
  Result<void> validateResponse(std::string_view method, std::string_view path, int status,
                                const json::Value& body) const;

private:
  struct Compiled;
  Contract() = default;
  Result<void> check(const Compiled& compiled, json::Value& value,
                     json::Allocator& allocator) const;

  json::Document document_;
  std::string json_;
  // Each schema in every oneOf combination (oneOf stays outside lib/schema, which admits
  // structural schemas only): valid when one variant accepts the value.
  std::map<std::string, std::shared_ptr<const Compiled>, std::less<>> schemas_;
};

}  // namespace daap::gateway

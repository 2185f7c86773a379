#pragma once

#include <map>
#include <string>
#include <vector>

#include "lib/json/json.h"
#include "lib/schema/schema.h"

namespace daap::cnpg::testing {

// The real CloudNativePG and Barman Cloud CRDs vendored for the devcluster, compiled once, so a
// rendered object is admitted exactly as an API server with those CRDs would: unknown fields
// reported, defaults applied, CEL rules run.
class CrdValidator {
public:
  // Loads every CRD under hack/devcluster/cnpg-crds/; failures fail the calling test.
  CrdValidator();

  // Problems an API server would report for `object` (a whole CNPG object), plus the fields it
  // would prune as unknown and CNPG's webhook-only violations. Empty when it would be admitted
  // unchanged apart from defaults. Objects of other kinds are not DAAP-validated here: empty.
  std::vector<std::string> problems(const json::Value& object) const;

  // Whether a schema exists for the object's apiVersion and kind.
  bool covers(const json::Value& object) const;

private:
  // "<apiVersion>/<kind>" -> schema.
  std::map<std::string, schema::Schema> schemas_;
};

}  // namespace daap::cnpg::testing

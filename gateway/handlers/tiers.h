#pragma once

#include "gateway/contract.h"
#include "gateway/handlers/common.h"
#include "gateway/mirror/mirror.h"
#include "lib/auth/rbac.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/pg/mirror.h"
#include "lib/pg/quota_ledger.h"

namespace daap::gateway {

// REST field names to the DaapTier spec's and back ("postgres_version" <-> "postgresVersion",
// "endpoint_url" <-> "endpointURL"), recursively; values are copied as they are.
json::Value tierSpecOf(const json::Value& rest, json::Allocator& allocator);
json::Value restTierOf(const json::Value& spec, json::Allocator& allocator);

// openapi TierDetail (platform-team) or TierSummary (product-team: name and guarantees only).
json::Document tierView(const pg::TierRecord& record, auth::Role role);

// /tiers and /tiers/{id}/quota: DaapTier writes through the API server, reads from the mirror.
// The tier id is its name. Thread-safe.
class TierHandlers {
public:
  TierHandlers(const Contract& contract, kube::Client& kube, Mirror& mirror,
               pg::MirrorRepository& repository, pg::QuotaLedger& ledger);

  Result<Reply> list(Call& call);
  Result<Reply> get(Call& call);
  Result<Reply> create(Call& call);
  Result<Reply> update(Call& call);
  Result<Reply> remove(Call& call);
  Result<Reply> getQuota(Call& call);
  Result<Reply> putQuota(Call& call);

private:
  Result<pg::TierRecord> recordOf(const json::Document& object);
  // Merge-patches the DaapTier `name` and records the result like recordOf; a missing tier is
  // the API's 404.
  Result<pg::TierRecord> patchTier(const std::string& name, const json::Document& patch);
  Result<Reply> quotaReply(const pg::TierRecord& record);

  const Contract& contract_;
  kube::Client& kube_;
  Mirror& mirror_;
  pg::MirrorRepository& repository_;
  pg::QuotaLedger& ledger_;
};

}  // namespace daap::gateway

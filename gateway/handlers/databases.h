#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/contract.h"
#include "gateway/handlers/common.h"
#include "gateway/mirror/mirror.h"
#include "gateway/options.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/pg/mirror.h"
#include "lib/pg/quota_ledger.h"

namespace daap::gateway {

// The REST view of a mirrored database (openapi: Database).
json::Document databaseView(const pg::DatabaseRecord& record);

// "Ready" -> "ready"; an empty phase (the operator has not written one yet) is "provisioning".
std::string restStatusOf(std::string_view phase);
// The phases shown as `status`: "ready" -> {"Ready"}, "provisioning" -> {"", "Provisioning"};
// empty for anything else.
std::vector<std::string> phasesOf(std::string_view status);

// /databases: creates and changes DaapDatabase objects, answers reads from the mirror. Authz
// that depends on the database's owner is decided here, after the lookup, so that another
// team's database is a 404 exactly like a missing one. Thread-safe.
class DatabaseHandlers {
public:
  DatabaseHandlers(const Options& options, const Contract& contract, kube::Client& kube,
                   Mirror& mirror, pg::MirrorRepository& repository, pg::QuotaLedger& ledger);

  Result<Reply> create(Call& call);
  Result<Reply> list(Call& call);
  Result<Reply> get(Call& call);
  // get() from the in-process index alone, never blocking: nullopt when the index does not
  // hold the id (get() then asks PostgreSQL).
  std::optional<Result<Reply>> getCached(Call& call);
  Result<Reply> update(Call& call);
  Result<Reply> destroy(Call& call);
  Result<Reply> unfreeze(Call& call);
  Result<Reply> restore(Call& call);

  // The namespace a team's databases live in.
  std::string namespaceFor(std::string_view team) const;

private:
  struct NewDatabase {
    std::string name;
    std::string owner_team;
    std::string purpose;
    std::string tier;
    std::optional<std::string> restore_source;
    std::optional<std::string> restore_target_time;
  };

  // Quota reservation, namespace, DaapDatabase create; the reservation is released when the
  // write fails.
  Result<Reply> admitAndCreate(Call& call, const NewDatabase& database);
  Result<void> ensureNamespace(const std::string& namespace_name, const std::string& team);
  // The database `call`'s path names, if the caller may see it (404 otherwise).
  Result<std::shared_ptr<const pg::DatabaseRecord>> visible(Call& call, auth::Action action);
  // The owner-dependent half of visible(), for a record already found.
  Result<std::shared_ptr<const pg::DatabaseRecord>> visibleTo(
      Call& call, auth::Action action, std::shared_ptr<const pg::DatabaseRecord> record);
  Result<Reply> patchSpec(Call& call, const pg::DatabaseRecord& record, const json::Document& patch,
                          int status);

  const Options& options_;
  const Contract& contract_;
  kube::Client& kube_;
  Mirror& mirror_;
  pg::MirrorRepository& repository_;
  pg::QuotaLedger& ledger_;
  std::mutex mu_;
  // Guarded by mu_. Namespaces known to exist.
  std::set<std::string> namespaces_;

  // A database getCached() answered lately: its record and rendered view, valid while the
  // index holds the same resourceVersion. Rebuilding both from the cached object was a fifth
  // of the gateway's CPU under a GET load.
  struct Rendered {
    std::string resource_version;
    std::shared_ptr<const pg::DatabaseRecord> record;
    std::shared_ptr<const std::string> view;
  };
  static constexpr size_t kRenderedCapacity = 1024;  // About 3 MiB; emptied when full.
  std::mutex rendered_mu_;
  // Guarded by rendered_mu_, by id.
  std::unordered_map<std::string, Rendered> rendered_;
};

}  // namespace daap::gateway

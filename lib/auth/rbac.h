#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace daap::auth {

enum class Role { PlatformTeam, ProductTeam };

// "platform-team" / "product-team": the wire and storage names.
std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);

// Who is calling, resolved from an API key.
struct Principal {
  std::string key_id;  // The key's public prefix: safe to log and audit.
  std::string team;
  Role role = Role::ProductTeam;
};

// One per endpoint of the v1 API surface (seed 001, "V1 API Surface"), plus the audit log.
enum class Action {
  DatabaseCreate,    // POST   /databases
  DatabaseList,      // GET    /databases
  DatabaseGet,       // GET    /databases/{id}
  DatabaseUpdate,    // PATCH  /databases/{id}
  DatabaseDestroy,   // DELETE /databases/{id}
  DatabaseRestore,   // POST   /databases/{id}/restore
  DatabaseUnfreeze,  // POST   /databases/{id}/unfreeze
  TierList,          // GET    /tiers
  TierGet,           // GET    /tiers/{id}
  TierCreate,        // POST   /tiers
  TierUpdate,        // PATCH  /tiers/{id}
  TierDelete,        // DELETE /tiers/{id}
  QuotaGet,          // GET    /tiers/{id}/quota
  QuotaPut,          // PUT    /tiers/{id}/quota
  ApiKeyCreate,      // POST   /api-keys
  ApiKeyList,        // GET    /api-keys
  ApiKeyRevoke,      // DELETE /api-keys/{id}
  AuditLogList,      // GET    /audit-logs
};

// What a role may do with an action.
enum class Access {
  Denied,     // Never: 403 (or 404 on another team's database, see authorize()).
  Any,        // On every resource.
  OwnTarget,  // Only on behalf of its own team: create for it, list with its filter. 403 else.
  OwnOnly,    // Only on its own team's existing databases; anyone else's are hidden (404).
};

// One row of the policy: the endpoint and what each role may do there.
struct ActionPolicy {
  Action action;
  std::string_view name;    // "database.create": stable, for audit rows and logs.
  std::string_view method;  // "POST".
  std::string_view path;    // "/databases": the OpenAPI path template.
  Access platform_team;
  Access product_team;
};

// The policy as data, one row per Action in enum order. It follows the v1 role table:
//   platform-team: manage tiers and quotas, view all databases, scale (PATCH) and force
//     destruction of any database, manage API keys. The API surface lists every database
//     endpoint for both roles, so platform-team may also create (for any team), restore and
//     unfreeze any database.
//   product-team: create databases (only for its own team: owner_team must be its team),
//     manage its own databases (get, update, delete, restore), view tiers, view quota.
// Where the table is silent, least privilege:
//   - POST /databases/{id}/unfreeze is not in product-team's list (get, update, delete,
//     restore), so product-team may not unfreeze, not even its own database (403; 404 for
//     another team's, which it must not learn exists). Flip the row if the product decides
//     owners may undo their own freeze.
//   - GET /audit-logs is platform-team only: audit rows name other teams and their actions.
//   - GET /databases with an owner_team filter naming another team is 403 for product-team;
//     without a filter the handler scopes the list to the caller's team (listScope()).
inline constexpr std::array<ActionPolicy, 18> kPolicy{{
    {Action::DatabaseCreate, "database.create", "POST", "/databases", Access::Any,
     Access::OwnTarget},
    {Action::DatabaseList, "database.list", "GET", "/databases", Access::Any, Access::OwnTarget},
    {Action::DatabaseGet, "database.get", "GET", "/databases/{id}", Access::Any, Access::OwnOnly},
    {Action::DatabaseUpdate, "database.update", "PATCH", "/databases/{id}", Access::Any,
     Access::OwnOnly},
    {Action::DatabaseDestroy, "database.destroy", "DELETE", "/databases/{id}", Access::Any,
     Access::OwnOnly},
    {Action::DatabaseRestore, "database.restore", "POST", "/databases/{id}/restore", Access::Any,
     Access::OwnOnly},
    {Action::DatabaseUnfreeze, "database.unfreeze", "POST", "/databases/{id}/unfreeze", Access::Any,
     Access::Denied},
    {Action::TierList, "tier.list", "GET", "/tiers", Access::Any, Access::Any},
    {Action::TierGet, "tier.get", "GET", "/tiers/{id}", Access::Any, Access::Any},
    {Action::TierCreate, "tier.create", "POST", "/tiers", Access::Any, Access::Denied},
    {Action::TierUpdate, "tier.update", "PATCH", "/tiers/{id}", Access::Any, Access::Denied},
    {Action::TierDelete, "tier.delete", "DELETE", "/tiers/{id}", Access::Any, Access::Denied},
    {Action::QuotaGet, "quota.get", "GET", "/tiers/{id}/quota", Access::Any, Access::Any},
    {Action::QuotaPut, "quota.put", "PUT", "/tiers/{id}/quota", Access::Any, Access::Denied},
    {Action::ApiKeyCreate, "api-key.create", "POST", "/api-keys", Access::Any, Access::Denied},
    {Action::ApiKeyList, "api-key.list", "GET", "/api-keys", Access::Any, Access::Denied},
    {Action::ApiKeyRevoke, "api-key.revoke", "DELETE", "/api-keys/{id}", Access::Any,
     Access::Denied},
    {Action::AuditLogList, "audit-log.list", "GET", "/audit-logs", Access::Any, Access::Denied},
}};

const ActionPolicy& policyFor(Action action);
// "database.create" etc.
std::string_view actionName(Action action);

enum class Decision {
  Allow,
  Forbidden,  // 403: this role may never do this (or not for that team).
  Hidden,     // 404: another team's database; answer exactly as if it did not exist.
};

// "allow" / "forbidden" / "hidden": for the audit log's outcome column.
std::string_view decisionName(Decision decision);
// 200 for Allow (unused), 403, 404.
int httpStatus(Decision decision);

// Decides one request. resource_owner_team is:
//   - for an action on an existing database (get, update, destroy, restore, unfreeze): that
//     database's owner_team. If the database does not exist, answer 404 without calling this
//     (Hidden is indistinguishable from it by design); nullopt here is treated as Hidden so a
//     forgotten lookup fails closed.
//   - for DatabaseCreate: the requested owner_team; for DatabaseList: the owner_team filter,
//     or nullopt for none (then scope the list with listScope()).
//   - nullopt for tiers, quotas, API keys and audit logs.
// A product team's request on another team's database is Hidden even where its role is
// Denied, so a 403 never confirms that someone else's database exists.
Decision authorize(const Principal& principal, Action action,
                   std::optional<std::string_view> resource_owner_team);

// The owner_team a list must be restricted to: the caller's team for product-team, nullopt
// (everything) for platform-team.
std::optional<std::string_view> listScope(const Principal& principal);

}  // namespace daap::auth

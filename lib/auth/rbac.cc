#include "lib/auth/rbac.h"

#include <glog/logging.h>

namespace daap::auth {
namespace {

// Actions on one existing database, where another team's resource must stay invisible.
bool isDatabaseInstanceAction(Action action) {
  switch (action) {
    case Action::DatabaseGet:
    case Action::DatabaseUpdate:
    case Action::DatabaseDestroy:
    case Action::DatabaseRestore:
    case Action::DatabaseUnfreeze:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view roleName(Role role) {
  switch (role) {
    case Role::PlatformTeam:
      return "platform-team";
    case Role::ProductTeam:
      return "product-team";
  }
  return "unknown";
}

std::optional<Role> parseRole(std::string_view name) {
  if (name == "platform-team") {
    return Role::PlatformTeam;
  }
  if (name == "product-team") {
    return Role::ProductTeam;
  }
  return std::nullopt;
}

const ActionPolicy& policyFor(Action action) {
  const auto index = static_cast<size_t>(action);
  CHECK_LT(index, kPolicy.size());
  const ActionPolicy& policy = kPolicy[index];
  CHECK(policy.action == action) << "kPolicy rows must follow the Action enum order";
  return policy;
}

std::string_view actionName(Action action) {
  return policyFor(action).name;
}

std::string_view decisionName(Decision decision) {
  switch (decision) {
    case Decision::Allow:
      return "allow";
    case Decision::Forbidden:
      return "forbidden";
    case Decision::Hidden:
      return "hidden";
  }
  return "unknown";
}

int httpStatus(Decision decision) {
  switch (decision) {
    case Decision::Allow:
      return 200;
    case Decision::Forbidden:
      return 403;
    case Decision::Hidden:
      return 404;
  }
  return 500;
}

Decision authorize(const Principal& principal, Action action,
                   std::optional<std::string_view> resource_owner_team) {
  const ActionPolicy& policy = policyFor(action);
  const Access access =
      principal.role == Role::PlatformTeam ? policy.platform_team : policy.product_team;
  const bool own = resource_owner_team.has_value() && *resource_owner_team == principal.team;

  // Whatever the role may do, a database that is not the caller's must not be confirmed by a
  // 403 when the caller could not see it anyway.
  if (isDatabaseInstanceAction(action) && access != Access::Any && !own) {
    return Decision::Hidden;
  }
  switch (access) {
    case Access::Any:
      return Decision::Allow;
    case Access::Denied:
      return Decision::Forbidden;
    case Access::OwnTarget:
      // No owner (a list without filter) is allowed: the handler scopes it with listScope().
      return !resource_owner_team.has_value() || own ? Decision::Allow : Decision::Forbidden;
    case Access::OwnOnly:
      return own ? Decision::Allow : Decision::Hidden;
  }
  return Decision::Forbidden;
}

std::optional<std::string_view> listScope(const Principal& principal) {
  if (principal.role == Role::PlatformTeam) {
    return std::nullopt;
  }
  return principal.team;
}

}  // namespace daap::auth

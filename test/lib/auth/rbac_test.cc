#include "lib/auth/rbac.h"

#include <cctype>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace daap::auth {
namespace {

constexpr Decision kAllow = Decision::Allow;
constexpr Decision kForbidden = Decision::Forbidden;
constexpr Decision kHidden = Decision::Hidden;

// The v1 role table (seed 001) written out by hand, independently of kPolicy: every action
// for the platform team, the product team that owns the resource, and another product team.
// For database actions the resource belongs to "payments"; for create it is the requested
// owner_team, for list the owner_team filter.
struct Row {
  Action action;
  std::string_view method;
  std::string_view path;
  bool database_owned;  // Whether the action has an owner team at all.
  Decision platform;
  Decision owner;
  Decision other;
};

constexpr Row kMatrix[] = {
    {Action::DatabaseCreate, "POST", "/databases", true, kAllow, kAllow, kForbidden},
    {Action::DatabaseList, "GET", "/databases", true, kAllow, kAllow, kForbidden},
    {Action::DatabaseGet, "GET", "/databases/{id}", true, kAllow, kAllow, kHidden},
    {Action::DatabaseUpdate, "PATCH", "/databases/{id}", true, kAllow, kAllow, kHidden},
    {Action::DatabaseDestroy, "DELETE", "/databases/{id}", true, kAllow, kAllow, kHidden},
    {Action::DatabaseRestore, "POST", "/databases/{id}/restore", true, kAllow, kAllow, kHidden},
    // Not in product-team's list (get, update, delete, restore): least privilege.
    {Action::DatabaseUnfreeze, "POST", "/databases/{id}/unfreeze", true, kAllow, kForbidden,
     kHidden},
    {Action::TierList, "GET", "/tiers", false, kAllow, kAllow, kAllow},
    {Action::TierGet, "GET", "/tiers/{id}", false, kAllow, kAllow, kAllow},
    {Action::TierCreate, "POST", "/tiers", false, kAllow, kForbidden, kForbidden},
    {Action::TierUpdate, "PATCH", "/tiers/{id}", false, kAllow, kForbidden, kForbidden},
    {Action::TierDelete, "DELETE", "/tiers/{id}", false, kAllow, kForbidden, kForbidden},
    {Action::QuotaGet, "GET", "/tiers/{id}/quota", false, kAllow, kAllow, kAllow},
    {Action::QuotaPut, "PUT", "/tiers/{id}/quota", false, kAllow, kForbidden, kForbidden},
    {Action::ApiKeyCreate, "POST", "/api-keys", false, kAllow, kForbidden, kForbidden},
    {Action::ApiKeyList, "GET", "/api-keys", false, kAllow, kForbidden, kForbidden},
    {Action::ApiKeyRevoke, "DELETE", "/api-keys/{id}", false, kAllow, kForbidden, kForbidden},
    {Action::AuditLogList, "GET", "/audit-logs", false, kAllow, kForbidden, kForbidden},
};

const Principal kPlatform{"plat0001", "platform", Role::PlatformTeam};
const Principal kOwner{"paym0001", "payments", Role::ProductTeam};
const Principal kOther{"srch0001", "search", Role::ProductTeam};

class RbacMatrixTest : public ::testing::TestWithParam<Row> {};

TEST_P(RbacMatrixTest, DecidesLikeTheRoleTable) {
  const Row& row = GetParam();
  const std::optional<std::string_view> owner =
      row.database_owned ? std::optional<std::string_view>("payments") : std::nullopt;
  EXPECT_EQ(authorize(kPlatform, row.action, owner), row.platform) << "platform-team";
  EXPECT_EQ(authorize(kOwner, row.action, owner), row.owner) << "owning product-team";
  EXPECT_EQ(authorize(kOther, row.action, owner), row.other) << "other product-team";
}

TEST_P(RbacMatrixTest, PolicyRowNamesTheEndpoint) {
  const Row& row = GetParam();
  const ActionPolicy& policy = policyFor(row.action);
  EXPECT_EQ(policy.method, row.method);
  EXPECT_EQ(policy.path, row.path);
}

INSTANTIATE_TEST_SUITE_P(AllActions, RbacMatrixTest, ::testing::ValuesIn(kMatrix),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           std::string name;
                           for (const char c : actionName(info.param.action)) {
                             if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
                               name.push_back(c);
                             }
                           }
                           return name;
                         });

TEST(RbacTest, MatrixCoversEveryAction) {
  std::set<Action> covered;
  for (const Row& row : kMatrix) {
    covered.insert(row.action);
  }
  EXPECT_EQ(covered.size(), kPolicy.size());
  std::set<std::string_view> names;
  for (const ActionPolicy& policy : kPolicy) {
    names.insert(policy.name);
  }
  EXPECT_EQ(names.size(), kPolicy.size()) << "action names must be unique";
}

TEST(RbacTest, ProductTeamListWithoutFilterIsScopedToItsTeam) {
  EXPECT_EQ(authorize(kOwner, Action::DatabaseList, std::nullopt), kAllow);
  EXPECT_EQ(listScope(kOwner), std::optional<std::string_view>("payments"));
  EXPECT_EQ(authorize(kPlatform, Action::DatabaseList, std::nullopt), kAllow);
  EXPECT_EQ(listScope(kPlatform), std::nullopt);
}

TEST(RbacTest, PlatformTeamMayCreateForAnyTeam) {
  EXPECT_EQ(authorize(kPlatform, Action::DatabaseCreate, "search"), kAllow);
  EXPECT_EQ(authorize(kPlatform, Action::DatabaseCreate, "platform"), kAllow);
}

TEST(RbacTest, MissingOwnerOnADatabaseFailsClosed) {
  EXPECT_EQ(authorize(kOwner, Action::DatabaseGet, std::nullopt), kHidden);
  EXPECT_EQ(authorize(kOwner, Action::DatabaseDestroy, std::nullopt), kHidden);
}

TEST(RbacTest, TeamNamesCompareExactly) {
  EXPECT_EQ(authorize(kOwner, Action::DatabaseGet, "Payments"), kHidden);
  EXPECT_EQ(authorize(kOwner, Action::DatabaseGet, "payments "), kHidden);
  EXPECT_EQ(authorize(kOwner, Action::DatabaseCreate, ""), kForbidden);
}

TEST(RbacTest, RoleWireNamesRoundTrip) {
  EXPECT_EQ(roleName(Role::PlatformTeam), "platform-team");
  EXPECT_EQ(roleName(Role::ProductTeam), "product-team");
  EXPECT_EQ(parseRole("platform-team"), Role::PlatformTeam);
  EXPECT_EQ(parseRole("product-team"), Role::ProductTeam);
  EXPECT_EQ(parseRole("Platform-Team"), std::nullopt);
  EXPECT_EQ(parseRole("admin"), std::nullopt);
}

TEST(RbacTest, DecisionsMapToHttpStatuses) {
  EXPECT_EQ(httpStatus(kForbidden), 403);
  EXPECT_EQ(httpStatus(kHidden), 404);
  EXPECT_EQ(decisionName(kAllow), "allow");
  EXPECT_EQ(decisionName(kForbidden), "forbidden");
  EXPECT_EQ(decisionName(kHidden), "hidden");
}

}  // namespace
}  // namespace daap::auth

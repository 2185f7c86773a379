#pragma once

#include "gateway/handlers/common.h"
#include "lib/json/json.h"
#include "lib/pg/audit.h"

namespace daap::gateway {

// openapi AuditLog.
json::Document auditLogView(const pg::AuditEntry& entry);

// GET /audit-logs (platform-team only; the router has already checked the role).
class AuditLogHandlers {
public:
  explicit AuditLogHandlers(pg::AuditRepository& audit) : audit_(audit) {}

  Result<Reply> list(Call& call);

private:
  pg::AuditRepository& audit_;
};

}  // namespace daap::gateway

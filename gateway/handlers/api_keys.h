#pragma once

#include "gateway/contract.h"
#include "gateway/handlers/common.h"
#include "gateway/middleware/authenticator.h"
#include "lib/json/json.h"
#include "lib/pg/api_keys.h"

namespace daap::gateway {

// openapi ApiKey: never the hash, never the key.
json::Document apiKeyView(const pg::ApiKey& key);

// /api-keys (platform-team only; the router has already checked the role). Thread-safe.
class ApiKeyHandlers {
public:
  ApiKeyHandlers(const Contract& contract, pg::ApiKeyRepository& keys,
                 Authenticator& authenticator);

  // The one response that carries the key itself.
  Result<Reply> create(Call& call);
  Result<Reply> list(Call& call);
  Result<Reply> revoke(Call& call);

private:
  const Contract& contract_;
  pg::ApiKeyRepository& keys_;
  Authenticator& authenticator_;
};

}  // namespace daap::gateway

#include "gateway/handlers/api_keys.h"

#include <glog/logging.h>

#include "lib/auth/api_key.h"

namespace daap::gateway {

json::Document apiKeyView(const pg::ApiKey& key) {
  json::Document view;
  view.SetObject();
  auto& a = view.GetAllocator();
  json::setString(view, "id", key.id, a);
  json::setString(view, "prefix", key.prefix, a);
  json::setString(view, "team", key.team, a);
  json::setString(view, "role", key.role, a);
  json::setString(view, "description", key.description, a);
  json::setString(view, "created_at", timeText(key.created_at), a);
  setTime(view, "revoked_at", key.revoked_at, a);
  return view;
}

ApiKeyHandlers::ApiKeyHandlers(const Contract& contract, pg::ApiKeyRepository& keys,
                               Authenticator& authenticator)
    : contract_(contract), keys_(keys), authenticator_(authenticator) {}

Result<Reply> ApiKeyHandlers::create(Call& call) {
  Result<json::Document> body = parseBody(call.request, contract_, "ApiKeyCreate");
  if (!body) {
    return body.error();
  }
  // A prefix collision (40 random bits) is possible in principle: draw again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    Result<auth::GeneratedKey> generated = auth::generateKey(authenticator_.pepper());
    if (!generated) {
      return generated.error();
    }
    pg::NewApiKey key;
    key.prefix = generated->prefix;
    key.hash = generated->hash;
    key.team = json::getString(*body, "team");
    key.role = json::getString(*body, "role");
    key.description = json::getString(*body, "description");
    Result<pg::ApiKey> stored = keys_.insert(key);
    if (!stored) {
      if (stored.error().code == ErrorCode::AlreadyExists) {
        continue;
      }
      return stored.error();
    }
    call.resource_id = stored->id;
    LOG(INFO) << "api key created key_id=" << stored->id << " prefix=" << stored->prefix
              << " team=" << stored->team << " role=" << stored->role
              << " request_id=" << call.request.request_id;
    json::Document view = apiKeyView(*stored);
    json::setString(view, "key", generated->plaintext, view.GetAllocator());
    return Reply::of(201, std::move(view));
  }
  return Error::internal("could not draw an unused key prefix");
}

Result<Reply> ApiKeyHandlers::list(Call& call) {
  Result<pg::PageRequest> page = pageOf(call.request);
  if (!page) {
    return page.error();
  }
  Result<pg::Page<pg::ApiKey>> keys =
      keys_.list(*page, queryString(call.request, "team").value_or(""));
  if (!keys) {
    return keys.error();
  }
  Reply reply;
  reply.data.SetArray();
  for (const pg::ApiKey& key : keys->items) {
    json::Document view = apiKeyView(key);
    reply.data.PushBack(json::Value(view, reply.data.GetAllocator()), reply.data.GetAllocator());
  }
  reply.list = true;
  reply.next_cursor = keys->next_cursor;
  return reply;
}

Result<Reply> ApiKeyHandlers::revoke(Call& call) {
  const std::string id(call.request.pathParam("id"));
  Result<pg::ApiKey> revoked = keys_.revoke(id);
  if (!revoked) {
    if (revoked.error().code == ErrorCode::NotFound) {
      return notFound("api key " + id);
    }
    return revoked.error();
  }
  authenticator_.invalidate(revoked->prefix);
  LOG(INFO) << "api key revoked key_id=" << revoked->id << " prefix=" << revoked->prefix
            << " request_id=" << call.request.request_id;
  return Reply::of(200, apiKeyView(*revoked));
}

}  // namespace daap::gateway

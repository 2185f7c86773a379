#include "gateway/handlers/tiers.h"

#include <array>
#include <utility>

#include <glog/logging.h>

#include "lib/kube/resource.h"

namespace daap::gateway {

namespace {

// Where the generic snake_case <-> camelCase rule does not give the CRD's spelling.
constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kSpecialNames{{
    {"endpoint_url", "endpointURL"},
}};

std::string camelOf(std::string_view snake) {
  for (const auto& [rest, crd] : kSpecialNames) {
    if (snake == rest) {
      return std::string(crd);
    }
  }
  std::string camel;
  bool upper = false;
  for (char c : snake) {
    if (c == '_') {
      upper = true;
    } else {
      camel.push_back(upper ? static_cast<char>(c - 'a' + 'A') : c);
      upper = false;
    }
  }
  return camel;
}

std::string snakeOf(std::string_view camel) {
  for (const auto& [rest, crd] : kSpecialNames) {
    if (camel == crd) {
      return std::string(rest);
    }
  }
  std::string snake;
  for (char c : camel) {
    if (c >= 'A' && c <= 'Z') {
      snake.push_back('_');
      snake.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      snake.push_back(c);
    }
  }
  return snake;
}

json::Value renamed(const json::Value& value, json::Allocator& allocator,
                    std::string (*rename)(std::string_view)) {
  if (value.IsObject()) {
    json::Value out(rapidjson::kObjectType);
    for (const auto& member : value.GetObject()) {
      out.AddMember(json::stringValue(rename(json::view(member.name)), allocator),
                    renamed(member.value, allocator, rename), allocator);
    }
    return out;
  }
  if (value.IsArray()) {
    json::Value out(rapidjson::kArrayType);
    for (const auto& item : value.GetArray()) {
      out.PushBack(renamed(item, allocator, rename), allocator);
    }
    return out;
  }
  return json::Value(value, allocator);
}

// The tier named `name` as the mirror has it; a missing one is the API's 404.
Result<pg::TierRecord> tierNamed(pg::MirrorRepository& repository, const std::string& name) {
  Result<pg::TierRecord> tier = repository.getTier(name);
  if (!tier && tier.error().code == ErrorCode::NotFound) {
    return notFound("tier " + name);
  }
  return tier;
}

}  // namespace

json::Value tierSpecOf(const json::Value& rest, json::Allocator& allocator) {
  return renamed(rest, allocator, &camelOf);
}

json::Value restTierOf(const json::Value& spec, json::Allocator& allocator) {
  return renamed(spec, allocator, &snakeOf);
}

json::Document tierView(const pg::TierRecord& record, auth::Role role) {
  json::Document view;
  view.SetObject();
  auto& a = view.GetAllocator();
  json::setString(view, "id", record.name, a);
  json::setString(view, "name", record.name, a);
  json::setString(view, "description", record.description, a);
  if (role != auth::Role::PlatformTeam) {
    return view;  // Product teams see the guarantees, never instances, storage or topology.
  }
  Result<json::Document> spec = json::parse(record.spec_json);
  if (spec && spec->IsObject()) {
    json::Value rest = restTierOf(*spec, a);
    for (auto& member : rest.GetObject()) {
      const std::string_view name = json::view(member.name);
      if (name != "description") {
        json::set(view, name, json::Value(member.value, a), a);
      }
    }
  }
  if (json::find(view, "pooler") == nullptr) {
    json::set(view, "pooler", json::Value(rapidjson::kObjectType), a);
  }
  if (json::find(view, "backup") == nullptr) {
    json::set(view, "backup", json::Value(rapidjson::kNullType), a);
  }
  json::setString(view, "created_at", timeText(record.created_at), a);
  return view;
}

TierHandlers::TierHandlers(const Contract& contract, kube::Client& kube, Mirror& mirror,
                           pg::MirrorRepository& repository, pg::QuotaLedger& ledger)
    : contract_(contract), kube_(kube), mirror_(mirror), repository_(repository), ledger_(ledger) {}

Result<pg::TierRecord> TierHandlers::recordOf(const json::Document& object) {
  mirror_.recordTier(object);
  return tierRecordOf(object);
}

Result<pg::TierRecord> TierHandlers::patchTier(const std::string& name,
                                               const json::Document& patch) {
  Result<json::Document> patched =
      kube_.patch(kube::resources::daapTiers(), "", name, kube::PatchType::Merge, patch);
  if (!patched) {
    if (patched.error().code == ErrorCode::NotFound) {
      return notFound("tier " + name);
    }
    return patched.error();
  }
  return recordOf(*patched);
}

Result<Reply> TierHandlers::list(Call& call) {
  Result<std::vector<pg::TierRecord>> tiers = repository_.listTiers();
  if (!tiers) {
    return tiers.error();
  }
  Reply reply;
  reply.data.SetArray();
  for (const pg::TierRecord& tier : *tiers) {
    json::Document view = tierView(tier, call.caller.principal.role);
    reply.data.PushBack(json::Value(view, reply.data.GetAllocator()), reply.data.GetAllocator());
  }
  return reply;
}

Result<Reply> TierHandlers::get(Call& call) {
  Result<pg::TierRecord> tier = tierNamed(repository_, std::string(call.request.pathParam("id")));
  if (!tier) {
    return tier.error();
  }
  return Reply::of(200, tierView(*tier, call.caller.principal.role));
}

Result<Reply> TierHandlers::create(Call& call) {
  Result<json::Document> body = parseBody(call.request, contract_, "TierCreate");
  if (!body) {
    return body.error();
  }
  const std::string name(json::getString(*body, "name"));
  json::erase(*body, "name");
  json::Document object;
  object.SetObject();
  auto& a = object.GetAllocator();
  json::setString(object, "apiVersion", "daap.io/v1alpha1", a);
  json::setString(object, "kind", "DaapTier", a);
  json::setString(json::ensureObject(object, "metadata", a), "name", name, a);
  json::set(object, "spec", tierSpecOf(*body, a), a);
  Result<json::Document> created = kube_.create(kube::resources::daapTiers(), "", object);
  if (!created) {
    Error error = created.error();
    if (error.code == ErrorCode::AlreadyExists) {
      error.message = "a tier named " + name + " already exists";
    }
    return error;
  }
  Result<pg::TierRecord> record = recordOf(*created);
  if (!record) {
    return record.error();
  }
  call.resource_id = name;
  LOG(INFO) << "tier created tier=" << name << " request_id=" << call.request.request_id;
  return Reply::of(201, tierView(*record, auth::Role::PlatformTeam));
}

Result<Reply> TierHandlers::update(Call& call) {
  Result<json::Document> body = parseBody(call.request, contract_, "TierPatch");
  if (!body) {
    return body.error();
  }
  const std::string name(call.request.pathParam("id"));
  json::Document patch;
  patch.SetObject();
  auto& a = patch.GetAllocator();
  json::set(patch, "spec", tierSpecOf(*body, a), a);
  Result<pg::TierRecord> record = patchTier(name, patch);
  if (!record) {
    return record.error();
  }
  LOG(INFO) << "tier changed tier=" << name << " request_id=" << call.request.request_id;
  return Reply::of(200, tierView(*record, auth::Role::PlatformTeam));
}

Result<Reply> TierHandlers::remove(Call& call) {
  const std::string name(call.request.pathParam("id"));
  Result<pg::TierRecord> tier = tierNamed(repository_, name);
  if (!tier) {
    return tier.error();
  }
  Result<int64_t> users = repository_.countDatabasesUsingTier(name);
  if (!users) {
    return users.error();
  }
  if (*users > 0) {
    return Error::conflict("tier " + name + " is used by " + std::to_string(*users) +
                           " database(s); it cannot be deleted");
  }
  kube::DeleteOptions options;
  options.precondition_uid = tier->uid;
  if (Result<void> removed = kube_.remove(kube::resources::daapTiers(), "", name, options);
      !removed) {
    if (removed.error().code == ErrorCode::NotFound) {
      return notFound("tier " + name);
    }
    return removed.error();
  }
  LOG(INFO) << "tier deleted tier=" << name << " request_id=" << call.request.request_id;
  return Reply::of(200, tierView(*tier, auth::Role::PlatformTeam));
}

Result<Reply> TierHandlers::quotaReply(const pg::TierRecord& record) {
  Result<pg::Usage> usage = ledger_.usage(record.name);
  if (!usage) {
    return usage.error();
  }
  json::Document view;
  view.SetObject();
  auto& a = view.GetAllocator();
  json::setString(view, "tier", record.name, a);
  // The limits as the tier spells them (a PUT of this body back is a no-op), not re-rendered.
  json::Value limits(rapidjson::kObjectType);
  if (Result<json::Document> spec = json::parse(record.spec_json); spec && spec->IsObject()) {
    if (const json::Value* quota = json::find(*spec, "quota"); quota != nullptr) {
      limits = restTierOf(*quota, a);
    }
  }
  json::set(view, "limits", std::move(limits), a);
  json::Value used(rapidjson::kObjectType);
  json::set(used, "databases", json::Value(usage->databases), a);
  json::setString(used, "cpu", usage->cpu.toString(), a);
  json::setString(used, "memory", usage->memory.toString(), a);
  json::setString(used, "storage", usage->storage.toString(), a);
  json::set(view, "usage", std::move(used), a);
  return Reply::of(200, std::move(view));
}

Result<Reply> TierHandlers::getQuota(Call& call) {
  Result<pg::TierRecord> tier = tierNamed(repository_, std::string(call.request.pathParam("id")));
  if (!tier) {
    return tier.error();
  }
  return quotaReply(*tier);
}

Result<Reply> TierHandlers::putQuota(Call& call) {
  Result<json::Document> body = parseBody(call.request, contract_, "QuotaLimits");
  if (!body) {
    return body.error();
  }
  const std::string name(call.request.pathParam("id"));
  json::Document patch;
  patch.SetObject();
  auto& a = patch.GetAllocator();
  json::set(json::ensureObject(patch, "spec", a), "quota", tierSpecOf(*body, a), a);
  Result<pg::TierRecord> record = patchTier(name, patch);
  if (!record) {
    return record.error();
  }
  LOG(INFO) << "tier quota changed tier=" << name << " request_id=" << call.request.request_id;
  return quotaReply(*record);
}

}  // namespace daap::gateway

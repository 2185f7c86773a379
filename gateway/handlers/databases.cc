#include "gateway/handlers/databases.h"

#include <cctype>
#include <utility>

#include <glog/logging.h>

#include "lib/auth/rbac.h"
#include "lib/kube/resource.h"
#include "lib/model/quota.h"
#include "lib/model/tier_codec.h"

namespace daap::gateway {

namespace {

void setString(json::Value& object, std::string_view key, std::string_view text,
               json::Allocator& allocator) {
  json::setString(object, key, text, allocator);
}

Error quotaError(const Error& error) {
  Error mapped = error;
  if (mapped.causes.empty()) {
    return mapped;
  }
  return mapped;
}

}  // namespace

std::string restStatusOf(std::string_view phase) {
  if (phase.empty()) {
    return "provisioning";
  }
  std::string status(phase);
  for (char& c : status) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return status;
}

std::vector<std::string> phasesOf(std::string_view status) {
  static constexpr std::string_view kPhases[] = {"",       "Provisioning", "Ready",  "Error",
                                                 "Frozen", "Archived",     "Deleted"};
  std::vector<std::string> phases;
  for (std::string_view phase : kPhases) {
    if (restStatusOf(phase) == status) {
      phases.emplace_back(phase);
    }
  }
  return phases;
}

json::Document databaseView(const pg::DatabaseRecord& record) {
  json::Document view;
  view.SetObject();
  auto& a = view.GetAllocator();
  setString(view, "id", record.id, a);
  setString(view, "name", record.name, a);
  setString(view, "owner_team", record.owner_team, a);
  setString(view, "purpose", record.purpose, a);
  setString(view, "tier", record.tier, a);
  setString(view, "namespace", record.namespace_name, a);
  setString(view, "status", restStatusOf(record.phase), a);
  // Why it is in error (or what it waits for): the Ready condition's message.
  if (Result<json::Document> conditions = json::parse(record.conditions_json);
      conditions && conditions->IsArray()) {
    for (const auto& condition : conditions->GetArray()) {
      if (json::getString(condition, "type") == "Ready" &&
          json::getString(condition, "status") != "True" &&
          !json::getString(condition, "message").empty()) {
        setString(view, "status_message", json::getString(condition, "message"), a);
      }
    }
  }
  setString(view, "lifecycle", record.lifecycle == "Destroyed" ? "destroyed" : "active", a);
  if (!record.host.empty() || !record.secret_name.empty()) {
    json::Value connection(rapidjson::kObjectType);
    if (!record.host.empty()) {
      setString(connection, "host", record.host, a);
    }
    if (record.port > 0) {
      json::set(connection, "port", json::Value(record.port), a);
    }
    if (!record.database.empty()) {
      setString(connection, "database", record.database, a);
    }
    if (!record.secret_name.empty()) {
      setString(connection, "secret_name", record.secret_name, a);
    }
    if (!record.ca_secret_name.empty()) {
      setString(connection, "ca_secret_name", record.ca_secret_name, a);
    }
    if (!record.sslmode.empty()) {
      setString(connection, "sslmode", record.sslmode, a);
    }
    json::set(view, "connection", std::move(connection), a);
  }
  json::Value backup(rapidjson::kObjectType);
  json::set(backup, "enabled", json::Value(record.backup_enabled), a);
  setTime(backup, "last_successful_backup", record.last_successful_backup, a);
  setTime(backup, "first_recoverability_point", record.first_recoverability_point, a);
  json::set(view, "backup", std::move(backup), a);
  json::Value extensions(rapidjson::kArrayType);
  if (Result<json::Document> stored = json::parse(record.extensions_json);
      stored && stored->IsArray()) {
    for (const auto& extension : stored->GetArray()) {
      json::Value item(rapidjson::kObjectType);
      setString(item, "name", json::getString(extension, "name"), a);
      setString(item, "version", json::getString(extension, "version"), a);
      const std::string_view checked = json::getString(extension, "checkedAt");
      if (checked.empty()) {
        json::set(item, "checked_at", json::Value(rapidjson::kNullType), a);
      } else {
        setString(item, "checked_at", checked, a);
      }
      extensions.PushBack(std::move(item), a);
    }
  }
  json::set(view, "extensions", std::move(extensions), a);
  if (!record.restore_source_id.empty()) {
    json::Value restore(rapidjson::kObjectType);
    setString(restore, "source_database_id", record.restore_source_id, a);
    setTime(restore, "target_time", record.restore_target_time, a);
    json::set(view, "restore", std::move(restore), a);
  } else {
    json::set(view, "restore", json::Value(rapidjson::kNullType), a);
  }
  setString(view, "created_at", timeText(record.created_at), a);
  setTime(view, "destroyed_at", record.destroyed_at, a);
  return view;
}

DatabaseHandlers::DatabaseHandlers(const Options& options, const Contract& contract,
                                   kube::Client& kube, Mirror& mirror,
                                   pg::MirrorRepository& repository, pg::QuotaLedger& ledger)
    : options_(options),
      contract_(contract),
      kube_(kube),
      mirror_(mirror),
      repository_(repository),
      ledger_(ledger) {}

std::string DatabaseHandlers::namespaceFor(std::string_view team) const {
  if (options_.namespace_mode == NamespaceMode::Shared) {
    return options_.database_namespace;
  }
  return options_.team_namespace_prefix + std::string(team);
}

Result<void> DatabaseHandlers::ensureNamespace(const std::string& namespace_name,
                                               const std::string& team) {
  {
    std::lock_guard lock(mu_);
    if (namespaces_.count(namespace_name) > 0) {
      return {};
    }
  }
  json::Document object;
  object.SetObject();
  auto& a = object.GetAllocator();
  setString(object, "apiVersion", "v1", a);
  setString(object, "kind", "Namespace", a);
  json::Value& metadata = json::ensureObject(object, "metadata", a);
  setString(metadata, "name", namespace_name, a);
  json::Value& labels = json::ensureObject(metadata, "labels", a);
  setString(labels, "app.kubernetes.io/managed-by", "daap", a);
  if (options_.namespace_mode == NamespaceMode::PerTeam) {
    // The label each database's NetworkPolicy admits: the owning team's namespaces.
    setString(labels, options_.team_label, team, a);
  }
  Result<json::Document> created = kube_.create(kube::resources::namespaces(), "", object);
  if (!created && created.error().code != ErrorCode::AlreadyExists) {
    return created.error();
  }
  if (created) {
    LOG(INFO) << "namespace created namespace=" << namespace_name << " team=" << team;
  }
  std::lock_guard lock(mu_);
  namespaces_.insert(namespace_name);
  return {};
}

Result<Reply> DatabaseHandlers::create(Call& call) {
  Result<json::Document> body = parseBody(call.request, contract_, "DatabaseCreate");
  if (!body) {
    return body.error();
  }
  NewDatabase database;
  database.name = json::getString(*body, "name");
  database.owner_team = json::getString(*body, "owner_team");
  database.purpose = json::getString(*body, "purpose");
  database.tier = json::getString(*body, "tier");
  if (auth::authorize(call.caller.principal, auth::Action::DatabaseCreate, database.owner_team) !=
      auth::Decision::Allow) {
    return forbidden("a product team can create databases for its own team only");
  }
  return admitAndCreate(call, database);
}

Result<Reply> DatabaseHandlers::admitAndCreate(Call& call, const NewDatabase& database) {
  const kube::CachedObject tier = mirror_.findTier(database.tier);
  if (tier == nullptr) {
    Error error = notFound("tier " + database.tier);
    error.causes.push_back({"tier", "FieldValueNotFound", "no tier named " + database.tier});
    return error;
  }
  Result<model::Tier> decoded = model::decodeTier(*tier);
  if (!decoded) {
    return Error::internal("tier " + database.tier + " cannot be read: " + decoded.error().message);
  }
  // Names are unique among active databases, whichever namespace they live in.
  // An exact-name lookup: a prefix list read (and decoded) up to 100 whole rows per create.
  Result<bool> taken = repository_.activeNameExists(database.name);
  if (!taken) {
    return taken.error();
  }
  if (*taken) {
    Error error = Error::alreadyExists("a database named " + database.name + " already exists");
    error.causes.push_back({"name", "FieldValueDuplicate", "already in use"});
    return error;
  }
  const std::string namespace_name = namespaceFor(database.owner_team);
  const model::Usage demand = model::demandOf(decoded->parameters);
  pg::ReservationRequest request{
      database.tier, namespace_name, database.name, {1, demand.cpu, demand.memory, demand.storage}};
  const pg::TierQuota quota{decoded->quota.max_databases, decoded->quota.max_cpu,
                            decoded->quota.max_memory, decoded->quota.max_storage};
  Result<pg::ReservationId> reservation = ledger_.reserve(request, quota);
  if (!reservation) {
    return quotaError(reservation.error());
  }
  auto release = [&] {
    if (Result<void> released = ledger_.release(*reservation); !released) {
      LOG(WARNING) << "quota reservation not released (it expires) request_id="
                   << call.request.request_id << " error=" << released.error().toString();
    }
  };
  if (Result<void> ready = ensureNamespace(namespace_name, database.owner_team); !ready) {
    release();
    return ready.error();
  }
  json::Document object;
  object.SetObject();
  auto& a = object.GetAllocator();
  setString(object, "apiVersion", "daap.io/v1alpha1", a);
  setString(object, "kind", "DaapDatabase", a);
  json::Value& metadata = json::ensureObject(object, "metadata", a);
  setString(metadata, "name", database.name, a);
  setString(metadata, "namespace", namespace_name, a);
  json::Value& labels = json::ensureObject(metadata, "labels", a);
  setString(labels, "daap.io/team", database.owner_team, a);
  json::Value& spec = json::ensureObject(object, "spec", a);
  setString(spec, "ownerTeam", database.owner_team, a);
  setString(spec, "purpose", database.purpose, a);
  setString(spec, "tier", database.tier, a);
  setString(spec, "lifecycle", "Active", a);
  if (database.restore_source) {
    json::Value& restore = json::ensureObject(spec, "restore", a);
    setString(restore, "sourceDatabaseId", *database.restore_source, a);
    if (database.restore_target_time) {
      setString(restore, "targetTime", *database.restore_target_time, a);
    }
  }
  Result<json::Document> created =
      kube_.create(kube::resources::daapDatabases(), namespace_name, object);
  if (!created) {
    release();
    Error error = created.error();
    if (error.code == ErrorCode::AlreadyExists) {
      error.message = "a database named " + database.name + " already exists";
      error.causes = {{"name", "FieldValueDuplicate", "already in use"}};
    }
    return error;
  }
  mirror_.recordDatabase(*created);  // Settles the reservation; GET sees it at once.
  Result<pg::DatabaseRecord> record = databaseRecordOf(*created, tier.get());
  if (!record) {
    return record.error();
  }
  call.resource_id = record->id;
  LOG(INFO) << "database created db=" << namespace_name << "/" << database.name
            << " id=" << record->id << " tier=" << database.tier << " team=" << database.owner_team
            << " request_id=" << call.request.request_id;
  return Reply::of(201, databaseView(*record));
}

Result<Reply> DatabaseHandlers::list(Call& call) {
  Result<pg::PageRequest> page = pageOf(call.request);
  if (!page) {
    return page.error();
  }
  pg::DatabaseFilter filter;
  filter.owner_team = queryString(call.request, "owner_team");
  filter.tier = queryString(call.request, "tier");
  filter.name_prefix = queryString(call.request, "name_prefix");
  if (std::optional<std::string> status = queryString(call.request, "status"); status) {
    filter.phases = phasesOf(*status);
    if (filter.phases.empty()) {
      Error error = Error::invalidArgument("unknown status " + *status);
      error.causes.push_back({"status", "FieldValueNotSupported",
                              "one of provisioning, ready, error, frozen, archived, deleted"});
      return error;
    }
  }
  const std::optional<std::string_view> requested =
      filter.owner_team ? std::optional<std::string_view>(*filter.owner_team) : std::nullopt;
  if (auth::authorize(call.caller.principal, auth::Action::DatabaseList, requested) !=
      auth::Decision::Allow) {
    return forbidden("a product team can list its own team's databases only");
  }
  if (const std::optional<std::string_view> scope = auth::listScope(call.caller.principal); scope) {
    filter.owner_team = std::string(*scope);
  }
  Result<pg::Page<pg::DatabaseRecord>> found = repository_.listDatabases(filter, *page);
  if (!found) {
    return found.error();
  }
  Reply reply;
  reply.data.SetArray();
  for (const pg::DatabaseRecord& record : found->items) {
    json::Document view = databaseView(record);
    reply.data.PushBack(json::Value(view, reply.data.GetAllocator()), reply.data.GetAllocator());
  }
  reply.list = true;
  reply.next_cursor = found->next_cursor;
  return reply;
}

Result<std::shared_ptr<const pg::DatabaseRecord>> DatabaseHandlers::visible(Call& call,
                                                                            auth::Action action) {
  const std::string id(call.request.pathParam("id"));
  std::shared_ptr<const pg::DatabaseRecord> record = mirror_.findDatabase(id);
  if (record == nullptr) {
    Result<pg::DatabaseRecord> stored = repository_.getDatabase(id);
    if (!stored) {
      if (stored.error().code == ErrorCode::NotFound) {
        return notFound("database " + id);
      }
      return stored.error();
    }
    record = std::make_shared<const pg::DatabaseRecord>(std::move(*stored));
  }
  return visibleTo(call, action, std::move(record));
}

Result<std::shared_ptr<const pg::DatabaseRecord>> DatabaseHandlers::visibleTo(
    Call& call, auth::Action action, std::shared_ptr<const pg::DatabaseRecord> record) {
  const auth::Decision decision =
      auth::authorize(call.caller.principal, action, record->owner_team);
  if (decision == auth::Decision::Hidden) {
    // Exactly as if it did not exist.
    return notFound("database " + std::string(call.request.pathParam("id")));
  }
  if (decision == auth::Decision::Forbidden) {
    return forbidden("this role may not do that");
  }
  return record;
}

std::optional<Result<Reply>> DatabaseHandlers::getCached(Call& call) {
  const std::string id(call.request.pathParam("id"));
  const std::string version = mirror_.databaseVersion(id);
  if (version.empty()) {
    return std::nullopt;
  }
  Rendered rendered;
  {
    std::lock_guard lock(rendered_mu_);
    if (auto found = rendered_.find(id);
        found != rendered_.end() && found->second.resource_version == version) {
      rendered = found->second;
    }
  }
  if (rendered.record == nullptr) {
    std::shared_ptr<const pg::DatabaseRecord> found = mirror_.findDatabase(id);
    if (found == nullptr) {
      return std::nullopt;
    }
    rendered = {found->resource_version, found,
                std::make_shared<const std::string>(json::serialize(databaseView(*found)))};
    std::lock_guard lock(rendered_mu_);
    if (rendered_.size() >= kRenderedCapacity) {
      rendered_.clear();
    }
    rendered_.insert_or_assign(id, rendered);
  }
  Result<std::shared_ptr<const pg::DatabaseRecord>> record =
      visibleTo(call, auth::Action::DatabaseGet, rendered.record);
  if (!record) {
    return Result<Reply>(record.error());
  }
  Reply reply;
  reply.data_json = std::move(rendered.view);
  return Result<Reply>(std::move(reply));
}

Result<Reply> DatabaseHandlers::get(Call& call) {
  Result<std::shared_ptr<const pg::DatabaseRecord>> record =
      visible(call, auth::Action::DatabaseGet);
  if (!record) {
    return record.error();
  }
  return Reply::of(200, databaseView(**record));
}

Result<Reply> DatabaseHandlers::patchSpec(Call& call, const pg::DatabaseRecord& record,
                                          const json::Document& patch, int status) {
  Result<json::Document> patched =
      kube_.patch(kube::resources::daapDatabases(), record.namespace_name, record.name,
                  kube::PatchType::Merge, patch);
  if (!patched) {
    if (patched.error().code == ErrorCode::NotFound) {
      return notFound("database " + record.id);
    }
    return patched.error();
  }
  mirror_.recordDatabase(*patched);
  const kube::CachedObject tier = mirror_.findTier(record.tier);
  Result<pg::DatabaseRecord> updated = databaseRecordOf(*patched, tier ? tier.get() : nullptr);
  if (!updated) {
    return updated.error();
  }
  LOG(INFO) << "database changed db=" << record.namespace_name << "/" << record.name
            << " id=" << record.id << " request_id=" << call.request.request_id;
  return Reply::of(status, databaseView(*updated));
}

Result<Reply> DatabaseHandlers::update(Call& call) {
  Result<json::Document> body = parseBody(call.request, contract_, "DatabasePatch");
  if (!body) {
    return body.error();
  }
  Result<std::shared_ptr<const pg::DatabaseRecord>> record =
      visible(call, auth::Action::DatabaseUpdate);
  if (!record) {
    return record.error();
  }
  json::Document patch;
  patch.SetObject();
  auto& a = patch.GetAllocator();
  json::Value& spec = json::ensureObject(patch, "spec", a);
  if (const std::string_view owner = json::getString(*body, "owner_team"); !owner.empty()) {
    // Handing a database to another team is the platform's call: a product team would lose
    // sight of it the moment it did.
    if (owner != (*record)->owner_team && call.caller.principal.role != auth::Role::PlatformTeam) {
      return forbidden("only platform-team keys can change owner_team");
    }
    setString(spec, "ownerTeam", owner, a);
  }
  if (const std::string_view purpose = json::getString(*body, "purpose"); !purpose.empty()) {
    setString(spec, "purpose", purpose, a);
  }
  return patchSpec(call, **record, patch, 200);
}

Result<Reply> DatabaseHandlers::destroy(Call& call) {
  Result<std::shared_ptr<const pg::DatabaseRecord>> record =
      visible(call, auth::Action::DatabaseDestroy);
  if (!record) {
    return record.error();
  }
  json::Document patch;
  patch.SetObject();
  auto& a = patch.GetAllocator();
  setString(json::ensureObject(patch, "spec", a), "lifecycle", "Destroyed", a);
  return patchSpec(call, **record, patch, 202);
}

Result<Reply> DatabaseHandlers::unfreeze(Call& call) {
  Result<std::shared_ptr<const pg::DatabaseRecord>> record =
      visible(call, auth::Action::DatabaseUnfreeze);
  if (!record) {
    return record.error();
  }
  if ((*record)->phase != "Frozen") {
    return Error::conflict("only a frozen database can be unfrozen; this one is " +
                           restStatusOf((*record)->phase));
  }
  json::Document patch;
  patch.SetObject();
  auto& a = patch.GetAllocator();
  setString(json::ensureObject(patch, "spec", a), "lifecycle", "Active", a);
  return patchSpec(call, **record, patch, 202);
}

Result<Reply> DatabaseHandlers::restore(Call& call) {
  Result<json::Document> body = parseBody(call.request, contract_, "RestoreRequest");
  if (!body) {
    return body.error();
  }
  Result<std::shared_ptr<const pg::DatabaseRecord>> source =
      visible(call, auth::Action::DatabaseRestore);
  if (!source) {
    return source.error();
  }
  const pg::DatabaseRecord& record = **source;
  // Restorable only from backups: what the source was provisioned with decides.
  bool has_backup = record.backup_enabled;
  if (!record.provisioned_tier_json.empty()) {
    if (Result<json::Document> provisioned = json::parse(record.provisioned_tier_json);
        provisioned) {
      has_backup = json::find(*provisioned, "backup") != nullptr;
    }
  } else if (const kube::CachedObject tier = mirror_.findTier(record.tier); tier != nullptr) {
    if (Result<model::Tier> decoded = model::decodeTier(*tier); decoded) {
      has_backup = decoded->parameters.backup.has_value();
    }
  }
  if (!has_backup) {
    return Error::conflict("database " + record.id + " has no backups (its tier has no backup)");
  }
  NewDatabase database;
  database.name = json::getString(*body, "name");
  database.owner_team = record.owner_team;
  database.purpose = json::getString(*body, "purpose", record.purpose);
  database.tier = record.tier;
  database.restore_source = record.id;
  if (const std::string_view target = json::getString(*body, "target_time"); !target.empty()) {
    database.restore_target_time = std::string(target);
  }
  return admitAndCreate(call, database);
}

}  // namespace daap::gateway

#include "gateway/handlers/audit_logs.h"

#include "lib/kube/objects.h"

namespace daap::gateway {

namespace {

void setOptionalString(json::Value& object, std::string_view key, const std::string& text,
                       json::Allocator& allocator) {
  if (text.empty()) {
    json::set(object, key, json::Value(rapidjson::kNullType), allocator);
  } else {
    json::setString(object, key, text, allocator);
  }
}

Result<std::optional<pg::Timestamp>> timeParam(const http::Request& request,
                                               std::string_view name) {
  const std::optional<std::string> text = queryString(request, name);
  if (!text) {
    return std::optional<pg::Timestamp>();
  }
  Result<kube::Time> time = kube::parseRfc3339(*text);
  if (!time) {
    Error error = Error::invalidArgument(std::string(name) + " must be an RFC 3339 time");
    error.causes.push_back({std::string(name), "FieldValueInvalid", "not an RFC 3339 time"});
    return error;
  }
  return std::optional<pg::Timestamp>(*time);
}

}  // namespace

json::Document auditLogView(const pg::AuditEntry& entry) {
  json::Document view;
  view.SetObject();
  auto& a = view.GetAllocator();
  json::setString(view, "id", std::to_string(entry.id), a);
  json::setString(view, "time", timeText(entry.time), a);
  json::setString(view, "request_id", entry.request_id, a);
  setOptionalString(view, "team", entry.team, a);
  setOptionalString(view, "key_id", entry.key_id, a);
  setOptionalString(view, "role", entry.role, a);
  json::setString(view, "action", entry.action, a);
  json::setString(view, "resource_type", entry.resource_type, a);
  setOptionalString(view, "resource_id", entry.resource_id, a);
  json::set(view, "status", json::Value(entry.outcome), a);
  return view;
}

Result<Reply> AuditLogHandlers::list(Call& call) {
  Result<pg::PageRequest> page = pageOf(call.request);
  if (!page) {
    return page.error();
  }
  pg::AuditQuery query;
  query.team = queryString(call.request, "team");
  query.action = queryString(call.request, "action");
  query.resource_type = queryString(call.request, "resource_type");
  query.resource_id = queryString(call.request, "resource_id");
  Result<std::optional<pg::Timestamp>> since = timeParam(call.request, "since");
  if (!since) {
    return since.error();
  }
  Result<std::optional<pg::Timestamp>> until = timeParam(call.request, "until");
  if (!until) {
    return until.error();
  }
  query.since = *since;
  query.until = *until;
  Result<pg::Page<pg::AuditEntry>> entries = audit_.query(query, *page);
  if (!entries) {
    return entries.error();
  }
  Reply reply;
  reply.data.SetArray();
  for (const pg::AuditEntry& entry : entries->items) {
    json::Document view = auditLogView(entry);
    reply.data.PushBack(json::Value(view, reply.data.GetAllocator()), reply.data.GetAllocator());
  }
  reply.list = true;
  reply.next_cursor = entries->next_cursor;
  return reply;
}

}  // namespace daap::gateway

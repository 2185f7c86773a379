#include "lib/pg/audit.h"

#include <string_view>
#include <utility>
#include <vector>

#include "lib/pg/session.h"

namespace daap::pg {

namespace {

AuditEntry readEntry(const pqxx::row& row) {
  AuditEntry entry;
  entry.id = row[0].as<int64_t>();
  entry.time = detail::fromMicros(row[1].as<int64_t>());
  entry.request_id = row[2].as<std::string>();
  entry.team = row[3].as<std::string>();
  entry.key_id = detail::textOr(row[4]);
  entry.role = row[5].as<std::string>();
  entry.action = row[6].as<std::string>();
  entry.resource_type = row[7].as<std::string>();
  entry.resource_id = row[8].as<std::string>();
  entry.outcome = row[9].as<int>();
  return entry;
}

}  // namespace

namespace {

constexpr const char* kAppendSql =
    "INSERT INTO audit_log (time, request_id, team, key_id, role, action, resource_type,"
    " resource_id, outcome) VALUES (coalesce($1::timestamptz, now()), $2, $3, $4::uuid, $5, $6,"
    " $7, $8, $9) RETURNING id";

// Rows in batch order (unnest keeps array order, and a bigserial id is drawn per row in that
// order), so ids still follow request order within a batch.
constexpr const char* kAppendAllSql =
    "INSERT INTO audit_log (time, request_id, team, key_id, role, action, resource_type,"
    " resource_id, outcome) SELECT coalesce(t, now()), r, tm, k, ro, a, rt, ri, o FROM"
    " unnest($1::timestamptz[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[],"
    " $7::text[], $8::text[], $9::integer[]) AS u(t, r, tm, k, ro, a, rt, ri, o)";

// A PostgreSQL array literal built element by element, with NULLs ("{"a",NULL}").
class ArrayBuilder {
public:
  void add(std::string_view value) {
    separate();
    text_ += '"';
    for (const char c : value) {
      if (c == '"' || c == '\\') {
        text_ += '\\';
      }
      text_ += c;
    }
    text_ += '"';
  }
  void addNull() {
    separate();
    text_ += "NULL";
  }
  std::string finish() && {
    text_ += '}';
    return std::move(text_);
  }

private:
  void separate() {
    if (text_.size() > 1) {
      text_ += ',';
    }
  }
  std::string text_ = "{";
};

Result<void> checkEntry(const AuditEntry& entry) {
  if (!entry.key_id.empty() && !detail::isUuid(entry.key_id)) {
    return Error::invalidArgument("audit key_id must be a uuid");
  }
  return {};
}

int64_t insertEntry(detail::Lease& lease, pqxx::work& txn, const AuditEntry& entry) {
  lease.prepare("audit_append", kAppendSql);
  const std::string time =
      entry.time == Timestamp{} ? std::string() : detail::toSqlTime(entry.time);
  const char* time_param = time.empty() ? nullptr : time.c_str();
  const char* key_param = entry.key_id.empty() ? nullptr : entry.key_id.c_str();
  return txn
      .exec_prepared1("audit_append", time_param, entry.request_id, entry.team, key_param,
                      entry.role, entry.action, entry.resource_type, entry.resource_id,
                      entry.outcome)[0]
      .as<int64_t>();
}

}  // namespace

Result<int64_t> AuditRepository::append(const AuditEntry& entry) {
  if (Result<void> valid = checkEntry(entry); !valid) {
    return std::move(valid).error();
  }
  return detail::inTransaction(*pool_, "append audit entry",
                               [&](detail::Lease& lease, pqxx::work& txn) -> Result<int64_t> {
                                 return insertEntry(lease, txn, entry);
                               });
}

Result<void> AuditRepository::appendAll(const std::vector<AuditEntry>& entries) {
  for (const AuditEntry& entry : entries) {
    if (Result<void> valid = checkEntry(entry); !valid) {
      return valid;
    }
  }
  if (entries.empty()) {
    return {};
  }
  // One statement for the whole batch, each column sent as one array: a round trip (and a
  // statement execution) per row made the audit writer the gateway's bottleneck at ~10k
  // requests/s, with its queue growing without end.
  ArrayBuilder times;
  ArrayBuilder request_ids;
  ArrayBuilder teams;
  ArrayBuilder key_ids;
  ArrayBuilder roles;
  ArrayBuilder actions;
  ArrayBuilder resource_types;
  ArrayBuilder resource_ids;
  ArrayBuilder outcomes;
  for (const AuditEntry& entry : entries) {
    if (entry.time == Timestamp{}) {
      times.addNull();
    } else {
      times.add(detail::toSqlTime(entry.time));
    }
    request_ids.add(entry.request_id);
    teams.add(entry.team);
    if (entry.key_id.empty()) {
      key_ids.addNull();
    } else {
      key_ids.add(entry.key_id);
    }
    roles.add(entry.role);
    actions.add(entry.action);
    resource_types.add(entry.resource_type);
    resource_ids.add(entry.resource_id);
    outcomes.add(std::to_string(entry.outcome));
  }
  const std::vector<std::string> columns = {
      std::move(times).finish(),          std::move(request_ids).finish(),
      std::move(teams).finish(),          std::move(key_ids).finish(),
      std::move(roles).finish(),          std::move(actions).finish(),
      std::move(resource_types).finish(), std::move(resource_ids).finish(),
      std::move(outcomes).finish()};
  return detail::inTransaction(
      *pool_, "append audit entries", [&](detail::Lease& lease, pqxx::work& txn) -> Result<void> {
        lease.prepare("audit_append_all", kAppendAllSql);
        txn.exec_prepared("audit_append_all", columns[0], columns[1], columns[2], columns[3],
                          columns[4], columns[5], columns[6], columns[7], columns[8]);
        return {};
      });
}

Result<Page<AuditEntry>> AuditRepository::query(const AuditQuery& query, const PageRequest& page) {
  if (Result<void> limit = detail::checkLimit(page.limit); !limit) {
    return std::move(limit).error();
  }
  // Filters vary per call: built as text with numbered parameters, values never inlined.
  std::vector<std::string> params;
  std::string where = "TRUE";
  const auto add = [&](const std::string& condition, std::string value) {
    params.push_back(std::move(value));
    where += " AND " + condition + " $" + std::to_string(params.size());
  };
  if (query.team) {
    add("team =", *query.team);
  }
  if (query.action) {
    add("action =", *query.action);
  }
  if (query.resource_type) {
    add("resource_type =", *query.resource_type);
  }
  if (query.resource_id) {
    add("resource_id =", *query.resource_id);
  }
  if (query.since) {
    add("time >=", detail::toSqlTime(*query.since));
    where += "::timestamptz";
  }
  if (query.until) {
    add("time <", detail::toSqlTime(*query.until));
    where += "::timestamptz";
  }
  if (!page.cursor.empty()) {
    Result<std::pair<int64_t, std::string>> cursor = detail::decodeCursor(page.cursor);
    const std::optional<int64_t> id = cursor ? detail::parseInt64(cursor->second) : std::nullopt;
    if (!id) {
      return Error::invalidArgument("malformed page cursor");
    }
    params.push_back(detail::toSqlTime(detail::fromMicros(cursor->first)));
    const std::string time_param = "$" + std::to_string(params.size());
    params.push_back(std::to_string(*id));
    where += " AND (time, id) < (" + time_param + "::timestamptz, $" +
             std::to_string(params.size()) + "::bigint)";
  }
  const std::string sql =
      "SELECT id, (extract(epoch FROM time) * 1000000)::bigint, request_id, team, key_id::text,"
      " role, action, resource_type, resource_id, outcome FROM audit_log WHERE " +
      where + " ORDER BY time DESC, id DESC LIMIT " + std::to_string(page.limit + 1);
  return detail::inTransaction(
      *pool_, "query audit log", [&](detail::Lease&, pqxx::work& txn) -> Result<Page<AuditEntry>> {
        const pqxx::result rows = txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
        Page<AuditEntry> out;
        for (const pqxx::row& row : rows) {
          if (static_cast<int>(out.items.size()) == page.limit) {
            const AuditEntry& last = out.items.back();
            out.next_cursor =
                detail::encodeCursor(detail::toMicros(last.time), std::to_string(last.id));
            break;
          }
          out.items.push_back(readEntry(row));
        }
        return out;
      });
}

}  // namespace daap::pg

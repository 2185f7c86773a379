#include "lib/cnpg/webhook.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "lib/model/quantity.h"

namespace daap::cnpg {
namespace {

constexpr size_t kMaxClusterName = 50;
constexpr int kMinPostgresMajor = 13;

// CNPG's AllowedPgbouncerGenericConfigurationParameters (internal/webhook/v1/pooler_webhook.go).
constexpr std::array<std::string_view, 54> kPgBouncerAllowList = {
    "application_name_add_host",
    "auth_type",
    "autodb_idle_timeout",
    "cancel_wait_timeout",
    "client_idle_timeout",
    "client_login_timeout",
    "client_tls_sslmode",
    "default_pool_size",
    "disable_pqexec",
    "dns_max_ttl",
    "dns_nxdomain_ttl",
    "idle_transaction_timeout",
    "ignore_startup_parameters",
    "listen_backlog",
    "log_connections",
    "log_disconnections",
    "log_pooler_errors",
    "log_stats",
    "max_client_conn",
    "max_db_connections",
    "max_packet_size",
    "max_prepared_statements",
    "max_user_connections",
    "min_pool_size",
    "pkt_buf",
    "query_timeout",
    "query_wait_timeout",
    "reserve_pool_size",
    "reserve_pool_timeout",
    "sbuf_loopcnt",
    "server_check_delay",
    "server_check_query",
    "server_connect_timeout",
    "server_fast_close",
    "server_idle_timeout",
    "server_lifetime",
    "server_login_retry",
    "server_reset_query",
    "server_reset_query_always",
    "server_round_robin",
    "server_tls_ciphers",
    "server_tls_protocols",
    "server_tls_sslmode",
    "stats_period",
    "suspend_timeout",
    "tcp_defer_accept",
    "tcp_socket_buffer",
    "tcp_keepalive",
    "tcp_keepcnt",
    "tcp_keepidle",
    "tcp_keepintvl",
    "tcp_user_timeout",
    "track_extra_parameters",
    "verbose",
};

// Parameters CNPG manages itself and rejects in spec.postgresql.parameters.
constexpr std::array<std::string_view, 38> kFixedParameters = {
    "allow_system_table_mods",
    "archive_cleanup_command",
    "archive_command",
    "archive_mode",
    "cluster_name",
    "config_file",
    "data_directory",
    "external_pid_file",
    "full_page_writes",
    "hba_file",
    "hot_standby",
    "ident_file",
    "jit_provider",
    "listen_addresses",
    "log_destination",
    "log_directory",
    "log_file_mode",
    "log_filename",
    "log_rotation_age",
    "log_rotation_size",
    "log_truncate_on_rotation",
    "logging_collector",
    "port",
    "primary_conninfo",
    "primary_slot_name",
    "promote_trigger_file",
    "recovery_end_command",
    "restart_after_crash",
    "restore_command",
    "shared_preload_libraries",
    "ssl",
    "ssl_passphrase_command",
    "ssl_passphrase_command_supports_reload",
    "stats_temp_directory",
    "synchronous_standby_names",
    "syslog_facility",
    "syslog_ident",
    "wal_receiver_create_temp_slot",
};

bool isLower(char c) {
  return c >= 'a' && c <= 'z';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isDns1035Label(std::string_view name) {
  if (name.empty() || !isLower(name.front()) || name.back() == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return isLower(c) || isDigit(c) || c == '-'; });
}

bool fixedParameter(std::string_view name) {
  if (std::find(kFixedParameters.begin(), kFixedParameters.end(), name) != kFixedParameters.end()) {
    return true;
  }
  const bool ssl_file =
      name.rfind("ssl_", 0) == 0 && name.size() > 5 && name.substr(name.size() - 5) == "_file";
  return ssl_file || name.rfind("recovery_target", 0) == 0 || name.rfind("unix_socket_", 0) == 0;
}

// A GUC name: letters, digits and '_', optionally one '.' for an extension namespace.
bool gucShaped(std::string_view name) {
  if (name.empty() || isDigit(name.front()) || name.front() == '.' || name.back() == '.') {
    return false;
  }
  int dots = 0;
  for (const char c : name) {
    if (c == '.') {
      ++dots;
    } else if (!isLower(c) && !isDigit(c) && c != '_' && !(c >= 'A' && c <= 'Z')) {
      return false;
    }
  }
  return dots <= 1;
}

int64_t integerAt(const json::Value& object, std::string_view key, int64_t fallback) {
  const json::Value* value = json::find(object, key);
  return value != nullptr && value->IsInt64() ? value->GetInt64() : fallback;
}

void checkImage(std::string_view image, std::vector<std::string>& violations) {
  const size_t slash = image.rfind('/');
  const size_t colon = image.find(':', slash == std::string_view::npos ? 0 : slash);
  if (colon == std::string_view::npos) {
    violations.emplace_back("spec.imageName: needs a tag naming the PostgreSQL major");
    return;
  }
  std::string_view tag = image.substr(colon + 1);
  tag = tag.substr(0, tag.find('@'));
  size_t digits = 0;
  while (digits < tag.size() && isDigit(tag[digits])) {
    ++digits;
  }
  if (digits == 0 || digits > 3 ||
      (digits < tag.size() && tag[digits] != '.' && tag[digits] != '-')) {
    violations.emplace_back("spec.imageName: the tag must start with the PostgreSQL major, got \"" +
                            std::string(tag) + "\"");
    return;
  }
  if (std::stoi(std::string(tag.substr(0, digits))) < kMinPostgresMajor) {
    violations.emplace_back("spec.imageName: PostgreSQL 13 or later is required");
  }
}

void checkResources(const json::Value& spec, std::vector<std::string>& violations) {
  const json::Value* requests = json::findPath(spec, {"resources", "requests"});
  const json::Value* limits = json::findPath(spec, {"resources", "limits"});
  if (requests == nullptr || limits == nullptr) {
    return;
  }
  for (const std::string_view resource : {"cpu", "memory"}) {
    const json::Value* request = json::find(*requests, resource);
    const json::Value* limit = json::find(*limits, resource);
    if (request == nullptr || limit == nullptr || !request->IsString() || !limit->IsString()) {
      continue;
    }
    Result<model::Quantity> request_value = model::Quantity::parse(json::view(*request));
    Result<model::Quantity> limit_value = model::Quantity::parse(json::view(*limit));
    if (!request_value || !limit_value) {
      violations.push_back("spec.resources." + std::string(resource) + ": not a quantity");
    } else if (*limit_value < *request_value) {
      violations.push_back("spec.resources." + std::string(resource) +
                           ": the request exceeds the limit");
    }
  }
}

void checkCluster(const json::Value& object, std::vector<std::string>& violations) {
  const std::string_view name = json::getString(*json::find(object, "metadata"), "name");
  if (!isDns1035Label(name) || name.size() > kMaxClusterName) {
    violations.push_back(
        "metadata.name: must be a DNS-1035 label of at most 50 characters, got \"" +
        std::string(name) + "\"");
  }
  const json::Value* hibernation =
      json::findPath(object, {"metadata", "annotations", "cnpg.io/hibernation"});
  if (hibernation != nullptr && (!hibernation->IsString() || (json::view(*hibernation) != "on" &&
                                                              json::view(*hibernation) != "off"))) {
    violations.emplace_back("metadata.annotations[cnpg.io/hibernation]: must be on or off");
  }
  const json::Value* spec = json::find(object, "spec");
  if (spec == nullptr || !spec->IsObject()) {
    violations.emplace_back("spec: Required value");
    return;
  }
  const int64_t instances = integerAt(*spec, "instances", 1);

  const std::string_view image = json::getString(*spec, "imageName");
  if (json::find(*spec, "imageCatalogRef") == nullptr) {
    checkImage(image, violations);
  }

  const json::Value* size = json::findPath(*spec, {"storage", "size"});
  if (size == nullptr || !size->IsString() || !model::Quantity::parse(json::view(*size))) {
    violations.emplace_back("spec.storage.size: Required value (a quantity)");
  }
  checkResources(*spec, violations);

  const json::Value* bootstrap = json::find(*spec, "bootstrap");
  if (bootstrap != nullptr && bootstrap->IsObject()) {
    int methods = 0;
    for (const std::string_view method : {"initdb", "recovery", "pg_basebackup"}) {
      methods += json::find(*bootstrap, method) != nullptr ? 1 : 0;
    }
    if (methods > 1) {
      violations.emplace_back("spec.bootstrap: only one bootstrap method can be specified");
    }
    for (const std::string_view method : {"initdb", "recovery", "pg_basebackup"}) {
      const json::Value* settings = json::find(*bootstrap, method);
      if (settings == nullptr) {
        continue;
      }
      const bool database = !json::getString(*settings, "database").empty();
      const bool owner = !json::getString(*settings, "owner").empty();
      if (database != owner) {
        violations.push_back("spec.bootstrap." + std::string(method) +
                             ": database and owner go together");
      }
    }
  }

  const json::Value* parameters = json::findPath(*spec, {"postgresql", "parameters"});
  if (parameters != nullptr && parameters->IsObject()) {
    for (auto member = parameters->MemberBegin(); member != parameters->MemberEnd(); ++member) {
      const std::string_view key = json::view(member->name);
      if (fixedParameter(key)) {
        violations.push_back("spec.postgresql.parameters." + std::string(key) +
                             ": fixed configuration parameter, managed by CNPG");
      } else if (!gucShaped(key)) {
        violations.push_back("spec.postgresql.parameters." + std::string(key) +
                             ": not a configuration parameter name");
      }
    }
  }
  const json::Value* synchronous = json::findPath(*spec, {"postgresql", "synchronous"});
  if (synchronous != nullptr) {
    const int64_t number = integerAt(*synchronous, "number", 0);
    if (number < 1 || number >= instances) {
      violations.emplace_back(
          "spec.postgresql.synchronous.number: must be at least 1 and less than instances");
    }
  }

  const json::Value* plugins = json::find(*spec, "plugins");
  if (plugins != nullptr && plugins->IsArray()) {
    int archivers = 0;
    for (const json::Value& plugin : plugins->GetArray()) {
      const json::Value* enabled = json::find(plugin, "enabled");
      const json::Value* archiver = json::find(plugin, "isWALArchiver");
      const bool is_enabled = enabled == nullptr || (enabled->IsBool() && enabled->GetBool());
      if (is_enabled && archiver != nullptr && archiver->IsBool() && archiver->GetBool()) {
        ++archivers;
      }
    }
    if (archivers > 1) {
      violations.emplace_back("spec.plugins: at most one plugin can be the WAL archiver");
    }
    if (archivers > 0 && json::findPath(*spec, {"backup", "barmanObjectStore"}) != nullptr) {
      violations.emplace_back(
          "spec.plugins: a WAL-archiver plugin cannot be combined with backup.barmanObjectStore");
    }
  }
}

void checkPooler(const json::Value& object, std::vector<std::string>& violations) {
  const std::string_view name = json::getString(*json::find(object, "metadata"), "name");
  const json::Value* cluster = json::findPath(object, {"spec", "cluster", "name"});
  if (cluster == nullptr || !cluster->IsString() || json::view(*cluster).empty()) {
    violations.emplace_back("spec.cluster.name: must specify a cluster name");
  } else if (json::view(*cluster) == name) {
    violations.emplace_back(
        "metadata.name: the pooler resource cannot have the same name of a cluster");
  }
  const json::Value* parameters = json::findPath(object, {"spec", "pgbouncer", "parameters"});
  if (parameters != nullptr && parameters->IsObject()) {
    for (auto member = parameters->MemberBegin(); member != parameters->MemberEnd(); ++member) {
      const std::string_view key = json::view(member->name);
      const bool allowed = std::find(kPgBouncerAllowList.begin(), kPgBouncerAllowList.end(), key) !=
                           kPgBouncerAllowList.end();
      if (!allowed) {
        violations.push_back("spec.pgbouncer.parameters." + std::string(key) +
                             ": Invalid or reserved parameter");
      }
    }
  }
}

void checkScheduledBackup(const json::Value& object, std::vector<std::string>& violations) {
  const std::string_view schedule = json::getString(*json::findPath(object, {"spec"}), "schedule");
  if (!schedule.empty() && schedule.front() == '@') {
    return;  // Descriptors (@daily, @every 6h) parse; robfig/cron validates them itself.
  }
  size_t fields = 0;
  bool in_field = false;
  for (const char c : schedule) {
    if (c == ' ' || c == '\t') {
      in_field = false;
    } else if (!in_field) {
      in_field = true;
      ++fields;
    }
  }
  // A 5-field line is accepted by CNPG with only a warning, read seconds-first: never intended.
  if (fields != 6) {
    violations.push_back("spec.schedule: must have 6 fields (seconds first), got \"" +
                         std::string(schedule) + "\"");
  }
}

}  // namespace

std::vector<std::string> webhookViolations(const json::Value& object) {
  std::vector<std::string> violations;
  if (!object.IsObject() || json::find(object, "metadata") == nullptr ||
      json::getString(object, "apiVersion") != "postgresql.cnpg.io/v1") {
    return violations;
  }
  const std::string_view kind = json::getString(object, "kind");
  if (kind == "Cluster") {
    checkCluster(object, violations);
  } else if (kind == "Pooler") {
    checkPooler(object, violations);
  } else if (kind == "ScheduledBackup" && json::find(object, "spec") != nullptr) {
    checkScheduledBackup(object, violations);
  }
  return violations;
}

}  // namespace daap::cnpg

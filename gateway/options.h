#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "lib/base/result.h"

namespace daap::gateway {

// Where a database's DaapDatabase lives.
enum class NamespaceMode {
  // "daap-<team>" per owner team, created on first use with the label daap.io/team=<team>
  // (the label every database's NetworkPolicy admits).
  PerTeam,
  // Every database in one namespace (--database-namespace).
  Shared,
};

// Everything daap-gateway can be told. Flags (--kebab-case) win over DAAP_* environment
// variables, which win over these defaults. Secrets (the database URL, the bootstrap key, the
// key pepper) are held here in memory only and never logged.
struct Options {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  std::string tls_cert_file;  // Both set: the listener speaks only TLS.
  std::string tls_key_file;

  std::string database_url;  // DAAP_DATABASE_URL (libpq URL). Required.
  size_t database_pool_size = 8;
  std::filesystem::path migrations_dir = "migrations";
  bool migrate = true;  // Apply pending migrations at start.

  std::string bootstrap_api_key;  // DAAP_BOOTSTRAP_API_KEY: a first platform-team key.
  std::string bootstrap_team = "platform";
  std::string api_key_pepper;  // Optional HMAC key for stored key hashes.
  // How long an authenticated key is trusted without a PostgreSQL lookup. A revocation through
  // this replica takes effect at once; through another replica within this delay.
  std::chrono::milliseconds auth_cache_ttl{std::chrono::seconds(1)};

  std::filesystem::path kubeconfig;
  std::string context;
  bool in_cluster = false;
  // A REST create is one Kubernetes write (plus one namespace per new team), so this caps the
  // create rate: 500/s leaves room above the 300/s a busy platform sees, and still stops a
  // runaway client from flooding the API server.
  double kube_qps = 500;
  int kube_burst = 1000;

  NamespaceMode namespace_mode = NamespaceMode::PerTeam;
  std::string database_namespace = "daap-databases";  // With NamespaceMode::Shared.
  std::string team_namespace_prefix = "daap-";
  std::string team_label = "daap.io/team";

  size_t max_body_bytes = size_t{1024} * 1024;
  int io_threads = 2;
  int worker_threads = 8;
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds body_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(10)};

  bool access_log = true;  // One INFO line per request (no headers, body or query).
  int verbosity = 0;
};

// Parses argv over `env` (DAAP_WORKER_THREADS=4 is --worker-threads=4; DAAP_DATABASE_URL and
// DAAP_BOOTSTRAP_API_KEY are --database-url and --bootstrap-api-key). Errors name the flag;
// --help returns the help text as an InvalidArgument whose message starts with "Usage".
Result<Options> parseOptions(int argc, const char* const* argv,
                             const std::map<std::string, std::string>& env);

}  // namespace daap::gateway

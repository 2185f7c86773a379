#include "gateway/options.h"

#include <boost/program_options.hpp>

#include "lib/cli/flags.h"

namespace daap::gateway {

namespace po = boost::program_options;

Result<Options> parseOptions(int argc, const char* const* argv,
                             const std::map<std::string, std::string>& env) {
  Options options;
  std::string kubeconfig;
  std::string migrations_dir = options.migrations_dir.string();
  std::string namespace_mode = "per-team";
  int port = options.port;
  int64_t pool_size = static_cast<int64_t>(options.database_pool_size);
  int64_t body_limit = static_cast<int64_t>(options.max_body_bytes);
  int64_t auth_cache_ttl_ms = options.auth_cache_ttl.count();
  int64_t header_timeout_ms = options.header_timeout.count();
  int64_t body_timeout_ms = options.body_timeout.count();
  int64_t idle_timeout_ms = options.idle_timeout.count();
  int64_t shutdown_grace_ms = options.shutdown_grace.count();
  po::options_description flags("Usage: daap-gateway [flags]\nFlags (each also DAAP_<FLAG>)");
  flags.add_options()("help", "print this help")(
      "address", po::value(&options.address)->default_value(options.address), "listen address")(
      "port", po::value(&port)->default_value(port), "listen port (0: a free one, printed)")(
      "tls-cert-file", po::value(&options.tls_cert_file), "PEM certificate chain: serve TLS")(
      "tls-key-file", po::value(&options.tls_key_file), "PEM private key of --tls-cert-file")(
      "database-url", po::value(&options.database_url),
      "platform PostgreSQL, a libpq URL (required; prefer the DAAP_DATABASE_URL variable)")(
      "database-pool-size", po::value(&pool_size)->default_value(pool_size),
      "PostgreSQL connections at most")("migrations-dir",
                                        po::value(&migrations_dir)->default_value(migrations_dir),
                                        "directory of NNN_name.up.sql / .down.sql")(
      "migrate", po::value(&options.migrate)->default_value(true),
      "apply pending migrations at start (true|false)")(
      "bootstrap-api-key", po::value(&options.bootstrap_api_key),
      "a platform-team key to accept from the first start (prefer DAAP_BOOTSTRAP_API_KEY)")(
      "bootstrap-team", po::value(&options.bootstrap_team)->default_value(options.bootstrap_team),
      "team of the bootstrap key")("api-key-pepper", po::value(&options.api_key_pepper),
                                   "HMAC key for stored API key hashes (optional)")(
      "auth-cache-ttl-ms", po::value(&auth_cache_ttl_ms)->default_value(auth_cache_ttl_ms),
      "how long a verified key is trusted without a PostgreSQL lookup (0: never)")(
      "kubeconfig", po::value(&kubeconfig),
      "kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")(
      "context", po::value(&options.context), "kubeconfig context (default: current-context)")(
      "in-cluster", po::bool_switch(&options.in_cluster),
      "use the pod's service account instead of a kubeconfig")(
      "kube-qps", po::value(&options.kube_qps)->default_value(options.kube_qps),
      "Kubernetes requests per second (client-side limit)")(
      "kube-burst", po::value(&options.kube_burst)->default_value(options.kube_burst),
      "Kubernetes request burst")(
      "namespace-mode", po::value(&namespace_mode)->default_value(namespace_mode),
      "per-team (daap-<team> namespaces labelled daap.io/team=<team>) or shared")(
      "database-namespace",
      po::value(&options.database_namespace)->default_value(options.database_namespace),
      "the namespace of every database with --namespace-mode=shared")(
      "team-label", po::value(&options.team_label)->default_value(options.team_label),
      "namespace label naming the owning team")("max-body-bytes",
                                                po::value(&body_limit)->default_value(body_limit),
                                                "larger request bodies get 413")(
      "io-threads", po::value(&options.io_threads)->default_value(options.io_threads),
      "threads that read and write connections")(
      "worker-threads", po::value(&options.worker_threads)->default_value(options.worker_threads),
      "threads that run handlers")("header-timeout-ms",
                                   po::value(&header_timeout_ms)->default_value(header_timeout_ms),
                                   "a client must send its headers within this")(
      "body-timeout-ms", po::value(&body_timeout_ms)->default_value(body_timeout_ms),
      "a client must send its body within this")(
      "idle-timeout-ms", po::value(&idle_timeout_ms)->default_value(idle_timeout_ms),
      "idle keep-alive connections are closed after this")(
      "shutdown-grace-ms", po::value(&shutdown_grace_ms)->default_value(shutdown_grace_ms),
      "on SIGTERM, how long in-flight requests may finish")(
      "access-log", po::value(&options.access_log)->default_value(true),
      "log one line per request (true|false)")("v", po::value(&options.verbosity)->default_value(0),
                                               "log verbosity (glog --v)");
  // DAAP_WORKER_THREADS=3 counts as --worker-threads=3 unless the command line gives that flag.
  if (Result<void> parsed = cli::parseFlags(flags, argc, argv, env); !parsed) {
    return parsed.error();
  }
  if (options.database_url.empty()) {
    return Error::invalidArgument("--database-url (or DAAP_DATABASE_URL) is required");
  }
  if (port < 0 || port > 65535) {
    return Error::invalidArgument("--port must be between 0 and 65535");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Error::invalidArgument("--tls-cert-file and --tls-key-file go together");
  }
  if (pool_size < 1) {
    return Error::invalidArgument("--database-pool-size must be at least 1");
  }
  if (body_limit < 1) {
    return Error::invalidArgument("--max-body-bytes must be positive");
  }
  if (options.io_threads < 1 || options.worker_threads < 1) {
    return Error::invalidArgument("--io-threads and --worker-threads must be at least 1");
  }
  if (auth_cache_ttl_ms < 0 || header_timeout_ms <= 0 || body_timeout_ms <= 0 ||
      idle_timeout_ms <= 0 || shutdown_grace_ms < 0) {
    return Error::invalidArgument(
        "--auth-cache-ttl-ms, --*-timeout-ms and --shutdown-grace-ms must not be negative");
  }
  if (namespace_mode == "per-team") {
    options.namespace_mode = NamespaceMode::PerTeam;
  } else if (namespace_mode == "shared") {
    options.namespace_mode = NamespaceMode::Shared;
    if (options.database_namespace.empty()) {
      return Error::invalidArgument("--database-namespace must not be empty");
    }
  } else {
    return Error::invalidArgument("--namespace-mode must be per-team or shared");
  }
  options.kubeconfig = kubeconfig;
  options.migrations_dir = migrations_dir;
  options.port = static_cast<uint16_t>(port);
  options.database_pool_size = static_cast<size_t>(pool_size);
  options.max_body_bytes = static_cast<size_t>(body_limit);
  options.auth_cache_ttl = std::chrono::milliseconds(auth_cache_ttl_ms);
  options.header_timeout = std::chrono::milliseconds(header_timeout_ms);
  options.body_timeout = std::chrono::milliseconds(body_timeout_ms);
  options.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
  options.shutdown_grace = std::chrono::milliseconds(shutdown_grace_ms);
  return options;
}

}  // namespace daap::gateway

// daap-gateway: the REST front of DAAP. Parses options, starts logging, wires PostgreSQL, the
// Kubernetes client, the mirror and the HTTP server, and runs until SIGTERM/SIGINT, then shuts
// down gracefully (in-flight requests finish, queued audit rows are written).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include <glog/logging.h>

#include "gateway/contract.h"
#include "gateway/middleware/audit_writer.h"
#include "gateway/middleware/authenticator.h"
#include "gateway/mirror/mirror.h"
#include "gateway/options.h"
#include "gateway/server.h"
#include "lib/base/clock.h"
#include "lib/cli/flags.h"
#include "lib/cli/memory.h"
#include "lib/cli/process.h"
#include "lib/http/server.h"
#include "lib/kube/client.h"
#include "lib/kube/config.h"
#include "lib/metrics/metrics.h"
#include "lib/pg/api_keys.h"
#include "lib/pg/audit.h"
#include "lib/pg/migrator.h"
#include "lib/pg/mirror.h"
#include "lib/pg/pool.h"

extern char** environ;  // NOLINT(readability-identifier-naming)

namespace {

std::string lookup(const std::map<std::string, std::string>& env, const std::string& name) {
  const auto found = env.find(name);
  return found == env.end() ? std::string() : found->second;
}

// Retries `step` until it succeeds or a stop signal came: PostgreSQL may start after us.
template <typename Step>
bool retryUntilDone(const char* what, const std::atomic<bool>& stopping, Step step) {
  std::chrono::milliseconds delay{200};
  for (;;) {
    daap::Result<void> done = step();
    if (done) {
      return true;
    }
    LOG(WARNING) << what << " failed, retrying error=" << done.error().toString();
    for (auto waited = std::chrono::milliseconds(0); waited < delay;
         waited += std::chrono::milliseconds(50)) {
      if (stopping.load()) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
}

int run(int argc, char** argv) {
  // Two arenas saved 7.7 MiB at peak under GET and list load, the trim 5 MiB at rest
  // (perf/RESULTS.md).
  daap::cli::tuneMalloc();
  const std::map<std::string, std::string> env = daap::cli::environmentOf(environ);
  daap::Result<daap::gateway::Options> parsed = daap::gateway::parseOptions(argc, argv, env);
  if (!parsed) {
    std::cerr << "daap-gateway: " << parsed.error().message << "\n";
    return 2;
  }
  const daap::gateway::Options& options = *parsed;
  daap::cli::initLogging(argv[0], options.verbosity);

  daap::Result<daap::gateway::Contract> contract =
      daap::gateway::Contract::load(daap::gateway::embeddedOpenApiYaml());
  if (!contract) {
    LOG(ERROR) << "the embedded OpenAPI document is broken: " << contract.error().toString();
    return 1;
  }

  daap::kube::ConfigSource source;
  if (!options.in_cluster) {
    source.kubeconfig_flag = options.kubeconfig;
    source.context = options.context;
    source.kubeconfig_env = lookup(env, "KUBECONFIG");
    source.home = lookup(env, "HOME");
  }
  source.service_host = lookup(env, "KUBERNETES_SERVICE_HOST");
  source.service_port = lookup(env, "KUBERNETES_SERVICE_PORT");
  daap::Result<daap::kube::ClusterConfig> config =
      options.in_cluster ? daap::kube::inClusterConfig(source) : daap::kube::resolveConfig(source);
  if (!config) {
    std::cerr << "daap-gateway: " << config.error().message << "\n";
    return 2;
  }
  daap::kube::ClientOptions client_options;
  client_options.qps = options.kube_qps;
  client_options.burst = options.kube_burst;
  client_options.user_agent = "daap-gateway";
  daap::Result<std::unique_ptr<daap::kube::Client>> kube =
      daap::kube::Client::create(*config, client_options);
  daap::kube::ClientOptions probe_options = client_options;
  probe_options.max_retries = 0;
  probe_options.request_timeout = std::chrono::seconds(2);
  probe_options.qps = 0;
  daap::Result<std::unique_ptr<daap::kube::Client>> probe =
      daap::kube::Client::create(*config, probe_options);
  if (!kube || !probe) {
    std::cerr << "daap-gateway: " << (kube ? probe.error() : kube.error()).message << "\n";
    return 2;
  }

  const daap::cli::StopSignals stop_signals;
  std::atomic<bool> stopping{false};
  stop_signals.onStop([&stopping] { stopping = true; });

  daap::pg::PoolOptions pool_options;
  pool_options.url = options.database_url;
  pool_options.size = options.database_pool_size;
  daap::pg::Pool pool(pool_options);
  if (options.migrate) {
    const bool migrated = retryUntilDone("migrations", stopping, [&]() -> daap::Result<void> {
      daap::Result<daap::pg::Migrator> migrator =
          daap::pg::Migrator::fromDirectory(pool, options.migrations_dir);
      if (!migrator) {
        return migrator.error();
      }
      daap::Result<int> applied = migrator->up();
      if (!applied) {
        return applied.error();
      }
      LOG(INFO) << "migrations applied=" << *applied << " version=" << migrator->latestVersion();
      return {};
    });
    if (!migrated) {
      return 0;
    }
  }

  daap::SystemClock clock;
  daap::pg::ApiKeyRepository keys(pool);
  daap::gateway::Authenticator authenticator(keys, options.api_key_pepper, options.auth_cache_ttl,
                                             clock);
  if (!options.bootstrap_api_key.empty()) {
    const bool stored = retryUntilDone("bootstrap key", stopping, [&] {
      return authenticator.bootstrap(options.bootstrap_api_key, options.bootstrap_team);
    });
    if (!stored) {
      return 0;
    }
  }

  daap::pg::MirrorRepository mirror_repository(pool);
  daap::gateway::Mirror mirror(**kube, mirror_repository, clock);
  mirror.start();
  if (!mirror.waitForSync(std::chrono::seconds(10))) {
    LOG(WARNING) << "mirror not synced yet; serving, reads may lag until it is";
  }
  daap::pg::AuditRepository audit_repository(pool);
  daap::gateway::AuditWriter audit(audit_repository);
  audit.start();

  daap::metrics::Registry registry;
  daap::gateway::Dependencies deps{options, *contract,     pool,  **kube,  **probe,
                                   mirror,  authenticator, audit, registry};
  daap::gateway::Gateway gateway(deps);
  daap::http::Server server(gateway.serverOptions(), gateway.router());
  if (daap::Result<void> started = server.start(); !started) {
    LOG(ERROR) << "cannot listen: " << started.error().toString();
    audit.stop();
    mirror.stop();
    return 1;
  }
  // Tests and scripts read the bound port from here (the flag may ask for port 0).
  std::cout << "daap-gateway ready address=" << options.address << " port=" << server.port()
            << std::endl;
  LOG(INFO) << "listening address=" << options.address << " port=" << server.port()
            << " tls=" << (options.tls_cert_file.empty() ? "off" : "on");
  const daap::cli::HeapTrimmer heap_trimmer;
  while (!stopping.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server.stop(options.shutdown_grace);
  audit.stop();
  mirror.stop();
  LOG(INFO) << "stopped audit_rows_written=" << audit.stats().written;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "daap-gateway: " << error.what() << "\n";
    return 1;
  }
}

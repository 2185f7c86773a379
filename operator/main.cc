// daap-operator: reconciles DaapTier and DaapDatabase into CloudNativePG. Parses options,
// starts logging, wires the Kubernetes client into the Manager and runs until SIGTERM/SIGINT
// (exit 0) or until it loses the Lease it held (exit 1, so the pod restarts as a standby).
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include <glog/logging.h>

#include "lib/base/clock.h"
#include "lib/cli/flags.h"
#include "lib/cli/memory.h"
#include "lib/cli/process.h"
#include "lib/kube/client.h"
#include "lib/kube/config.h"
#include "operator/manager.h"
#include "operator/options.h"

extern char** environ;  // NOLINT(readability-identifier-naming)

namespace {

std::string lookup(const std::map<std::string, std::string>& env, const std::string& name) {
  const auto found = env.find(name);
  return found == env.end() ? std::string() : found->second;
}

int run(int argc, char** argv) {
  daap::cli::tuneMalloc();
  const std::map<std::string, std::string> env = daap::cli::environmentOf(environ);
  daap::Result<daap::controller::Options> parsed = daap::controller::parseOptions(argc, argv, env);
  if (!parsed) {
    std::cerr << "daap-operator: " << parsed.error().message << "\n";
    return 2;
  }
  const daap::controller::Options& options = *parsed;
  daap::cli::initLogging(argv[0], options.verbosity);
  // Before any thread starts: threads inherit the blocked signals, so only the waiter sees them.
  const daap::cli::StopSignals stop_signals;
  const daap::cli::HeapTrimmer heap_trimmer;

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
    std::cerr << "daap-operator: " << config.error().message << "\n";
    return 2;
  }
  daap::kube::ClientOptions client_options;
  client_options.qps = options.qps;
  client_options.burst = options.burst;
  client_options.user_agent = "daap-operator";
  daap::Result<std::unique_ptr<daap::kube::Client>> client =
      daap::kube::Client::create(std::move(config).value(), client_options);
  if (!client) {
    std::cerr << "daap-operator: " << client.error().message << "\n";
    return 2;
  }

  daap::SystemClock clock;
  daap::controller::Manager manager(options, **client, clock);
  if (daap::Result<void> started = manager.start(); !started) {
    LOG(ERROR) << "cannot start: " << started.error().toString();
    return 1;
  }
  // Tests and scripts read the bound port from here (the flag may ask for port 0).
  std::cout << "daap-operator ready metrics_port=" << manager.metricsPort() << std::endl;
  stop_signals.onStop([&manager] { manager.stop(); });
  const bool clean = manager.wait();
  manager.stop();
  LOG(INFO) << "stopped";
  return clean ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "daap-operator: " << error.what() << "\n";
    return 1;
  }
}

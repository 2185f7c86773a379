#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "test/support/devcluster.h"
#include "test/support/process.h"

namespace daap::testing {

// The real daap-operator binary against a devcluster, for e2e tests: started with the
// devcluster's kubeconfig and a free metrics port, read back from its "ready" line.
class OperatorProcess {
public:
  OperatorProcess(const DevclusterProcess& cluster, std::vector<std::string> extra_args);
  ~OperatorProcess();

  // Starts (or restarts) the operator and waits for its ready line.
  void start();
  // SIGTERM (graceful) or SIGKILL.
  void stop(int signal);
  bool running() const { return process_.running(); }
  uint16_t metricsPort() const { return metrics_port_; }
  pid_t pid() const { return process_.pid(); }

  // GET http://127.0.0.1:<metrics port><path>: {status, body}; status 0 when unreachable.
  std::pair<int, std::string> get(const std::string& path) const;
  // Sum of every series of a metric in /metrics whose label text contains `labels` (e.g.
  // "controller=\"database\""); 0 when absent.
  double metric(const std::string& name, const std::string& labels = {}) const;

private:
  const DevclusterProcess& cluster_;
  std::vector<std::string> extra_args_;
  ChildProcess process_;
  uint16_t metrics_port_ = 0;
};

std::filesystem::path operatorBinary();

// Polls `condition` until it holds or `timeout` passes; true when it held.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

}  // namespace daap::testing

#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "test/support/process.h"

namespace daap::testing {

// A devcluster process for integration and e2e tests: its own temp data dir and kubeconfig,
// the DAAP and CNPG CRDs installed, a free port (kept across restarts so clients reconnect).
class DevclusterProcess {
public:
  struct Options {
    // Flags added to the server's, e.g. "--cnpg-ready-after=300ms" (how long the CNPG stand-in
    // takes to make a Cluster healthy) or "--cnpg-mode=off".
    std::vector<std::string> extra_args;
  };

  explicit DevclusterProcess(Options options = {});
  ~DevclusterProcess();

  // Starts (or restarts) the server and waits until it serves.
  void start();
  // Sends `signal` (SIGTERM: graceful; SIGKILL) and reaps the process. Returns its exit code,
  // or 128 + the signal that ended it; when it has not exited within `grace` it is killed and
  // the result is 128 + SIGKILL. -1 when it was not running.
  int stop(int signal, std::chrono::milliseconds grace = std::chrono::seconds(30));

  const std::string& url() const { return url_; }
  pid_t pid() const { return process_.pid(); }
  const std::filesystem::path& kubeconfig() const { return kubeconfig_; }
  const std::filesystem::path& dataDir() const { return data_dir_; }
  std::string token() const;
  std::string caPem() const;

  // kubectl with this cluster's kubeconfig.
  CommandResult kubectl(const std::vector<std::string>& args, const std::string& input = {}) const;
  std::map<std::string, std::string> kubectlEnv() const;

private:
  Options options_;
  std::filesystem::path root_;
  std::filesystem::path data_dir_;
  std::filesystem::path kubeconfig_;
  std::string url_;
  int port_ = 0;
  ChildProcess process_;
};

std::filesystem::path devclusterBinary();

}  // namespace daap::testing

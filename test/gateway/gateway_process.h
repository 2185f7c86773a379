#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/contract.h"
#include "test/support/devcluster.h"
#include "test/support/process.h"

namespace daap::testing {

// The real daap-gateway binary for e2e tests: the devcluster's kubeconfig, a PostgreSQL URL
// and a bootstrap key in its environment, a free port (kept across restarts), and its log
// (stderr) appended to logFile() so a test can search it for leaked secrets.
class GatewayProcess {
public:
  GatewayProcess(const DevclusterProcess& cluster, std::string database_url,
                 std::string bootstrap_key, std::vector<std::string> extra_args = {});
  ~GatewayProcess();

  // Starts (or restarts on the same port) and waits for the ready line.
  void start();
  // SIGTERM (graceful) or SIGKILL; returns the exit status.
  int stop(int signal);
  bool running() const { return process_.running(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }
  const std::filesystem::path& logFile() const { return log_file_; }

private:
  const DevclusterProcess& cluster_;
  std::string database_url_;
  std::string bootstrap_key_;
  std::vector<std::string> extra_args_;
  std::filesystem::path root_;
  std::filesystem::path log_file_;
  ChildProcess process_;
  uint16_t port_ = 0;
};

std::filesystem::path gatewayBinary();

struct ApiResponse {
  int status = 0;
  std::string body;
  std::string request_id;  // X-Request-Id
  std::string transport_error;
};

// A REST client for the gateway that checks every answer against the OpenAPI contract (a
// response that does not validate is a test failure) and remembers every request id and body
// it saw. Thread-safe (one libcurl handle per call).
class ApiClient {
public:
  ApiClient(std::string base_url, const gateway::Contract& contract);

  ApiResponse call(const std::string& method, const std::string& path, const std::string& api_key,
                   const std::string& body = {},
                   const std::map<std::string, std::string>& extra_headers = {});

  void setBaseUrl(std::string base_url);
  // Request ids of the API calls answered so far (health, spec and metrics left out: they are
  // not audited).
  std::vector<std::string> apiRequestIds() const;
  std::vector<std::string> bodies() const;

private:
  std::string base_url_;
  const gateway::Contract& contract_;
  mutable std::mutex mu_;
  std::vector<std::string> request_ids_;  // Guarded by mu_.
  std::vector<std::string> bodies_;       // Guarded by mu_.
};

// The spec's path template a concrete path matches ("/databases/x" -> "/databases/{id}"),
// literal segments first; empty when none does.
std::string matchTemplate(const gateway::Contract& contract, const std::string& method,
                          const std::string& path);

}  // namespace daap::testing

#include "test/operator/operator_process.h"

#include <signal.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include <glog/logging.h>

#include "test/support/http_client.h"
#include "test/support/testdata.h"

namespace daap::testing {

std::filesystem::path operatorBinary() {
  return binaryDir() / "operator/daap-operator";
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

OperatorProcess::OperatorProcess(const DevclusterProcess& cluster,
                                 std::vector<std::string> extra_args)
    : cluster_(cluster), extra_args_(std::move(extra_args)) {}

OperatorProcess::~OperatorProcess() {
  stop(SIGKILL);
}

void OperatorProcess::start() {
  std::vector<std::string> argv = {operatorBinary().string(),
                                   "--kubeconfig=" + cluster_.kubeconfig().string(),
                                   "--metrics-port=0"};
  // Defaults for tests, unless the caller chose its own.
  for (const std::string& flag : {std::string("--qps=500"), std::string("--burst=1000")}) {
    const std::string name = flag.substr(0, flag.find('=') + 1);
    if (std::none_of(extra_args_.begin(), extra_args_.end(),
                     [&](const std::string& arg) { return arg.rfind(name, 0) == 0; })) {
      argv.push_back(flag);
    }
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_.start(argv, {{"HOME", cluster_.dataDir().string()}});
  std::string line;
  while (process_.readLine(line, std::chrono::seconds(60))) {
    const std::string marker = "daap-operator ready metrics_port=";
    if (line.rfind(marker, 0) == 0) {
      metrics_port_ = static_cast<uint16_t>(std::stoi(line.substr(marker.size())));
      return;
    }
  }
  LOG(FATAL) << "daap-operator did not become ready";
}

void OperatorProcess::stop(int signal) {
  process_.stop(signal);
}

std::pair<int, std::string> OperatorProcess::get(const std::string& path) const {
  HttpClient client("http://127.0.0.1:" + std::to_string(metrics_port_), "", "");
  const HttpResult result = client.request("GET", path, {}, "application/json", "*/*");
  return {result.status, result.body};
}

double OperatorProcess::metric(const std::string& name, const std::string& labels) const {
  const auto [status, body] = get("/metrics");
  if (status != 200) {
    return 0;
  }
  double total = 0;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const size_t space = line.rfind(' ');
    const std::string series = line.substr(0, space);
    const std::string series_name = series.substr(0, series.find('{'));
    if (series_name != name || series.find(labels) == std::string::npos) {
      continue;
    }
    total += std::stod(line.substr(space + 1));
  }
  return total;
}

}  // namespace daap::testing

#include "test/support/devcluster.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include <glog/logging.h>

#include "test/support/testdata.h"

namespace daap::testing {

std::filesystem::path devclusterBinary() {
  return binaryDir() / "hack/devcluster/devcluster";
}

DevclusterProcess::DevclusterProcess(Options options) : options_(std::move(options)) {
  std::string templ = (std::filesystem::temp_directory_path() / "devcluster-test-XXXXXX").string();
  CHECK(mkdtemp(templ.data()) != nullptr);
  root_ = templ;
  data_dir_ = root_ / "data";
  kubeconfig_ = root_ / "kubeconfig";
}

DevclusterProcess::~DevclusterProcess() {
  stop(SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void DevclusterProcess::start() {
  std::vector<std::string> argv = {
      devclusterBinary().string(),
      "--data-dir=" + data_dir_.string(),
      "--kubeconfig=" + kubeconfig_.string(),
      "--port=" + std::to_string(port_),
      "--crd-dir=" + (sourceDir() / "crds").string(),
      "--crd-dir=" + (sourceDir() / "hack/devcluster/cnpg-crds").string()};
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  process_.start(argv);
  std::string line;
  while (process_.readLine(line, std::chrono::seconds(60))) {
    const std::string marker = "devcluster ready ";
    if (line.rfind(marker, 0) == 0) {
      url_ = line.substr(marker.size());
      port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
      return;
    }
  }
  LOG(FATAL) << "devcluster did not become ready";
}

int DevclusterProcess::stop(int signal, std::chrono::milliseconds grace) {
  if (!process_.running()) {
    return -1;
  }
  kill(process_.pid(), signal);
  // Wait for the exit without reaping it (WNOWAIT), so ChildProcess still collects the status.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(process_.pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == process_.pid()) {
      return process_.stop(signal);  // Already gone: this only reaps it.
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      LOG(WARNING) << "devcluster did not exit within the grace period; killing it";
      return process_.stop(SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string DevclusterProcess::token() const {
  return readFile(data_dir_ / "token");
}

std::string DevclusterProcess::caPem() const {
  const std::string identity = readFile(data_dir_ / "tls.pem");
  return identity.substr(0, identity.find("-----BEGIN PRIVATE KEY-----"));
}

std::map<std::string, std::string> DevclusterProcess::kubectlEnv() const {
  return {{"KUBECONFIG", kubeconfig_.string()}, {"HOME", root_.string()}};
}

CommandResult DevclusterProcess::kubectl(const std::vector<std::string>& args,
                                         const std::string& input) const {
  std::vector<std::string> argv = {"kubectl"};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, kubectlEnv(), input);
}

}  // namespace daap::testing

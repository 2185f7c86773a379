#include "lib/cli/process.h"

#include <pthread.h>

#include <thread>
#include <utility>

#include <glog/logging.h>

namespace daap::cli {

namespace {

int waitFor(const sigset_t& signals) {
  int received = 0;
  sigwait(&signals, &received);
  LOG(INFO) << "stopping signal=" << received;
  return received;
}

}  // namespace

void initLogging(const char* argv0, int verbosity) {
  FLAGS_logtostderr = true;
  FLAGS_v = verbosity;
  google::InitGoogleLogging(argv0);
}

StopSignals::StopSignals() : signals_() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

int StopSignals::wait() const {
  return waitFor(signals_);
}

void StopSignals::onStop(std::function<void()> on_stop) const {
  // Detached: nothing joins a thread that may wait for the whole life of the process. It keeps
  // its own copy of the set, so it does not depend on this object's lifetime.
  std::thread([signals = signals_, on_stop = std::move(on_stop)] {
    waitFor(signals);
    on_stop();
  }).detach();
}

}  // namespace daap::cli

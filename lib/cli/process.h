#pragma once

#include <signal.h>

#include <functional>

namespace daap::cli {

// glog to stderr at verbosity `verbosity` (our --v copied to FLAGS_v). Once per process, in main,
// after the options parsed.
void initLogging(const char* argv0, int verbosity);

// SIGTERM and SIGINT, the signals that ask a DAAP binary to stop. They are taken by one thread
// with sigwait, so no handler ever runs inside another thread. The constructor blocks them in the
// calling thread, and threads inherit that from their creator: make this in main before starting
// threads. Thread-safe after construction.
class StopSignals {
public:
  StopSignals();

  // Blocks until SIGTERM or SIGINT arrives; logs and returns its number.
  int wait() const;

  // Returns at once; `on_stop` runs on a detached thread when SIGTERM or SIGINT arrives.
  void onStop(std::function<void()> on_stop) const;

private:
  sigset_t signals_;
};

}  // namespace daap::cli

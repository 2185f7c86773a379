#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace daap::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion (no shell), with `env` added to the environment and `input`
// on its standard input.
CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& input = {});

// A child process whose standard output is read line by line; killed when destroyed.
class ChildProcess {
public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void start(const std::vector<std::string>& argv,
             const std::map<std::string, std::string>& env = {});
  // The next line of standard output, or false when none came before the deadline or the
  // stream ended.
  bool readLine(std::string& line, std::chrono::milliseconds timeout);
  // Sends `signal` and reaps the process; returns its exit status (-1 if it was not running).
  int stop(int signal);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
};

}  // namespace daap::testing

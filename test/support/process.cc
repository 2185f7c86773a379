#include "test/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <glog/logging.h>

extern char** environ;  // NOLINT(readability-identifier-naming)

namespace daap::testing {

namespace {

std::vector<std::string> mergedEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const size_t equals = text.find('=');
    if (equals != std::string::npos) {
      merged[text.substr(0, equals)] = text.substr(equals + 1);
    }
  }
  for (const auto& [key, value] : extra) {
    merged[key] = value;
  }
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (const auto& [key, value] : merged) {
    out.push_back(key);
    out.back() += '=';
    out.back() += value;
  }
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

// Forks and execs; the child's stdin/stdout/stderr become the given fds (-1: inherit). Every
// other descriptor is closed in the child: a daemon the command leaves behind (pg_ctl start)
// would otherwise keep our pipe write ends open and runCommand would never see end of file.
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int in_fd, int out_fd, int err_fd) {
  std::vector<std::string> args = argv;
  std::vector<std::string> environment = mergedEnvironment(env);
  std::vector<char*> arg_pointers = pointers(args);
  std::vector<char*> env_pointers = pointers(environment);
  const pid_t pid = fork();
  CHECK_GE(pid, 0) << "fork failed";
  if (pid == 0) {
    const auto redirect = [](int from, int to) {
      if (from == to) {
        // dup2 would be a no-op and keep close-on-exec set.
        fcntl(to, F_SETFD, 0);
      } else if (from >= 0) {
        dup2(from, to);
      }
    };
    redirect(in_fd, STDIN_FILENO);
    redirect(out_fd, STDOUT_FILENO);
    redirect(err_fd, STDERR_FILENO);
    closefrom(STDERR_FILENO + 1);
    execvpe(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env, const std::string& input) {
  int in_pipe[2];
  int out_pipe[2];
  int err_pipe[2];
  // Close-on-exec so children forked meanwhile by other threads do not inherit them either.
  CHECK_EQ(pipe2(in_pipe, O_CLOEXEC), 0);
  CHECK_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
  CHECK_EQ(pipe2(err_pipe, O_CLOEXEC), 0);
  const pid_t pid = spawn(argv, env, in_pipe[0], out_pipe[1], err_pipe[1]);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  std::thread writer([fd = in_pipe[1], &input] {
    size_t written = 0;
    while (written < input.size()) {
      const ssize_t n = write(fd, input.data() + written, input.size() - written);
      if (n <= 0) {
        break;
      }
      written += static_cast<size_t>(n);
    }
    close(fd);
  });
  CommandResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_streams = 2;
  char buffer[65536];
  while (open_streams > 0) {
    if (poll(fds, 2, -1) < 0) {
      break;
    }
    for (pollfd& fd : fds) {
      if (fd.fd < 0 || (fd.revents & (POLLIN | POLLHUP)) == 0) {
        continue;
      }
      const ssize_t n = read(fd.fd, buffer, sizeof(buffer));
      if (n <= 0) {
        close(fd.fd);
        fd.fd = -1;
        --open_streams;
        continue;
      }
      (fd.fd == out_pipe[0] ? result.out : result.err).append(buffer, static_cast<size_t>(n));
    }
  }
  writer.join();
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

ChildProcess::~ChildProcess() {
  if (running()) {
    stop(SIGKILL);
  }
}

void ChildProcess::start(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env) {
  CHECK(!running());
  int out_pipe[2];
  CHECK_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
  pid_ = spawn(argv, env, -1, out_pipe[1], -1);
  close(out_pipe[1]);
  stdout_fd_ = out_pipe[0];
  buffer_.clear();
}

bool ChildProcess::readLine(std::string& line, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const size_t newline = buffer_.find('\n'); newline != std::string::npos) {
      line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return true;
    }
    if (stdout_fd_ < 0) {
      return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    char chunk[4096];
    const ssize_t n = read(stdout_fd_, chunk, sizeof(chunk));
    if (n <= 0) {
      close(stdout_fd_);
      stdout_fd_ = -1;
      continue;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

int ChildProcess::stop(int signal) {
  if (!running()) {
    return -1;
  }
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace daap::testing

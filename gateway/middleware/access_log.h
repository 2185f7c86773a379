#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace daap::gateway {

// The per-request access log, written in batches. glog costs two system calls per line (a
// stat of /etc/localtime for its timestamp, then an unbuffered write to stderr) on the I/O
// thread that just answered; at 10k requests/s that was a good part of the gateway's CPU and of
// its tail latency. Here write() formats the line's prefix (time in UTC, thread id, in glog's
// layout so the stream reads the same) and appends it to a buffer under a lock; a background
// thread writes the buffer to `fd` every `interval`, or sooner once `flush_bytes` wait.
// Each write(2) carries whole lines and at most PIPE_BUF (4096) bytes, so when `fd` is a pipe
// (a container's stderr) shared with glog, lines never interleave mid-line.
// Bounded: beyond `max_buffered` bytes (the reader of `fd` stalls), lines are dropped and
// counted, so a stuck log pipe neither grows memory nor blocks a request.
// Thread-safe. stop() (or the destructor) writes what is buffered.
class AccessLog {
public:
  explicit AccessLog(int fd, std::chrono::milliseconds interval = std::chrono::milliseconds(100),
                     size_t flush_bytes = size_t{32} * 1024,
                     size_t max_buffered = size_t{1024} * 1024);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void start();
  // Idempotent; writes everything buffered, then joins.
  void stop();

  // Appends "I<yyyymmdd hh:mm:ss.uuuuuu> <tid> access] <message>\n". `message` must not hold
  // a newline (one request, one line).
  void write(std::string_view message);

  // Lines dropped because the buffer was full.
  uint64_t dropped() const;

private:
  void run();
  void writeOut(const std::string& text);

  const int fd_;
  const std::chrono::milliseconds interval_;
  const size_t flush_bytes_;
  const size_t max_buffered_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  // Guarded by mu_.
  std::string buffer_;
  uint64_t dropped_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace daap::gateway

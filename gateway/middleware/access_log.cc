#include "gateway/middleware/access_log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <utility>

#include <glog/logging.h>

namespace daap::gateway {

namespace {

// The most one write(2) to a pipe carries atomically (POSIX PIPE_BUF on Linux).
constexpr size_t kAtomicWrite = 4096;

// "I20261127 21:10:04" for the second `now` falls in; cached per thread, since a second holds
// thousands of lines.
std::string_view secondPrefix(time_t seconds) {
  thread_local time_t cached_second = -1;
  thread_local std::array<char, 32> cached{};
  thread_local size_t cached_size = 0;
  if (seconds != cached_second) {
    std::tm utc{};
    gmtime_r(&seconds, &utc);  // UTC: no time zone file to consult (localtime stats one).
    cached_size = std::strftime(cached.data(), cached.size(), "I%Y%m%d %H:%M:%S", &utc);
    cached_second = seconds;
  }
  return {cached.data(), cached_size};
}

int64_t threadId() {
  thread_local const int64_t kId = syscall(SYS_gettid);
  return kId;
}

void appendNumber(std::string& out, int64_t value, int width) {
  std::array<char, 24> digits{};
  const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  const auto length = static_cast<int>(end - digits.data());
  for (int i = length; i < width; ++i) {
    out += '0';
  }
  out.append(digits.data(), end);
}

}  // namespace

AccessLog::AccessLog(int fd, std::chrono::milliseconds interval, size_t flush_bytes,
                     size_t max_buffered)
    : fd_(fd), interval_(interval), flush_bytes_(flush_bytes), max_buffered_(max_buffered) {}

AccessLog::~AccessLog() {
  stop();
}

void AccessLog::start() {
  thread_ = std::thread([this] { run(); });
}

void AccessLog::stop() {
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  std::string rest;
  {
    const std::lock_guard lock(mu_);
    rest.swap(buffer_);
  }
  writeOut(rest);  // Lines written before start() or after the thread's last pass.
}

void AccessLog::write(std::string_view message) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - seconds);
  std::string line;
  line.reserve(48 + message.size());
  line += secondPrefix(static_cast<time_t>(seconds.count()));
  line += '.';
  appendNumber(line, static_cast<int64_t>(micros.count()), 6);
  line += ' ';
  appendNumber(line, threadId(), 0);
  line += " access] ";
  line += message;
  line += '\n';
  bool wake = false;
  {
    const std::lock_guard lock(mu_);
    if (buffer_.size() + line.size() > max_buffered_) {
      ++dropped_;
      return;
    }
    buffer_ += line;
    wake = buffer_.size() >= flush_bytes_ && buffer_.size() - line.size() < flush_bytes_;
  }
  if (wake) {
    wake_.notify_one();
  }
}

uint64_t AccessLog::dropped() const {
  const std::lock_guard lock(mu_);
  return dropped_;
}

void AccessLog::run() {
  std::string out;
  uint64_t reported_drops = 0;
  for (;;) {
    bool stopping = false;
    uint64_t drops = 0;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, interval_,
                     [this] { return stopping_ || buffer_.size() >= flush_bytes_; });
      out.clear();
      out.swap(buffer_);
      stopping = stopping_;
      drops = dropped_;
    }
    writeOut(out);
    if (drops != reported_drops) {
      LOG(WARNING) << "access log lines dropped (log output too slow) total=" << drops;
      reported_drops = drops;
    }
    if (stopping) {
      return;
    }
  }
}

void AccessLog::writeOut(const std::string& text) {
  size_t begin = 0;
  while (begin < text.size()) {
    // Whole lines, up to kAtomicWrite bytes (a longer single line goes alone).
    size_t end = begin;
    while (end < text.size()) {
      const size_t newline = text.find('\n', end);
      const size_t next = newline == std::string::npos ? text.size() : newline + 1;
      if (next - begin > kAtomicWrite && end > begin) {
        break;
      }
      end = next;
    }
    size_t done = begin;
    while (done < end) {
      const ssize_t written = ::write(fd_, text.data() + done, end - done);
      if (written < 0) {
        if (errno == EINTR) {
          continue;
        }
        return;  // The log output is gone; nothing useful to do with the rest.
      }
      done += static_cast<size_t>(written);
    }
    begin = end;
  }
}

}  // namespace daap::gateway

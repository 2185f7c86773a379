#include "gateway/middleware/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace daap::gateway {
namespace {

// A pipe whose read end is drained into a string, as a container runtime reads stderr.
class Pipe {
public:
  Pipe() {
    EXPECT_EQ(::pipe(fds_.data()), 0);
    reader_ = std::thread([this] {
      std::array<char, 65536> chunk{};
      for (;;) {
        const ssize_t n = ::read(fds_[0], chunk.data(), chunk.size());
        if (n <= 0) {
          return;
        }
        reads_ending_a_line_.push_back(chunk[static_cast<size_t>(n) - 1] == '\n');
        text_.append(chunk.data(), static_cast<size_t>(n));
      }
    });
  }
  ~Pipe() { finish(); }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  int writeEnd() const { return fds_[1]; }
  // Closes the write end and waits for everything written.
  const std::string& finish() {
    if (reader_.joinable()) {
      ::close(fds_[1]);
      reader_.join();
      ::close(fds_[0]);
    }
    return text_;
  }
  // Per read(2): whether it ended on a line boundary.
  const std::vector<bool>& readsEndingALine() const { return reads_ending_a_line_; }

private:
  std::array<int, 2> fds_{};
  std::thread reader_;
  std::string text_;
  std::vector<bool> reads_ending_a_line_;
};

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

TEST(AccessLogTest, WritesEachLineWithAGlogStylePrefixInOrder) {
  Pipe pipe;
  AccessLog log(pipe.writeEnd(), std::chrono::milliseconds(10));
  log.start();
  for (int i = 0; i < 1000; ++i) {
    log.write("request n=" + std::to_string(i));
  }
  log.stop();
  const std::vector<std::string> lines = linesOf(pipe.finish());
  ASSERT_EQ(lines.size(), 1000U);
  const std::regex shape(R"(I\d{8} \d{2}:\d{2}:\d{2}\.\d{6} \d+ access\] request n=(\d+))");
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(lines[i], match, shape)) << lines[i];
    EXPECT_EQ(match[1].str(), std::to_string(i));
  }
  EXPECT_EQ(log.dropped(), 0U);
}

TEST(AccessLogTest, WritesWholeLinesOfAtMostPipeBufBytesEach) {
  Pipe pipe;
  AccessLog log(pipe.writeEnd(), std::chrono::milliseconds(10));
  log.start();
  const std::string payload(150, 'x');
  for (int i = 0; i < 2000; ++i) {
    log.write(payload);
  }
  log.stop();
  const std::string& text = pipe.finish();
  EXPECT_EQ(linesOf(text).size(), 2000U);
  // Each write(2) is whole lines of at most PIPE_BUF bytes, which a pipe keeps whole; the
  // reader takes all that is buffered (its buffer is the pipe's size), so every read ends a
  // line. One large write would be split by the pipe anywhere.
  ASSERT_FALSE(pipe.readsEndingALine().empty());
  for (const bool ends_a_line : pipe.readsEndingALine()) {
    EXPECT_TRUE(ends_a_line);
  }
}

TEST(AccessLogTest, DropsAndCountsLinesBeyondTheBufferInsteadOfGrowing) {
  Pipe pipe;
  // Never started: nothing drains, as when the log reader is stuck.
  AccessLog log(pipe.writeEnd(), std::chrono::milliseconds(10), 1024, 1000);
  for (int i = 0; i < 100; ++i) {
    log.write(std::string(90, 'y'));
  }
  EXPECT_GT(log.dropped(), 80U);
  EXPECT_LT(log.dropped(), 100U);
  log.stop();  // Writes what was kept.
  EXPECT_EQ(linesOf(pipe.finish()).size(), 100U - log.dropped());
}

}  // namespace
}  // namespace daap::gateway

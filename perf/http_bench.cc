// lib/http throughput and latency of a trivial handler under wrk (target: >= 10,000 req/s and
// p99 <= 10 ms at 64 connections, client and server on the same 2 cores).
// Run: <build>/perf/http_bench [--connections=64] [--duration=10s] [--wrk-threads=2]
//                              [--worker-threads=8]  (0: handlers inline on the I/O threads)
//      <build>/perf/http_bench --serve   (prints the port, serves until stdin closes)
// The server runs with its defaults (2 I/O threads, 8 workers), so every request crosses from
// an I/O thread to a worker and back, as a gateway request does.
#include <sys/resource.h>

#include <algorithm>
#include <iostream>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <glog/logging.h>

#include "lib/http/server.h"
#include "test/support/process.h"

namespace {

std::string flagValue(const std::vector<std::string_view>& args, std::string_view name,
                      std::string fallback) {
  const std::string prefix = "--" + std::string(name) + "=";
  for (const std::string_view arg : args) {
    if (arg.starts_with(prefix)) {
      return std::string(arg.substr(prefix.size()));
    }
  }
  return fallback;
}

// User + system CPU of this process (the server; wrk is a child and not counted).
double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  const std::vector<std::string_view> args(argv + 1, argv + argc);

  daap::http::Router router;
  router.add(daap::http::Method::Get, "/hello", "hello",
             [](daap::http::Request&) { return daap::http::Response::text(200, "hello\n"); });
  daap::http::ServerOptions options;
  options.worker_threads = std::stoi(flagValue(args, "worker-threads", "8"));
  daap::http::Server server(std::move(options), router);
  if (const daap::Result<void> started = server.start(); !started) {
    std::cerr << "cannot start: " << started.error().toString() << "\n";
    return 1;
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/hello";

  if (std::find(args.begin(), args.end(), "--serve") != args.end()) {
    std::cout << url << std::endl;
    std::string ignored;
    while (std::getline(std::cin, ignored)) {
    }
    server.stop();
    return 0;
  }

  const std::string connections = flagValue(args, "connections", "64");
  const std::string duration = flagValue(args, "duration", "10s");
  const std::string threads = flagValue(args, "wrk-threads", "2");
  const double cpu_before = cpuSeconds();
  const daap::testing::CommandResult wrk = daap::testing::runCommand(
      {"wrk", "-t" + threads, "-c" + connections, "-d" + duration, "--latency", url});
  const double cpu_used = cpuSeconds() - cpu_before;
  server.stop();
  std::cout << wrk.out;
  if (wrk.exit_code != 0) {
    std::cerr << "wrk failed (is it installed?): " << wrk.err << "\n";
    return 1;
  }
  std::smatch requests;
  const bool has_requests =
      std::regex_search(wrk.out, requests, std::regex(R"(([0-9]+) requests in)"));
  std::smatch rate;
  std::smatch p99;
  const bool has_rate =
      std::regex_search(wrk.out, rate, std::regex(R"(Requests/sec:\s+([0-9.]+))"));
  const bool has_p99 = std::regex_search(wrk.out, p99, std::regex(R"(99%\s+([0-9.]+)(us|ms|s))"));
  if (!has_rate || !has_p99 || !has_requests) {
    std::cerr << "cannot read wrk's summary\n";
    return 1;
  }
  double p99_ms = std::stod(p99[1].str());
  if (p99[2] == "us") {
    p99_ms /= 1000;
  } else if (p99[2] == "s") {
    p99_ms *= 1000;
  }
  std::cout << "http_bench connections=" << connections
            << " worker_threads=" << flagValue(args, "worker-threads", "8")
            << " requests_per_sec=" << rate[1] << " p99_ms=" << p99_ms
            << " server_cpu_us_per_request=" << cpu_used * 1e6 / std::stod(requests[1].str())
            << "\n";
  return 0;
}

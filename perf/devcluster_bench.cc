// Devcluster throughput and latency over real HTTPS against a real process: creates/s,
// gets/s, write-to-watch-event latency, and memory with 10,000 stored DaapDatabases.
// Run: build/release/perf/devcluster_bench (see perf/RESULTS.md for recorded figures).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>
#include <glog/logging.h>

#include "lib/json/json.h"
#include "test/support/devcluster.h"
#include "test/support/http_client.h"

namespace {

using daap::testing::DevclusterProcess;
using daap::testing::HttpClient;

constexpr char kDatabases[] = "/apis/daap.io/v1alpha1/namespaces/default/daapdatabases";

DevclusterProcess& cluster() {
  static DevclusterProcess* process = [] {
    auto* started = new DevclusterProcess();  // NOLINT(cppcoreguidelines-owning-memory)
    started->start();
    return started;
  }();
  return *process;
}

std::string database(const std::string& name) {
  return R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","metadata":{"name":")" + name +
         R"(","namespace":"default","labels":{"daap.io/team":"payments",)"
         R"("app.kubernetes.io/managed-by":"daap"},"annotations":{"daap.io/requested-by":)"
         R"("api-key-7f3a"}},"spec":{"ownerTeam":"payments","purpose":"orders service )"
         R"(primary database for the checkout flow","tier":"production"}})";
}

std::atomic<int> next_name{0};

void BM_CreateDatabase(benchmark::State& state) {
  HttpClient client(cluster().url(), cluster().token(), cluster().caPem());
  for (auto _ : state) {
    const std::string name = "bench-" + std::to_string(next_name++);
    const auto result = client.request("POST", kDatabases, database(name));
    if (result.status != 201) {
      state.SkipWithError(("create failed: " + result.body).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CreateDatabase)->Threads(1)->Threads(4)->UseRealTime()->MinTime(2.0);

void BM_GetDatabase(benchmark::State& state) {
  HttpClient client(cluster().url(), cluster().token(), cluster().caPem());
  if (state.thread_index() == 0) {
    (void)client.request("POST", kDatabases, database("get-target"));
  }
  for (auto _ : state) {
    const auto result = client.request("GET", std::string(kDatabases) + "/get-target");
    if (result.status != 200) {
      state.SkipWithError("get failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetDatabase)->Threads(1)->Threads(4)->UseRealTime()->MinTime(2.0);

// Time from sending a status patch to its MODIFIED event arriving on an open watch.
void BM_WriteToWatchEvent(benchmark::State& state) {
  HttpClient client(cluster().url(), cluster().token(), cluster().caPem());
  (void)client.request("POST", kDatabases, database("watched"));
  std::mutex mu;
  std::condition_variable seen_cv;
  std::string seen_purpose;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    HttpClient stream(cluster().url(), cluster().token(), cluster().caPem());
    stream.stream(
        std::string(kDatabases) + "?watch=1&fieldSelector=metadata.name%3Dwatched",
        [&](const std::string& line) {
          const auto event = daap::json::parse(line);
          if (event) {
            const auto* purpose = daap::json::findPath(*event, {"object", "spec", "purpose"});
            if (purpose != nullptr && purpose->IsString()) {
              const std::lock_guard lock(mu);
              seen_purpose = std::string(daap::json::view(*purpose));
              seen_cv.notify_all();
            }
          }
          return !done;
        },
        std::chrono::minutes(10));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // Let the watch attach.
  int round = 0;
  for (auto _ : state) {
    const std::string purpose = "round " + std::to_string(round++);
    const auto start = std::chrono::steady_clock::now();
    (void)client.request("PATCH", std::string(kDatabases) + "/watched",
                         R"({"spec":{"purpose":")" + purpose + "\"}}",
                         "application/merge-patch+json");
    std::unique_lock lock(mu);
    seen_cv.wait_for(lock, std::chrono::seconds(5), [&] { return seen_purpose == purpose; });
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  done = true;
  (void)client.request("PATCH", std::string(kDatabases) + "/watched",
                       R"({"spec":{"purpose":"stop"}})", "application/merge-patch+json");
  watcher.join();
}
BENCHMARK(BM_WriteToWatchEvent)
    ->UseManualTime()
    ->Iterations(500)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true)
    ->ComputeStatistics("p50", [](const std::vector<double>& v) {
      std::vector<double> sorted = v;
      std::sort(sorted.begin(), sorted.end());
      return sorted[sorted.size() / 2];
    });

long rssKib(pid_t pid) {  // NOLINT(google-runtime-int)
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

// Resident memory of a fresh devcluster holding 10,000 DaapDatabases.
void BM_MemoryWith10000Databases(benchmark::State& state) {
  for (auto _ : state) {
    DevclusterProcess fresh;
    fresh.start();
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&fresh, t] {
        HttpClient client(fresh.url(), fresh.token(), fresh.caPem());
        for (int i = t; i < 10000; i += 4) {
          (void)client.request("POST", kDatabases, database("mem-" + std::to_string(i)));
        }
      });
    }
    for (std::thread& writer : writers) {
      writer.join();
    }
    HttpClient client(fresh.url(), fresh.token(), fresh.caPem());
    const auto list = client.request("GET", std::string(kDatabases) + "?limit=1");
    state.counters["rss_mib"] = static_cast<double>(rssKib(fresh.pid())) / 1024.0;
    state.counters["list_ok"] = list.status == 200 ? 1 : 0;
  }
}
BENCHMARK(BM_MemoryWith10000Databases)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  cluster().stop(SIGTERM);
  return 0;
}

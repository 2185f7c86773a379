// Informer cost with 10,000 DaapDatabases in a real devcluster: time from Informer::start() to
// hasSynced(), resident memory of this process once synced, and how long stop() takes.
// Run: build/release/perf/informer_bench (see perf/RESULTS.md for recorded figures).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <glog/logging.h>

#include "lib/base/clock.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/informer.h"
#include "lib/kube/resource.h"
#include "test/support/devcluster.h"

namespace {

using daap::kube::CachedObject;
using daap::kube::Client;
using daap::kube::Informer;
using daap::kube::InformerOptions;
using daap::testing::DevclusterProcess;
namespace json = daap::json;

constexpr int kDatabases = 10000;
constexpr int kWriters = 4;

double rssMib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stod(line.substr(6)) / 1024.0;  // kB
    }
  }
  return -1;
}

json::Document database(const std::string& name) {
  daap::Result<json::Document> document = json::parse(
      R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","metadata":{"name":")" + name +
      R"(","namespace":"default","labels":{"daap.io/team":"payments",)"
      R"("app.kubernetes.io/managed-by":"daap"},"annotations":{"daap.io/requested-by":)"
      R"("api-key-7f3a"}},"spec":{"ownerTeam":"payments","purpose":"orders service )"
      R"(primary database for the checkout flow","tier":"production"}})");
  CHECK(document) << document.error().toString();
  return std::move(document).value();
}

std::unique_ptr<Client> connect(const DevclusterProcess& cluster) {
  daap::kube::ClusterConfig config;
  config.server = cluster.url();
  config.ca_pem = cluster.caPem();
  config.token = cluster.token();
  daap::kube::ClientOptions options;
  options.qps = 0;  // Measure the informer, not client-side throttling.
  daap::Result<std::unique_ptr<Client>> client = Client::create(config, options);
  CHECK(client) << client.error().toString();
  return std::move(client).value();
}

// What a controller keeps of a DaapDatabase: metadata, spec and status.phase.
json::Document keepMetadataSpecPhase(const json::Value& object) {
  json::Document kept;
  kept.SetObject();
  json::Allocator& allocator = kept.GetAllocator();
  for (const std::string_view key : {"metadata", "spec"}) {
    if (const json::Value* value = json::find(object, key); value != nullptr) {
      json::set(kept, key, json::Value(*value, allocator), allocator);
    }
  }
  if (const json::Value* phase = json::findPath(object, {"status", "phase"}); phase != nullptr) {
    json::set(json::ensureObject(kept, "status", allocator), "phase",
              json::Value(*phase, allocator), allocator);
  }
  return kept;
}

// state.range(0): 1 with the projection above, 0 keeping whole objects.
// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ naming.
void BM_InformerSync10000Databases(benchmark::State& state) {
  const bool project = state.range(0) != 0;
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's loop idiom.
  for (auto _ : state) {
    DevclusterProcess cluster;
    cluster.start();
    std::unique_ptr<Client> client = connect(cluster);
    std::atomic<int> failed{0};
    std::vector<std::thread> writers;
    writers.reserve(kWriters);
    for (int t = 0; t < kWriters; ++t) {
      writers.emplace_back([&, t] {
        for (int i = t; i < kDatabases; i += kWriters) {
          if (!client->create(daap::kube::resources::daapDatabases(), "default",
                              database("db-" + std::to_string(i)))) {
            ++failed;
          }
        }
      });
    }
    for (std::thread& writer : writers) {
      writer.join();
    }
    if (failed > 0) {
      state.SkipWithError("creating the databases failed");
      break;
    }

    daap::SystemClock clock;
    InformerOptions options;
    options.namespace_ = "default";
    if (project) {
      options.projection = keepMetadataSpecPhase;
    }
    const double rss_before = rssMib();
    Informer informer(*client, daap::kube::resources::daapDatabases(), options, clock);
    const auto started = std::chrono::steady_clock::now();
    informer.start();
    const bool synced = informer.waitForSync(std::chrono::minutes(2));
    const auto synced_at = std::chrono::steady_clock::now();
    const double rss_after = rssMib();
    if (!synced || informer.size() != static_cast<size_t>(kDatabases)) {
      state.SkipWithError("the informer did not sync 10,000 databases");
      break;
    }
    const auto stopping = std::chrono::steady_clock::now();
    informer.stop();
    const auto stopped = std::chrono::steady_clock::now();

    const double sync_seconds = std::chrono::duration<double>(synced_at - started).count();
    state.SetIterationTime(sync_seconds);
    state.counters["sync_ms"] = sync_seconds * 1000.0;
    state.counters["rss_mib"] = rss_after;
    state.counters["rss_growth_mib"] = rss_after - rss_before;
    state.counters["stop_ms"] =
        std::chrono::duration<double, std::milli>(stopped - stopping).count();
    state.counters["objects"] = static_cast<double>(informer.size());
  }
}
BENCHMARK(BM_InformerSync10000Databases)
    ->ArgName("projection")
    ->Arg(1)
    ->Arg(0)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// lib/kube costs: decoding one 2 KB DaapDatabase watch event (target: median <= 20 us), and
// the client's GET against the same GET on a bare libcurl keep-alive handle, both against one
// real devcluster over HTTPS (target: client overhead <= 10%).
// Run: <build>/perf/kube_bench --benchmark_enable_random_interleaving=true
#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <glog/logging.h>

#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/watch.h"
#include "test/support/devcluster.h"

namespace {

using daap::testing::DevclusterProcess;

constexpr char kObjectPath[] = "/apis/daap.io/v1alpha1/namespaces/default/daapdatabases/bench";

// A DaapDatabase as the operator sees it in a MODIFIED event: labels, annotations, owner data,
// spec and a status with conditions; about 2 KB on the wire.
std::string databaseJson() {
  return R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","metadata":{"name":"bench",)"
         R"("namespace":"default","uid":"0d6f4f7e-4c1b-4d8e-9a55-3f0a2b6c9e11",)"
         R"("resourceVersion":"184467","generation":7,"creationTimestamp":"2026-11-27T12:00:00Z",)"
         R"("labels":{"daap.io/team":"payments","app.kubernetes.io/managed-by":"daap",)"
         R"("daap.io/tier":"production","daap.io/environment":"prod"},"annotations":{)"
         R"("daap.io/requested-by":"api-key-7f3a","daap.io/request-id":)"
         R"("c7f1a2b4-9d3e-4f5a-8b6c-1d2e3f4a5b6c","daap.io/provisioned-tier":)"
         R"("{\"name\":\"production\",\"instances\":3,\"storage\":\"100Gi\",\"cpu\":\"2\",)"
         R"(\"memory\":\"8Gi\",\"backup\":{\"schedule\":\"0 0 * * *\",\"retentionDays\":30}}"},)"
         R"("finalizers":["daap.io/database-protection"]},"spec":{"ownerTeam":"payments",)"
         R"("purpose":"orders service primary database for the checkout flow","tier":"production",)"
         R"("lifecycle":"Active"},"status":{"phase":"Ready","observedGeneration":7,)"
         R"("clusterName":"ddb-payments-orders","host":"ddb-payments-orders-rw.payments.svc",)"
         R"("port":5432,"database":"orders","secretName":"ddb-payments-orders-app",)"
         R"("instances":3,"readyInstances":3,"storageUsedBytes":53687091200,)"
         R"("lastBackupTime":"2026-11-27T00:00:12Z","conditions":[)"
         R"({"type":"Ready","status":"True","observedGeneration":7,)"
         R"("lastTransitionTime":"2026-11-27T12:03:41Z","reason":"ClusterHealthy",)"
         R"("message":"3 of 3 instances ready; primary ddb-payments-orders-1"},)"
         R"({"type":"QuotaAdmitted","status":"True","observedGeneration":7,)"
         R"("lastTransitionTime":"2026-11-27T12:00:01Z","reason":"WithinQuota",)"
         R"("message":"team payments uses 4 of 20 databases and 400Gi of 2Ti storage"},)"
         R"({"type":"BackupHealthy","status":"True","observedGeneration":7,)"
         R"("lastTransitionTime":"2026-11-27T00:00:12Z","reason":"BackupCompleted",)"
         R"("message":"last base backup completed 2026-11-27T00:00:12Z; WAL archiving ok"},)"
         R"({"type":"Progressing","status":"False","observedGeneration":7,)"
         R"("lastTransitionTime":"2026-11-27T12:03:41Z","reason":"Settled",)"
         R"("message":"no change in progress"}]}})";
}

std::string eventLine() {
  return R"({"type":"MODIFIED","object":)" + databaseJson() + "}";
}

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_DecodeWatchEvent(benchmark::State& state) {
  const std::string line = eventLine();
  for ([[maybe_unused]] auto _ : state) {
    daap::Result<daap::kube::WatchEvent> event = daap::kube::decodeWatchEvent(line);
    benchmark::DoNotOptimize(event);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
  state.counters["event_bytes"] = static_cast<double>(line.size());
}

// 100 such events through WatchDecoder in 16 KiB chunks, as curl hands a busy stream over;
// each chunk's events are dropped after decoding, as Client::watch() does once on_event has
// them.
// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_WatchDecoderStream(benchmark::State& state) {
  constexpr int kEvents = 100;
  constexpr size_t kChunk = 16384;
  std::string stream;
  for (int i = 0; i < kEvents; ++i) {
    stream += eventLine() + "\n";
  }
  std::vector<daap::kube::WatchEvent> events;
  int64_t decoded = 0;
  for ([[maybe_unused]] auto _ : state) {
    daap::kube::WatchDecoder decoder;
    for (size_t offset = 0; offset < stream.size(); offset += kChunk) {
      const daap::Result<void> fed =
          decoder.feed(std::string_view(stream).substr(offset, kChunk), events);
      benchmark::DoNotOptimize(fed);
      decoded += static_cast<int64_t>(events.size());
      events.clear();
    }
  }
  if (decoded != state.iterations() * kEvents) {
    state.SkipWithError("events lost");
  }
  state.SetItemsProcessed(decoded);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}

// Started by the first benchmark that needs it (benchmarks run one at a time).
DevclusterProcess* started_cluster = nullptr;

DevclusterProcess& cluster() {
  if (started_cluster == nullptr) {
    started_cluster = new DevclusterProcess();  // NOLINT(cppcoreguidelines-owning-memory)
    started_cluster->start();
  }
  return *started_cluster;
}

std::unique_ptr<daap::kube::Client> benchClient() {
  daap::kube::ClusterConfig config;
  config.server = cluster().url();
  config.ca_pem = cluster().caPem();
  config.token = cluster().token();
  daap::kube::ClientOptions options;
  options.qps = 0;  // Measure the client, not the throttle.
  daap::Result<std::unique_ptr<daap::kube::Client>> client =
      daap::kube::Client::create(config, options);
  CHECK(client) << client.error().toString();
  return std::move(client).value();
}

// The object every GET reads, created once.
void ensureTarget(daap::kube::Client& client) {
  daap::Result<daap::json::Document> object = daap::json::parse(databaseJson());
  CHECK(object);
  daap::json::Value& metadata = *daap::json::find(*object, "metadata");
  daap::json::erase(metadata, "uid");
  daap::json::erase(metadata, "resourceVersion");
  daap::json::erase(metadata, "creationTimestamp");
  daap::json::erase(metadata, "generation");
  daap::json::erase(metadata, "finalizers");
  daap::json::erase(*object, "status");
  const daap::Result<daap::json::Document> created =
      client.create(daap::kube::resources::daapDatabases(), "default", *object);
  CHECK(created || created.error().code == daap::ErrorCode::AlreadyExists)
      << created.error().toString();
}

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_ClientGet(benchmark::State& state) {
  const std::unique_ptr<daap::kube::Client> client = benchClient();
  ensureTarget(*client);
  for ([[maybe_unused]] auto _ : state) {
    daap::Result<daap::json::Document> object =
        client->get(daap::kube::resources::daapDatabases(), "default", "bench");
    if (!object) {
      state.SkipWithError(object.error().toString().c_str());
      break;
    }
    benchmark::DoNotOptimize(object);
  }
  state.SetItemsProcessed(state.iterations());
}

// The client without JSON decoding: its transport cost alone.
// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_ClientRawRequest(benchmark::State& state) {
  const std::unique_ptr<daap::kube::Client> client = benchClient();
  ensureTarget(*client);
  for ([[maybe_unused]] auto _ : state) {
    daap::Result<daap::kube::RawResponse> response = client->request("GET", kObjectPath);
    if (!response || response->http_status != 200) {
      state.SkipWithError("raw request failed");
      break;
    }
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}

size_t appendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// The floor: one libcurl easy handle, configured once, kept alive, the same headers.
void rawCurlGet(benchmark::State& state, bool parse) {
  ensureTarget(*benchClient());
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* curl = curl_easy_init();
  const std::string url = cluster().url() + kObjectPath;
  const std::string ca = cluster().caPem();
  curl_blob blob{const_cast<char*>(ca.data()), ca.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, ("Authorization: Bearer " + cluster().token()).c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  std::string body;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, appendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  for ([[maybe_unused]] auto _ : state) {
    body.clear();
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;  // NOLINT(google-runtime-int): libcurl's type.
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK || status != 200) {
      state.SkipWithError("raw GET failed");
      break;
    }
    if (parse) {
      daap::Result<daap::json::Document> object = daap::json::parse(body);
      benchmark::DoNotOptimize(object);
    }
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  state.SetItemsProcessed(state.iterations());
}

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_RawCurlGet(benchmark::State& state) {
  rawCurlGet(state, false);
}

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_RawCurlGetAndParse(benchmark::State& state) {
  rawCurlGet(state, true);
}

BENCHMARK(BM_DecodeWatchEvent)->Repetitions(10)->ReportAggregatesOnly(true);
BENCHMARK(BM_WatchDecoderStream)->Repetitions(5)->ReportAggregatesOnly(true);
// The four GETs read one object from one devcluster; each raw floor runs right before the
// client figure it bounds. --benchmark_enable_random_interleaving=true spreads machine drift.
BENCHMARK(BM_RawCurlGet)->UseRealTime()->MinTime(1.0)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_ClientRawRequest)
    ->UseRealTime()
    ->MinTime(1.0)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_RawCurlGetAndParse)
    ->UseRealTime()
    ->MinTime(1.0)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_ClientGet)->UseRealTime()->MinTime(1.0)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (started_cluster != nullptr) {
    started_cluster->stop(SIGKILL);  // Nothing to flush; SIGTERM currently hangs devcluster.
  }
  return 0;
}

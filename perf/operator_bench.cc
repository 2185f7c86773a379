// daap-operator at scale against a real devcluster in CNPG fast mode (HTTPS, bearer token,
// write-ahead log), both processes on this machine:
//   1. latency: median time from a DaapDatabase create (the API's answer) to the CNPG Cluster's
//      ADDED watch event, one database at a time;
//   2. cold start: N databases over M namespaces created while the operator is down, then the
//      operator starts: time until every database is Ready (from its daap_databases metric);
//   3. steady state: writes the operator sends over several resync periods once all are Ready
//      (daap_operator_writes_total), and its resident memory (VmRSS) with all N cached.
// Run: build/release/perf/operator_bench [--databases=10000] [--namespaces=100]
//      [--latency-samples=100] [--workers=4]; figures go to perf/RESULTS.md.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <glog/logging.h>

#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/resource.h"
#include "test/operator/operator_process.h"
#include "test/support/devcluster.h"

namespace {

using daap::kube::Client;
using daap::testing::DevclusterProcess;
using daap::testing::OperatorProcess;
using Clock = std::chrono::steady_clock;
namespace json = daap::json;
namespace resources = daap::kube::resources;

std::map<std::string, int> flags(int argc, char** argv) {
  std::map<std::string, int> values = {
      {"databases", 10000}, {"namespaces", 100}, {"latency-samples", 100}, {"workers", 4}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t equals = arg.find('=');
    if (arg.rfind("--", 0) == 0 && equals != std::string::npos) {
      values[arg.substr(2, equals - 2)] = std::stoi(arg.substr(equals + 1));
    }
  }
  return values;
}

std::unique_ptr<Client> connect(const DevclusterProcess& cluster) {
  daap::kube::ClusterConfig config;
  config.server = cluster.url();
  config.ca_pem = cluster.caPem();
  config.token = cluster.token();
  daap::kube::ClientOptions options;
  options.qps = 0;
  auto client = Client::create(config, options);
  CHECK(client.has_value()) << client.error().toString();
  return std::move(client).value();
}

json::Document parse(const std::string& text) {
  daap::Result<json::Document> document = json::parse(text);
  CHECK(document.has_value()) << document.error().toString();
  return std::move(document).value();
}

json::Document database(const std::string& namespace_, const std::string& name) {
  return parse(R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","metadata":{"name":")" +
               name + R"(","namespace":")" + namespace_ +
               R"("},"spec":{"ownerTeam":"payments","purpose":"scale test","tier":"bulk"}})");
}

void createTier(Client& client) {
  const json::Document tier =
      parse(R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapTier","metadata":{"name":"bulk"},)"
            R"("spec":{"description":"bulk","postgresVersion":17,"instances":1,)"
            R"("resources":{"cpu":"100m","memory":"256Mi"},"storage":{"size":"1Gi"},)"
            R"("destruction":{"strategy":"hard"},"quota":{"maxDatabases":100000,)"
            R"("maxCpu":"100000","maxMemory":"100000Gi","maxStorage":"1000000Gi"}}})");
  auto created = client.create(resources::daapTiers(), "", tier);
  CHECK(created.has_value()) << created.error().toString();
}

void createNamespace(Client& client, const std::string& name) {
  const json::Document ns = parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" +
                                  name + R"(","labels":{"daap.io/team":"payments"}}})");
  auto created = client.create(resources::namespaces(), "", ns);
  CHECK(created.has_value() || created.error().code == daap::ErrorCode::AlreadyExists);
}

double rssMib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stod(line.substr(6)) / 1024.0;
    }
  }
  return -1;
}

// User plus system CPU seconds a process has used, from /proc/<pid>/stat.
double cpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index >= 14) {
      ticks += std::stod(field);
    }
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// 1. Create -> Cluster ADDED, one database at a time, with the operator running.
void measureLatency(DevclusterProcess& cluster, Client& client, int samples, int workers) {
  createNamespace(client, "latency");
  OperatorProcess daap_operator(
      cluster, {"--leader-election=false", "--workers=" + std::to_string(workers)});
  daap_operator.start();
  std::mutex mu;
  std::map<std::string, Clock::time_point> seen;
  std::stop_source stop;
  std::thread watcher([&] {
    daap::kube::WatchOptions options;
    auto result = client.watch(
        resources::cnpgClusters(), "latency", options,
        [&](daap::kube::WatchEvent&& event) {
          if (event.type == daap::kube::WatchEventType::Added) {
            const std::string name(json::getString(event.object["metadata"], "name"));
            std::lock_guard lock(mu);
            seen.emplace(name, Clock::now());
          }
          return true;
        },
        stop.get_token());
    (void)result;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // Let the watch open.
  std::vector<double> millis;
  for (int i = 0; i < samples; ++i) {
    const std::string name = "lat-" + std::to_string(i);
    const Clock::time_point start = Clock::now();
    auto created = client.create(resources::daapDatabases(), "latency", database("latency", name));
    CHECK(created.has_value()) << created.error().toString();
    const Clock::time_point deadline = start + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(mu);
        if (const auto found = seen.find(name); found != seen.end()) {
          millis.push_back(
              std::chrono::duration<double, std::milli>(found->second - start).count());
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  stop.request_stop();
  watcher.join();
  daap_operator.stop(SIGTERM);
  CHECK(!millis.empty());
  std::sort(millis.begin(), millis.end());
  std::cout << "create->Cluster latency: samples=" << millis.size()
            << " median_ms=" << millis[millis.size() / 2]
            << " p90_ms=" << millis[millis.size() * 9 / 10] << " max_ms=" << millis.back()
            << std::endl;
}

// 2 and 3. Cold start with N databases, then steady state.
void measureScale(DevclusterProcess& cluster, Client& client, int databases, int namespaces,
                  int workers, int already_ready) {
  for (int n = 0; n < namespaces; ++n) {
    createNamespace(client, "scale-" + std::to_string(n));
  }
  const Clock::time_point create_start = Clock::now();
  std::atomic<int> next{0};
  constexpr int kWriters = 4;
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = next++; i < databases; i = next++) {
        const std::string namespace_ = "scale-" + std::to_string(i % namespaces);
        auto created = client.create(resources::daapDatabases(), namespace_,
                                     database(namespace_, "db-" + std::to_string(i)));
        CHECK(created.has_value()) << created.error().toString();
      }
    });
  }
  for (std::thread& writer : writers) {
    writer.join();
  }
  std::cout << "created " << databases << " databases in "
            << std::chrono::duration<double>(Clock::now() - create_start).count() << " s"
            << std::endl;

  OperatorProcess daap_operator(cluster,
                                {"--leader-election=false", "--workers=" + std::to_string(workers),
                                 "--resync-seconds=20", "--qps=100000", "--burst=100000"});
  const Clock::time_point start = Clock::now();
  const double cluster_cpu_before = cpuSeconds(cluster.pid());
  daap_operator.start();
  double ready = 0;
  while (Clock::now() - start < std::chrono::minutes(10)) {
    ready = daap_operator.metric("daap_databases", "phase=\"Ready\"");
    if (ready >= databases + already_ready) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double converge_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "cold start: " << ready - already_ready << "/" << databases << " Ready after "
            << converge_s << " s; operator RSS " << rssMib(daap_operator.pid()) << " MiB"
            << std::endl;
  // Where the time went: both processes share this machine's cores, and the devcluster
  // (API server and CNPG stand-in) does its share of the work for every database.
  std::cout << "cold start CPU: operator " << cpuSeconds(daap_operator.pid()) << " s, devcluster "
            << cpuSeconds(cluster.pid()) - cluster_cpu_before << " s" << std::endl;

  // Steady state: wait until the devcluster's stand-in and the operator are quiet, then watch
  // the writes counter across more than one resync period.
  double writes = daap_operator.metric("daap_operator_writes_total");
  for (int i = 0; i < 60; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const double now = daap_operator.metric("daap_operator_writes_total");
    if (now == writes) {
      break;
    }
    writes = now;
  }
  const double reconciles = daap_operator.metric("daap_reconcile_total", "controller=\"database\"");
  std::this_thread::sleep_for(std::chrono::seconds(45));
  const double reconciles_after =
      daap_operator.metric("daap_reconcile_total", "controller=\"database\"");
  std::cout << "steady state: " << (reconciles_after - reconciles)
            << " database reconciles over 45 s (resync 20 s), writes "
            << (daap_operator.metric("daap_operator_writes_total") - writes) << "; operator RSS "
            << rssMib(daap_operator.pid()) << " MiB" << std::endl;
  daap_operator.stop(SIGTERM);
}

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  const std::map<std::string, int> values = flags(argc, argv);
  DevclusterProcess cluster(DevclusterProcess::Options{{"--cnpg-ready-after=200ms"}});
  cluster.start();
  const std::unique_ptr<Client> client = connect(cluster);
  createTier(*client);
  measureLatency(cluster, *client, values.at("latency-samples"), values.at("workers"));
  measureScale(cluster, *client, values.at("databases"), values.at("namespaces"),
               values.at("workers"), values.at("latency-samples"));
  return 0;
}

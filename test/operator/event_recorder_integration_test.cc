#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <glog/logging.h>
#include <gtest/gtest.h>

#include "lib/base/clock.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/objects.h"
#include "lib/kube/resource.h"
#include "lib/metrics/metrics.h"
#include "operator/event_recorder.h"
#include "test/support/devcluster.h"

namespace daap::controller {
namespace {

using std::chrono::milliseconds;
using testing::DevclusterProcess;

constexpr auto kFlush = std::chrono::seconds(30);

const kube::Resource& configMaps() {
  static const kube::Resource kResource{"", "v1", "configmaps", "ConfigMap", true};
  return kResource;
}

std::unique_ptr<kube::Client> makeClient(const DevclusterProcess& cluster) {
  kube::ClusterConfig config;
  config.server = cluster.url();
  config.ca_pem = cluster.caPem();
  config.token = cluster.token();
  config.namespace_ = "default";
  Result<std::unique_ptr<kube::Client>> client = kube::Client::create(std::move(config));
  CHECK(client) << client.error().toString();
  return std::move(client).value();
}

DevclusterProcess* shared_cluster = nullptr;

class EventRecorderIntegrationTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    shared_cluster = new DevclusterProcess();  // NOLINT(cppcoreguidelines-owning-memory)
    shared_cluster->start();
  }
  static void TearDownTestSuite() {
    delete shared_cluster;  // NOLINT(cppcoreguidelines-owning-memory)
    shared_cluster = nullptr;
  }

  void SetUp() override { client_ = makeClient(*shared_cluster); }

  // A real object to attach events to, named after the test.
  json::Document createObject() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    Result<json::Document> parsed =
        json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
                    R"(","namespace":"default"},"data":{"k":"v"}})");
    CHECK(parsed);
    Result<json::Document> created = client_->create(configMaps(), "default", *parsed);
    CHECK(created) << created.error().toString();
    return std::move(created).value();
  }

  // The events about `object`, as kubectl describe finds them.
  std::vector<json::Document> eventsFor(const json::Value& object) {
    const kube::ObjectMeta meta = kube::readMeta(object);
    kube::ListOptions options;
    options.field_selector = "involvedObject.name=" + meta.name +
                             ",involvedObject.namespace=" + meta.namespace_ +
                             ",involvedObject.uid=" + meta.uid;
    Result<kube::ListPage> page =
        client_->list(kube::resources::events(), meta.namespace_, options);
    CHECK(page) << page.error().toString();
    std::vector<json::Document> out;
    for (const json::Value& item : page->list["items"].GetArray()) {
      out.push_back(json::clone(item));
    }
    return out;
  }

  SystemClock clock_;
  std::unique_ptr<kube::Client> client_;
};

std::string field(const json::Value& object, std::initializer_list<std::string_view> path) {
  const json::Value* value = json::findPath(object, path);
  return value != nullptr && value->IsString() ? std::string(json::view(*value)) : std::string();
}

int count(const json::Value& event) {
  const json::Value* value = json::find(event, "count");
  return value != nullptr && value->IsInt() ? value->GetInt() : -1;
}

TEST_F(EventRecorderIntegrationTest, EventNamesItsObjectAndKubectlDescribeShowsIt) {
  const json::Document object = createObject();
  EventRecorderOptions options;
  options.instance = "replica-a";
  EventRecorder recorder(*client_, clock_, options);
  recorder.start();
  recorder.normal(object, "Provisioned", "CNPG cluster created");
  ASSERT_TRUE(recorder.flush(kFlush));

  const std::vector<json::Document> events = eventsFor(object);
  ASSERT_EQ(events.size(), 1U);
  const json::Value& event = events[0];
  const kube::ObjectMeta meta = kube::readMeta(object);
  EXPECT_EQ(field(event, {"involvedObject", "kind"}), "ConfigMap");
  EXPECT_EQ(field(event, {"involvedObject", "apiVersion"}), "v1");
  EXPECT_EQ(field(event, {"involvedObject", "name"}), meta.name);
  EXPECT_EQ(field(event, {"involvedObject", "uid"}), meta.uid);
  EXPECT_EQ(field(event, {"type"}), "Normal");
  EXPECT_EQ(field(event, {"reason"}), "Provisioned");
  EXPECT_EQ(field(event, {"message"}), "CNPG cluster created");
  EXPECT_EQ(field(event, {"source", "component"}), "daap-operator");
  EXPECT_EQ(field(event, {"reportingInstance"}), "replica-a");
  EXPECT_EQ(count(event), 1);

  const testing::CommandResult described =
      shared_cluster->kubectl({"describe", "configmap", meta.name, "-n", "default"});
  ASSERT_EQ(described.exit_code, 0) << described.err;
  EXPECT_NE(described.out.find("Provisioned"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("CNPG cluster created"), std::string::npos) << described.out;
}

TEST_F(EventRecorderIntegrationTest, RepeatsBumpCountInsteadOfAddingEvents) {
  const json::Document object = createObject();
  EventRecorder recorder(*client_, clock_);
  recorder.start();
  for (int i = 0; i < 3; ++i) {
    recorder.warning(object, "ClusterFailed", "instance 1 is not ready");
  }
  recorder.normal(object, "Ready", "database is ready");
  ASSERT_TRUE(recorder.flush(kFlush));

  const std::vector<json::Document> events = eventsFor(object);
  ASSERT_EQ(events.size(), 2U);
  for (const json::Document& event : events) {
    if (field(event, {"reason"}) == "ClusterFailed") {
      EXPECT_EQ(field(event, {"type"}), "Warning");
      EXPECT_EQ(count(event), 3);
    } else {
      EXPECT_EQ(field(event, {"reason"}), "Ready");
      EXPECT_EQ(count(event), 1);
    }
  }
  const EventRecorderStats stats = recorder.stats();
  EXPECT_EQ(stats.created, 2U);
  EXPECT_EQ(stats.aggregated, 2U);
  EXPECT_EQ(stats.failed, 0U);
}

TEST_F(EventRecorderIntegrationTest, RepeatAfterTheWindowStartsANewEvent) {
  const json::Document object = createObject();
  FakeClock clock(std::chrono::system_clock::now());
  EventRecorder recorder(*client_, clock);
  recorder.start();
  recorder.normal(object, "Frozen", "cluster hibernated");
  ASSERT_TRUE(recorder.flush(kFlush));
  clock.advance(std::chrono::minutes(11));
  recorder.normal(object, "Frozen", "cluster hibernated");
  ASSERT_TRUE(recorder.flush(kFlush));
  EXPECT_EQ(eventsFor(object).size(), 2U);
}

TEST_F(EventRecorderIntegrationTest, EvictedFromTheCacheMeansANewEvent) {
  const json::Document object = createObject();
  EventRecorderOptions options;
  options.cache_capacity = 1;  // Remembers only the latest event.
  EventRecorder recorder(*client_, clock_, options);
  recorder.start();
  recorder.normal(object, "A", "first");
  recorder.normal(object, "B", "second");
  recorder.normal(object, "A", "first");
  recorder.normal(object, "A", "first");
  ASSERT_TRUE(recorder.flush(kFlush));
  EXPECT_EQ(eventsFor(object).size(), 3U);
  EXPECT_EQ(recorder.stats().created, 3U);
  EXPECT_EQ(recorder.stats().aggregated, 1U);
}

TEST_F(EventRecorderIntegrationTest, DeletedEventIsCreatedAgain) {
  const json::Document object = createObject();
  EventRecorder recorder(*client_, clock_);
  recorder.start();
  recorder.normal(object, "Provisioned", "created");
  ASSERT_TRUE(recorder.flush(kFlush));
  std::vector<json::Document> events = eventsFor(object);
  ASSERT_EQ(events.size(), 1U);
  const kube::ObjectMeta first = kube::readMeta(events[0]);
  // Events expire on a real server; the next repeat must not be lost.
  ASSERT_TRUE(client_->remove(kube::resources::events(), first.namespace_, first.name));
  recorder.normal(object, "Provisioned", "created");
  ASSERT_TRUE(recorder.flush(kFlush));
  events = eventsFor(object);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_NE(kube::readMeta(events[0]).name, first.name);
  EXPECT_EQ(count(events[0]), 1);
  EXPECT_EQ(recorder.stats().failed, 0U);
}

TEST_F(EventRecorderIntegrationTest, FullQueueDropsAndCounts) {
  const json::Document object = createObject();
  metrics::Registry registry;
  EventRecorderOptions options;
  options.queue_capacity = 2;
  options.registerMetrics(registry);
  EventRecorder recorder(*client_, clock_, options);
  // Not started yet: nothing drains the queue, so the third and later are refused at once.
  for (int i = 0; i < 5; ++i) {
    recorder.normal(object, "Step", "step " + std::to_string(i));
  }
  EXPECT_EQ(recorder.stats().recorded, 2U);
  EXPECT_EQ(recorder.stats().dropped, 3U);
  recorder.start();
  ASSERT_TRUE(recorder.flush(kFlush));
  EXPECT_EQ(eventsFor(object).size(), 2U);
  const std::string text = registry.exposition();
  EXPECT_NE(text.find("daap_events_total{result=\"dropped\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("daap_events_total{result=\"created\"} 2\n"), std::string::npos) << text;
}

TEST_F(EventRecorderIntegrationTest, UnreachableServerCountsFailuresWithoutBlocking) {
  DevclusterProcess cluster;
  cluster.start();
  std::unique_ptr<kube::Client> client = makeClient(cluster);
  kube::ObjectReference reference{"v1", "ConfigMap", "gone", "default", "uid-1"};
  cluster.stop(SIGKILL);
  EventRecorder recorder(*client, clock_);
  recorder.start();
  recorder.record(reference, kube::EventType::Warning, "Failed", "no server");
  ASSERT_TRUE(recorder.flush(std::chrono::minutes(2)));
  EXPECT_EQ(recorder.stats().failed, 1U);
  EXPECT_EQ(recorder.stats().created, 0U);
}

TEST(RecordingEventSinkTest, KeepsEventsInOrder) {
  RecordingEventSink sink;
  const kube::ObjectReference reference{"daap.io/v1alpha1", "DaapDatabase", "orders", "team-a",
                                        "uid-1"};
  sink.record(reference, kube::EventType::Normal, "Provisioning", "creating cluster");
  sink.record(reference, kube::EventType::Warning, "QuotaExceeded", "cpu");
  EXPECT_EQ(sink.reasons(), (std::vector<std::string>{"Provisioning", "QuotaExceeded"}));
  EXPECT_EQ(sink.events()[1].type, kube::EventType::Warning);
  sink.clear();
  EXPECT_TRUE(sink.events().empty());
}

}  // namespace
}  // namespace daap::controller

#include <signal.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <glog/logging.h>
#include <gtest/gtest.h>

#include "lib/base/clock.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/objects.h"
#include "lib/kube/resource.h"
#include "operator/leader_election.h"
#include "test/support/devcluster.h"

namespace daap::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::DevclusterProcess;

std::unique_ptr<kube::Client> makeClient(const DevclusterProcess& cluster) {
  kube::ClusterConfig config;
  config.server = cluster.url();
  config.ca_pem = cluster.caPem();
  config.token = cluster.token();
  config.namespace_ = "default";
  kube::ClientOptions options;
  // Well under the renew deadline, as an operator configures the elector's client.
  options.request_timeout = milliseconds(1000);
  options.max_retries = 0;
  Result<std::unique_ptr<kube::Client>> client =
      kube::Client::create(std::move(config), std::move(options));
  CHECK(client) << client.error().toString();
  return std::move(client).value();
}

template <typename Condition>
bool eventually(Condition condition, std::chrono::steady_clock::duration timeout = seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return condition();
}

// Counts leaders through the callbacks, which fire on each elector's own thread: a second
// on_started_leading while another candidate has not stopped is a split brain.
struct LeaderCount {
  std::mutex mu;
  int active = 0;      // Guarded by mu.
  int max_active = 0;  // Guarded by mu.
  int starts = 0;      // Guarded by mu.

  void started() {
    const std::lock_guard<std::mutex> lock(mu);
    ++starts;
    max_active = std::max(max_active, ++active);
  }
  void stopped() {
    const std::lock_guard<std::mutex> lock(mu);
    --active;
  }
  int maxActive() {
    const std::lock_guard<std::mutex> lock(mu);
    return max_active;
  }
  int startCount() {
    const std::lock_guard<std::mutex> lock(mu);
    return starts;
  }
};

DevclusterProcess* shared_cluster = nullptr;

class LeaderElectionIntegrationTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    shared_cluster = new DevclusterProcess();  // NOLINT(cppcoreguidelines-owning-memory)
    shared_cluster->start();
  }
  static void TearDownTestSuite() {
    delete shared_cluster;  // NOLINT(cppcoreguidelines-owning-memory)
    shared_cluster = nullptr;
  }

  void SetUp() override {
    client_a_ = makeClient(*shared_cluster);
    client_b_ = makeClient(*shared_cluster);
    lease_name_ =
        std::string("lease-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : lease_name_) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }

  // 2 s lease, 1.5 s renew deadline, 200 ms retry: short enough for tests, same rules.
  LeaderElectionConfig config(const std::string& identity,
                              milliseconds lease_duration = seconds(2)) {
    LeaderElectionConfig out;
    out.namespace_ = "default";
    out.name = lease_name_;
    out.identity = identity;
    out.lease_duration = lease_duration;
    out.renew_deadline = lease_duration * 3 / 4;
    out.retry_period = milliseconds(200);
    out.on_started_leading = [this] {
      count_.started();
    };
    out.on_stopped_leading = [this] {
      count_.stopped();
    };
    return out;
  }

  kube::LeaseSpec readLease() {
    Result<json::Document> lease =
        client_a_->get(kube::resources::leases(), "default", lease_name_);
    CHECK(lease) << lease.error().toString();
    Result<kube::LeaseSpec> spec = kube::readLeaseSpec(*lease);
    CHECK(spec) << spec.error().toString();
    return std::move(spec).value();
  }

  SystemClock clock_;
  std::unique_ptr<kube::Client> client_a_;
  std::unique_ptr<kube::Client> client_b_;
  std::string lease_name_;
  LeaderCount count_;
};

TEST_F(LeaderElectionIntegrationTest, ExactlyOneOfTwoCandidatesLeads) {
  LeaderElector a(*client_a_, clock_, config("replica-a"));
  LeaderElector b(*client_b_, clock_, config("replica-b"));
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.isLeader() || b.isLeader(); }));
  LeaderElector& leader = a.isLeader() ? a : b;
  LeaderElector& follower = a.isLeader() ? b : a;

  // Several lease durations of renewals: the leader keeps it, the follower never leads.
  const auto until = std::chrono::steady_clock::now() + seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(leader.isLeader());
    ASSERT_FALSE(follower.isLeader());
    std::this_thread::sleep_for(milliseconds(50));
  }
  const kube::LeaseSpec lease = readLease();
  EXPECT_EQ(lease.holder_identity, leader.identity());
  EXPECT_EQ(lease.lease_duration, seconds(2));
  ASSERT_TRUE(lease.acquire_time.has_value());
  ASSERT_TRUE(lease.renew_time.has_value());
  EXPECT_GT(*lease.renew_time, *lease.acquire_time);  // Renewed, acquisition time kept.
  EXPECT_EQ(follower.observedHolder(), leader.identity());
  EXPECT_EQ(count_.maxActive(), 1);
  EXPECT_EQ(count_.startCount(), 1);
}

TEST_F(LeaderElectionIntegrationTest, FollowerTakesOverWhenTheLeaderStopsRenewing) {
  LeaderElector a(*client_a_, clock_, config("replica-a"));
  a.start();
  ASSERT_TRUE(eventually([&] { return a.isLeader(); }));
  LeaderElector b(*client_b_, clock_, config("replica-b"));
  b.start();
  ASSERT_TRUE(eventually([&] { return b.observedHolder() == "replica-a"; }));
  const int32_t transitions = readLease().lease_transitions;

  // As if replica-a died: no more renewals, and the lease is left as it was.
  const auto died = std::chrono::steady_clock::now();
  a.stop();
  EXPECT_EQ(readLease().holder_identity, "replica-a");
  ASSERT_TRUE(eventually([&] { return b.isLeader(); }));
  const auto takeover = std::chrono::steady_clock::now() - died;
  LOG(INFO) << "takeover after leader death took_ms="
            << std::chrono::duration_cast<milliseconds>(takeover).count();

  // Not before the lease expired: replica-a renewed at most one retry period before it died.
  EXPECT_GE(takeover, seconds(2) - milliseconds(200) - milliseconds(300));

  const kube::LeaseSpec lease = readLease();
  EXPECT_EQ(lease.holder_identity, "replica-b");
  EXPECT_EQ(lease.lease_transitions, transitions + 1);
  EXPECT_EQ(count_.maxActive(), 1);
}

TEST_F(LeaderElectionIntegrationTest, ReleaseHandsOverBeforeTheLeaseWouldExpire) {
  // A long lease: without release() the follower would wait 30 s.
  constexpr auto kLease = seconds(30);
  LeaderElector a(*client_a_, clock_, config("replica-a", kLease));
  a.start();
  ASSERT_TRUE(eventually([&] { return a.isLeader(); }));
  LeaderElector b(*client_b_, clock_, config("replica-b", kLease));
  b.start();
  ASSERT_TRUE(eventually([&] { return b.observedHolder() == "replica-a"; }));

  const auto released = std::chrono::steady_clock::now();
  ASSERT_TRUE(a.release());
  EXPECT_FALSE(a.isLeader());
  ASSERT_TRUE(eventually([&] { return b.isLeader(); }, kLease - seconds(5)));
  LOG(INFO) << "handover after release took_ms="
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - released)
                   .count();
  EXPECT_EQ(readLease().holder_identity, "replica-b");
  EXPECT_EQ(count_.maxActive(), 1);
}

TEST_F(LeaderElectionIntegrationTest, CandidatesNeverLeadTogetherThroughRepeatedHandovers) {
  LeaderElector a(*client_a_, clock_, config("replica-a"));
  LeaderElector b(*client_b_, clock_, config("replica-b"));
  std::atomic<bool> watching{true};
  std::atomic<int> both{0};
  std::thread watcher([&] {
    while (watching) {
      if (a.isLeader() && b.isLeader()) {
        ++both;
      }
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  a.start();
  b.start();
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(eventually([&] { return a.isLeader() || b.isLeader(); }));
    LeaderElector& leader = a.isLeader() ? a : b;
    ASSERT_TRUE(leader.release());
    leader.start();  // Rejoins as a candidate.
  }
  ASSERT_TRUE(eventually([&] { return count_.startCount() == 4; }));
  watching = false;
  watcher.join();
  EXPECT_EQ(both.load(), 0);
  EXPECT_EQ(count_.maxActive(), 1);
}

TEST_F(LeaderElectionIntegrationTest, LeaderStepsDownWhenItCannotRenew) {
  // Its own devcluster: this test stops the API server.
  DevclusterProcess cluster;
  cluster.start();
  std::unique_ptr<kube::Client> client = makeClient(cluster);
  LeaderElector a(*client, clock_, config("replica-a"));
  a.start();
  ASSERT_TRUE(eventually([&] { return a.isLeader(); }));

  cluster.stop(SIGKILL);
  ASSERT_TRUE(eventually([&] { return !a.isLeader(); }));
  EXPECT_EQ(count_.maxActive(), 1);

  // Back again (state survives the restart): the candidate leads again by itself.
  cluster.start();
  // isLeader() turns true just before on_started_leading runs.
  ASSERT_TRUE(eventually([&] { return count_.startCount() == 2; }));
  EXPECT_TRUE(a.isLeader());
}

}  // namespace
}  // namespace daap::controller

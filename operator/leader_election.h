#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "lib/base/clock.h"
#include "lib/base/result.h"
#include "lib/kube/client.h"
#include "lib/kube/objects.h"
#include "lib/metrics/metrics.h"

namespace daap::controller {

struct LeaderElectionConfig {
  std::string namespace_;  // Where the coordination.k8s.io/v1 Lease lives.
  std::string name;        // The Lease's name, e.g. "daap-operator".
  std::string identity;    // This candidate, unique per replica (e.g. the pod name).
  // How long a lease stays valid after its holder last renewed it, as seen by the others.
  std::chrono::milliseconds lease_duration{std::chrono::seconds(15)};
  // How long the leader keeps trying to renew before it gives up leading. Must be shorter than
  // lease_duration so a leader stops working before anyone else may start.
  std::chrono::milliseconds renew_deadline{std::chrono::seconds(10)};
  // How often to try to acquire, and to renew while leading.
  std::chrono::milliseconds retry_period{std::chrono::seconds(2)};
  // Called on the elector's thread when this candidate becomes leader and when it stops being
  // leader (renewal failed past renew_deadline, another holder appeared, stop() or release()).
  // They must return quickly (start or stop workers, then return): the lease is not renewed
  // while they run.
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  // Called when the observed holder changes (including to this candidate, or to "").
  std::function<void(const std::string& holder)> on_new_leader;
  // 1 while leading, 0 otherwise. A default handle records nothing.
  metrics::Gauge leader_gauge;
};

// client-go's Lease-based leader election. One thread loops: try to acquire the Lease every
// retry_period until it succeeds, then renew it every retry_period; when renewals fail for
// longer than renew_deadline, or the Lease shows another holder, leadership is lost
// (on_stopped_leading) and the candidate goes back to acquiring.
//
// A lease is free when absent, when its holderIdentity is empty, or when it has expired:
// its record (holder, renewTime, ...) has not changed for leaseDurationSeconds as measured with
// this candidate's own monotonic clock from the moment it first saw that record (as client-go
// does), so clock skew between replicas never matters. Every write is an update with the
// observed resourceVersion as precondition (or a create when absent): a 409 means someone else
// wrote first, and this round is lost. leaseTransitions increments on each change of holder;
// acquireTime is kept across renewals.
//
// The Client's request timeout bounds how long one renewal can take, so keep it well under
// renew_deadline (a few seconds) for the client the elector uses.
// Thread-safe. The destructor calls stop().
class LeaderElector {
public:
  LeaderElector(kube::Client& client, const Clock& clock, LeaderElectionConfig config);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts campaigning on a thread of its own.
  void start();
  // Stops campaigning without touching the Lease, as if the process died: another candidate
  // takes over once the lease expires. Calls on_stopped_leading if leading. Idempotent.
  void stop();
  // Clean shutdown: stops campaigning and, if leading, frees the Lease (empty holder) so another
  // candidate takes over at its next retry instead of waiting for expiry. Calls
  // on_stopped_leading before freeing. The error is the failed write (the lease then expires).
  Result<void> release();

  // Whether this candidate currently leads (set before on_started_leading, cleared before
  // on_stopped_leading).
  bool isLeader() const { return leading_.load(); }
  // The holder in the last Lease record this candidate read or wrote ("" when free or unknown).
  std::string observedHolder() const;
  const std::string& identity() const { return config_.identity; }

private:
  enum class Attempt { Acquired, HeldByOther, Failed };

  void run(const std::stop_token& stop);
  // One acquire-or-renew round, as client-go's tryAcquireOrRenew.
  Attempt tryAcquireOrRenew();
  void observe(const kube::LeaseSpec& spec, const std::string& resource_version);
  void setLeading(bool leading);
  // Waits `period` or until stop is requested; false when stopping.
  bool sleepFor(const std::stop_token& stop, std::chrono::milliseconds period);

  kube::Client& client_;
  const Clock& clock_;
  const LeaderElectionConfig config_;

  std::atomic<bool> leading_{false};

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  // Guarded by mu_.
  std::optional<kube::LeaseSpec> observed_;
  std::string observed_resource_version_;
  std::chrono::steady_clock::time_point observed_time_;

  std::mutex lifecycle_mu_;
  // Guarded by lifecycle_mu_.
  std::jthread thread_;
};

}  // namespace daap::controller

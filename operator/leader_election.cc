#include "operator/leader_election.h"

#include <random>
#include <utility>

#include <glog/logging.h>

#include "lib/json/json.h"
#include "lib/kube/resource.h"

namespace daap::controller {

namespace {

// The lease's duration as written in leaseDurationSeconds: whole seconds, rounded up, at
// least one.
std::chrono::seconds wholeSeconds(std::chrono::milliseconds duration) {
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(duration);
  return std::max(seconds, std::chrono::seconds(1));
}

json::Document emptyLease(const std::string& namespace_, const std::string& name) {
  json::Document lease(rapidjson::kObjectType);
  json::Allocator& allocator = lease.GetAllocator();
  json::setString(lease, "apiVersion", "coordination.k8s.io/v1", allocator);
  json::setString(lease, "kind", "Lease", allocator);
  json::Value& metadata = json::ensureObject(lease, "metadata", allocator);
  json::setString(metadata, "name", name, allocator);
  json::setString(metadata, "namespace", namespace_, allocator);
  return lease;
}

}  // namespace

LeaderElector::LeaderElector(kube::Client& client, const Clock& clock, LeaderElectionConfig config)
    : client_(client), clock_(clock), config_(std::move(config)) {
  CHECK(!config_.name.empty() && !config_.namespace_.empty()) << "leader election needs a lease";
  CHECK(!config_.identity.empty()) << "leader election needs an identity";
  // As client-go: a leader must give up before anyone else may consider the lease expired.
  CHECK_LT(config_.renew_deadline, config_.lease_duration);
  CHECK_LT(config_.retry_period, config_.renew_deadline);
  config_.leader_gauge.set(0);
}

LeaderElector::~LeaderElector() {
  stop();
}

void LeaderElector::start() {
  const std::lock_guard<std::mutex> lock(lifecycle_mu_);
  CHECK(!thread_.joinable()) << "leader elector started twice";
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

void LeaderElector::stop() {
  {
    const std::lock_guard<std::mutex> lock(lifecycle_mu_);
    if (thread_.joinable()) {
      thread_.request_stop();
      cv_.notify_all();
      thread_.join();
    }
  }
  setLeading(false);
}

Result<void> LeaderElector::release() {
  const bool was_leading = isLeader();
  stop();
  if (!was_leading) {
    return {};
  }
  Result<json::Document> current =
      client_.get(kube::resources::leases(), config_.namespace_, config_.name);
  if (!current) {
    return std::move(current).error();
  }
  Result<kube::LeaseSpec> spec = kube::readLeaseSpec(*current);
  if (!spec) {
    return std::move(spec).error();
  }
  if (spec->holder_identity != config_.identity) {
    return {};  // Someone else holds it already: nothing of ours to free.
  }
  // As client-go: an empty holder with a one-second duration, so every candidate sees the
  // lease free at its next try.
  kube::LeaseSpec freed = *spec;
  freed.holder_identity.clear();
  freed.lease_duration = std::chrono::seconds(1);
  freed.renew_time = clock_.now();
  json::Document lease = json::clone(*current);
  kube::writeLeaseSpec(lease, freed);
  Result<json::Document> updated = client_.update(kube::resources::leases(), lease);
  if (!updated) {
    LOG(WARNING) << "leader election: could not release lease=" << config_.namespace_ << "/"
                 << config_.name << " error=" << updated.error().toString();
    return std::move(updated).error();
  }
  observe(freed, kube::readMeta(*updated).resource_version);
  LOG(INFO) << "leader election: released lease=" << config_.namespace_ << "/" << config_.name
            << " identity=" << config_.identity;
  return {};
}

std::string LeaderElector::observedHolder() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return observed_ ? observed_->holder_identity : std::string();
}

void LeaderElector::setLeading(bool leading) {
  if (leading_.exchange(leading) == leading) {
    return;
  }
  config_.leader_gauge.set(leading ? 1 : 0);
  if (leading) {
    LOG(INFO) << "leader election: started leading lease=" << config_.namespace_ << "/"
              << config_.name << " identity=" << config_.identity;
    if (config_.on_started_leading) {
      config_.on_started_leading();
    }
  } else {
    LOG(INFO) << "leader election: stopped leading lease=" << config_.namespace_ << "/"
              << config_.name << " identity=" << config_.identity;
    if (config_.on_stopped_leading) {
      config_.on_stopped_leading();
    }
  }
}

void LeaderElector::observe(const kube::LeaseSpec& spec, const std::string& resource_version) {
  bool holder_changed = false;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    if (!observed_ || !(*observed_ == spec)) {
      // The expiry clock restarts whenever the record changes, measured locally.
      holder_changed = !observed_ || observed_->holder_identity != spec.holder_identity;
      observed_ = spec;
      observed_time_ = clock_.monotonicNow();
    }
    observed_resource_version_ = resource_version;
  }
  if (holder_changed) {
    VLOG(1) << "leader election: holder=" << spec.holder_identity << " lease=" << config_.namespace_
            << "/" << config_.name;
    if (config_.on_new_leader) {
      config_.on_new_leader(spec.holder_identity);
    }
  }
}

LeaderElector::Attempt LeaderElector::tryAcquireOrRenew() {
  const kube::Resource& leases = kube::resources::leases();
  const auto now = clock_.now();
  Result<json::Document> current = client_.get(leases, config_.namespace_, config_.name);
  if (!current) {
    if (current.error().code != ErrorCode::NotFound) {
      LOG(WARNING) << "leader election: cannot read lease=" << config_.namespace_ << "/"
                   << config_.name << " error=" << current.error().toString();
      return Attempt::Failed;
    }
    kube::LeaseSpec spec;
    spec.holder_identity = config_.identity;
    spec.lease_duration = wholeSeconds(config_.lease_duration);
    spec.acquire_time = now;
    spec.renew_time = now;
    json::Document lease = emptyLease(config_.namespace_, config_.name);
    kube::writeLeaseSpec(lease, spec);
    Result<json::Document> created = client_.create(leases, config_.namespace_, lease);
    if (!created) {
      // AlreadyExists: another candidate created it first; it wins this round.
      VLOG(1) << "leader election: create lost error=" << created.error().toString();
      return created.error().code == ErrorCode::AlreadyExists ? Attempt::HeldByOther
                                                              : Attempt::Failed;
    }
    observe(spec, kube::readMeta(*created).resource_version);
    return Attempt::Acquired;
  }

  Result<kube::LeaseSpec> spec = kube::readLeaseSpec(*current);
  if (!spec) {
    LOG(WARNING) << "leader election: unreadable lease=" << config_.namespace_ << "/"
                 << config_.name << " error=" << spec.error().toString();
    return Attempt::Failed;
  }
  observe(*spec, kube::readMeta(*current).resource_version);
  if (!spec->holder_identity.empty() && spec->holder_identity != config_.identity) {
    std::chrono::steady_clock::time_point observed_time;
    {
      const std::lock_guard<std::mutex> lock(mu_);
      observed_time = observed_time_;
    }
    if (observed_time + spec->lease_duration > clock_.monotonicNow()) {
      return Attempt::HeldByOther;
    }
    LOG(INFO) << "leader election: lease expired holder=" << spec->holder_identity
              << " lease=" << config_.namespace_ << "/" << config_.name;
  }

  kube::LeaseSpec next = *spec;
  next.holder_identity = config_.identity;
  next.lease_duration = wholeSeconds(config_.lease_duration);
  next.renew_time = now;
  if (spec->holder_identity != config_.identity) {
    next.acquire_time = now;
    next.lease_transitions = spec->lease_transitions + 1;
  }
  json::Document lease = json::clone(*current);
  kube::writeLeaseSpec(lease, next);
  // metadata.resourceVersion is still the one read: the update is conditional on it.
  Result<json::Document> updated = client_.update(leases, lease);
  if (!updated) {
    if (updated.error().code == ErrorCode::Conflict) {
      VLOG(1) << "leader election: lost a write race lease=" << config_.namespace_ << "/"
              << config_.name;
    } else {
      LOG(WARNING) << "leader election: cannot write lease=" << config_.namespace_ << "/"
                   << config_.name << " error=" << updated.error().toString();
    }
    return Attempt::Failed;
  }
  observe(next, kube::readMeta(*updated).resource_version);
  return Attempt::Acquired;
}

bool LeaderElector::sleepFor(const std::stop_token& stop, std::chrono::milliseconds period) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, stop, period, [&stop] { return stop.stop_requested(); });
}

void LeaderElector::run(const std::stop_token& stop) {
  std::mt19937_64 rng(std::random_device{}());
  // As client-go's JitterUntil(retryPeriod, 1.2): candidates do not retry in lockstep.
  std::uniform_int_distribution<int64_t> jitter(config_.retry_period.count(),
                                                config_.retry_period.count() * 6 / 5);
  while (!stop.stop_requested()) {
    // Measured from before the write that succeeds: the others' expiry clocks start later.
    auto last_renew = clock_.monotonicNow();
    while (tryAcquireOrRenew() != Attempt::Acquired) {
      if (!sleepFor(stop, std::chrono::milliseconds(jitter(rng)))) {
        return;
      }
      last_renew = clock_.monotonicNow();
    }
    if (stop.stop_requested()) {
      return;  // stop() sees leading_ false and writes nothing; the lease simply expires.
    }
    setLeading(true);
    while (true) {
      if (!sleepFor(stop, config_.retry_period)) {
        return;  // stop() or release() ends leadership.
      }
      const auto attempt_started = clock_.monotonicNow();
      const Attempt attempt = tryAcquireOrRenew();
      if (attempt == Attempt::Acquired) {
        last_renew = attempt_started;
        continue;
      }
      if (attempt == Attempt::HeldByOther) {
        LOG(WARNING) << "leader election: lease taken by holder=" << observedHolder();
        break;
      }
      if (clock_.monotonicNow() - last_renew >= config_.renew_deadline) {
        LOG(WARNING) << "leader election: failed to renew within renew_deadline lease="
                     << config_.namespace_ << "/" << config_.name;
        break;
      }
    }
    setLeading(false);
  }
}

}  // namespace daap::controller

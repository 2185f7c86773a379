#include "operator/manager.h"

#include <unistd.h>

#include <utility>

#include <glog/logging.h>

#include "lib/cnpg/render.h"
#include "lib/kube/objects.h"
#include "lib/kube/resource.h"

namespace daap::controller {

namespace {

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";
// A tier's status sums its databases: changes to them within this window make one status
// write, not one each (thousands in a cold start, most failing on the stale cache as conflicts).
constexpr std::chrono::milliseconds kTierCoalesce{250};

std::string defaultIdentity() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) {
    return "daap-operator-" + std::to_string(getpid());
  }
  return std::string(host.data()) + "-" + std::to_string(getpid());
}

std::string keyOf(const json::Value& object) {
  const json::Value* metadata = json::find(object, "metadata");
  if (metadata == nullptr) {
    return {};
  }
  return objectKey(json::getString(*metadata, "namespace"), json::getString(*metadata, "name"));
}

// Whether a tier changed in what admission reads (spec, identity, deletion). Its own status
// writes do not: re-enqueueing every pending database on each of them is quadratic when
// thousands wait, as in a cold start.
bool admissionInputsChanged(const json::Value& old_tier, const json::Value& tier) {
  const kube::ObjectMeta old_meta = kube::readMeta(old_tier);
  const kube::ObjectMeta meta = kube::readMeta(tier);
  if (old_meta.uid != meta.uid || old_meta.generation != meta.generation ||
      old_meta.deleting != meta.deleting) {
    return true;
  }
  const json::Value* old_spec = json::find(old_tier, "spec");
  const json::Value* spec = json::find(tier, "spec");
  if (old_spec == nullptr || spec == nullptr) {
    return old_spec != spec;
  }
  return !json::equal(*old_spec, *spec);
}

}  // namespace

json::Document projectObject(const json::Value& object, const kube::Resource& resource) {
  json::Document projected;
  projected.SetObject();
  json::Allocator& allocator = projected.GetAllocator();
  for (auto member = object.MemberBegin(); member != object.MemberEnd(); ++member) {
    const std::string_view name = json::view(member->name);
    if (name == "apiVersion" || name == "kind") {
      continue;
    }
    projected.AddMember(json::Value(member->name, allocator), json::Value(member->value, allocator),
                        allocator);
  }
  json::setString(projected, "apiVersion", resource.apiVersion(), allocator);
  json::setString(projected, "kind", resource.kind, allocator);
  if (json::Value* metadata = json::find(projected, "metadata")) {
    json::erase(*metadata, "managedFields");
    if (json::Value* annotations = json::find(*metadata, "annotations")) {
      json::erase(*annotations, kLastApplied);
      if (annotations->ObjectEmpty()) {
        json::erase(*metadata, "annotations");
      }
    }
  }
  return projected;
}

Manager::Manager(const Options& options, kube::Client& client, const Clock& clock)
    : options_(options), client_(client), clock_(clock), writes_(registry_), admission_(index_) {
  if (options_.identity.empty()) {
    options_.identity = defaultIdentity();
  }
  const std::string managed =
      std::string(cnpg::kManagedByLabel) + "=" + std::string(cnpg::kManagedByValue);
  // Only the controllers' own kinds resync: a database's periodic reconcile already compares
  // every object it owns with the cache, so resyncs of those would repeat it once per kind.
  auto informer = [&](const kube::Resource& resource, std::string namespace_, std::string selector,
                      bool resync = false) -> kube::Informer& {
    kube::InformerOptions informer_options;
    informer_options.namespace_ = std::move(namespace_);
    informer_options.label_selector = std::move(selector);
    informer_options.resync = resync ? options_.resync : std::chrono::milliseconds{0};
    // Thousands of small objects, each read a few times per resync: text halves the memory.
    informer_options.serialized = true;
    // Objects DAAP renders (selected by its managed-by label) are cached as digests.
    if (const json::Value* shape = shapes_.forKind(resource.kind);
        shape != nullptr && informer_options.label_selector == managed) {
      informer_options.projection = [shape](const json::Value& object) {
        return projectOwned(object, *shape);
      };
    } else {
      informer_options.projection = [&resource](const json::Value& object) {
        return projectObject(object, resource);
      };
    }
    informers_.push_back(
        std::make_unique<kube::Informer>(client_, resource, std::move(informer_options), clock_));
    return *informers_.back();
  };
  tiers_ = &informer(kube::resources::daapTiers(), "", "", /*resync=*/true);
  databases_ = &informer(kube::resources::daapDatabases(), "", "", /*resync=*/true);
  kube::Informer& clusters = informer(kube::resources::cnpgClusters(), "", managed);
  kube::Informer& poolers = informer(kube::resources::cnpgPoolers(), "", managed);
  kube::Informer& stores = informer(kube::resources::barmanObjectStores(), "", managed);
  kube::Informer& schedules = informer(kube::resources::cnpgScheduledBackups(), "", managed);
  kube::Informer& policies = informer(kube::resources::networkPolicies(), "", managed);
  kube::Informer& managed_secrets = informer(kube::resources::secrets(), "", managed);
  kube::Informer& daap_secrets = informer(kube::resources::secrets(), options_.namespace_, "");
  cache_ = std::make_unique<Cache>(Cache{*tiers_, *databases_, clusters, poolers, stores, schedules,
                                         policies, managed_secrets, daap_secrets, index_, shapes_});

  EventRecorderOptions event_options;
  event_options.instance = options_.identity;
  event_options.registerMetrics(registry_);
  events_ = std::make_unique<EventRecorder>(client_, clock_, std::move(event_options));

  database_queue_ = std::make_unique<WorkQueue>(clock_, WorkQueueOptions{},
                                                QueueMetrics::create(registry_, "database"));
  tier_queue_ = std::make_unique<WorkQueue>(clock_, WorkQueueOptions{},
                                            QueueMetrics::create(registry_, "tier"));

  DatabaseReconcilerOptions database_options;
  database_options.daap_namespace = options_.namespace_;
  database_options.render.image_repository = options_.image_repository;
  database_options.render.image_flavor = options_.image_flavor;
  database_options.render.daap_namespace = options_.namespace_;
  database_options.render.team_label = options_.team_label;
  database_reconciler_ = std::make_unique<DatabaseReconciler>(
      client_, *cache_, admission_, *events_, clock_, std::move(database_options), writes_);
  tier_reconciler_ = std::make_unique<TierReconciler>(
      client_, *cache_, *events_, clock_, TierReconcilerOptions{options_.namespace_}, writes_);

  WorkerPoolOptions database_pool;
  database_pool.workers = options_.workers;
  database_workers_ = std::make_unique<WorkerPool>(
      "database", *database_queue_,
      [this](const std::string& key) { return database_reconciler_->reconcile(key); },
      std::move(database_pool), ReconcileMetrics::create(registry_, "database"));
  WorkerPoolOptions tier_pool;
  tier_pool.workers = 1;
  tier_workers_ = std::make_unique<WorkerPool>(
      "tier", *tier_queue_,
      [this](const std::string& key) { return tier_reconciler_->reconcile(key); },
      std::move(tier_pool), ReconcileMetrics::create(registry_, "tier"));

  registry_.callbackGauge("daap_databases",
                          "DaapDatabases by status.phase (\"\" before the first status write).",
                          {"phase"}, [this] {
                            std::vector<metrics::Sample> samples;
                            for (const auto& [phase, count] : index_.countByPhase()) {
                              samples.push_back({{phase}, static_cast<double>(count)});
                            }
                            return samples;
                          });
  registry_.callbackGauge("daap_operator_ready", "1 when the informer caches have synced.",
                          [this] { return ready() ? 1.0 : 0.0; });

  if (options_.leader_election) {
    LeaderElectionConfig election;
    election.namespace_ = options_.lease_namespace;
    election.name = options_.lease_name;
    election.identity = options_.identity;
    election.lease_duration = options_.lease_duration;
    election.renew_deadline = options_.renew_deadline;
    election.retry_period = options_.retry_period;
    election.leader_gauge =
        registry_.gauge("daap_leader", "1 while this replica holds the Lease.").withLabels({});
    election.on_started_leading = [this] {
      LOG(INFO) << "leading identity=" << options_.identity;
      startWorkers();
    };
    election.on_stopped_leading = [this] {
      if (workers_started_.load()) {
        LOG(ERROR) << "lost the lease identity=" << options_.identity;
        signal(/*lost=*/true);
      }
    };
    election.on_new_leader = [this](const std::string& holder) {
      LOG(INFO) << "leader is holder=" << (holder.empty() ? "<none>" : holder);
    };
    elector_ = std::make_unique<LeaderElector>(client_, clock_, std::move(election));
  }

  router_.add(http::Method::Get, "/metrics", "metrics", [this](http::Request&) {
    http::Response response = http::Response::text(200, registry_.exposition());
    response.content_type = std::string(metrics::kExpositionContentType);
    return response;
  });
  router_.add(http::Method::Get, "/healthz", "healthz",
              [](http::Request&) { return http::Response::text(200, "ok\n"); });
  router_.add(http::Method::Get, "/readyz", "readyz", [this](http::Request&) {
    return ready() ? http::Response::text(200, "ok\n")
                   : http::Response::text(503, "informer caches not synced\n");
  });
  wireHandlers();
}

Manager::~Manager() {
  stop();
}

void Manager::enqueuePending(const std::string& tier) {
  for (const std::string& key : index_.pending(tier)) {
    database_queue_->add(key);
  }
}

void Manager::enqueueOwner(const kube::CachedObject& object) {
  const kube::ObjectMeta meta = kube::readMeta(*object);
  for (const kube::OwnerReference& owner : meta.owner_references) {
    if (owner.controller && owner.kind == "DaapDatabase") {
      database_queue_->add(objectKey(meta.namespace_, owner.name));
    }
  }
}

void Manager::wireHandlers() {
  tiers_->addHandlers({
      .on_add =
          [this](const kube::CachedObject& tier) {
            const std::string name = keyOf(*tier);
            tier_queue_->add(name);
            enqueuePending(name);
          },
      .on_update =
          [this](const kube::CachedObject& old_tier, const kube::CachedObject& tier) {
            const std::string name = keyOf(*tier);
            tier_queue_->add(name);
            if (admissionInputsChanged(*old_tier, *tier)) {
              enqueuePending(name);  // A raised quota or a recreated tier makes room.
            }
          },
      .on_delete =
          [this](const kube::CachedObject& tier) {
            tier_queue_->add(keyOf(*tier));
            enqueuePending(keyOf(*tier));
          },
  });
  databases_->addHandlers({
      .on_add =
          [this](const kube::CachedObject& database) {
            const std::string key = keyOf(*database);
            DatabaseSummary summary = summarize(*database);
            const std::string tier = summary.tier;
            index_.upsert(key, std::move(summary));
            database_queue_->add(key);
            tier_queue_->addAfter(tier, kTierCoalesce);
          },
      .on_update =
          [this](const kube::CachedObject& /*old*/, const kube::CachedObject& database) {
            const std::string key = keyOf(*database);
            DatabaseSummary summary = summarize(*database);
            const std::optional<DatabaseSummary> before = index_.find(key);
            const bool accounting_changed =
                !before.has_value() || before->admitted != summary.admitted ||
                before->deleting != summary.deleting || before->demand != summary.demand ||
                before->tier != summary.tier;
            const std::string tier = summary.tier;
            index_.upsert(key, std::move(summary));
            database_queue_->add(key);
            if (accounting_changed) {
              tier_queue_->addAfter(tier, kTierCoalesce);
            }
          },
      .on_delete =
          [this](const kube::CachedObject& database) {
            const std::string key = keyOf(*database);
            const std::string tier = kube::readDatabaseFields(*database).tier;
            index_.erase(key);
            database_queue_->add(key);
            tier_queue_->addAfter(tier, kTierCoalesce);
            enqueuePending(tier);  // Room may have appeared.
          },
  });
  for (kube::Informer* owned :
       {&cache_->clusters, &cache_->poolers, &cache_->object_stores, &cache_->scheduled_backups,
        &cache_->network_policies, &cache_->managed_secrets}) {
    owned->addHandlers({
        .on_add = [this](const kube::CachedObject& object) { enqueueOwner(object); },
        .on_update = [this](const kube::CachedObject& /*old*/,
                            const kube::CachedObject& object) { enqueueOwner(object); },
        .on_delete = [this](const kube::CachedObject& object) { enqueueOwner(object); },
    });
  }
  auto all_tiers = [this](const kube::CachedObject& /*secret*/) {
    for (const kube::CachedObject& tier : tiers_->list()) {
      tier_queue_->add(keyOf(*tier));
    }
  };
  cache_->daap_secrets.addHandlers({
      .on_add = all_tiers,
      .on_update = [all_tiers](const kube::CachedObject& /*old*/,
                               const kube::CachedObject& secret) { all_tiers(secret); },
      .on_delete = all_tiers,
  });
}

Result<void> Manager::start(std::chrono::milliseconds sync_timeout) {
  http::ServerOptions server_options;
  server_options.address = options_.metrics_address;
  server_options.port = options_.metrics_port;
  server_options.io_threads = 1;
  server_options.worker_threads = 2;
  server_ = std::make_unique<http::Server>(server_options, router_);
  if (Result<void> started = server_->start(); !started) {
    return Error::invalidArgument("metrics endpoint " + options_.metrics_address + ":" +
                                  std::to_string(options_.metrics_port) + ": " +
                                  started.error().message);
  }
  LOG(INFO) << "metrics listening address=" << options_.metrics_address
            << " port=" << server_->port();
  events_->start();
  for (const std::unique_ptr<kube::Informer>& informer : informers_) {
    informer->start();
  }
  const auto deadline = std::chrono::steady_clock::now() + sync_timeout;
  for (const std::unique_ptr<kube::Informer>& informer : informers_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !informer->waitForSync(left)) {
      return Error::unavailable("informer caches did not sync within " +
                                std::to_string(sync_timeout.count()) + " ms");
    }
  }
  synced_ = true;
  LOG(INFO) << "caches synced tiers=" << tiers_->size() << " databases=" << databases_->size();
  if (elector_ != nullptr) {
    elector_->start();
  } else {
    startWorkers();
  }
  return {};
}

void Manager::startWorkers() {
  if (workers_started_.exchange(true)) {
    return;
  }
  LOG(INFO) << "starting workers database_workers=" << options_.workers;
  tier_workers_->start();
  database_workers_->start();
}

void Manager::signal(bool lost) {
  std::lock_guard lock(mu_);
  if (lost) {
    leadership_lost_ = true;
  } else {
    stop_requested_ = true;
  }
  cv_.notify_all();
}

bool Manager::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stop_requested_ || leadership_lost_; });
  return !leadership_lost_;
}

void Manager::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) {
      return;
    }
    stopped_ = true;
  }
  signal(/*lost=*/false);
  database_workers_->stop();
  tier_workers_->stop();
  if (elector_ != nullptr) {
    if (Result<void> released = elector_->release(); !released) {
      LOG(WARNING) << "lease not released: " << released.error().toString();
    }
  }
  for (const std::unique_ptr<kube::Informer>& informer : informers_) {
    informer->stop();
  }
  events_->flush(std::chrono::seconds(2));
  events_->stop();
  if (server_ != nullptr) {
    server_->stop(std::chrono::milliseconds(500));
  }
}

uint16_t Manager::metricsPort() const {
  return server_ == nullptr ? 0 : server_->port();
}

bool Manager::ready() const {
  return synced_.load();
}

bool Manager::leading() const {
  return elector_ == nullptr ? workers_started_.load() : elector_->isLeader();
}

}  // namespace daap::controller

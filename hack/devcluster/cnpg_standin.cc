#include "hack/devcluster/cnpg_standin.h"

#include <algorithm>
#include <bitset>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <glog/logging.h>
#include <openssl/rand.h>

#include "hack/devcluster/api.h"
#include "hack/devcluster/options.h"
#include "hack/devcluster/tls.h"
#include "lib/base/base64.h"
#include "lib/json/json.h"
#include "lib/kube/objects.h"

namespace daap::devcluster {
namespace {

using SystemTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::string_view kCnpgGroup = "postgresql.cnpg.io";
constexpr std::string_view kClusters = "postgresql.cnpg.io/clusters";
constexpr std::string_view kPoolers = "postgresql.cnpg.io/poolers";
constexpr std::string_view kBackups = "postgresql.cnpg.io/backups";
constexpr std::string_view kScheduledBackups = "postgresql.cnpg.io/scheduledbackups";
constexpr std::string_view kObjectStores = "barmancloud.cnpg.io/objectstores";
constexpr std::string_view kSecrets = "/secrets";

constexpr std::string_view kHealthy = "Cluster in healthy state";
constexpr std::string_view kSettingUp = "Setting up primary";
constexpr std::string_view kWaitingActive = "Waiting for the instances to become active";
constexpr std::string_view kCreatingReplica = "Creating a new replica";
constexpr std::string_view kUpgrading = "Upgrading cluster";
constexpr std::string_view kUnrecoverable =
    "Cluster is unrecoverable and needs manual intervention";
constexpr std::string_view kHibernationCondition = "cnpg.io/hibernation";
// CNPG 1.30's default operand image.
constexpr std::string_view kDefaultImage = "ghcr.io/cloudnative-pg/postgresql:18.1-system-trixie";
constexpr std::string_view kPgbouncerImage = "ghcr.io/cloudnative-pg/pgbouncer:1.24.1";
constexpr std::chrono::hours kCertificateValidity{24 * 90};
// After a failed write (not a conflict, which the next event answers), try again in this long.
constexpr std::chrono::seconds kRetryAfter{1};

std::string metaField(const json::Value& object, std::string_view key) {
  const json::Value* metadata = json::find(object, "metadata");
  return metadata != nullptr ? std::string(json::getString(*metadata, key)) : std::string();
}

std::string annotation(const json::Value& object, std::string_view key) {
  const json::Value* annotations = json::findPath(object, {"metadata", "annotations"});
  return annotations != nullptr ? std::string(json::getString(*annotations, key)) : std::string();
}

std::string stringAt(const json::Value& object, std::initializer_list<std::string_view> path) {
  const json::Value* value = json::findPath(object, path);
  return value != nullptr && value->IsString() ? std::string(json::view(*value)) : std::string();
}

int64_t intAt(const json::Value& object, std::initializer_list<std::string_view> path,
              int64_t fallback) {
  const json::Value* value = json::findPath(object, path);
  return value != nullptr && value->IsInt64() ? value->GetInt64() : fallback;
}

bool boolAt(const json::Value& object, std::initializer_list<std::string_view> path) {
  const json::Value* value = json::findPath(object, path);
  return value != nullptr && value->IsBool() && value->GetBool();
}

std::optional<SystemTime> parseTime(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  Result<kube::Time> parsed = kube::parseRfc3339(text);
  return parsed ? std::optional<SystemTime>(*parsed) : std::nullopt;
}

// "20261127160502": how CNPG names generated Backups and Barman names backup ids.
std::string compactStamp(SystemTime time, bool with_t) {
  const std::string rfc = formatRfc3339(time);  // 2026-11-27T16:05:02Z
  std::string out;
  for (const char c : rfc.substr(0, 19)) {
    if (c == 'T') {
      if (with_t) {
        out += 'T';
      }
    } else if (c != '-' && c != ':') {
      out += c;
    }
  }
  return out;
}

std::string randomPassword() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[64];
  CHECK_EQ(RAND_bytes(bytes, sizeof(bytes)), 1);
  std::string password;
  for (const unsigned char byte : bytes) {
    password += kAlphabet[byte % kAlphabet.size()];
  }
  return password;
}

// The major version in an image tag: "...postgresql:16.10-standard-trixie" -> 16.
std::optional<int> majorVersion(std::string_view image) {
  if (const size_t at = image.find('@'); at != std::string_view::npos) {
    image = image.substr(0, at);
  }
  const size_t colon = image.rfind(':');
  if (colon == std::string_view::npos || image.find('/', colon) != std::string_view::npos) {
    return std::nullopt;
  }
  int major = 0;
  size_t i = colon + 1;
  for (; i < image.size() && image[i] >= '0' && image[i] <= '9' && i < colon + 4; ++i) {
    major = major * 10 + (image[i] - '0');
  }
  return i > colon + 1 ? std::optional<int>(major) : std::nullopt;
}

// The WAL archiver plugin of a Cluster (the first enabled plugin with isWALArchiver, else the
// first plugin naming an ObjectStore), or null.
const json::Value* archiverPlugin(const json::Value& cluster) {
  const json::Value* plugins = json::findPath(cluster, {"spec", "plugins"});
  if (plugins == nullptr || !plugins->IsArray()) {
    return nullptr;
  }
  const json::Value* fallback = nullptr;
  for (const json::Value& plugin : plugins->GetArray()) {
    const json::Value* enabled = json::find(plugin, "enabled");
    if (enabled != nullptr && enabled->IsBool() && !enabled->GetBool()) {
      continue;
    }
    if (boolAt(plugin, {"isWALArchiver"})) {
      return &plugin;
    }
    if (fallback == nullptr && !stringAt(plugin, {"parameters", "barmanObjectName"}).empty()) {
      fallback = &plugin;
    }
  }
  return fallback;
}

bool hasPlugins(const json::Value& cluster) {
  const json::Value* plugins = json::findPath(cluster, {"spec", "plugins"});
  return plugins != nullptr && plugins->IsArray() && !plugins->Empty();
}

bool isDeleting(const json::Value& object) {
  return !metaField(object, "deletionTimestamp").empty();
}

// Sets (or adds) a metav1.Condition; lastTransitionTime moves only when the status does.
void setCondition(json::Value& status, std::string_view type, bool value, std::string_view reason,
                  std::string_view message, SystemTime now, json::Allocator& allocator) {
  json::Value* conditions = json::find(status, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) {
    json::set(status, "conditions", json::Value(rapidjson::kArrayType), allocator);
    conditions = json::find(status, "conditions");
  }
  const std::string_view status_text = value ? "True" : "False";
  for (json::Value& condition : conditions->GetArray()) {
    if (json::getString(condition, "type") != type) {
      continue;
    }
    if (json::getString(condition, "status") != status_text) {
      json::setString(condition, "status", status_text, allocator);
      json::setString(condition, "lastTransitionTime", formatRfc3339(now), allocator);
    }
    json::setString(condition, "reason", reason, allocator);
    json::setString(condition, "message", message, allocator);
    return;
  }
  json::Value condition(rapidjson::kObjectType);
  json::setString(condition, "type", type, allocator);
  json::setString(condition, "status", status_text, allocator);
  json::setString(condition, "lastTransitionTime", formatRfc3339(now), allocator);
  json::setString(condition, "reason", reason, allocator);
  json::setString(condition, "message", message, allocator);
  conditions->PushBack(std::move(condition), allocator);
}

void removeCondition(json::Value& status, std::string_view type) {
  json::Value* conditions = json::find(status, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) {
    return;
  }
  for (auto it = conditions->Begin(); it != conditions->End(); ++it) {
    if (json::getString(*it, "type") == type) {
      conditions->Erase(it);
      return;
    }
  }
}

const json::Value* findCondition(const json::Value& status, std::string_view type) {
  const json::Value* conditions = json::find(status, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) {
    return nullptr;
  }
  for (const json::Value& condition : conditions->GetArray()) {
    if (json::getString(condition, "type") == type) {
      return &condition;
    }
  }
  return nullptr;
}

// robfig/cron as CNPG reads ScheduledBackup.spec.schedule: six fields, seconds first (five are
// read as seconds..month), or a descriptor (@hourly, @daily, @every 6h, ...).
class CronSchedule {
public:
  static Result<CronSchedule> parse(std::string_view text) {
    CronSchedule schedule;
    static const std::map<std::string_view, std::string_view> kDescriptors = {
        {"@yearly", "0 0 0 1 1 *"}, {"@annually", "0 0 0 1 1 *"}, {"@monthly", "0 0 0 1 * *"},
        {"@weekly", "0 0 0 * * 0"}, {"@daily", "0 0 0 * * *"},    {"@midnight", "0 0 0 * * *"},
        {"@hourly", "0 0 * * * *"}};
    if (text.starts_with("@every ")) {
      Result<std::chrono::milliseconds> every = parseDuration(text.substr(7));
      if (!every || every->count() <= 0) {
        return Error::invalidArgument("invalid schedule " + std::string(text));
      }
      schedule.every_ = *every;
      return schedule;
    }
    if (const auto descriptor = kDescriptors.find(text); descriptor != kDescriptors.end()) {
      text = descriptor->second;
    }
    std::vector<std::string> fields;
    std::string field;
    for (const char c : std::string(text) + " ") {
      if (c == ' ' || c == '\t') {
        if (!field.empty()) {
          fields.push_back(std::move(field));
          field.clear();
        }
      } else {
        field += c;
      }
    }
    if (fields.size() == 5) {
      fields.emplace_back("*");
    }
    if (fields.size() != 6) {
      return Error::invalidArgument("invalid schedule " + std::string(text) +
                                    ": expected six fields (seconds first)");
    }
    static constexpr int kLow[6] = {0, 0, 0, 1, 1, 0};
    static constexpr int kHigh[6] = {59, 59, 23, 31, 12, 6};
    for (size_t i = 0; i < 6; ++i) {
      if (!parseField(fields[i], kLow[i], kHigh[i], schedule.fields_[i])) {
        return Error::invalidArgument("invalid schedule " + std::string(text) + ": field " +
                                      std::to_string(i + 1));
      }
    }
    schedule.dom_star_ = fields[3] == "*" || fields[3] == "?";
    schedule.dow_star_ = fields[5] == "*" || fields[5] == "?";
    return schedule;
  }

  // The first activation strictly after `after` (whole seconds), within five years.
  std::optional<SystemTime> next(SystemTime after) const {
    using std::chrono::floor;
    const auto start = floor<std::chrono::seconds>(after) + std::chrono::seconds(1);
    if (every_) {
      return start + std::chrono::duration_cast<std::chrono::seconds>(*every_) -
             std::chrono::seconds(1);
    }
    const auto first_day = floor<std::chrono::days>(start);
    for (int offset = 0; offset < 366 * 5; ++offset) {
      const std::chrono::sys_days day = first_day + std::chrono::days(offset);
      const std::chrono::year_month_day date(day);
      const unsigned weekday = std::chrono::weekday(day).c_encoding();
      if (!fields_[4].test(static_cast<unsigned>(date.month()))) {
        continue;
      }
      const bool dom = fields_[3].test(static_cast<unsigned>(date.day()));
      const bool dow = fields_[5].test(weekday);
      if (!((dom_star_ || dow_star_) ? (dom && dow) : (dom || dow))) {
        continue;
      }
      for (int hour = 0; hour < 24; ++hour) {
        if (!fields_[2].test(hour)) {
          continue;
        }
        for (int minute = 0; minute < 60; ++minute) {
          if (!fields_[1].test(minute)) {
            continue;
          }
          for (int second = 0; second < 60; ++second) {
            if (!fields_[0].test(second)) {
              continue;
            }
            const auto candidate = day + std::chrono::hours(hour) + std::chrono::minutes(minute) +
                                   std::chrono::seconds(second);
            if (candidate >= start) {
              return candidate;
            }
          }
        }
      }
    }
    return std::nullopt;
  }

private:
  static bool parseNumber(std::string_view text, int& out) {
    if (text.empty() || text.size() > 2) {
      return false;
    }
    out = 0;
    for (const char c : text) {
      if (c < '0' || c > '9') {
        return false;
      }
      out = out * 10 + (c - '0');
    }
    return true;
  }

  static bool parseField(std::string_view field, int low, int high, std::bitset<60>& bits) {
    while (!field.empty()) {
      const size_t comma = field.find(',');
      std::string_view item = field.substr(0, comma);
      field = comma == std::string_view::npos ? std::string_view() : field.substr(comma + 1);
      int step = 1;
      if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
        if (!parseNumber(item.substr(slash + 1), step) || step == 0) {
          return false;
        }
        item = item.substr(0, slash);
      }
      int from = low;
      int to = high;
      if (item != "*" && item != "?") {
        const size_t dash = item.find('-');
        if (!parseNumber(item.substr(0, dash), from)) {
          return false;
        }
        to = from;
        if (dash != std::string_view::npos && !parseNumber(item.substr(dash + 1), to)) {
          return false;
        } else if (dash == std::string_view::npos && step != 1) {
          to = high;  // "5/15": from 5 on, every 15.
        }
      }
      if (from < low || to > high || from > to) {
        return false;
      }
      for (int value = from; value <= to; value += step) {
        bits.set(static_cast<size_t>(value));
      }
    }
    return true;
  }

  std::bitset<60> fields_[6];
  bool dom_star_ = true;
  bool dow_star_ = true;
  std::optional<std::chrono::milliseconds> every_;
};

}  // namespace

class CnpgStandin::Impl {
public:
  Impl(Api& api, const Clock& clock, Options options)
      : api_(api), clock_(clock), options_(options) {}

  Result<void> start() {
    for (const std::string_view resource : {kClusters, kPoolers, kBackups, kScheduledBackups}) {
      Store::ListOptions list;
      list.resource = std::string(resource);
      Result<Store::ListResult> listed = api_.store().list(list);
      if (!listed) {
        return listed.error();
      }
      for (const StoredObject& stored : listed->items) {
        Result<json::Document> object = json::parse(*stored.json);
        if (!object) {
          return object.error();
        }
        const std::shared_ptr<const ResourceType> type = typeForStorage(api_.registry(), resource);
        if (type != nullptr) {
          observe(*type, *object, false);
        }
      }
    }
    const std::lock_guard lock(mu_);
    worker_ = std::thread([this] { run(); });
    return {};
  }

  void stop() {
    {
      const std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) {
      worker_.join();
    }
  }

  void observe(const ResourceType& type, const json::Value& object, bool removed) {
    if (type.group != kCnpgGroup) {
      return;
    }
    const std::string storage = type.storageKey();
    if (storage != kClusters && storage != kPoolers && storage != kBackups &&
        storage != kScheduledBackups) {
      return;
    }
    const ObjectKey key{storage, metaField(object, "namespace"), metaField(object, "name")};
    const std::lock_guard lock(mu_);
    if (storage == kClusters) {
      if (const auto dependents = dependents_.find({key.namespace_, key.name});
          dependents != dependents_.end()) {
        for (const ObjectKey& dependent : dependents->second) {
          enqueue(dependent);
        }
      }
    } else if (storage == kPoolers || storage == kBackups) {
      const std::pair<std::string, std::string> cluster{
          key.namespace_, stringAt(object, {"spec", "cluster", "name"})};
      if (removed) {
        if (const auto it = dependents_.find(cluster); it != dependents_.end()) {
          it->second.erase(key);
          if (it->second.empty()) {
            dependents_.erase(it);
          }
        }
      } else {
        dependents_[cluster].insert(key);
      }
    }
    if (!removed) {
      enqueue(key);
    }
  }

private:
  // Requires mu_.
  void enqueue(const ObjectKey& key) {
    if (queued_.insert(key).second) {
      ready_.push_back(key);
      wake_.notify_one();
    }
  }

  // Requires mu_. Reconciles `key` again at `when` (or earlier if already due earlier).
  void scheduleLocked(const ObjectKey& key, SteadyTime when) {
    const auto [it, inserted] = due_.try_emplace(key, when);
    if (!inserted) {
      if (it->second <= when) {
        return;
      }
      it->second = when;
    }
    timers_.emplace(when, key);
    wake_.notify_one();
  }

  void schedule(const ObjectKey& key, SystemTime when) {
    const auto wait = when - clock_.now();
    const std::lock_guard lock(mu_);
    scheduleLocked(key, clock_.monotonicNow() +
                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::max(wait, SystemTime::duration::zero())));
  }

  void run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      const SteadyTime now = clock_.monotonicNow();
      while (!timers_.empty() && timers_.top().first <= now) {
        const auto [when, key] = timers_.top();
        timers_.pop();
        if (const auto it = due_.find(key); it != due_.end() && it->second == when) {
          due_.erase(it);
          enqueue(key);
        }
      }
      if (ready_.empty()) {
        if (timers_.empty()) {
          wake_.wait(lock);
        } else {
          // Sleeps until the earliest timer (or a new event): idle objects cost nothing.
          wake_.wait_for(lock, timers_.top().first - now);
        }
        continue;
      }
      const ObjectKey key = std::move(ready_.front());
      ready_.pop_front();
      queued_.erase(key);
      lock.unlock();
      reconcile(key);
      lock.lock();
    }
  }

  void reconcile(const ObjectKey& key) {
    Result<StoredObject> stored = api_.store().get(key);
    if (!stored) {
      return;  // Deleted since: the garbage collector takes what it owned.
    }
    Result<json::Document> object = json::parse(*stored->json);
    if (!object || isDeleting(*object)) {
      return;
    }
    const std::shared_ptr<const ResourceType> type = typeForStorage(api_.registry(), key.resource);
    if (type == nullptr) {
      return;
    }
    if (key.resource == kClusters) {
      reconcileCluster(key, *type, *object);
    } else if (key.resource == kPoolers) {
      reconcilePooler(key, *type, *object);
    } else if (key.resource == kBackups) {
      reconcileBackup(key, *type, *object);
    } else if (key.resource == kScheduledBackups) {
      reconcileScheduledBackup(key, *type, *object);
    }
  }

  // Writes `status` as the object's status unless it already is; false when the write
  // failed (and a retry was scheduled).
  bool writeStatus(const ObjectKey& key, const ResourceType& type, const json::Value& object,
                   json::Value status) {
    const json::Value* current = json::find(object, "status");
    if (current != nullptr && json::equal(*current, status)) {
      return true;
    }
    json::Document next = json::clone(object);
    json::set(next, "status", std::move(status), next.GetAllocator());
    Result<json::Document> written = api_.updateObject(type, next, true, false);
    if (!written) {
      // A conflict means someone wrote in between: their write queued us again.
      if (written.error().code != ErrorCode::Conflict) {
        LOG_EVERY_N(WARNING, 100) << "cnpg stand-in cannot write status resource=" << key.resource
                                  << " name=" << key.name
                                  << " error=" << written.error().toString();
        schedule(key, clock_.now() + kRetryAfter);
      }
      return false;
    }
    return true;
  }

  json::Value ownerReference(const json::Value& owner, json::Allocator& allocator) {
    json::Value reference(rapidjson::kObjectType);
    json::setString(reference, "apiVersion", json::getString(owner, "apiVersion"), allocator);
    json::setString(reference, "kind", json::getString(owner, "kind"), allocator);
    json::setString(reference, "name", metaField(owner, "name"), allocator);
    json::setString(reference, "uid", metaField(owner, "uid"), allocator);
    json::set(reference, "controller", json::Value(true), allocator);
    json::set(reference, "blockOwnerDeletion", json::Value(true), allocator);
    return reference;
  }

  // Creates a Secret owned by the Cluster unless one of that name exists.
  Result<void> ensureSecret(const json::Value& cluster, const std::string& name,
                            std::string_view secret_type,
                            const std::vector<std::pair<std::string, std::string>>& data,
                            const std::map<std::string, std::string>& extra_labels) {
    const std::string namespace_ = metaField(cluster, "namespace");
    const ObjectKey key{std::string(kSecrets), namespace_, name};
    if (api_.store().get(key)) {
      return {};
    }
    json::Document secret(rapidjson::kObjectType);
    auto& allocator = secret.GetAllocator();
    json::setString(secret, "apiVersion", "v1", allocator);
    json::setString(secret, "kind", "Secret", allocator);
    json::Value& metadata = json::ensureObject(secret, "metadata", allocator);
    json::setString(metadata, "name", name, allocator);
    json::setString(metadata, "namespace", namespace_, allocator);
    json::Value& labels = json::ensureObject(metadata, "labels", allocator);
    json::setString(labels, "cnpg.io/cluster", metaField(cluster, "name"), allocator);
    for (const auto& [label, value] : extra_labels) {
      json::setString(labels, label, value, allocator);
    }
    json::Value owners(rapidjson::kArrayType);
    owners.PushBack(ownerReference(cluster, allocator), allocator);
    json::set(metadata, "ownerReferences", std::move(owners), allocator);
    json::setString(secret, "type", secret_type, allocator);
    json::Value& values = json::ensureObject(secret, "data", allocator);
    for (const auto& [field, value] : data) {
      json::setString(values, field, encodeBase64(value), allocator);
    }
    const std::shared_ptr<const ResourceType> type = typeForStorage(api_.registry(), kSecrets);
    Result<json::Document> created = api_.createObject(*type, std::move(secret));
    if (!created && created.error().code != ErrorCode::AlreadyExists) {
      return created.error();
    }
    return {};
  }

  // The secrets CNPG makes while setting up the primary. Returns the certificate expiry when
  // it made the certificates now.
  Result<std::optional<SystemTime>> ensureSecrets(const json::Value& cluster) {
    const std::string name = metaField(cluster, "name");
    const std::string namespace_ = metaField(cluster, "namespace");
    std::optional<SystemTime> expiry;
    const ObjectKey ca_key{std::string(kSecrets), namespace_, name + "-ca"};
    const ObjectKey server_key{std::string(kSecrets), namespace_, name + "-server"};
    if (!api_.store().get(ca_key) || !api_.store().get(server_key)) {
      CertificateSpec ca_spec;
      ca_spec.common_name = name;
      ca_spec.ca = true;
      ca_spec.validity = kCertificateValidity;
      CertificateSpec server_spec;
      server_spec.common_name = name + "-rw";
      server_spec.validity = kCertificateValidity;
      for (const char* service : {"-rw", "-r", "-ro"}) {
        // <svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local
        std::string dns = name + service;
        for (const std::string_view suffix : {"", ".", ".svc", ".cluster.local"}) {
          dns += suffix == "." ? "." + namespace_ : std::string(suffix);
          server_spec.dns_names.push_back(dns);
        }
      }
      if (const json::Value* extra =
              json::findPath(cluster, {"spec", "certificates", "serverAltDNSNames"});
          extra != nullptr && extra->IsArray()) {
        for (const json::Value& dns : extra->GetArray()) {
          if (dns.IsString()) {
            server_spec.dns_names.emplace_back(json::view(dns));
          }
        }
      }
      Result<CertificateAuthority> made = makeCertificateAuthority(ca_spec, server_spec);
      if (!made) {
        return made.error();
      }
      const TlsIdentity* ca = &made->ca;
      const TlsIdentity* server = &made->leaf;
      // A fresh CA makes any older server certificate useless: replace both together.
      if (api_.store().get(server_key)) {
        Api::DeleteOptions options;
        (void)api_.deleteObject(*typeForStorage(api_.registry(), kSecrets), namespace_,
                                name + "-server", options);
      }
      if (Result<void> made =
              ensureSecret(cluster, name + "-ca", "Opaque",
                           {{"ca.crt", ca->certificate_pem}, {"ca.key", ca->private_key_pem}},
                           {{"cnpg.io/certType", "client"}});
          !made) {
        return made.error();
      }
      if (Result<void> made = ensureSecret(
              cluster, name + "-server", "kubernetes.io/tls",
              {{"tls.crt", server->certificate_pem}, {"tls.key", server->private_key_pem}},
              {{"cnpg.io/certType", "server"}});
          !made) {
        return made.error();
      }
      expiry = clock_.now() + kCertificateValidity;
    }
    // The application user's credentials, unless the Cluster brings its own secret.
    const json::Value* initdb = json::findPath(cluster, {"spec", "bootstrap", "initdb"});
    const bool own_secret = initdb != nullptr && !stringAt(*initdb, {"secret", "name"}).empty();
    if (!own_secret) {
      std::string database = initdb != nullptr ? stringAt(*initdb, {"database"}) : "";
      database = database.empty() ? "app" : database;
      std::string owner = initdb != nullptr ? stringAt(*initdb, {"owner"}) : "";
      owner = owner.empty() ? database : owner;
      const std::string password = randomPassword();
      const std::string host = name + "-rw";
      const std::string short_host = host + "." + namespace_;
      const std::string fqdn = short_host + ".svc.cluster.local";
      const std::string credentials = owner + ":" + password;
      if (Result<void> made = ensureSecret(
              cluster, name + "-app", "kubernetes.io/basic-auth",
              {{"username", owner},
               {"user", owner},
               {"password", password},
               {"dbname", database},
               {"host", host},
               {"port", "5432"},
               {"pgpass", host + ":5432:" + database + ":" + credentials + "\n"},
               {"uri", "postgresql://" + credentials + "@" + short_host + ":5432/" + database},
               {"jdbc-uri", "jdbc:postgresql://" + short_host + ":5432/" + database +
                                "?password=" + password + "&user=" + owner},
               {"fqdn-uri", "postgresql://" + credentials + "@" + fqdn + ":5432/" + database},
               {"fqdn-jdbc-uri", "jdbc:postgresql://" + fqdn + ":5432/" + database +
                                     "?password=" + password + "&user=" + owner}},
              {{"cnpg.io/reload", "true"}, {"cnpg.io/userType", "app"}});
          !made) {
        return made.error();
      }
    }
    return expiry;
  }

  // When the transition into `stage` began: remembered precisely in this process, else (after
  // a restart) the Ready condition's lastTransitionTime, else now.
  SystemTime transitionStart(const std::string& uid, std::string_view stage,
                             const json::Value* status, SystemTime now) {
    if (const auto it = since_.find(uid); it != since_.end() && it->second.first == stage) {
      return it->second.second;
    }
    SystemTime since = now;
    if (status != nullptr && json::getString(*status, "phase") == stage) {
      if (const json::Value* ready = findCondition(*status, "Ready")) {
        since = parseTime(json::getString(*ready, "lastTransitionTime")).value_or(now);
      }
    }
    since_[uid] = {std::string(stage), since};
    return since;
  }

  void reconcileCluster(const ObjectKey& key, const ResourceType& type,
                        const json::Value& cluster) {
    const SystemTime now = clock_.now();
    const std::string name = key.name;
    const std::string uid = metaField(cluster, "uid");
    const json::Value* current = json::find(cluster, "status");
    const std::string phase = current != nullptr ? stringAt(*current, {"phase"}) : "";
    const int64_t instances = intAt(cluster, {"spec", "instances"}, 1);
    std::string image = stringAt(cluster, {"spec", "imageName"});
    image = image.empty() ? std::string(kDefaultImage) : image;
    const std::string failure = annotation(cluster, kCnpgFailAnnotation);
    const bool hibernate = annotation(cluster, kCnpgHibernationAnnotation) == "on";

    json::Document status(rapidjson::kObjectType);
    auto& allocator = status.GetAllocator();
    if (current != nullptr && current->IsObject()) {
      status.CopyFrom(*current, allocator);
    }

    Result<std::optional<SystemTime>> secrets = ensureSecrets(cluster);
    if (!secrets) {
      LOG_EVERY_N(WARNING, 100) << "cnpg stand-in cannot create secrets cluster=" << name
                                << " error=" << secrets.error().toString();
      schedule(key, now + kRetryAfter);
      return;
    }
    json::Value& certificates = json::ensureObject(status, "certificates", allocator);
    json::setString(certificates, "serverCASecret", name + "-ca", allocator);
    json::setString(certificates, "clientCASecret", name + "-ca", allocator);
    json::setString(certificates, "serverTLSSecret", name + "-server", allocator);
    json::setString(certificates, "replicationTLSSecret", name + "-replication", allocator);
    if (const json::Value* alt =
            json::findPath(cluster, {"spec", "certificates", "serverAltDNSNames"})) {
      json::Value copy;
      copy.CopyFrom(*alt, allocator);
      json::set(certificates, "serverAltDNSNames", std::move(copy), allocator);
    } else {
      json::erase(certificates, "serverAltDNSNames");
    }
    if (*secrets) {
      json::Value& expirations = json::ensureObject(certificates, "expirations", allocator);
      json::setString(expirations, name + "-ca", formatRfc3339(**secrets), allocator);
      json::setString(expirations, name + "-server", formatRfc3339(**secrets), allocator);
    }

    std::string stage;  // A transitional phase, or empty when there is none.
    bool healthy = false;
    if (!failure.empty()) {
      json::setString(status, "phase", kUnrecoverable, allocator);
      json::setString(status, "phaseReason", failure, allocator);
      json::set(status, "instances", json::Value(instances), allocator);
      json::set(status, "readyInstances", json::Value(0), allocator);
      setCondition(status, "Ready", false, "ClusterIsNotReady", "Cluster Is Not Ready", now,
                   allocator);
      since_.erase(uid);
    } else {
      if (phase.empty() || phase == kSettingUp) {
        stage = kSettingUp;
      } else if (phase == kUnrecoverable || phase == kWaitingActive) {
        stage = kWaitingActive;
      } else if (phase == kCreatingReplica || phase == kUpgrading) {
        stage = phase;
      } else if (phase == kHealthy && current != nullptr &&
                 instances > intAt(*current, {"instances"}, instances)) {
        stage = kCreatingReplica;
      } else if (phase == kHealthy && current != nullptr &&
                 !stringAt(*current, {"image"}).empty() && stringAt(*current, {"image"}) != image) {
        stage = kUpgrading;
      } else {
        healthy = true;
      }
      if (!stage.empty()) {
        const SystemTime due = transitionStart(uid, stage, current, now) + options_.ready_after;
        if (now >= due) {
          healthy = true;
        } else {
          json::setString(status, "phase", stage, allocator);
          json::setString(
              status, "phaseReason",
              stage == kSettingUp ? "Creating primary instance " + name + "-1" : std::string(stage),
              allocator);
          if (stage == kSettingUp || stage == kWaitingActive) {
            json::set(status, "instances", json::Value(instances), allocator);
            json::set(status, "readyInstances", json::Value(0), allocator);
          }
          setCondition(status, "Ready", false, "ClusterIsNotReady", "Cluster Is Not Ready", now,
                       allocator);
          schedule(key, due);
        }
      }
    }
    if (healthy) {
      since_.erase(uid);
      json::setString(status, "phase", kHealthy, allocator);
      json::erase(status, "phaseReason");
      json::set(status, "instances", json::Value(instances), allocator);
      json::set(status, "readyInstances", json::Value(instances), allocator);
      json::Value names(rapidjson::kArrayType);
      for (int64_t i = 1; i <= instances; ++i) {
        names.PushBack(json::stringValue(name + "-" + std::to_string(i), allocator), allocator);
      }
      json::set(status, "instanceNames", std::move(names), allocator);
      json::setString(status, "currentPrimary", name + "-1", allocator);
      json::setString(status, "targetPrimary", name + "-1", allocator);
      json::setString(status, "writeService", name + "-rw", allocator);
      json::setString(status, "readService", name + "-r", allocator);
      json::set(status, "timelineID", json::Value(1), allocator);
      json::setString(status, "image", image, allocator);
      if (const std::optional<int> major = majorVersion(image)) {
        json::Value info(rapidjson::kObjectType);
        json::setString(info, "image", image, allocator);
        json::set(info, "majorVersion", json::Value(*major), allocator);
        json::set(status, "pgDataImageInfo", std::move(info), allocator);
      } else {
        json::erase(status, "pgDataImageInfo");
      }
      setCondition(status, "Ready", true, "ClusterIsReady", "Cluster is Ready", now, allocator);
      if (archiverPlugin(cluster) != nullptr) {
        setCondition(status, "ContinuousArchiving", true, "ContinuousArchivingSuccess",
                     "Continuous archiving is working", now, allocator);
      } else {
        removeCondition(status, "ContinuousArchiving");
      }
    }
    // Hibernation keeps the phase: it starts only from a healthy cluster and drops the ready
    // instances to zero while it lasts.
    if (hibernate) {
      if (healthy) {
        setCondition(status, kHibernationCondition, true, "Hibernated",
                     "Cluster has been hibernated", now, allocator);
        json::set(status, "readyInstances", json::Value(0), allocator);
      } else {
        setCondition(status, kHibernationCondition, false, "WaitingForHealthy",
                     "Waiting for the cluster to be healthy", now, allocator);
      }
    } else {
      removeCondition(status, kHibernationCondition);
    }
    writeStatus(key, type, cluster, std::move(status.Move()));
  }

  void reconcilePooler(const ObjectKey& key, const ResourceType& type, const json::Value& pooler) {
    const ObjectKey cluster_key{std::string(kClusters), key.namespace_,
                                stringAt(pooler, {"spec", "cluster", "name"})};
    Result<StoredObject> stored = api_.store().get(cluster_key);
    bool healthy = false;
    if (stored) {
      if (Result<json::Document> cluster = json::parse(*stored->json)) {
        healthy = stringAt(*cluster, {"status", "phase"}) == kHealthy;
      }
    }
    const json::Value* current = json::find(pooler, "status");
    if (!healthy && current == nullptr) {
      return;  // Nothing to report until its cluster has been up once.
    }
    json::Document status(rapidjson::kObjectType);
    auto& allocator = status.GetAllocator();
    if (current != nullptr && current->IsObject()) {
      status.CopyFrom(*current, allocator);
    }
    if (healthy) {
      json::set(status, "instances", json::Value(intAt(pooler, {"spec", "instances"}, 1)),
                allocator);
      json::setString(status, "phase",
                      boolAt(pooler, {"spec", "pgbouncer", "paused"}) ? "paused" : "active",
                      allocator);
      json::erase(status, "phaseReason");
      json::setString(status, "image", kPgbouncerImage, allocator);
    } else if (!stored) {
      json::setString(status, "phase", "inactive", allocator);
      json::setString(status, "phaseReason", "cluster " + cluster_key.name + " not found",
                      allocator);
    } else {
      // PgBouncer keeps running while its cluster is unhealthy or hibernated; follow scaling.
      json::set(status, "instances", json::Value(intAt(pooler, {"spec", "instances"}, 1)),
                allocator);
    }
    writeStatus(key, type, pooler, std::move(status.Move()));
  }

  static std::string walName(int64_t segment) {
    char text[32];
    std::snprintf(text, sizeof(text), "%08X%08X%08X", 1U,
                  static_cast<unsigned>((segment >> 8) & 0xffffffff),
                  static_cast<unsigned>(segment & 0xff));
    return text;
  }

  // A WAL segment number that grows with time, so later backups name later WAL.
  int64_t walSegment(const json::Value& cluster, SystemTime now) const {
    const SystemTime created = parseTime(metaField(cluster, "creationTimestamp")).value_or(now);
    return 2 + std::chrono::duration_cast<std::chrono::seconds>(now - created).count() / 60;
  }

  void failBackup(const ObjectKey& key, const ResourceType& type, const json::Value& backup,
                  json::Document status, const std::string& message, const json::Value* cluster) {
    auto& allocator = status.GetAllocator();
    json::setString(status, "phase", "failed", allocator);
    json::setString(status, "error", message, allocator);
    json::setString(status, "method", stringAt(backup, {"spec", "method"}), allocator);
    json::setString(status, "stoppedAt", formatRfc3339(clock_.now()), allocator);
    if (writeStatus(key, type, backup, std::move(status.Move())) && cluster != nullptr) {
      noteBackupOnCluster(*cluster, false, message);
    }
  }

  // The Cluster's LastBackupSucceeded condition follows its last backup.
  void noteBackupOnCluster(const json::Value& cluster, bool succeeded, const std::string& message) {
    const ObjectKey cluster_key{std::string(kClusters), metaField(cluster, "namespace"),
                                metaField(cluster, "name")};
    const std::shared_ptr<const ResourceType> type = typeForStorage(api_.registry(), kClusters);
    for (int attempt = 0; attempt < 3; ++attempt) {
      Result<StoredObject> stored = api_.store().get(cluster_key);
      if (!stored) {
        return;
      }
      Result<json::Document> fresh = json::parse(*stored->json);
      if (!fresh) {
        return;
      }
      json::Document status(rapidjson::kObjectType);
      if (const json::Value* current = json::find(*fresh, "status")) {
        status.CopyFrom(*current, status.GetAllocator());
      }
      setCondition(status, "LastBackupSucceeded", succeeded,
                   succeeded ? "LastBackupSucceeded" : "LastBackupFailed",
                   succeeded ? "Backup was successful" : message, clock_.now(),
                   status.GetAllocator());
      if (writeStatus(cluster_key, *type, *fresh, std::move(status.Move()))) {
        return;
      }
    }
  }

  void recordRecoveryWindow(const json::Value& cluster, SystemTime stopped) {
    const json::Value* plugin = archiverPlugin(cluster);
    if (plugin == nullptr) {
      return;
    }
    const std::string store_name = stringAt(*plugin, {"parameters", "barmanObjectName"});
    std::string server = stringAt(*plugin, {"parameters", "serverName"});
    server = server.empty() ? metaField(cluster, "name") : server;
    const std::shared_ptr<const ResourceType> type = typeForStorage(api_.registry(), kObjectStores);
    if (store_name.empty() || type == nullptr) {
      return;
    }
    const ObjectKey key{std::string(kObjectStores), metaField(cluster, "namespace"), store_name};
    for (int attempt = 0; attempt < 3; ++attempt) {
      Result<StoredObject> stored = api_.store().get(key);
      if (!stored) {
        LOG(WARNING) << "cnpg stand-in: backup done but ObjectStore missing name=" << store_name;
        return;
      }
      Result<json::Document> object = json::parse(*stored->json);
      if (!object) {
        return;
      }
      json::Document status(rapidjson::kObjectType);
      auto& allocator = status.GetAllocator();
      if (const json::Value* current = json::find(*object, "status")) {
        status.CopyFrom(*current, allocator);
      }
      json::Value& windows = json::ensureObject(status, "serverRecoveryWindow", allocator);
      json::Value& window = json::ensureObject(windows, server, allocator);
      if (json::getString(window, "firstRecoverabilityPoint").empty()) {
        json::setString(window, "firstRecoverabilityPoint", formatRfc3339(stopped), allocator);
      }
      json::setString(window, "lastSuccessfulBackupTime", formatRfc3339(stopped), allocator);
      if (writeStatus(key, *type, *object, std::move(status.Move()))) {
        return;
      }
    }
  }

  void reconcileBackup(const ObjectKey& key, const ResourceType& type, const json::Value& backup) {
    const json::Value* current = json::find(backup, "status");
    const std::string phase = current != nullptr ? stringAt(*current, {"phase"}) : "";
    if (phase == "completed" || phase == "failed") {
      return;
    }
    const SystemTime now = clock_.now();
    json::Document status(rapidjson::kObjectType);
    auto& allocator = status.GetAllocator();
    if (current != nullptr && current->IsObject()) {
      status.CopyFrom(*current, allocator);
    }
    const std::string cluster_name = stringAt(backup, {"spec", "cluster", "name"});
    Result<StoredObject> stored =
        api_.store().get(ObjectKey{std::string(kClusters), key.namespace_, cluster_name});
    Result<json::Document> cluster =
        stored ? json::parse(*stored->json) : Result<json::Document>(stored.error());
    if (!cluster) {
      if (phase.empty()) {
        json::setString(status, "phase", "pending", allocator);
        writeStatus(key, type, backup, std::move(status.Move()));
      }
      return;  // Its cluster's creation queues it again.
    }
    if (phase.empty() || phase == "pending") {
      if (stringAt(backup, {"spec", "method"}) != "plugin") {
        failBackup(key, type, backup, std::move(status),
                   "the devcluster's CNPG stand-in takes only method: plugin backups", &*cluster);
        return;
      }
      if (annotation(*cluster, kCnpgHibernationAnnotation) == "on") {
        failBackup(key, type, backup, std::move(status), "cannot backup a hibernated cluster",
                   &*cluster);
        return;
      }
      if (!hasPlugins(*cluster)) {
        failBackup(key, type, backup, std::move(status),
                   "cannot proceed with the backup as the cluster has no plugin configured",
                   &*cluster);
        return;
      }
      if (stringAt(*cluster, {"status", "phase"}) != kHealthy) {
        json::setString(status, "phase", "pending", allocator);
        writeStatus(key, type, backup, std::move(status.Move()));
        return;  // The cluster's next change queues it again.
      }
      const json::Value* plugin = archiverPlugin(*cluster);
      std::string server =
          plugin != nullptr ? stringAt(*plugin, {"parameters", "serverName"}) : std::string();
      server = server.empty() ? cluster_name : server;
      json::setString(status, "phase", "running", allocator);
      json::setString(status, "method", "plugin", allocator);
      json::setString(status, "startedAt", formatRfc3339(now), allocator);
      json::setString(status, "backupId", compactStamp(now, true), allocator);
      json::setString(status, "backupName", key.name, allocator);
      json::setString(status, "serverName", server, allocator);
      json::setString(status, "beginWal", walName(walSegment(*cluster, now)), allocator);
      since_[metaField(backup, "uid")] = {"running", now};
      if (writeStatus(key, type, backup, std::move(status.Move()))) {
        schedule(key, now + options_.ready_after);
      }
      return;
    }
    if (phase != "running") {
      return;
    }
    const std::string uid = metaField(backup, "uid");
    SystemTime started = parseTime(stringAt(status, {"startedAt"})).value_or(now);
    if (const auto it = since_.find(uid); it != since_.end()) {
      started = it->second.second;
    }
    if (now < started + options_.ready_after) {
      schedule(key, started + options_.ready_after);
      return;
    }
    json::setString(status, "phase", "completed", allocator);
    json::setString(status, "stoppedAt", formatRfc3339(now), allocator);
    json::setString(status, "endWal", walName(walSegment(*cluster, now) + 1), allocator);
    if (writeStatus(key, type, backup, std::move(status.Move()))) {
      since_.erase(uid);
      recordRecoveryWindow(*cluster, now);
      noteBackupOnCluster(*cluster, true, "");
    }
  }

  void reconcileScheduledBackup(const ObjectKey& key, const ResourceType& type,
                                const json::Value& scheduled) {
    const SystemTime now = clock_.now();
    json::Document status(rapidjson::kObjectType);
    auto& allocator = status.GetAllocator();
    if (const json::Value* current = json::find(scheduled, "status");
        current != nullptr && current->IsObject()) {
      status.CopyFrom(*current, allocator);
    }
    Result<CronSchedule> schedule_spec =
        CronSchedule::parse(stringAt(scheduled, {"spec", "schedule"}));
    if (!schedule_spec) {
      json::setString(status, "error", schedule_spec.error().message, allocator);
      writeStatus(key, type, scheduled, std::move(status.Move()));
      return;
    }
    json::erase(status, "error");
    if (boolAt(scheduled, {"spec", "suspend"})) {
      writeStatus(key, type, scheduled, std::move(status.Move()));
      return;
    }
    const std::string last = stringAt(status, {"lastScheduleTime"});
    const std::optional<SystemTime> next = parseTime(stringAt(status, {"nextScheduleTime"}));
    bool take = false;
    bool immediate = false;
    if (last.empty() && boolAt(scheduled, {"spec", "immediate"})) {
      take = immediate = true;
    } else if (next && now >= *next) {
      take = true;
    }
    if (take) {
      if (Result<void> made = createBackup(scheduled, now, immediate); !made) {
        LOG_EVERY_N(WARNING, 100) << "cnpg stand-in cannot create a backup scheduled=" << key.name
                                  << " error=" << made.error().toString();
        schedule(key, now + kRetryAfter);
        return;
      }
      json::setString(status, "lastScheduleTime", formatRfc3339(now), allocator);
    }
    if (take || !next) {
      json::setString(status, "lastCheckTime", formatRfc3339(now), allocator);
      if (const std::optional<SystemTime> upcoming = schedule_spec->next(now)) {
        json::setString(status, "nextScheduleTime", formatRfc3339(*upcoming), allocator);
      }
    }
    const std::optional<SystemTime> due = parseTime(stringAt(status, {"nextScheduleTime"}));
    if (writeStatus(key, type, scheduled, std::move(status.Move())) && due) {
      schedule(key, *due);
    }
  }

  Result<void> createBackup(const json::Value& scheduled, SystemTime now, bool immediate) {
    const std::string cluster_name = stringAt(scheduled, {"spec", "cluster", "name"});
    json::Document backup(rapidjson::kObjectType);
    auto& allocator = backup.GetAllocator();
    json::setString(backup, "apiVersion", "postgresql.cnpg.io/v1", allocator);
    json::setString(backup, "kind", "Backup", allocator);
    json::Value& metadata = json::ensureObject(backup, "metadata", allocator);
    json::setString(metadata, "name", metaField(scheduled, "name") + "-" + compactStamp(now, false),
                    allocator);
    json::setString(metadata, "namespace", metaField(scheduled, "namespace"), allocator);
    json::Value& labels = json::ensureObject(metadata, "labels", allocator);
    json::setString(labels, "cnpg.io/cluster", cluster_name, allocator);
    json::setString(labels, "cnpg.io/scheduled-backup", metaField(scheduled, "name"), allocator);
    json::setString(labels, "cnpg.io/immediateBackup", immediate ? "true" : "false", allocator);
    const std::string owner = stringAt(scheduled, {"spec", "backupOwnerReference"});
    if (owner == "self" || owner == "cluster") {
      json::Document owner_object;
      if (owner == "self") {
        owner_object = json::clone(scheduled);
      } else {
        Result<StoredObject> stored = api_.store().get(
            ObjectKey{std::string(kClusters), metaField(scheduled, "namespace"), cluster_name});
        if (!stored) {
          return Error::notFound("cluster " + cluster_name + " not found");
        }
        Result<json::Document> parsed = json::parse(*stored->json);
        if (!parsed) {
          return parsed.error();
        }
        owner_object = std::move(parsed).value();
      }
      json::Value owners(rapidjson::kArrayType);
      owners.PushBack(ownerReference(owner_object, allocator), allocator);
      json::set(metadata, "ownerReferences", std::move(owners), allocator);
    }
    json::Value& spec = json::ensureObject(backup, "spec", allocator);
    json::Value& cluster = json::ensureObject(spec, "cluster", allocator);
    json::setString(cluster, "name", cluster_name, allocator);
    std::string method = stringAt(scheduled, {"spec", "method"});
    json::setString(spec, "method", method.empty() ? "barmanObjectStore" : method, allocator);
    for (const char* field : {"pluginConfiguration", "target", "online", "onlineConfiguration"}) {
      if (const json::Value* value = json::findPath(scheduled, {"spec", field})) {
        json::Value copy;
        copy.CopyFrom(*value, allocator);
        json::set(spec, field, std::move(copy), allocator);
      }
    }
    const std::shared_ptr<const ResourceType> type = typeForStorage(api_.registry(), kBackups);
    Result<json::Document> created = api_.createObject(*type, std::move(backup));
    if (!created && created.error().code != ErrorCode::AlreadyExists) {
      return created.error();
    }
    return {};
  }

  Api& api_;
  const Clock& clock_;
  const Options options_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                // Guarded by mu_.
  std::deque<ObjectKey> ready_;          // Guarded by mu_. To reconcile now, in order.
  std::set<ObjectKey> queued_;           // Guarded by mu_. What ready_ holds.
  std::map<ObjectKey, SteadyTime> due_;  // Guarded by mu_. Each key's earliest timer.
  // Guarded by mu_. Timers, earliest first; entries not matching due_ are stale.
  std::priority_queue<std::pair<SteadyTime, ObjectKey>,
                      std::vector<std::pair<SteadyTime, ObjectKey>>, std::greater<>>
      timers_;
  // Guarded by mu_. (namespace, cluster name) -> the Poolers and Backups naming it.
  std::map<std::pair<std::string, std::string>, std::set<ObjectKey>> dependents_;
  std::thread worker_;

  // Worker thread only. uid -> the transition under way and when it began, precisely (the
  // objects keep it to the second, which a restart falls back to).
  std::map<std::string, std::pair<std::string, SystemTime>> since_;
};

CnpgStandin::CnpgStandin(Api& api, const Clock& clock, Options options)
    : impl_(std::make_shared<Impl>(api, clock, options)) {
  std::weak_ptr<Impl> weak = impl_;
  api.addObserver([weak](const ResourceType& type, const json::Value& object, bool removed) {
    if (const std::shared_ptr<Impl> impl = weak.lock()) {
      impl->observe(type, object, removed);
    }
  });
}

CnpgStandin::~CnpgStandin() {
  stop();
}

Result<void> CnpgStandin::start() {
  return impl_->start();
}

void CnpgStandin::stop() {
  impl_->stop();
}

}  // namespace daap::devcluster

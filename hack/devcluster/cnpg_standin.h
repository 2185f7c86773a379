#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "lib/base/clock.h"
#include "lib/base/result.h"

namespace daap::devcluster {

class Api;

// A Cluster with this annotation fails: phase "Cluster is unrecoverable and needs manual
// intervention", phaseReason = the annotation's value. Removing it lets the Cluster recover.
inline constexpr std::string_view kCnpgFailAnnotation = "devcluster.daap.io/fail";
// CNPG's own declarative hibernation: "on" hibernates, "off" or absent rehydrates.
inline constexpr std::string_view kCnpgHibernationAnnotation = "cnpg.io/hibernation";

// The CNPG stand-in, fast mode: makes CloudNativePG objects come true the way the CNPG operator
// and the Barman Cloud plugin would, without running PostgreSQL. It learns of writes in
// process (an Api observer), works on one thread from a queue and a timer heap (no polling,
// so thousands of Clusters cost nothing while idle), and writes through the Api like any
// client: resourceVersions, watch events, status isolation and garbage collection apply.
//
// - Cluster: "Setting up primary", then after `ready_after` "Cluster in healthy state" with
//   instances, primary, services, Ready, certificates, image and major version; the secrets
//   <name>-app, <name>-ca and <name>-server, owned by the Cluster. Scaling up or a new image
//   go through "Creating a new replica" / "Upgrading cluster" for `ready_after`. The fail and
//   hibernation annotations above.
// - Pooler: status.instances and phase "active" once its Cluster is healthy.
// - ScheduledBackup: Backups on its cron schedule (six fields, seconds first, or @daily and
//   friends) and right away when `immediate`; status times.
// - Backup (method plugin): "running", then "completed" after `ready_after`, which also updates
//   the ObjectStore's status.serverRecoveryWindow; "failed" when the Cluster is hibernated or
//   has no plugins, as CNPG does.
// State lives in the objects themselves, so a restarted server resumes where it was.
class CnpgStandin {
public:
  struct Options {
    std::chrono::milliseconds ready_after{std::chrono::seconds(1)};
  };

  // Registers as an observer of `api`: construct before api.start() and before serving.
  CnpgStandin(Api& api, const Clock& clock, Options options);
  ~CnpgStandin();
  CnpgStandin(const CnpgStandin&) = delete;
  CnpgStandin& operator=(const CnpgStandin&) = delete;

  // Queues every stored CNPG object (work a restart left undone) and starts the worker. Call
  // after the CNPG CRDs are installed.
  Result<void> start();
  void stop();

private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // Shared with the observer the Api holds.
};

}  // namespace daap::devcluster

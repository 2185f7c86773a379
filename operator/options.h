#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "lib/base/result.h"

namespace daap::controller {

// Everything daap-operator can be told, with the defaults a platform team gets when it says
// nothing. Flags (--kebab-case) win over DAAP_* environment variables, which win over these.
struct Options {
  // Where the API server is: a kubeconfig (and context), or the pod's service account.
  std::filesystem::path kubeconfig;
  std::string context;
  bool in_cluster = false;

  // The namespace DAAP runs in: the Lease, tier backup credentials, and the namespace every
  // database's NetworkPolicy admits.
  std::string namespace_ = "daap-system";

  // Concurrent database reconciles. Each spends most of its time waiting on the API server, so
  // more workers than cores keep the cores busy: 16 converge 10,000 databases from a cold start
  // in under a minute on 2 cores, where 4 took 80 s (perf/RESULTS.md).
  int workers = 16;
  double qps = 50;
  int burst = 100;

  bool leader_election = true;
  std::string lease_namespace;  // Empty: namespace_.
  std::string lease_name = "daap-operator";
  std::chrono::milliseconds lease_duration{std::chrono::seconds(15)};
  std::chrono::milliseconds renew_deadline{std::chrono::seconds(10)};
  std::chrono::milliseconds retry_period{std::chrono::seconds(2)};
  // This replica's name in the Lease and in Events; empty: hostname plus pid.
  std::string identity;

  std::string metrics_address = "127.0.0.1";
  uint16_t metrics_port = 8080;  // 0: a free port, printed at start.

  // PostgreSQL images: <repository>:<major>-<flavor> (flavor "standard-trixie" has pgAudit).
  std::string image_repository = "ghcr.io/cloudnative-pg/postgresql";
  std::string image_flavor = "standard-trixie";
  // The namespace label naming the owning team, admitted by each database's NetworkPolicy.
  std::string team_label = "daap.io/team";

  std::chrono::milliseconds resync{std::chrono::minutes(10)};
  int verbosity = 0;
};

// Parses argv over `env` (DAAP_WORKERS=8 is --workers=8). Errors name the flag; --help returns
// the help text as an InvalidArgument error whose message starts with "Usage".
Result<Options> parseOptions(int argc, const char* const* argv,
                             const std::map<std::string, std::string>& env);

}  // namespace daap::controller

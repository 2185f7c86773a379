#include "operator/options.h"

#include <boost/program_options.hpp>

#include "lib/cli/flags.h"

namespace daap::controller {

namespace po = boost::program_options;

Result<Options> parseOptions(int argc, const char* const* argv,
                             const std::map<std::string, std::string>& env) {
  Options options;
  std::string kubeconfig;
  int64_t lease_duration_ms = options.lease_duration.count();
  int64_t renew_deadline_ms = options.renew_deadline.count();
  int64_t retry_period_ms = options.retry_period.count();
  int64_t resync_s = std::chrono::duration_cast<std::chrono::seconds>(options.resync).count();
  int metrics_port = options.metrics_port;
  po::options_description flags("Usage: daap-operator [flags]\nFlags (each also DAAP_<FLAG>)");
  flags.add_options()("help", "print this help")(
      "kubeconfig", po::value(&kubeconfig),
      "kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")(
      "context", po::value(&options.context), "kubeconfig context (default: current-context)")(
      "in-cluster", po::bool_switch(&options.in_cluster),
      "use the pod's service account instead of a kubeconfig")(
      "namespace", po::value(&options.namespace_)->default_value(options.namespace_),
      "namespace DAAP runs in (lease, backup credentials, admitted by NetworkPolicies)")(
      "workers", po::value(&options.workers)->default_value(options.workers),
      "concurrent reconciles")("qps", po::value(&options.qps)->default_value(options.qps),
                               "API requests per second (client-side limit)")(
      "burst", po::value(&options.burst)->default_value(options.burst), "API request burst")(
      "leader-election", po::value(&options.leader_election)->default_value(true),
      "only the Lease holder reconciles (true|false)")(
      "lease-namespace", po::value(&options.lease_namespace),
      "namespace of the Lease (default: --namespace)")(
      "lease-name", po::value(&options.lease_name)->default_value(options.lease_name),
      "name of the Lease")("lease-duration-ms",
                           po::value(&lease_duration_ms)->default_value(lease_duration_ms),
                           "how long a Lease holds without renewal")(
      "renew-deadline-ms", po::value(&renew_deadline_ms)->default_value(renew_deadline_ms),
      "the leader gives up when it cannot renew within this")(
      "retry-period-ms", po::value(&retry_period_ms)->default_value(retry_period_ms),
      "how often to try to acquire or renew the Lease")(
      "identity", po::value(&options.identity), "this replica's name (default: hostname-pid)")(
      "metrics-address", po::value(&options.metrics_address)->default_value("127.0.0.1"),
      "address of /metrics, /healthz, /readyz")(
      "metrics-port", po::value(&metrics_port)->default_value(metrics_port),
      "port of /metrics, /healthz, /readyz (0: a free one)")(
      "image-repository",
      po::value(&options.image_repository)->default_value(options.image_repository),
      "PostgreSQL image repository")(
      "image-flavor", po::value(&options.image_flavor)->default_value(options.image_flavor),
      "image tag suffix after the major version (must include pgAudit)")(
      "team-label", po::value(&options.team_label)->default_value(options.team_label),
      "namespace label naming the owning team, admitted by NetworkPolicies")(
      "resync-seconds", po::value(&resync_s)->default_value(resync_s),
      "re-check every object this often (0: never)")(
      "v", po::value(&options.verbosity)->default_value(0), "log verbosity (glog --v)");
  // DAAP_WORKERS=8 counts as --workers=8 unless the command line gives that flag.
  if (Result<void> parsed = cli::parseFlags(flags, argc, argv, env); !parsed) {
    return parsed.error();
  }
  if (options.workers < 1) {
    return Error::invalidArgument("--workers must be at least 1");
  }
  if (options.burst < 1) {
    return Error::invalidArgument("--burst must be at least 1");
  }
  if (metrics_port < 0 || metrics_port > 65535) {
    return Error::invalidArgument("--metrics-port must be between 0 and 65535");
  }
  if (lease_duration_ms <= 0 || renew_deadline_ms <= 0 || retry_period_ms <= 0) {
    return Error::invalidArgument(
        "--lease-duration-ms, --renew-deadline-ms and --retry-period-ms must be positive");
  }
  if (renew_deadline_ms >= lease_duration_ms) {
    return Error::invalidArgument("--renew-deadline-ms must be below --lease-duration-ms");
  }
  if (resync_s < 0) {
    return Error::invalidArgument("--resync-seconds must not be negative");
  }
  if (options.namespace_.empty()) {
    return Error::invalidArgument("--namespace must not be empty");
  }
  options.kubeconfig = kubeconfig;
  options.metrics_port = static_cast<uint16_t>(metrics_port);
  options.lease_duration = std::chrono::milliseconds(lease_duration_ms);
  options.renew_deadline = std::chrono::milliseconds(renew_deadline_ms);
  options.retry_period = std::chrono::milliseconds(retry_period_ms);
  options.resync = std::chrono::seconds(resync_s);
  if (options.lease_namespace.empty()) {
    options.lease_namespace = options.namespace_;
  }
  return options;
}

}  // namespace daap::controller

#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "lib/base/result.h"

namespace daap::kube {

// Where and how to reach one Kubernetes API server, resolved from a kubeconfig context or from
// the pod's service account. Credentials are held here in memory only, never logged.
struct ClusterConfig {
  std::string server;  // "https://host:port"
  std::string ca_pem;  // Empty: the system trust store.
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  // A bearer token given inline, or a file re-read when it changes (projected service-account
  // tokens rotate).
  std::string token;
  std::filesystem::path token_file;
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::string namespace_;  // The context's (or the pod's) namespace; "default" if unset.
};

// What the caller resolved from its flags and environment: libraries never read either.
struct ConfigSource {
  std::filesystem::path kubeconfig_flag;  // --kubeconfig
  std::string context;                    // --context; empty: current-context
  std::string kubeconfig_env;             // $KUBECONFIG (first existing path of a ':' list)
  std::filesystem::path home;             // $HOME, for ~/.kube/config
  // In-cluster: $KUBERNETES_SERVICE_HOST and $KUBERNETES_SERVICE_PORT, and the mounted
  // service-account directory.
  std::string service_host;
  std::string service_port;
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// Parses a kubeconfig document. Relative file paths (certificate-authority, client-certificate,
// client-key, tokenFile) resolve against `base_dir`; *-data fields are base64 PEM. Errors are
// InvalidArgument naming the missing or bad field and the context.
Result<ClusterConfig> parseKubeconfig(std::string_view text, std::string_view context,
                                      const std::filesystem::path& base_dir);

// The service account mounted into a pod: token file, ca.crt, namespace.
Result<ClusterConfig> inClusterConfig(const ConfigSource& source);

// The first usable of: --kubeconfig, $KUBECONFIG, ~/.kube/config, in-cluster. The error names
// everything that was tried and why it was not usable.
Result<ClusterConfig> resolveConfig(const ConfigSource& source);

}  // namespace daap::kube

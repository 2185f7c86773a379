#include "hack/devcluster/kubeconfig.h"

#include "lib/base/base64.h"

namespace daap::devcluster {

std::string renderKubeconfig(const std::string& server_url, const std::string& ca_pem,
                             const std::string& token) {
  std::string config =
      "apiVersion: v1\n"
      "kind: Config\n"
      "clusters:\n"
      "- name: devcluster\n"
      "  cluster:\n"
      "    server: " +
      server_url + "\n";
  if (!ca_pem.empty()) {
    config += "    certificate-authority-data: " + encodeBase64(ca_pem) + "\n";
  }
  config +=
      "users:\n"
      "- name: devcluster\n"
      "  user:\n"
      "    token: " +
      token +
      "\n"
      "contexts:\n"
      "- name: devcluster\n"
      "  context:\n"
      "    cluster: devcluster\n"
      "    user: devcluster\n"
      "    namespace: default\n"
      "current-context: devcluster\n";
  return config;
}

}  // namespace daap::devcluster

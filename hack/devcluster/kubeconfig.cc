#include "hack/devcluster/kubeconfig.h"

namespace daap::devcluster {

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (const char c : bytes) {
    bits = (bits << 8) | static_cast<uint8_t>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) {
    out += kAlphabet[(bits << (6 - count)) & 63];
  }
  while (out.size() % 4 != 0) {
    out += '=';
  }
  return out;
}

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
    config += "    certificate-authority-data: " + base64(ca_pem) + "\n";
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

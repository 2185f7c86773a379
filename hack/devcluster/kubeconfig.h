#pragma once

#include <string>

namespace daap::devcluster {

// A kubeconfig with one cluster, user and context named "devcluster". An empty CA means plain
// HTTP.
std::string renderKubeconfig(const std::string& server_url, const std::string& ca_pem,
                             const std::string& token);

}  // namespace daap::devcluster

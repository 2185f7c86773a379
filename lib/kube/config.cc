#include "lib/kube/config.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "lib/base/base64.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "lib/kube/objects.h"

namespace daap::kube {
namespace {

constexpr std::string_view kPluginsUnsupported =
    "exec credential plugins are not supported; use a token or client certificate";

// The whole of a small file (a certificate, a key, a namespace). The error names the path and
// the system's reason, never the content.
Result<std::string> readSmallFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return Error::invalidArgument(path.string() + ": " +
                                  std::generic_category().message(error != 0 ? error : EIO));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return Error::invalidArgument(path.string() + ": read failed");
  }
  return std::move(content).str();
}

// Fails with `prefix` in front of the message, keeping the code.
Error prefixed(std::string_view prefix, Error error) {
  error.message = std::string(prefix) + ": " + error.message;
  return error;
}

std::filesystem::path resolvePath(std::string_view path, const std::filesystem::path& base_dir) {
  const std::filesystem::path candidate(path);
  return candidate.is_absolute() || base_dir.empty() ? candidate : base_dir / candidate;
}

std::string trimmed(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) {
    return {};
  }
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// The entry of a kubeconfig list (clusters, users, contexts) called `name`, or nullptr.
const json::Value* findNamed(const json::Value& config, std::string_view list,
                             std::string_view name) {
  const json::Value* entries = json::find(config, list);
  if (entries == nullptr || !entries->IsArray()) {
    return nullptr;
  }
  for (const json::Value& entry : entries->GetArray()) {
    if (json::getString(entry, "name") == name) {
      return &entry;
    }
  }
  return nullptr;
}

// One PEM from either an inline base64 `<field>-data` or a file `<field>`; the inline form
// wins, as in client-go. `path` names the object ("users[dev].user") in errors; an absent
// field is an empty string.
Result<std::string> readPem(const json::Value& object, std::string_view field,
                            const std::string& path, const std::filesystem::path& base_dir) {
  const std::string data_field = std::string(field) + "-data";
  if (const std::string_view data = json::getString(object, data_field); !data.empty()) {
    Result<std::string> decoded = decodeBase64(data);
    if (!decoded) {
      return Error::invalidArgument(path + "." + data_field + ": invalid base64");
    }
    return decoded;
  }
  if (const std::string_view file = json::getString(object, field); !file.empty()) {
    Result<std::string> content = readSmallFile(resolvePath(file, base_dir));
    if (!content) {
      return prefixed(path + "." + std::string(field), std::move(content).error());
    }
    return content;
  }
  return std::string();
}

Result<void> readCluster(const json::Value& cluster, const std::string& path,
                         const std::filesystem::path& base_dir, ClusterConfig& config) {
  config.server = json::getString(cluster, "server");
  if (config.server.empty()) {
    return Error::invalidArgument(path + ".server is required");
  }
  Result<std::string> ca = readPem(cluster, "certificate-authority", path, base_dir);
  if (!ca) {
    return std::move(ca).error();
  }
  config.ca_pem = std::move(ca).value();
  const json::Value* insecure = json::find(cluster, "insecure-skip-tls-verify");
  config.insecure_skip_tls_verify =
      insecure != nullptr && insecure->IsBool() && insecure->GetBool();
  if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
    // As kubectl: trusting a CA and trusting anything cannot both be meant.
    return Error::invalidArgument(path +
                                  ": certificate-authority and insecure-skip-tls-verify are "
                                  "mutually exclusive");
  }
  config.tls_server_name = json::getString(cluster, "tls-server-name");
  return {};
}

Result<void> readUser(const json::Value& user, const std::string& path,
                      const std::filesystem::path& base_dir, ClusterConfig& config) {
  if (json::find(user, "exec") != nullptr) {
    return Error::invalidArgument(path + ".exec: " + std::string(kPluginsUnsupported));
  }
  if (json::find(user, "auth-provider") != nullptr) {
    return Error::invalidArgument(path +
                                  ".auth-provider: auth-provider plugins are not "
                                  "supported; use a token or client certificate");
  }
  if (json::find(user, "username") != nullptr || json::find(user, "password") != nullptr) {
    return Error::invalidArgument(
        path + ": basic authentication is not supported; use a token or client certificate");
  }
  config.token = json::getString(user, "token");
  if (const std::string_view file = json::getString(user, "tokenFile"); !file.empty()) {
    config.token_file = resolvePath(file, base_dir);
    // Read once to fail now rather than on the first request; the client re-reads it.
    if (Result<std::string> token = readSmallFile(config.token_file); !token) {
      return prefixed(path + ".tokenFile", std::move(token).error());
    }
  }
  Result<std::string> certificate = readPem(user, "client-certificate", path, base_dir);
  if (!certificate) {
    return std::move(certificate).error();
  }
  Result<std::string> key = readPem(user, "client-key", path, base_dir);
  if (!key) {
    return std::move(key).error();
  }
  if (certificate->empty() != key->empty()) {
    return Error::invalidArgument(path +
                                  ": client-certificate and client-key must be given together");
  }
  config.client_certificate_pem = std::move(certificate).value();
  config.client_key_pem = std::move(key).value();
  return {};
}

Result<ClusterConfig> parseContext(const json::Value& kubeconfig, std::string_view context_name,
                                   const std::filesystem::path& base_dir) {
  const json::Value* entry = findNamed(kubeconfig, "contexts", context_name);
  if (entry == nullptr) {
    return Error::invalidArgument("not found in contexts[]");
  }
  const json::Value* context = json::find(*entry, "context");
  if (context == nullptr || !context->IsObject()) {
    return Error::invalidArgument("contexts[" + std::string(context_name) +
                                  "].context is required");
  }
  ClusterConfig config;
  const std::string_view cluster_name = json::getString(*context, "cluster");
  if (cluster_name.empty()) {
    return Error::invalidArgument("contexts[" + std::string(context_name) +
                                  "].context.cluster is required");
  }
  const json::Value* cluster_entry = findNamed(kubeconfig, "clusters", cluster_name);
  const json::Value* cluster =
      cluster_entry != nullptr ? json::find(*cluster_entry, "cluster") : nullptr;
  if (cluster == nullptr || !cluster->IsObject()) {
    return Error::invalidArgument("cluster \"" + std::string(cluster_name) +
                                  "\" not found in clusters[]");
  }
  if (Result<void> read = readCluster(
          *cluster, "clusters[" + std::string(cluster_name) + "].cluster", base_dir, config);
      !read) {
    return std::move(read).error();
  }
  // No user: anonymous requests, which a server may allow for discovery.
  if (const std::string_view user_name = json::getString(*context, "user"); !user_name.empty()) {
    const json::Value* user_entry = findNamed(kubeconfig, "users", user_name);
    const json::Value* user = user_entry != nullptr ? json::find(*user_entry, "user") : nullptr;
    if (user_entry == nullptr) {
      return Error::invalidArgument("user \"" + std::string(user_name) + "\" not found in users[]");
    }
    if (user != nullptr && user->IsObject()) {
      if (Result<void> read =
              readUser(*user, "users[" + std::string(user_name) + "].user", base_dir, config);
          !read) {
        return std::move(read).error();
      }
    }
  }
  config.namespace_ = json::getString(*context, "namespace", "default");
  return config;
}

// "host:port", bracketing an IPv6 address as URLs need.
std::string hostPort(std::string_view host, std::string_view port) {
  if (host.find(':') != std::string_view::npos) {
    return "[" + std::string(host) + "]:" + std::string(port);
  }
  return std::string(host) + ":" + std::string(port);
}

// A kubeconfig file, parsed with relative paths against its own directory.
Result<ClusterConfig> loadKubeconfig(const std::filesystem::path& path, std::string_view context) {
  Result<std::string> text = readSmallFile(path);
  if (!text) {
    return std::move(text).error();
  }
  Result<ClusterConfig> config = parseKubeconfig(*text, context, path.parent_path());
  if (!config) {
    return prefixed(path.string(), std::move(config).error());
  }
  return config;
}

bool pathExists(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::exists(path, error);
}

}  // namespace

Result<ClusterConfig> parseKubeconfig(std::string_view text, std::string_view context,
                                      const std::filesystem::path& base_dir) {
  Result<std::vector<json::Document>> documents = json::parseYaml(text);
  if (!documents) {
    return std::move(documents).error();
  }
  if (documents->empty()) {
    return Error::invalidArgument("kubeconfig is empty");
  }
  if (documents->size() > 1 || !documents->front().IsObject()) {
    return Error::invalidArgument("kubeconfig must be a single YAML mapping");
  }
  const json::Document& kubeconfig = documents->front();
  const std::string context_name(context.empty() ? json::getString(kubeconfig, "current-context")
                                                 : context);
  if (context_name.empty()) {
    return Error::invalidArgument("no context: current-context is not set and none was given");
  }
  Result<ClusterConfig> config = parseContext(kubeconfig, context_name, base_dir);
  if (!config) {
    return prefixed("context \"" + context_name + "\"", std::move(config).error());
  }
  return config;
}

Result<ClusterConfig> inClusterConfig(const ConfigSource& source) {
  if (source.service_host.empty() || source.service_port.empty()) {
    return Error::invalidArgument(
        "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  ClusterConfig config;
  config.server = "https://" + hostPort(source.service_host, source.service_port);
  config.token_file = source.service_account_dir / "token";
  if (Result<std::string> token = readSmallFile(config.token_file); !token) {
    return std::move(token).error();
  }
  Result<std::string> ca = readSmallFile(source.service_account_dir / "ca.crt");
  if (!ca) {
    return std::move(ca).error();
  }
  config.ca_pem = std::move(ca).value();
  // The namespace file is part of every service-account mount; without it, "default".
  const Result<std::string> namespace_ = readSmallFile(source.service_account_dir / "namespace");
  config.namespace_ = namespace_ ? trimmed(*namespace_) : std::string();
  if (config.namespace_.empty()) {
    config.namespace_ = "default";
  }
  return config;
}

Result<ClusterConfig> resolveConfig(const ConfigSource& source) {
  // Each source tried, and why it was passed over. A source that exists but is broken ends
  // the search: falling through to another cluster would surprise far more than an error.
  std::vector<std::string> tried;
  const auto failure = [&tried](std::string last) {
    tried.push_back(std::move(last));
    std::string message = "no usable Kubernetes configuration: ";
    for (std::size_t i = 0; i < tried.size(); ++i) {
      message += (i == 0 ? "" : "; ") + tried[i];
    }
    return Error::invalidArgument(std::move(message));
  };

  if (!source.kubeconfig_flag.empty()) {
    Result<ClusterConfig> config = loadKubeconfig(source.kubeconfig_flag, source.context);
    if (!config) {
      return failure("--kubeconfig " + config.error().message);
    }
    return config;
  }
  tried.emplace_back("--kubeconfig: not set");

  if (source.kubeconfig_env.empty()) {
    tried.emplace_back("$KUBECONFIG: not set");
  } else {
    std::string_view paths = source.kubeconfig_env;
    while (!paths.empty()) {
      const std::size_t colon = paths.find(':');
      const std::string_view path = paths.substr(0, colon);
      paths = colon == std::string_view::npos ? std::string_view() : paths.substr(colon + 1);
      if (path.empty()) {
        continue;
      }
      if (!pathExists(path)) {
        tried.push_back("$KUBECONFIG " + std::string(path) + ": does not exist");
        continue;
      }
      Result<ClusterConfig> config = loadKubeconfig(path, source.context);
      if (!config) {
        return failure("$KUBECONFIG " + config.error().message);
      }
      return config;
    }
  }

  if (source.home.empty()) {
    tried.emplace_back("~/.kube/config: $HOME not set");
  } else {
    const std::filesystem::path path = source.home / ".kube" / "config";
    if (!pathExists(path)) {
      tried.push_back(path.string() + ": does not exist");
    } else {
      Result<ClusterConfig> config = loadKubeconfig(path, source.context);
      if (!config) {
        return failure(config.error().message);
      }
      return config;
    }
  }

  if (source.service_host.empty()) {
    return failure("in-cluster: KUBERNETES_SERVICE_HOST not set");
  }
  Result<ClusterConfig> config = inClusterConfig(source);
  if (!config) {
    return failure("in-cluster: " + config.error().message);
  }
  return config;
}

}  // namespace daap::kube

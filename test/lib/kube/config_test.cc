#include "lib/kube/config.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "lib/kube/objects.h"

namespace daap::kube {
namespace {

constexpr std::string_view kToken = "s3cr3t-t0ken-value";
constexpr std::string_view kCaPem =
    "-----BEGIN CERTIFICATE-----\nMIIBcaCAcert\n-----END CERTIFICATE-----\n";
constexpr std::string_view kCertPem =
    "-----BEGIN CERTIFICATE-----\nMIIBclientcert\n-----END CERTIFICATE-----\n";
constexpr std::string_view kKeyPem =
    "-----BEGIN PRIVATE KEY-----\nMIIEprivatekeymaterial\n-----END PRIVATE KEY-----\n";

// A kubeconfig with one cluster "devcluster", one user "devcluster" and two contexts: "dev"
// (the current one, namespace team-a) and "other" (no namespace). `cluster` and `user` are the
// lines of each body, indented by four spaces.
std::string kubeconfig(std::string_view cluster, std::string_view user) {
  std::string text =
      "apiVersion: v1\n"
      "kind: Config\n"
      "current-context: dev\n"
      "clusters:\n"
      "- name: devcluster\n"
      "  cluster:\n";
  text += cluster;
  text +=
      "users:\n"
      "- name: devcluster\n"
      "  user:\n";
  text += user;
  text +=
      "contexts:\n"
      "- name: dev\n"
      "  context:\n"
      "    cluster: devcluster\n"
      "    user: devcluster\n"
      "    namespace: team-a\n"
      "- name: other\n"
      "  context:\n"
      "    cluster: devcluster\n"
      "    user: devcluster\n";
  return text;
}

std::string tokenConfig(std::string_view server = "https://127.0.0.1:6443") {
  return kubeconfig("    server: " + std::string(server) + "\n",
                    "    token: " + std::string(kToken) + "\n");
}

// A directory under the system temp dir, removed with everything in it.
class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "daap-config-XXXXXX").string();
    const char* created = mkdtemp(pattern.data());
    EXPECT_NE(created, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  std::filesystem::path write(const std::filesystem::path& relative, std::string_view content) {
    std::filesystem::path file = path_ / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

private:
  std::filesystem::path path_;
};

// The config `text` must parse to; failures fail the test.
ClusterConfig parsed(std::string_view text, std::string_view context = {},
                     const std::filesystem::path& base_dir = {}) {
  Result<ClusterConfig> config = parseKubeconfig(text, context, base_dir);
  if (!config) {
    ADD_FAILURE() << config.error().toString();
    return {};
  }
  return std::move(config).value();
}

// The message of the InvalidArgument error `text` must give. No error may quote a secret.
std::string parseError(std::string_view text, std::string_view context = {},
                       const std::filesystem::path& base_dir = {}) {
  const Result<ClusterConfig> config = parseKubeconfig(text, context, base_dir);
  if (config) {
    ADD_FAILURE() << "parsed, server " << config->server;
    return {};
  }
  EXPECT_EQ(config.error().code, ErrorCode::InvalidArgument);
  const std::string& message = config.error().message;
  EXPECT_EQ(message.find(kToken), std::string::npos) << message;
  EXPECT_EQ(message.find("privatekeymaterial"), std::string::npos) << message;
  return message;
}

TEST(ParseKubeconfigTest, ReadsServerTokenAndContextNamespace) {
  const ClusterConfig config = parsed(tokenConfig());
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");
  EXPECT_EQ(config.token, kToken);
  EXPECT_TRUE(config.token_file.empty());
  EXPECT_EQ(config.namespace_, "team-a");
  EXPECT_TRUE(config.ca_pem.empty());
  EXPECT_FALSE(config.insecure_skip_tls_verify);
  EXPECT_TRUE(config.client_certificate_pem.empty());
}

TEST(ParseKubeconfigTest, TokenFileResolvesAgainstBaseDir) {
  TempDir dir;
  dir.write("secrets/token", kToken);
  const ClusterConfig config = parsed(
      kubeconfig("    server: https://k:6443\n", "    tokenFile: secrets/token\n"), {}, dir.path());
  EXPECT_EQ(config.token_file, dir.path() / "secrets/token");
  EXPECT_TRUE(config.token.empty());  // The client reads the file, and re-reads it.
}

TEST(ParseKubeconfigTest, MissingTokenFileNamesTheField) {
  TempDir dir;
  const std::string message = parseError(
      kubeconfig("    server: https://k:6443\n", "    tokenFile: missing\n"), {}, dir.path());
  EXPECT_NE(message.find("users[devcluster].user.tokenFile"), std::string::npos) << message;
  EXPECT_NE(message.find((dir.path() / "missing").string()), std::string::npos) << message;
}

TEST(ParseKubeconfigTest, ClientCertificateAndKeyFromFiles) {
  TempDir dir;
  dir.write("client.crt", kCertPem);
  const std::filesystem::path key = dir.write("keys/client.key", kKeyPem);
  const ClusterConfig config = parsed(kubeconfig("    server: https://k:6443\n",
                                                 "    client-certificate: client.crt\n"
                                                 "    client-key: " +
                                                     key.string() + "\n"),
                                      {}, dir.path());
  EXPECT_EQ(config.client_certificate_pem, kCertPem);
  EXPECT_EQ(config.client_key_pem, kKeyPem);
  EXPECT_TRUE(config.token.empty());
}

TEST(ParseKubeconfigTest, ClientCertificateAndKeyFromData) {
  const ClusterConfig config = parsed(kubeconfig(
      "    server: https://k:6443\n", "    client-certificate-data: " + encodeBase64(kCertPem) +
                                          "\n"
                                          "    client-key-data: " +
                                          encodeBase64(kKeyPem) + "\n"));
  EXPECT_EQ(config.client_certificate_pem, kCertPem);
  EXPECT_EQ(config.client_key_pem, kKeyPem);
}

TEST(ParseKubeconfigTest, CertificateWithoutKeyIsRejected) {
  const std::string message =
      parseError(kubeconfig("    server: https://k:6443\n",
                            "    client-certificate-data: " + encodeBase64(kCertPem) + "\n"));
  EXPECT_NE(message.find("users[devcluster].user: client-certificate and client-key"),
            std::string::npos)
      << message;
}

TEST(ParseKubeconfigTest, InvalidKeyDataNamesTheFieldNotTheValue) {
  const std::string message = parseError(kubeconfig(
      "    server: https://k:6443\n", "    client-certificate-data: " + encodeBase64(kCertPem) +
                                          "\n"
                                          "    client-key-data: privatekeymaterial!!\n"));
  EXPECT_EQ(message, "context \"dev\": users[devcluster].user.client-key-data: invalid base64");
}

TEST(ParseKubeconfigTest, CertificateAuthorityFromFile) {
  TempDir dir;
  dir.write("ca.crt", kCaPem);
  const ClusterConfig config =
      parsed(kubeconfig("    server: https://k:6443\n    certificate-authority: ca.crt\n",
                        "    token: " + std::string(kToken) + "\n"),
             {}, dir.path());
  EXPECT_EQ(config.ca_pem, kCaPem);
}

TEST(ParseKubeconfigTest, MissingCertificateAuthorityFileNamesTheField) {
  TempDir dir;
  const std::string message =
      parseError(kubeconfig("    server: https://k:6443\n    certificate-authority: nope.crt\n",
                            "    token: " + std::string(kToken) + "\n"),
                 {}, dir.path());
  EXPECT_NE(message.find("clusters[devcluster].cluster.certificate-authority: "), std::string::npos)
      << message;
}

TEST(ParseKubeconfigTest, CertificateAuthorityDataIsDecoded) {
  const ClusterConfig config = parsed(kubeconfig(
      "    server: https://k:6443\n    certificate-authority-data: " + encodeBase64(kCaPem) + "\n",
      "    token: " + std::string(kToken) + "\n"));
  EXPECT_EQ(config.ca_pem, kCaPem);
}

TEST(ParseKubeconfigTest, InvalidCertificateAuthorityDataNamesTheField) {
  const std::string message = parseError(
      kubeconfig("    server: https://k:6443\n    certificate-authority-data: '%%%'\n", ""));
  EXPECT_NE(message.find("clusters[devcluster].cluster.certificate-authority-data: invalid "
                         "base64"),
            std::string::npos)
      << message;
}

TEST(ParseKubeconfigTest, InsecureSkipTlsVerifyAndServerName) {
  const ClusterConfig config =
      parsed(kubeconfig("    server: https://10.0.0.1:6443\n"
                        "    insecure-skip-tls-verify: true\n"
                        "    tls-server-name: api.internal\n",
                        "    token: " + std::string(kToken) + "\n"));
  EXPECT_TRUE(config.insecure_skip_tls_verify);
  EXPECT_EQ(config.tls_server_name, "api.internal");
}

TEST(ParseKubeconfigTest, InsecureWithCertificateAuthorityIsRejected) {
  const std::string message =
      parseError(kubeconfig("    server: https://k:6443\n    insecure-skip-tls-verify: true\n"
                            "    certificate-authority-data: " +
                                encodeBase64(kCaPem) + "\n",
                            ""));
  EXPECT_NE(message.find("mutually exclusive"), std::string::npos) << message;
}

TEST(ParseKubeconfigTest, ContextOverrideSelectsAnotherContext) {
  const ClusterConfig config = parsed(tokenConfig(), "other");
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");
  EXPECT_EQ(config.namespace_, "default");  // "other" sets none.
}

TEST(ParseKubeconfigTest, MissingContextIsNamed) {
  EXPECT_EQ(parseError(tokenConfig(), "prod"), "context \"prod\": not found in contexts[]");
}

TEST(ParseKubeconfigTest, NoCurrentContextAndNoOverrideIsAnError) {
  std::string text = tokenConfig();
  text.replace(text.find("current-context: dev\n"), 21, "");
  EXPECT_NE(parseError(text).find("current-context is not set"), std::string::npos);
}

TEST(ParseKubeconfigTest, MissingClusterIsNamed) {
  std::string text = tokenConfig();
  text.replace(text.find("- name: devcluster\n  cluster:"), 18, "- name: elsewhere\n");
  EXPECT_EQ(parseError(text), "context \"dev\": cluster \"devcluster\" not found in clusters[]");
}

TEST(ParseKubeconfigTest, MissingUserIsNamed) {
  std::string text = tokenConfig();
  text.replace(text.find("- name: devcluster\n  user:"), 18, "- name: someone\n");
  EXPECT_EQ(parseError(text), "context \"dev\": user \"devcluster\" not found in users[]");
}

TEST(ParseKubeconfigTest, MissingServerIsNamed) {
  EXPECT_EQ(parseError(kubeconfig("    tls-server-name: x\n", "")),
            "context \"dev\": clusters[devcluster].cluster.server is required");
}

TEST(ParseKubeconfigTest, ExecPluginIsRefused) {
  const std::string message =
      parseError(kubeconfig("    server: https://k:6443\n",
                            "    exec:\n"
                            "      apiVersion: client.authentication.k8s.io/v1\n"
                            "      command: aws\n"));
  EXPECT_NE(message.find("users[devcluster].user.exec: exec credential plugins are not "
                         "supported; use a token or client certificate"),
            std::string::npos)
      << message;
}

TEST(ParseKubeconfigTest, AuthProviderIsRefused) {
  const std::string message = parseError(kubeconfig("    server: https://k:6443\n",
                                                    "    auth-provider:\n"
                                                    "      name: oidc\n"));
  EXPECT_NE(message.find("auth-provider plugins are not supported"), std::string::npos) << message;
}

TEST(ParseKubeconfigTest, UserlessContextIsAnonymous) {
  const ClusterConfig config = parsed(kubeconfig("    server: https://k:6443\n", ""));
  EXPECT_TRUE(config.token.empty());
  EXPECT_TRUE(config.client_key_pem.empty());
}

TEST(ParseKubeconfigTest, EmptyAndMalformedDocumentsAreErrors) {
  EXPECT_EQ(parseError(""), "kubeconfig is empty");
  EXPECT_NE(parseError("clusters: [\n").find("invalid YAML"), std::string::npos);
  EXPECT_NE(parseError("- a\n- b\n").find("single YAML mapping"), std::string::npos);
}

// A service-account mount as the kubelet projects it.
void writeServiceAccount(TempDir& dir, bool with_namespace = true) {
  dir.write("sa/token", kToken);
  dir.write("sa/ca.crt", kCaPem);
  if (with_namespace) {
    dir.write("sa/namespace", "daap-system\n");
  }
}

ConfigSource inCluster(const TempDir& dir, std::string host = "10.96.0.1") {
  ConfigSource source;
  source.service_host = std::move(host);
  source.service_port = "443";
  source.service_account_dir = dir.path() / "sa";
  return source;
}

TEST(InClusterConfigTest, ReadsTheServiceAccountMount) {
  TempDir dir;
  writeServiceAccount(dir);
  const Result<ClusterConfig> config = inClusterConfig(inCluster(dir));
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->token_file, dir.path() / "sa/token");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->namespace_, "daap-system");
}

TEST(InClusterConfigTest, BracketsAnIpv6Host) {
  TempDir dir;
  writeServiceAccount(dir);
  const Result<ClusterConfig> config = inClusterConfig(inCluster(dir, "fd00::1"));
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->server, "https://[fd00::1]:443");
}

TEST(InClusterConfigTest, NamespaceDefaultsWithoutTheFile) {
  TempDir dir;
  writeServiceAccount(dir, false);
  const Result<ClusterConfig> config = inClusterConfig(inCluster(dir));
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->namespace_, "default");
}

TEST(InClusterConfigTest, MissingTokenIsAnError) {
  TempDir dir;
  dir.write("sa/ca.crt", kCaPem);
  const Result<ClusterConfig> config = inClusterConfig(inCluster(dir));
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find((dir.path() / "sa/token").string()), std::string::npos)
      << config.error().message;
}

TEST(InClusterConfigTest, MissingCaIsAnError) {
  TempDir dir;
  dir.write("sa/token", kToken);
  const Result<ClusterConfig> config = inClusterConfig(inCluster(dir));
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("ca.crt"), std::string::npos) << config.error().message;
}

TEST(InClusterConfigTest, NeedsHostAndPort) {
  TempDir dir;
  writeServiceAccount(dir);
  ConfigSource source = inCluster(dir);
  source.service_port.clear();
  EXPECT_FALSE(inClusterConfig(source));
}

// A source where nothing is usable unless a test adds it.
ConfigSource emptySource(const TempDir& dir) {
  ConfigSource source;
  source.home = dir.path() / "home";
  source.service_account_dir = dir.path() / "sa";
  return source;
}

TEST(ResolveConfigTest, FlagComesFirst) {
  TempDir dir;
  ConfigSource source = emptySource(dir);
  source.kubeconfig_flag = dir.write("flag.yaml", tokenConfig("https://flag:1"));
  source.kubeconfig_env = dir.write("env.yaml", tokenConfig("https://env:1")).string();
  dir.write("home/.kube/config", tokenConfig("https://home:1"));
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->server, "https://flag:1");
}

TEST(ResolveConfigTest, FirstExistingKubeconfigPathComesNext) {
  TempDir dir;
  ConfigSource source = emptySource(dir);
  const std::filesystem::path second = dir.write("second.yaml", tokenConfig("https://second:1"));
  const std::filesystem::path third = dir.write("third.yaml", tokenConfig("https://third:1"));
  source.kubeconfig_env =
      (dir.path() / "missing.yaml").string() + "::" + second.string() + ":" + third.string();
  dir.write("home/.kube/config", tokenConfig("https://home:1"));
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->server, "https://second:1");
}

TEST(ResolveConfigTest, HomeConfigComesBeforeInCluster) {
  TempDir dir;
  writeServiceAccount(dir);
  ConfigSource source = inCluster(dir);
  source.home = dir.path() / "home";
  dir.write("home/.kube/config", tokenConfig("https://home:1"));
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->server, "https://home:1");
}

TEST(ResolveConfigTest, InClusterComesLast) {
  TempDir dir;
  writeServiceAccount(dir);
  ConfigSource source = inCluster(dir);
  source.home = dir.path() / "home";
  source.kubeconfig_env = (dir.path() / "missing.yaml").string();
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
}

TEST(ResolveConfigTest, ContextOverrideAppliesToTheChosenFile) {
  TempDir dir;
  ConfigSource source = emptySource(dir);
  source.kubeconfig_flag = dir.write("flag.yaml", tokenConfig());
  source.context = "other";
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->namespace_, "default");
}

TEST(ResolveConfigTest, RelativePathsResolveAgainstTheKubeconfigDirectory) {
  TempDir dir;
  dir.write("conf/ca.crt", kCaPem);
  ConfigSource source = emptySource(dir);
  source.kubeconfig_flag =
      dir.write("conf/kubeconfig", kubeconfig("    server: https://k:1\n"
                                              "    certificate-authority: ca.crt\n",
                                              ""));
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_TRUE(config) << config.error().toString();
  EXPECT_EQ(config->ca_pem, kCaPem);
}

TEST(ResolveConfigTest, ErrorNamesEverySourceTried) {
  TempDir dir;
  ConfigSource source = emptySource(dir);
  source.kubeconfig_env = (dir.path() / "a.yaml").string() + ":" + (dir.path() / "b.yaml").string();
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(config.error().message,
            "no usable Kubernetes configuration: --kubeconfig: not set; $KUBECONFIG " +
                (dir.path() / "a.yaml").string() + ": does not exist; $KUBECONFIG " +
                (dir.path() / "b.yaml").string() + ": does not exist; " +
                (dir.path() / "home/.kube/config").string() +
                ": does not exist; in-cluster: KUBERNETES_SERVICE_HOST not set");
}

TEST(ResolveConfigTest, ErrorWithoutAnyEnvironment) {
  const Result<ClusterConfig> config = resolveConfig(ConfigSource{});
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message,
            "no usable Kubernetes configuration: --kubeconfig: not set; $KUBECONFIG: not set; "
            "~/.kube/config: $HOME not set; in-cluster: KUBERNETES_SERVICE_HOST not set");
}

TEST(ResolveConfigTest, BrokenFlagDoesNotFallThrough) {
  TempDir dir;
  writeServiceAccount(dir);
  ConfigSource source = inCluster(dir);
  source.kubeconfig_flag = dir.write("flag.yaml", tokenConfig());
  source.context = "prod";
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("--kubeconfig " + (dir.path() / "flag.yaml").string() +
                                        ": context \"prod\""),
            std::string::npos)
      << config.error().message;
  EXPECT_EQ(config.error().message.find(kToken), std::string::npos);
}

TEST(ResolveConfigTest, MissingFlagFileIsNamed) {
  TempDir dir;
  ConfigSource source = emptySource(dir);
  source.kubeconfig_flag = dir.path() / "nope.yaml";
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("--kubeconfig " + (dir.path() / "nope.yaml").string() +
                                        ": No such file or directory"),
            std::string::npos)
      << config.error().message;
}

TEST(ResolveConfigTest, BrokenInClusterMountIsNamed) {
  TempDir dir;
  ConfigSource source = inCluster(dir);
  source.home = dir.path() / "home";
  const Result<ClusterConfig> config = resolveConfig(source);
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("in-cluster: " + (dir.path() / "sa/token").string()),
            std::string::npos)
      << config.error().message;
}

}  // namespace
}  // namespace daap::kube

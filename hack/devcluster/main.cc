// devcluster: DAAP's Kubernetes API server for tests and local mode. Parses options, restores
// state, installs the CRDs it is given, serves until SIGINT or SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include <glog/logging.h>

#include "hack/devcluster/api.h"
#include "hack/devcluster/cnpg_standin.h"
#include "hack/devcluster/http_server.h"
#include "hack/devcluster/kubeconfig.h"
#include "hack/devcluster/options.h"
#include "hack/devcluster/registry.h"
#include "hack/devcluster/store.h"
#include "hack/devcluster/tls.h"
#include "lib/base/clock.h"
#include "lib/cli/flags.h"
#include "lib/cli/process.h"
#include "lib/json/yaml.h"

extern char** environ;  // NOLINT(readability-identifier-naming)

namespace {

using daap::Error;
using daap::Result;

Result<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::notFound("cannot read " + path.string());
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<void> writeFile(const std::filesystem::path& path, const std::string& content,
                       std::filesystem::perms perms) {
  const std::filesystem::path temp = path.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out || !(out << content)) {
      return Error::unavailable("cannot write " + temp.string());
    }
  }
  std::error_code ec;
  std::filesystem::permissions(temp, perms, ec);
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    return Error::unavailable("cannot write " + path.string() + ": " + ec.message());
  }
  return {};
}

std::string randomToken() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device random;
  std::string token;
  for (int i = 0; i < 40; ++i) {
    token += kAlphabet[random() % (sizeof(kAlphabet) - 1)];
  }
  return token;
}

// A value kept in the data directory so a restarted server keeps its identity; generated when
// absent.
template <typename Make>
Result<std::string> persisted(const std::filesystem::path& data_dir, const std::string& file,
                              Make make) {
  if (!data_dir.empty()) {
    if (Result<std::string> existing = readFile(data_dir / file)) {
      return existing;
    }
  }
  Result<std::string> made = make();
  if (made && !data_dir.empty()) {
    if (Result<void> written =
            writeFile(data_dir / file, *made,
                      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        !written) {
      return written.error();
    }
  }
  return made;
}

Result<void> installCrds(daap::devcluster::Api& api,
                         const std::vector<std::filesystem::path>& dirs) {
  for (const std::filesystem::path& dir : dirs) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const std::string extension = entry.path().extension().string();
      if (extension == ".yaml" || extension == ".yml" || extension == ".json") {
        files.push_back(entry.path());
      }
    }
    if (ec) {
      return Error::notFound("cannot list --crd-dir " + dir.string() + ": " + ec.message());
    }
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path& file : files) {
      Result<std::string> text = readFile(file);
      if (!text) {
        return text.error();
      }
      Result<std::vector<daap::json::Document>> documents = daap::json::parseYaml(*text);
      if (!documents) {
        return Error::invalidArgument(file.string() + ": " + documents.error().message);
      }
      for (const daap::json::Document& document : *documents) {
        if (daap::json::getString(document, "kind") != "CustomResourceDefinition") {
          continue;  // e.g. a kustomization beside the CRDs.
        }
        if (Result<void> applied = api.applyManifest(document); !applied) {
          return Error::invalidArgument(file.string() + ": " + applied.error().toString());
        }
      }
    }
  }
  return {};
}

int run(int argc, char** argv) {
  Result<daap::devcluster::Options> parsed =
      daap::devcluster::parseOptions(argc, argv, daap::cli::environmentOf(environ));
  if (!parsed) {
    std::cerr << "devcluster: " << parsed.error().message << "\n";
    return 2;
  }
  const daap::devcluster::Options& options = *parsed;
  daap::cli::initLogging(argv[0], options.verbosity);
  // Before the store, the CNPG stand-in and the server start their threads, which inherit it.
  const daap::cli::StopSignals stop_signals;
  signal(SIGPIPE, SIG_IGN);

  if (!options.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) {
      LOG(ERROR) << "cannot create data dir error=" << ec.message();
      return 1;
    }
  }
  daap::devcluster::Store::Options store_options;
  store_options.data_dir = options.data_dir;
  store_options.history_limit = options.history_limit;
  store_options.fsync = options.fsync;
  Result<std::unique_ptr<daap::devcluster::Store>> store =
      daap::devcluster::Store::open(store_options);
  if (!store) {
    LOG(ERROR) << "cannot open store error=" << store.error().toString();
    return 1;
  }
  Result<std::string> token =
      options.token.empty()
          ? persisted(options.data_dir, "token", [] { return Result<std::string>(randomToken()); })
          : Result<std::string>(options.token);
  if (!token) {
    LOG(ERROR) << "cannot keep the token error=" << token.error().toString();
    return 1;
  }
  std::optional<daap::devcluster::TlsIdentity> tls;
  if (options.tls) {
    Result<std::string> identity =
        persisted(options.data_dir, "tls.pem", []() -> Result<std::string> {
          Result<daap::devcluster::TlsIdentity> made = daap::devcluster::makeSelfSignedIdentity();
          if (!made) {
            return made.error();
          }
          return made->certificate_pem + made->private_key_pem;
        });
    if (!identity) {
      LOG(ERROR) << "cannot make a TLS identity error=" << identity.error().toString();
      return 1;
    }
    const size_t split = identity->find("-----BEGIN PRIVATE KEY-----");
    tls = daap::devcluster::TlsIdentity{identity->substr(0, split), identity->substr(split)};
  }

  daap::SystemClock clock;
  daap::devcluster::Registry registry;
  daap::devcluster::Api::Options api_options;
  api_options.token = *token;
  api_options.bookmark_interval = options.bookmark_interval;
  daap::devcluster::Api api(**store, registry, clock, api_options);
  // Observes the Api from its first write, so it is made before the Api starts.
  std::unique_ptr<daap::devcluster::CnpgStandin> cnpg;
  if (options.cnpg_mode == daap::devcluster::Options::CnpgMode::Fast) {
    cnpg = std::make_unique<daap::devcluster::CnpgStandin>(
        api, clock, daap::devcluster::CnpgStandin::Options{options.cnpg_ready_after});
  }
  if (Result<void> started = api.start(); !started) {
    LOG(ERROR) << "cannot restore state error=" << started.error().toString();
    return 1;
  }
  if (Result<void> installed = installCrds(api, options.crd_dirs); !installed) {
    LOG(ERROR) << "cannot install CRDs error=" << installed.error().toString();
    return 1;
  }
  for (const char* name : {"default", "kube-system", "kube-public"}) {
    (void)api.applyManifest(
        *daap::json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" +
                           std::string(name) + R"("}})"));
  }
  if (cnpg != nullptr) {
    if (Result<void> started = cnpg->start(); !started) {
      LOG(ERROR) << "cannot start the CNPG stand-in error=" << started.error().toString();
      return 1;
    }
  }

  daap::devcluster::HttpServer::Options server_options;
  server_options.address = options.address;
  server_options.port = options.port;
  server_options.tls = tls;
  daap::devcluster::HttpServer server(
      server_options,
      [&api](const daap::devcluster::HttpRequest& request) { return api.handle(request); });
  if (Result<void> started = server.start(); !started) {
    LOG(ERROR) << "cannot serve error=" << started.error().toString();
    return 1;
  }
  const std::string url = std::string(options.tls ? "https" : "http") + "://" + options.address +
                          ":" + std::to_string(server.port());
  if (!options.kubeconfig.empty()) {
    const std::string config =
        daap::devcluster::renderKubeconfig(url, tls ? tls->certificate_pem : std::string(), *token);
    if (Result<void> written =
            writeFile(options.kubeconfig, config,
                      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        !written) {
      LOG(ERROR) << "cannot write kubeconfig error=" << written.error().toString();
      return 1;
    }
  }
  LOG(INFO) << "devcluster serving url=" << url << " data_dir=" << options.data_dir.string();
  std::cout << "devcluster ready " << url << std::endl;

  stop_signals.wait();
  // Controllers first (they write), then the store: closing it ends every watch at once, so
  // the server's connections drain promptly once their sockets are shut down.
  if (cnpg != nullptr) {
    cnpg->stop();
  }
  api.stop();
  (*store)->close();
  server.stop();
  LOG(INFO) << "devcluster stopped";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    LOG(ERROR) << "devcluster died error=" << error.what();
    return 1;
  }
}

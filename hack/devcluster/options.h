#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"

namespace daap::devcluster {

struct Options {
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  std::filesystem::path data_dir;               // Empty: state in memory only.
  std::filesystem::path kubeconfig;             // Where to write a kubeconfig for clients.
  std::vector<std::filesystem::path> crd_dirs;  // CRD manifests installed at start.
  bool tls = true;
  std::string token;  // Empty: generated (and kept in data_dir).
  std::chrono::milliseconds bookmark_interval{std::chrono::seconds(5)};
  size_t history_limit = 100000;
  bool fsync = false;
  int verbosity = 0;
  // The CNPG stand-in: Fast makes CNPG objects come true without running PostgreSQL; Off leaves
  // them as clients wrote them.
  enum class CnpgMode { Off, Fast };
  CnpgMode cnpg_mode = CnpgMode::Fast;
  // How long a Cluster takes to become healthy (and a Backup to complete) in fast mode.
  std::chrono::milliseconds cnpg_ready_after{std::chrono::seconds(1)};
};

// "1s", "500ms", "2m", "1h", "1m30s", "0": a Go-style duration (units h, m, s, ms). Negative or
// malformed is InvalidArgument.
Result<std::chrono::milliseconds> parseDuration(std::string_view text);

// Flags (--kebab-case) over DAAP_DEVCLUSTER_* environment variables over defaults. Errors name
// the flag.
Result<Options> parseOptions(int argc, const char* const* argv,
                             const std::map<std::string, std::string>& env);

}  // namespace daap::devcluster

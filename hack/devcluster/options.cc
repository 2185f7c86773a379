#include "hack/devcluster/options.h"

#include <cctype>

#include <boost/program_options.hpp>

#include "lib/cli/flags.h"

namespace daap::devcluster {

namespace po = boost::program_options;

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  if (text == "0") {
    return std::chrono::milliseconds(0);
  }
  if (text.empty()) {
    return Error::invalidArgument("empty duration");
  }
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::chrono::milliseconds total{0};
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
      ++digits;
    }
    size_t unit_end = digits;
    while (unit_end < text.size() &&
           std::isalpha(static_cast<unsigned char>(text[unit_end])) != 0) {
      ++unit_end;
    }
    const std::string_view unit = text.substr(digits, unit_end - digits);
    if (digits == 0 || digits > 9 || unit.empty()) {
      return Error::invalidArgument("invalid duration " + quoted +
                                    " (want e.g. 1s, 500ms, 2m, 1h30m or 0)");
    }
    const int64_t amount = std::stoll(std::string(text.substr(0, digits)));
    if (unit == "ms") {
      total += std::chrono::milliseconds(amount);
    } else if (unit == "s") {
      total += std::chrono::seconds(amount);
    } else if (unit == "m") {
      total += std::chrono::minutes(amount);
    } else if (unit == "h") {
      total += std::chrono::hours(amount);
    } else {
      return Error::invalidArgument("unknown unit \"" + std::string(unit) + "\" in duration " +
                                    quoted + " (use ms, s, m or h)");
    }
    text.remove_prefix(unit_end);
  }
  return total;
}

Result<Options> parseOptions(int argc, const char* const* argv,
                             const std::map<std::string, std::string>& env) {
  Options options;
  int port = 0;
  int64_t bookmark_ms = options.bookmark_interval.count();
  std::string data_dir;
  std::string kubeconfig;
  std::vector<std::string> crd_dirs;
  std::string cnpg_mode = "fast";
  std::string cnpg_ready_after = "1s";
  po::options_description flags(
      "devcluster: a Kubernetes API server for DAAP's tests and local mode");
  flags.add_options()("help", "print this help")(
      "address", po::value(&options.address)->default_value(options.address),
      "listen address; loopback only")("port", po::value(&port)->default_value(0),
                                       "listen port; 0 picks a free one")(
      "data-dir", po::value(&data_dir), "keep state here (write-ahead log) to survive restarts")(
      "kubeconfig", po::value(&kubeconfig), "write a kubeconfig for clients to this path")(
      "crd-dir", po::value(&crd_dirs)->composing(),
      "install every CRD manifest (*.yaml) in this directory at start; repeatable")(
      "tls", po::value(&options.tls)->default_value(true), "serve HTTPS with a self-signed cert")(
      "token", po::value(&options.token), "bearer token clients must send (default: generated)")(
      "bookmark-interval-ms", po::value(&bookmark_ms)->default_value(bookmark_ms),
      "how often idle watches get a BOOKMARK")(
      "history-limit", po::value(&options.history_limit)->default_value(options.history_limit),
      "changes kept for watch resumption; older versions answer 410 Gone")(
      "fsync", po::value(&options.fsync)->default_value(false), "fdatasync every write")(
      "v", po::value(&options.verbosity)->default_value(0), "log verbosity")(
      "cnpg-mode", po::value(&cnpg_mode)->default_value(cnpg_mode),
      "CNPG stand-in: fast (objects come true, no PostgreSQL) or off")(
      "cnpg-ready-after", po::value(&cnpg_ready_after)->default_value(cnpg_ready_after),
      "fast mode: how long a Cluster takes to become healthy and a Backup to complete "
      "(e.g. 1s, 250ms, 0)");
  // DAAP_DEVCLUSTER_DATA_DIR=x counts as --data-dir=x unless the command line gives that flag.
  if (Result<void> parsed = cli::parseFlags(flags, argc, argv, env, "DAAP_DEVCLUSTER_"); !parsed) {
    return parsed.error();
  }
  if (port < 0 || port > 65535) {
    return Error::invalidArgument("--port must be between 0 and 65535");
  }
  if (options.address != "127.0.0.1" && options.address != "::1" &&
      options.address != "localhost") {
    return Error::invalidArgument("--address must be a loopback address (127.0.0.1 or ::1)");
  }
  if (options.address == "localhost") {
    options.address = "127.0.0.1";
  }
  if (bookmark_ms <= 0) {
    return Error::invalidArgument("--bookmark-interval-ms must be positive");
  }
  if (cnpg_mode == "fast") {
    options.cnpg_mode = Options::CnpgMode::Fast;
  } else if (cnpg_mode == "off") {
    options.cnpg_mode = Options::CnpgMode::Off;
  } else {
    return Error::invalidArgument("--cnpg-mode must be fast or off");
  }
  Result<std::chrono::milliseconds> ready_after = parseDuration(cnpg_ready_after);
  if (!ready_after) {
    return Error::invalidArgument("--cnpg-ready-after: " + ready_after.error().message);
  }
  options.cnpg_ready_after = *ready_after;
  options.port = static_cast<uint16_t>(port);
  options.data_dir = data_dir;
  options.kubeconfig = kubeconfig;
  options.crd_dirs.assign(crd_dirs.begin(), crd_dirs.end());
  options.bookmark_interval = std::chrono::milliseconds(bookmark_ms);
  return options;
}

}  // namespace daap::devcluster

#include "hack/devcluster/options.h"

#include <sstream>

#include <boost/program_options.hpp>

namespace daap::devcluster {

namespace po = boost::program_options;

Result<Options> parseOptions(int argc, const char* const* argv,
                             const std::map<std::string, std::string>& env) {
  Options options;
  int port = 0;
  int64_t bookmark_ms = options.bookmark_interval.count();
  std::string data_dir;
  std::string kubeconfig;
  std::vector<std::string> crd_dirs;
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
      "v", po::value(&options.verbosity)->default_value(0), "log verbosity");
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, flags), values);
    // Flags win: store() keeps the first value it sees, so the environment goes second.
    // DAAP_DEVCLUSTER_DATA_DIR=x becomes --data-dir=x.
    std::vector<std::string> from_env;
    const std::string prefix = "DAAP_DEVCLUSTER_";
    for (const auto& [variable, value] : env) {
      if (variable.rfind(prefix, 0) != 0) {
        continue;
      }
      std::string flag = variable.substr(prefix.size());
      for (char& c : flag) {
        c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (flags.find_nothrow(flag, false) != nullptr) {
        from_env.push_back("--" + flag);
        from_env.back() += '=';
        from_env.back() += value;
      }
    }
    po::store(po::command_line_parser(from_env).options(flags).run(), values);
    po::notify(values);
  } catch (const po::error& error) {
    return Error::invalidArgument(error.what());
  }
  if (values.count("help") > 0) {
    std::ostringstream help;
    help << flags;
    return Error::invalidArgument(help.str());
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
  options.port = static_cast<uint16_t>(port);
  options.data_dir = data_dir;
  options.kubeconfig = kubeconfig;
  options.crd_dirs.assign(crd_dirs.begin(), crd_dirs.end());
  options.bookmark_interval = std::chrono::milliseconds(bookmark_ms);
  return options;
}

}  // namespace daap::devcluster

#include "lib/cli/flags.h"

#include <cctype>
#include <cstring>
#include <sstream>

#include <boost/program_options.hpp>

namespace daap::cli {

namespace po = boost::program_options;

std::map<std::string, std::string> environmentOf(const char* const* envp) {
  std::map<std::string, std::string> env;
  for (const char* const* entry = envp; *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals != nullptr) {
      env.emplace(std::string(*entry, equals), std::string(equals + 1));
    }
  }
  return env;
}

std::vector<std::string> flagsFromEnvironment(const po::options_description& flags,
                                              const std::map<std::string, std::string>& env,
                                              std::string_view prefix) {
  std::vector<std::string> arguments;
  for (const auto& [variable, value] : env) {
    if (variable.size() <= prefix.size() || variable.compare(0, prefix.size(), prefix) != 0) {
      continue;
    }
    std::string flag = variable.substr(prefix.size());
    for (char& c : flag) {
      c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (flags.find_nothrow(flag, false) != nullptr) {
      std::string argument = "--";
      argument += flag;
      argument += '=';
      argument += value;
      arguments.push_back(std::move(argument));
    }
  }
  return arguments;
}

Result<void> parseFlags(const po::options_description& flags, int argc, const char* const* argv,
                        const std::map<std::string, std::string>& env, std::string_view prefix) {
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, flags), values);
    // store() keeps the first value it sees for a flag: the command line, then the environment.
    po::store(
        po::command_line_parser(flagsFromEnvironment(flags, env, prefix)).options(flags).run(),
        values);
    po::notify(values);
  } catch (const po::error& error) {
    return Error::invalidArgument(error.what());
  }
  if (values.count("help") > 0) {
    std::ostringstream help;
    help << flags;
    return Error::invalidArgument(help.str());
  }
  return {};
}

}  // namespace daap::cli

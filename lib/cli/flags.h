#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options/options_description.hpp>

#include "lib/base/result.h"

namespace daap::cli {

// The process environment as NAME -> value, from a null-terminated "NAME=value" array (main's
// envp or `environ`). Entries without '=' are skipped.
std::map<std::string, std::string> environmentOf(const char* const* envp);

// The command-line arguments that `env` stands for: each `<prefix>UPPER_SNAKE=value` whose
// --upper-snake is one of `flags` becomes "--upper-snake=value". Other variables are ignored.
std::vector<std::string> flagsFromEnvironment(
    const boost::program_options::options_description& flags,
    const std::map<std::string, std::string>& env, std::string_view prefix = "DAAP_");

// Parses argv, then fills what the command line did not give from `<prefix>*` variables, into
// the variables `flags` is bound to (flag > environment > default). Program_options errors come
// back as InvalidArgument naming the flag; a given --help (when `flags` has one) comes back as
// InvalidArgument whose message is the help text.
Result<void> parseFlags(const boost::program_options::options_description& flags, int argc,
                        const char* const* argv, const std::map<std::string, std::string>& env,
                        std::string_view prefix = "DAAP_");

}  // namespace daap::cli

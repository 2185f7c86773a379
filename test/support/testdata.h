#pragma once

#include <filesystem>
#include <string>

namespace daap::testing {

// The repository root and the build tree, as configured by CMake.
std::filesystem::path sourceDir();
std::filesystem::path binaryDir();

std::string readFile(const std::filesystem::path& path);

}  // namespace daap::testing

#pragma once

#include <filesystem>
#include <string>

namespace daap::testing {

// The repository root and the build tree, as configured by CMake.
std::filesystem::path sourceDir();
std::filesystem::path binaryDir();

// The shared reference folder beside the repository (../shared), or, when it is absent,
// DAAP_SHARED_DIR from the environment.
std::filesystem::path sharedDir();

std::string readFile(const std::filesystem::path& path);

}  // namespace daap::testing

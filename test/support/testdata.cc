#include "test/support/testdata.h"

#include <fstream>
#include <sstream>

#include <glog/logging.h>

namespace daap::testing {

std::filesystem::path sourceDir() {
  return DAAP_SOURCE_DIR;
}

std::filesystem::path binaryDir() {
  return DAAP_BINARY_DIR;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  CHECK(in) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace daap::testing

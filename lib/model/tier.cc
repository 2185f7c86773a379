#include "lib/model/tier.h"

#include <string>

namespace daap::model {

std::string_view poolModeName(PoolMode mode) {
  switch (mode) {
    case PoolMode::Session:
      return "session";
    case PoolMode::Transaction:
      return "transaction";
  }
  return "transaction";
}

Result<PoolMode> parsePoolMode(std::string_view name) {
  if (name == "session") {
    return PoolMode::Session;
  }
  if (name == "transaction") {
    return PoolMode::Transaction;
  }
  return Error::invalidArgument("unsupported pool mode \"" + std::string(name) +
                                "\": want session or transaction");
}

std::string_view destructionStrategyName(DestructionStrategy strategy) {
  switch (strategy) {
    case DestructionStrategy::Freeze:
      return "freeze";
    case DestructionStrategy::Archive:
      return "archive";
    case DestructionStrategy::Hard:
      return "hard";
  }
  return "hard";
}

Result<DestructionStrategy> parseDestructionStrategy(std::string_view name) {
  if (name == "freeze") {
    return DestructionStrategy::Freeze;
  }
  if (name == "archive") {
    return DestructionStrategy::Archive;
  }
  if (name == "hard") {
    return DestructionStrategy::Hard;
  }
  return Error::invalidArgument("unsupported destruction strategy \"" + std::string(name) +
                                "\": want freeze, archive or hard");
}

}  // namespace daap::model

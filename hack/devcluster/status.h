#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hack/devcluster/http_server.h"
#include "lib/base/error.h"

namespace daap::devcluster {

// A failed API call as the API server reports it: the metav1.Status object.
struct ApiStatus {
  unsigned code = 500;
  std::string reason;  // NotFound, AlreadyExists, Conflict, Invalid, BadRequest, Gone, ...
  std::string message;
  std::string name;
  std::string group;
  std::string kind;  // The resource (plural), as the API server fills details.kind.
  std::vector<ErrorCause> causes;
  std::optional<int> retry_after_seconds;

  static ApiStatus badRequest(std::string message);
  static ApiStatus notFound(std::string_view group, std::string_view plural, std::string_view name);
  static ApiStatus alreadyExists(std::string_view group, std::string_view plural,
                                 std::string_view name);
  static ApiStatus conflict(std::string_view group, std::string_view plural, std::string_view name,
                            std::string_view detail);
  static ApiStatus invalid(std::string_view group, std::string_view kind, std::string_view name,
                           std::vector<ErrorCause> causes);
  static ApiStatus gone(std::string message);
  static ApiStatus methodNotAllowed(std::string message);
  static ApiStatus unsupportedMediaType(std::string message);
  static ApiStatus unauthorized();
  static ApiStatus internal(std::string message);
};

std::string statusJson(const ApiStatus& status);
HttpResponse statusResponse(const ApiStatus& status);

// "spec.tier: Invalid value: ..." joined as the API server does for 422 messages.
std::string joinCauses(const std::vector<ErrorCause>& causes);

}  // namespace daap::devcluster

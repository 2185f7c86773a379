#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace daap {

// The failure classes every boundary maps onto once: lib/kube from a Kubernetes Status reason,
// lib/pg from SQLSTATE, the gateway router to an HTTP status and a stable code.
enum class ErrorCode {
  InvalidArgument,
  NotFound,
  AlreadyExists,
  Conflict,
  QuotaExceeded,
  Unauthenticated,
  PermissionDenied,
  Gone,
  TooManyRequests,
  Unavailable,
  Internal,
};

std::string_view errorCodeName(ErrorCode code);

// One field-level reason behind an error, e.g. {"spec.tier", "FieldValueInvalid", "..."}.
struct ErrorCause {
  std::string field;
  std::string reason;
  std::string message;

  bool operator==(const ErrorCause&) const = default;
};

// An expected failure, carried as a value. Messages are for humans and never hold a secret.
struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  std::vector<ErrorCause> causes;
  std::optional<std::chrono::seconds> retry_after;
  // Where the error came from a foreign system's answer: its HTTP status (0 when no answer
  // came back, e.g. a transport failure) and its own machine reason (a Kubernetes Status
  // reason such as "Invalid", or a SQLSTATE).
  int http_status = 0;
  std::string reason;

  static Error invalidArgument(std::string message) {
    return {ErrorCode::InvalidArgument, std::move(message), {}, {}, 0, {}};
  }
  static Error notFound(std::string message) {
    return {ErrorCode::NotFound, std::move(message), {}, {}, 0, {}};
  }
  static Error alreadyExists(std::string message) {
    return {ErrorCode::AlreadyExists, std::move(message), {}, {}, 0, {}};
  }
  static Error conflict(std::string message) {
    return {ErrorCode::Conflict, std::move(message), {}, {}, 0, {}};
  }
  static Error gone(std::string message) {
    return {ErrorCode::Gone, std::move(message), {}, {}, 0, {}};
  }
  static Error unavailable(std::string message) {
    return {ErrorCode::Unavailable, std::move(message), {}, {}, 0, {}};
  }
  static Error internal(std::string message) {
    return {ErrorCode::Internal, std::move(message), {}, {}, 0, {}};
  }

  // "NotFound: database x" -- for logs and test failure output.
  std::string toString() const;
};

}  // namespace daap

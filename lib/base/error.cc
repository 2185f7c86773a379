#include "lib/base/error.h"

namespace daap {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case ErrorCode::NotFound:
      return "NotFound";
    case ErrorCode::AlreadyExists:
      return "AlreadyExists";
    case ErrorCode::Conflict:
      return "Conflict";
    case ErrorCode::QuotaExceeded:
      return "QuotaExceeded";
    case ErrorCode::Unauthenticated:
      return "Unauthenticated";
    case ErrorCode::PermissionDenied:
      return "PermissionDenied";
    case ErrorCode::Gone:
      return "Gone";
    case ErrorCode::TooManyRequests:
      return "TooManyRequests";
    case ErrorCode::Unavailable:
      return "Unavailable";
    case ErrorCode::Internal:
      return "Internal";
  }
  return "Unknown";
}

std::string Error::toString() const {
  std::string out(errorCodeName(code));
  out += ": ";
  out += message;
  for (const ErrorCause& cause : causes) {
    out += " [" + cause.field + ": " + cause.message + "]";
  }
  return out;
}

}  // namespace daap

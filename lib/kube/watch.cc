#include "lib/kube/watch.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

namespace daap::kube {

namespace {

constexpr size_t kMaxQuotedType = 64;

struct TypeName {
  std::string_view name;
  WatchEventType type;
};

constexpr std::array<TypeName, 5> kTypes = {{
    {"ADDED", WatchEventType::Added},
    {"MODIFIED", WatchEventType::Modified},
    {"DELETED", WatchEventType::Deleted},
    {"BOOKMARK", WatchEventType::Bookmark},
    {"ERROR", WatchEventType::Error},
}};

std::string_view trimWhitespace(std::string_view text) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// Decodes the complete lines of `text`, appending events, up to and including the first bad
// line (reported in `error`); returns how many bytes were consumed.
size_t decodeLines(std::string_view text, std::vector<WatchEvent>& events,
                   std::optional<Error>& error) {
  size_t start = 0;
  for (;;) {
    const size_t newline = text.find('\n', start);
    if (newline == std::string_view::npos) {
      return start;
    }
    const std::string_view line = trimWhitespace(text.substr(start, newline - start));
    start = newline + 1;
    if (line.empty()) {
      continue;  // Blank lines (keep-alives) carry no event.
    }
    Result<WatchEvent> event = decodeWatchEvent(line);
    if (!event) {
      error = std::move(event).error();
      return start;
    }
    events.push_back(std::move(event).value());
  }
}

// One of "code" and "reason" alone is enough to classify a Status; the reason wins because it
// separates the two 409s and the 500s that are timeouts.
ErrorCode codeFor(std::string_view reason, int code) {
  if (reason == "NotFound") {
    return ErrorCode::NotFound;
  }
  if (reason == "AlreadyExists") {
    return ErrorCode::AlreadyExists;
  }
  if (reason == "Conflict") {
    return ErrorCode::Conflict;
  }
  if (reason == "Invalid" || reason == "BadRequest") {
    return ErrorCode::InvalidArgument;
  }
  if (reason == "Forbidden") {
    return ErrorCode::PermissionDenied;
  }
  if (reason == "Unauthorized") {
    return ErrorCode::Unauthenticated;
  }
  if (reason == "Gone" || reason == "Expired") {
    return ErrorCode::Gone;
  }
  if (reason == "TooManyRequests") {
    return ErrorCode::TooManyRequests;
  }
  if (reason == "InternalError" || reason == "ServiceUnavailable" || reason == "Timeout" ||
      reason == "ServerTimeout") {
    return ErrorCode::Unavailable;
  }
  switch (code) {
    case 400:
    case 422:
      return ErrorCode::InvalidArgument;
    case 401:
      return ErrorCode::Unauthenticated;
    case 403:
      return ErrorCode::PermissionDenied;
    case 404:
      return ErrorCode::NotFound;
    case 409:
      return ErrorCode::Conflict;
    case 410:
      return ErrorCode::Gone;
    case 429:
      return ErrorCode::TooManyRequests;
    case 500:
    case 502:
    case 503:
    case 504:
      return ErrorCode::Unavailable;
    default:
      return ErrorCode::Internal;
  }
}

}  // namespace

Result<void> WatchDecoder::feed(std::string_view bytes, std::vector<WatchEvent>& events) {
  std::optional<Error> error;
  if (buffer_.empty()) {
    // Fast path: decode straight from the caller's bytes and keep only what is left.
    const size_t consumed = decodeLines(bytes, events, error);
    buffer_.assign(bytes.substr(consumed));
  } else {
    buffer_.append(bytes);
    const size_t consumed = decodeLines(buffer_, events, error);
    buffer_.erase(0, consumed);
  }
  if (error) {
    return std::move(*error);
  }
  return {};
}

Result<WatchEvent> decodeWatchEvent(std::string_view line) {
  Result<json::Document> parsed = json::parse(line);
  if (!parsed) {
    return Error::invalidArgument("watch event: " + parsed.error().message);
  }
  json::Document& document = *parsed;
  if (!document.IsObject()) {
    return Error::invalidArgument("watch event: not a JSON object");
  }
  const json::Value* type = json::find(document, "type");
  if (type == nullptr || !type->IsString()) {
    return Error::invalidArgument("watch event: missing type");
  }
  const std::string_view type_name = json::view(*type);
  const auto known = std::find_if(kTypes.begin(), kTypes.end(),
                                  [&](const TypeName& entry) { return entry.name == type_name; });
  if (known == kTypes.end()) {
    return Error::invalidArgument("watch event: unknown type \"" +
                                  std::string(type_name.substr(0, kMaxQuotedType)) + "\"");
  }
  json::Value* object = json::find(document, "object");
  if (object == nullptr || !object->IsObject()) {
    return Error::invalidArgument("watch event: " + std::string(known->name) +
                                  " without an object");
  }
  // Make the object the document's root without copying it: its memory already lives in the
  // document's pool allocator, which the event keeps. The envelope left in `envelope` is pool
  // memory too and needs no freeing.
  json::Value envelope;
  envelope.Swap(*object);
  static_cast<json::Value&>(document).Swap(envelope);
  return WatchEvent{known->type, std::move(document)};
}

Error statusError(const json::Value& status, int http_status) {
  const json::Value* code_value = json::find(status, "code");
  const int status_code = code_value != nullptr && code_value->IsInt() ? code_value->GetInt() : 0;
  const int code = http_status != 0 && http_status != 200 ? http_status : status_code;
  const std::string_view reason = json::getString(status, "reason");

  Error error;
  error.code = codeFor(reason, code);
  error.http_status = code;
  error.reason = std::string(reason);
  error.message = std::string(json::getString(status, "message"));
  if (error.message.empty()) {
    error.message = "HTTP " + std::to_string(code) + (reason.empty() ? "" : " " + error.reason);
  }
  if (const json::Value* details = json::find(status, "details"); details != nullptr) {
    if (const json::Value* causes = json::find(*details, "causes");
        causes != nullptr && causes->IsArray()) {
      for (const json::Value& cause : causes->GetArray()) {
        error.causes.push_back({std::string(json::getString(cause, "field")),
                                std::string(json::getString(cause, "reason")),
                                std::string(json::getString(cause, "message"))});
      }
    }
    if (const json::Value* retry = json::find(*details, "retryAfterSeconds");
        retry != nullptr && retry->IsInt() && retry->GetInt() > 0) {
      error.retry_after = std::chrono::seconds(retry->GetInt());
    }
  }
  return error;
}

}  // namespace daap::kube

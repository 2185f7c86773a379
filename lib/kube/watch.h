#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::kube {

enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };

struct WatchEvent {
  WatchEventType type = WatchEventType::Added;
  json::Document object;  // For Error: the Status object.
};

// Decodes the body of a watch response, which arrives in arbitrary pieces: newline-separated
// JSON objects {"type":..., "object":{...}}. Not thread-safe; one per stream.
class WatchDecoder {
public:
  // Appends the complete events in `bytes` (plus what earlier calls left over) to `events`.
  // A line that is not a valid event is an InvalidArgument error; decoding can go on after it.
  // Precisely: decoding stops at the first bad line, so every event appended by this call came
  // before it; the bad line is dropped and the bytes after it stay buffered for the next call
  // (which may pass no bytes). Blank lines are skipped; a trailing '\r' is ignored.
  Result<void> feed(std::string_view bytes, std::vector<WatchEvent>& events);
  // Bytes of an incomplete trailing event.
  size_t pending() const { return buffer_.size(); }

private:
  std::string buffer_;
};

// Decodes one event line: {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}.
// An unknown type or a missing (or non-object) object is InvalidArgument. The event's object
// takes over the parsed document without a copy.
Result<WatchEvent> decodeWatchEvent(std::string_view line);

// The Error for an ERROR event's Status (410 -> Gone, ...), as Client maps HTTP errors.
// `http_status` 0 (or 200, a watch's) means "use the Status's own code". The Status reason
// decides when it is a known one, else the code: NotFound, AlreadyExists, Conflict, Invalid and
// BadRequest (InvalidArgument, details.causes into causes), Forbidden (PermissionDenied),
// Unauthorized (Unauthenticated), Gone and Expired, TooManyRequests (retry_after from
// details.retryAfterSeconds), InternalError, ServiceUnavailable, Timeout and ServerTimeout
// (Unavailable); anything else Internal. http_status and reason are set.
Error statusError(const json::Value& status, int http_status);

}  // namespace daap::kube

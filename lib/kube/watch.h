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
  Result<void> feed(std::string_view bytes, std::vector<WatchEvent>& events);
  // Bytes of an incomplete trailing event.
  size_t pending() const { return buffer_.size(); }

private:
  std::string buffer_;
};

// Decodes one event line.
Result<WatchEvent> decodeWatchEvent(std::string_view line);

// The Error for an ERROR event's Status (410 -> Gone, ...), as Client maps HTTP errors.
Error statusError(const json::Value& status, int http_status);

}  // namespace daap::kube

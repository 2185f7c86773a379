// libFuzzer target for the watch stream decoder. The first input byte picks where the rest is
// split in two; decoding both pieces must give exactly what decoding the whole gives (the
// decoder's chunk-boundary invariant), and nothing may crash, leak or hit undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/json/json.h"
#include "lib/kube/watch.h"

namespace {

struct Outcome {
  std::vector<std::string> events;  // "<type>:<object JSON>".
  int errors = 0;
};

// Feeds `piece`, then keeps going past bad lines (feed with no bytes) until nothing is left
// that the decoder could decode.
void drain(daap::kube::WatchDecoder& decoder, std::string_view piece, Outcome& outcome) {
  std::vector<daap::kube::WatchEvent> events;
  bool ok = static_cast<bool>(decoder.feed(piece, events));
  while (!ok) {
    ++outcome.errors;
    ok = static_cast<bool>(decoder.feed({}, events));
  }
  for (const daap::kube::WatchEvent& event : events) {
    outcome.events.push_back(std::to_string(static_cast<int>(event.type)) + ":" +
                             daap::json::serialize(event.object));
    if (event.type == daap::kube::WatchEventType::Error) {
      static_cast<void>(daap::kube::statusError(event.object, 0));
    }
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name is libFuzzer's entry point.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t split = data[0] % (input.size() + 1);

  Outcome whole;
  daap::kube::WatchDecoder whole_decoder;
  drain(whole_decoder, input, whole);
  drain(whole_decoder, "\n", whole);

  Outcome pieces;
  daap::kube::WatchDecoder split_decoder;
  drain(split_decoder, input.substr(0, split), pieces);
  drain(split_decoder, input.substr(split), pieces);
  drain(split_decoder, "\n", pieces);

  if (whole.events != pieces.events || whole.errors != pieces.errors ||
      whole_decoder.pending() != 0 || split_decoder.pending() != 0) {
    __builtin_trap();
  }

  if (daap::Result<daap::json::Document> parsed = daap::json::parse(input); parsed) {
    static_cast<void>(daap::json::serialize(*parsed));
    if (parsed->IsObject()) {
      static_cast<void>(daap::kube::statusError(*parsed, 0));
    }
  }
  static_cast<void>(daap::kube::decodeWatchEvent(input));
  return 0;
}

#include "lib/cli/memory.h"

#include <malloc.h>

#include <condition_variable>
#include <mutex>

namespace daap::cli {

void tuneMalloc() {
  mallopt(M_ARENA_MAX, 2);                // NOLINT(concurrency-mt-unsafe): before any thread.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);  // NOLINT(concurrency-mt-unsafe): before any thread.
}

HeapTrimmer::HeapTrimmer(std::chrono::milliseconds interval)
    : thread_([interval](const std::stop_token& stop) {
        std::mutex mu;
        std::condition_variable_any wake;
        std::unique_lock lock(mu);
        while (!wake.wait_for(lock, stop, interval, [] { return false; })) {
          if (stop.stop_requested()) {
            return;
          }
          malloc_trim(0);
        }
      }) {}

}  // namespace daap::cli

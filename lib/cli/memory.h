#pragma once

#include <chrono>
#include <thread>

namespace daap::cli {

// glibc malloc settings for a long-running DAAP service on a few cores (figures in
// perf/RESULTS.md). By default every thread that allocates may get its own arena (up to 8 per
// core) and memory freed in one arena is not reused by threads of another, so RSS grows with
// the thread count; two arenas keep contention low on the cores these services get. A fixed
// mmap threshold keeps large short-lived buffers (a page of 100 databases, a list response) in
// their own mappings, returned to the system on free, instead of fragmenting the heap.
// Call first thing in main.
void tuneMalloc();

// Hands free heap pages back to the system every `interval`: glibc returns only the top of the
// heap by itself, so what a burst freed (a cold start's queued events, a run of renderings)
// would otherwise stay resident for good. Stops when destroyed.
class HeapTrimmer {
public:
  explicit HeapTrimmer(std::chrono::milliseconds interval = std::chrono::seconds(10));

private:
  std::jthread thread_;
};

}  // namespace daap::cli

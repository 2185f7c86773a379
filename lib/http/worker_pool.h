#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace daap::http {

// A fixed set of threads running tasks from a bounded FIFO queue. tryPost() never blocks: a
// full queue is the caller's signal to shed load. stop() runs what is already queued, then
// joins. Thread-safe.
class WorkerPool {
public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping; the task is then dropped.
  bool tryPost(std::function<void()> task);
  // Idempotent.
  void stop();

private:
  void run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  // Guarded by mu_.
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace daap::http

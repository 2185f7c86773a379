#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "lib/pg/audit.h"

namespace daap::gateway {

// Writes audit rows off the request path: record() queues and returns at once; one thread
// appends queued rows to PostgreSQL, retrying (with backoff) while PostgreSQL is down, so a
// restart loses nothing. stop() writes everything still queued before it returns (bounded by
// `drain_timeout` when PostgreSQL stays down; rows still unwritten then are counted and logged
// as lost). The queue is bounded: beyond `max_queued` rows, new rows are dropped and counted.
// Thread-safe.
class AuditWriter {
public:
  struct Stats {
    uint64_t written = 0;
    uint64_t dropped = 0;
    uint64_t queued = 0;
  };

  explicit AuditWriter(pg::AuditRepository& repository, size_t max_queued = 200'000,
                       std::chrono::milliseconds drain_timeout = std::chrono::seconds(10));
  ~AuditWriter();
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  void start();
  void stop();  // Idempotent; drains, then joins.

  void record(pg::AuditEntry entry);
  // Blocks until every row recorded so far was written (or `timeout`); true when it was.
  bool flush(std::chrono::milliseconds timeout);
  Stats stats() const;

private:
  void run();

  pg::AuditRepository& repository_;
  const size_t max_queued_;
  const std::chrono::milliseconds drain_timeout_;
  mutable std::mutex mu_;
  std::condition_variable_any wake_;
  std::condition_variable idle_;
  // Guarded by mu_.
  std::deque<pg::AuditEntry> queue_;
  bool writing_ = false;
  uint64_t written_ = 0;
  uint64_t dropped_ = 0;
  bool stopping_ = false;
  std::jthread thread_;
};

}  // namespace daap::gateway

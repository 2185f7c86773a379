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
// appends queued rows to PostgreSQL in batches (one statement each; the writer lets a batch
// gather for up to `linger` after the first row, so a busy gateway writes a few large batches
// a second instead of one per request and its thread is woken as rarely), retrying (with backoff)
// while PostgreSQL is down, so a restart loses nothing. stop() writes everything still queued
// before it returns (bounded by `drain_timeout` when PostgreSQL stays down; rows still
// unwritten then are counted and logged as lost).
// The queue is bounded, so memory is too: when `max_queued` rows wait, record() blocks (up to
// `max_wait`) until the writer has taken a batch, which slows requests down to what PostgreSQL
// can take (backpressure). Only a row still without room after `max_wait` (PostgreSQL down or
// far too slow) is dropped, counted in Stats::dropped and logged as an error.
// Thread-safe.
class AuditWriter {
public:
  struct Stats {
    uint64_t written = 0;
    uint64_t dropped = 0;
    uint64_t queued = 0;
    uint64_t waited = 0;  // record() calls that found the queue full and had to wait.
  };

  // Rows per INSERT: one statement per batch keeps PostgreSQL's per-row cost low.
  static constexpr size_t kMaxBatch = 1000;

  // 16k queued rows are a few MiB, about a second of peak traffic.
  explicit AuditWriter(pg::AuditRepository& repository, size_t max_queued = 16'384,
                       std::chrono::milliseconds drain_timeout = std::chrono::seconds(10),
                       std::chrono::milliseconds max_wait = std::chrono::milliseconds(500),
                       std::chrono::milliseconds linger = std::chrono::milliseconds(5));
  ~AuditWriter();
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  void start();
  void stop();  // Idempotent; drains, then joins.

  void record(pg::AuditEntry entry);
  // record() for a caller that must not block (an I/O thread): false, and nothing queued, when
  // the queue is full; the caller then takes its slow path, which may wait.
  bool tryRecord(pg::AuditEntry& entry);
  // Blocks until every row recorded so far was written (or `timeout`); true when it was.
  bool flush(std::chrono::milliseconds timeout);
  Stats stats() const;

private:
  void run();
  // Queues with mu_ held and wakes the writer when it waits for this row.
  void pushLocked(pg::AuditEntry&& entry);

  pg::AuditRepository& repository_;
  const size_t max_queued_;
  const std::chrono::milliseconds drain_timeout_;
  const std::chrono::milliseconds max_wait_;
  const std::chrono::milliseconds linger_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::condition_variable room_;
  // Guarded by mu_.
  std::deque<pg::AuditEntry> queue_;
  bool writing_ = false;
  uint64_t written_ = 0;
  uint64_t dropped_ = 0;
  uint64_t waited_ = 0;
  bool stopping_ = false;
  std::jthread thread_;
};

}  // namespace daap::gateway

#include "gateway/middleware/audit_writer.h"

#include <utility>
#include <vector>

#include <glog/logging.h>

namespace daap::gateway {

AuditWriter::AuditWriter(pg::AuditRepository& repository, size_t max_queued,
                         std::chrono::milliseconds drain_timeout,
                         std::chrono::milliseconds max_wait, std::chrono::milliseconds linger)
    : repository_(repository),
      max_queued_(max_queued),
      drain_timeout_(drain_timeout),
      max_wait_(max_wait),
      linger_(linger) {}

AuditWriter::~AuditWriter() {
  stop();
}

void AuditWriter::start() {
  thread_ = std::jthread([this] { run(); });
}

void AuditWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !thread_.joinable()) {
      stopping_ = true;
      return;
    }
    stopping_ = true;
  }
  wake_.notify_all();
  room_.notify_all();
  thread_.join();
  std::lock_guard lock(mu_);
  if (!queue_.empty()) {
    LOG(ERROR) << "audit rows lost at shutdown: PostgreSQL unreachable count=" << queue_.size();
    dropped_ += queue_.size();
    queue_.clear();
  }
}

void AuditWriter::pushLocked(pg::AuditEntry&& entry) {
  queue_.push_back(std::move(entry));
  // The writer waits for a first row, then lingers until a full batch: only those two moments
  // need a wake-up (a notify per row costs a futex call per request).
  if (queue_.size() == 1 || queue_.size() == kMaxBatch) {
    wake_.notify_one();
  }
}

void AuditWriter::record(pg::AuditEntry entry) {
  std::unique_lock lock(mu_);
  if (queue_.size() >= max_queued_) {
    ++waited_;
    wake_.notify_one();
    if (!room_.wait_for(lock, max_wait_,
                        [this] { return queue_.size() < max_queued_ || stopping_; }) ||
        queue_.size() >= max_queued_) {
      ++dropped_;
      LOG_EVERY_N(ERROR, 1000) << "audit queue full, rows dropped total=" << dropped_;
      return;
    }
  }
  pushLocked(std::move(entry));
}

bool AuditWriter::tryRecord(pg::AuditEntry& entry) {
  const std::lock_guard lock(mu_);
  if (queue_.size() >= max_queued_) {
    return false;
  }
  pushLocked(std::move(entry));
  return true;
}

bool AuditWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !writing_; });
}

AuditWriter::Stats AuditWriter::stats() const {
  std::lock_guard lock(mu_);
  return {written_, dropped_, queue_.size(), waited_};
}

void AuditWriter::run() {
  std::chrono::milliseconds backoff{50};
  std::optional<std::chrono::steady_clock::time_point> drain_deadline;
  for (;;) {
    std::vector<pg::AuditEntry> batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (!stopping_ && queue_.size() < kMaxBatch && linger_.count() > 0) {
        wake_.wait_for(lock, linger_, [this] { return stopping_ || queue_.size() >= kMaxBatch; });
      }
      if (queue_.empty()) {
        idle_.notify_all();
        return;  // Stopping and drained.
      }
      if (stopping_ && !drain_deadline) {
        drain_deadline = std::chrono::steady_clock::now() + drain_timeout_;
      }
      if (drain_deadline && std::chrono::steady_clock::now() > *drain_deadline) {
        return;  // stop() counts what is left.
      }
      const size_t take = std::min<size_t>(queue_.size(), kMaxBatch);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(take)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
      writing_ = true;
    }
    room_.notify_all();
    // One statement per batch: a row per INSERT (or per round trip) would cap request
    // throughput at what one connection can execute.
    size_t done = 0;
    Result<void> failure = repository_.appendAll(batch);
    if (failure) {
      done = batch.size();
    } else if (failure.error().code == ErrorCode::InvalidArgument) {
      // One bad row fails the whole batch: write one row at a time to keep the others.
      failure = Result<void>();
      for (; done < batch.size(); ++done) {
        Result<int64_t> appended = repository_.append(batch[done]);
        if (!appended) {
          if (appended.error().code == ErrorCode::InvalidArgument) {
            LOG(ERROR) << "audit row rejected request_id=" << batch[done].request_id
                       << " error=" << appended.error().toString();
            continue;  // Retrying cannot help.
          }
          failure = appended.error();
          break;
        }
      }
    }
    {
      std::lock_guard lock(mu_);
      written_ += done;
      // What could not be written goes back to the front, in order.
      queue_.insert(queue_.begin(),
                    std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(done)),
                    std::make_move_iterator(batch.end()));
      writing_ = false;
      if (queue_.empty()) {
        idle_.notify_all();
      }
    }
    if (!failure) {
      LOG_EVERY_N(WARNING, 100) << "audit write failed, will retry error="
                                << failure.error().toString();
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, backoff, [this] { return false; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    } else {
      backoff = std::chrono::milliseconds(50);
    }
  }
}

}  // namespace daap::gateway

#pragma once

// Private to lib/pg: the pqxx side of the Pool, included only by lib/pg's .cc files.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "lib/base/error.h"
#include "lib/base/result.h"
#include "lib/pg/pool.h"
#include "lib/pg/types.h"

namespace daap::pg::detail {

// One pool slot: a connection (null until opened, or after it broke) and what it prepared.
struct Slot {
  std::unique_ptr<pqxx::connection> connection;
  std::unordered_set<std::string> prepared;
};

// Exclusive use of one pool connection; returns it to the pool when destroyed.
class Lease {
public:
  Lease(std::shared_ptr<PoolState> pool, std::unique_ptr<Slot> slot, bool fresh);
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  pqxx::connection& connection() { return *slot_->connection; }
  // Prepares `name` on this connection unless it already did; `sql` must not change per name.
  void prepare(const std::string& name, const std::string& sql);
  // The connection is unusable: close it; the slot reconnects on its next use.
  void discard();
  // Opened for this lease (an error on it is not a stale connection).
  bool fresh() const { return fresh_; }

private:
  std::shared_ptr<PoolState> pool_;
  std::unique_ptr<Slot> slot_;
  bool fresh_;
};

class Access {
public:
  // Waits up to the pool's acquire timeout for a slot and opens its connection if needed.
  static Result<Lease> acquire(Pool& pool);
};

// Maps a pqxx/libpq failure onto an Error (SQLSTATE in Error::reason); `what` names the
// operation for the message.
Error mapSqlError(const pqxx::sql_error& error, std::string_view what);
// Whether the SQLSTATE means the session is gone (admin shutdown, connection failure).
bool sessionLost(const std::string& sqlstate);

template <typename T>
struct IsResult : std::false_type {};
template <typename T>
struct IsResult<Result<T>> : std::true_type {};

// Runs fn(lease, txn) in one transaction on a pooled connection and commits when it returns a
// value (an error result rolls back). pqxx exceptions become Errors; a connection that broke is
// discarded. A stale idle connection (PostgreSQL restarted since it was last used) is retried
// once on a new connection: nothing was committed on it.
template <typename F>
auto inTransaction(Pool& pool, std::string_view what, F&& fn)
    -> std::invoke_result_t<F&, Lease&, pqxx::work&> {
  using R = std::invoke_result_t<F&, Lease&, pqxx::work&>;
  static_assert(IsResult<R>::value, "fn must return a Result");
  for (int attempt = 0;; ++attempt) {
    Result<Lease> lease = Access::acquire(pool);
    if (!lease) {
      return std::move(lease).error();
    }
    const bool may_retry = attempt == 0 && !lease->fresh();
    try {
      pqxx::work txn(lease->connection());
      R result = fn(*lease, txn);
      if (result) {
        txn.commit();
      }
      return result;
    } catch (const pqxx::broken_connection&) {
      lease->discard();
      if (may_retry) {
        continue;
      }
      return Error::unavailable(std::string(what) + ": platform database connection lost");
    } catch (const pqxx::in_doubt_error&) {
      lease->discard();
      return Error::unavailable(std::string(what) +
                                ": connection lost while committing; outcome unknown");
    } catch (const pqxx::sql_error& e) {
      if (sessionLost(e.sqlstate()) || !lease->connection().is_open()) {
        lease->discard();
        if (may_retry) {
          continue;
        }
      }
      return mapSqlError(e, what);
    } catch (const std::exception& e) {
      if (!lease->connection().is_open()) {
        lease->discard();
        return Error::unavailable(std::string(what) + ": platform database connection lost");
      }
      return Error::internal(std::string(what) + ": " + e.what());
    }
  }
}

// Encoding helpers shared by the repositories.
std::string toSqlTime(Timestamp time);
// Reads a column selected as microseconds since the epoch (bigint).
Timestamp fromMicros(int64_t micros);
int64_t toMicros(Timestamp time);
std::optional<Timestamp> optionalMicros(const pqxx::field& field);
std::string textOr(const pqxx::field& field, std::string fallback = {});
bool isUuid(std::string_view text);
std::optional<int64_t> parseInt64(std::string_view text);
// Keyset cursors: "<int64>_<key>".
std::string encodeCursor(int64_t number, std::string_view key);
Result<std::pair<int64_t, std::string>> decodeCursor(const std::string& cursor);
Result<void> checkLimit(int limit);
// A decimal resourceVersion as a number (InvalidArgument otherwise).
Result<int64_t> parseResourceVersion(const std::string& resource_version);
// A byte count as a Quantity, saturating (as lib/model's sums do) where milli-units overflow.
model::Quantity bytesQuantity(int64_t bytes);
// A Quantity in whole bytes (rounded up), for the *_bytes columns.
int64_t quantityBytes(model::Quantity quantity);
// Reads (databases, cpu_milli, memory_bytes, storage_bytes) from columns first..first+3.
Usage readUsage(const pqxx::row& row, int first);
// SQL sums of those columns, clamped to bigint: "<count>, <cpu>, <memory>, <storage>".
extern const char* const kUsageSums;
// A PostgreSQL text[] literal.
std::string textArray(const std::vector<std::string>& values);

}  // namespace daap::pg::detail

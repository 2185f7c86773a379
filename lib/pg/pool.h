#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "lib/base/result.h"

namespace daap::pg {

namespace detail {
class Access;
struct PoolState;
}  // namespace detail

struct PoolOptions {
  // A libpq connection URL ("postgresql://user:pw@host:port/db?sslmode=verify-full&...") or a
  // key=value conninfo string, e.g. DAAP_DATABASE_URL. Never logged: it may hold a password.
  std::string url;
  // Connections at most; they are opened on demand.
  size_t size = 8;
  // How long acquiring waits for a free connection before giving up with Unavailable.
  std::chrono::milliseconds acquire_timeout{5000};
  // libpq connect_timeout for each (re)connection attempt.
  std::chrono::seconds connect_timeout{5};
};

// A fixed-size set of PostgreSQL connections shared by the repositories. Thread-safe.
// Connections open lazily; one found broken (PostgreSQL restarted, network cut) is closed and
// reopened on the next use, so a long-lived Pool recovers on its own. While PostgreSQL cannot be
// reached every operation fails with ErrorCode::Unavailable. Each connection prepares the
// statements it is asked to run the first time it runs them.
class Pool {
public:
  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Ok when a connection answers `SELECT 1` (for GET /health); Unavailable otherwise.
  Result<void> healthy();

  size_t size() const;
  // Connections currently open (idle or in use).
  size_t openConnections() const;

private:
  friend class detail::Access;
  // Shared with outstanding leases, so returning a connection never touches a dead pool.
  std::shared_ptr<detail::PoolState> state_;
};

}  // namespace daap::pg

#include "lib/pg/pool.h"

#include <condition_variable>
#include <mutex>
#include <vector>

#include <glog/logging.h>

#include "lib/pg/session.h"

namespace daap::pg {

namespace detail {

struct PoolState {
  PoolOptions options;
  std::string conninfo;
  std::mutex mu;
  std::condition_variable cv;
  // Guarded by mu. Last in, first out, so recently used (open) connections are reused first
  // and empty slots stay at the front.
  std::vector<std::unique_ptr<Slot>> idle;
  size_t open = 0;

  void giveBack(std::unique_ptr<Slot> slot) {
    {
      const std::lock_guard<std::mutex> lock(mu);
      idle.push_back(std::move(slot));
    }
    cv.notify_one();
  }
};

namespace {

// libpq's connect_timeout, appended to a URL or a key=value conninfo.
std::string withConnectTimeout(const std::string& url, std::chrono::seconds timeout) {
  const std::string value = std::to_string(std::max<int64_t>(1, timeout.count()));
  if (url.find("connect_timeout") != std::string::npos) {
    return url;
  }
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + value;
  }
  return url + " connect_timeout=" + value;
}

}  // namespace

Lease::Lease(std::shared_ptr<PoolState> pool, std::unique_ptr<Slot> slot, bool fresh)
    : pool_(std::move(pool)), slot_(std::move(slot)), fresh_(fresh) {}

Lease::~Lease() {
  if (pool_ != nullptr && slot_ != nullptr) {
    pool_->giveBack(std::move(slot_));
  }
}

void Lease::prepare(const std::string& name, const std::string& sql) {
  if (slot_->prepared.insert(name).second) {
    slot_->connection->prepare(name, sql);
  }
}

void Lease::discard() {
  if (slot_->connection == nullptr) {
    return;
  }
  slot_->connection->disconnect();
  slot_->connection.reset();
  slot_->prepared.clear();
  const std::lock_guard<std::mutex> lock(pool_->mu);
  --pool_->open;
}

Result<Lease> Access::acquire(Pool& pool) {
  const std::shared_ptr<PoolState>& state = pool.state_;
  std::unique_ptr<Slot> slot;
  {
    std::unique_lock<std::mutex> lock(state->mu);
    if (!state->cv.wait_for(lock, state->options.acquire_timeout,
                            [&] { return !state->idle.empty(); })) {
      return Error::unavailable("no platform database connection free within " +
                                std::to_string(state->options.acquire_timeout.count()) + "ms");
    }
    slot = std::move(state->idle.back());
    state->idle.pop_back();
  }
  bool fresh = false;
  if (slot->connection != nullptr && !slot->connection->is_open()) {
    slot->connection.reset();
    slot->prepared.clear();
    const std::lock_guard<std::mutex> lock(state->mu);
    --state->open;
  }
  if (slot->connection == nullptr) {
    try {
      slot->connection = std::make_unique<pqxx::connection>(state->conninfo);
    } catch (const std::exception& e) {
      state->giveBack(std::move(slot));
      // libpq's message names host and port, never the password.
      return Error::unavailable(std::string("cannot connect to the platform database: ") +
                                e.what());
    }
    fresh = true;
    const std::lock_guard<std::mutex> lock(state->mu);
    ++state->open;
  }
  return Lease(state, std::move(slot), fresh);
}

}  // namespace detail

Pool::Pool(PoolOptions options) : state_(std::make_shared<detail::PoolState>()) {
  CHECK_GT(options.size, 0U) << "a pool needs at least one connection";
  state_->conninfo = detail::withConnectTimeout(options.url, options.connect_timeout);
  state_->options = std::move(options);
  for (size_t i = 0; i < state_->options.size; ++i) {
    state_->idle.push_back(std::make_unique<detail::Slot>());
  }
}

Pool::~Pool() = default;

Result<void> Pool::healthy() {
  return detail::inTransaction(*this, "health check",
                               [](detail::Lease&, pqxx::work& txn) -> Result<void> {
                                 txn.exec("SELECT 1");
                                 return {};
                               });
}

size_t Pool::size() const {
  return state_->options.size;
}

size_t Pool::openConnections() const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  return state_->open;
}

}  // namespace daap::pg

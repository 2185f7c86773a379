#include "lib/pg/migrator.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <glog/logging.h>

#include "lib/pg/session.h"

namespace daap::pg {

namespace {

// Any 64-bit constant, the same for every replica: "DAAPMIGR".
constexpr int64_t kMigrationLockKey = 0x444141504d494752;

struct Parsed {
  int version = 0;
  std::string name;
  bool up = false;
};

// "001_create_tables.up.sql" -> {1, "create_tables", up}.
std::optional<Parsed> parseFileName(const std::string& file) {
  Parsed out;
  std::string stem;
  if (file.size() > 7 && file.ends_with(".up.sql")) {
    out.up = true;
    stem = file.substr(0, file.size() - 7);
  } else if (file.size() > 9 && file.ends_with(".down.sql")) {
    stem = file.substr(0, file.size() - 9);
  } else {
    return std::nullopt;
  }
  const size_t sep = stem.find('_');
  if (sep != 3 || sep + 1 >= stem.size()) {
    return std::nullopt;
  }
  for (size_t i = 0; i < sep; ++i) {
    if (stem[i] < '0' || stem[i] > '9') {
      return std::nullopt;
    }
  }
  out.version = std::stoi(stem.substr(0, sep));
  out.name = stem.substr(sep + 1);
  return out;
}

// "003_create_mirror", as the files are named.
std::string label(int version, const std::string& name) {
  std::string number = std::to_string(version);
  if (number.size() < 3) {
    number.insert(0, 3 - number.size(), '0');
  }
  return number + "_" + name;
}

Result<std::string> readAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::invalidArgument("cannot read migration " + path.string());
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

// Runs fn with the migration lock held on one connection for the whole run. The lock is a
// session lock: if the connection dies, PostgreSQL releases it and another replica takes over.
template <typename F>
Result<int> underMigrationLock(Pool& pool, F&& fn) {
  Result<detail::Lease> lease = detail::Access::acquire(pool);
  if (!lease) {
    return std::move(lease).error();
  }
  pqxx::connection& conn = lease->connection();
  try {
    {
      pqxx::nontransaction lock(conn);
      lock.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
    }
    Result<int> result = fn(conn);
    {
      pqxx::nontransaction unlock(conn);
      unlock.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
    }
    return result;
  } catch (const pqxx::broken_connection&) {
    lease->discard();
    return Error::unavailable("migrations: platform database connection lost");
  } catch (const pqxx::sql_error& e) {
    // The failed migration rolled back; drop the session so the lock goes with it.
    lease->discard();
    return detail::mapSqlError(e, "migrations");
  } catch (const std::exception& e) {
    lease->discard();
    return Error::internal(std::string("migrations: ") + e.what());
  }
}

int appliedVersion(pqxx::connection& conn) {
  pqxx::work txn(conn);
  txn.exec(kCreateVersionTable);
  const int version =
      txn.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
  txn.commit();
  return version;
}

}  // namespace

Result<std::vector<Migration>> loadMigrations(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return Error::invalidArgument("cannot list migrations in " + dir.string() + ": " +
                                  ec.message());
  }
  std::map<int, Migration> by_version;
  std::map<int, std::pair<bool, bool>> seen;  // version -> (up, down)
  for (const auto& entry : it) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".sql")) {
      continue;
    }
    const std::optional<Parsed> parsed = parseFileName(file);
    if (!parsed) {
      return Error::invalidArgument("migration file " + file +
                                    " is not named NNN_name.up.sql or NNN_name.down.sql");
    }
    Migration& migration = by_version[parsed->version];
    if (!migration.name.empty() && migration.name != parsed->name) {
      return Error::invalidArgument("migration " + std::to_string(parsed->version) +
                                    " has two names: " + migration.name + " and " + parsed->name);
    }
    migration.version = parsed->version;
    migration.name = parsed->name;
    Result<std::string> sql = readAll(entry.path());
    if (!sql) {
      return std::move(sql).error();
    }
    if (parsed->up) {
      migration.up_sql = std::move(*sql);
      seen[parsed->version].first = true;
    } else {
      migration.down_sql = std::move(*sql);
      seen[parsed->version].second = true;
    }
  }
  std::vector<Migration> out;
  int expected = 1;
  for (auto& [version, migration] : by_version) {
    const std::string file = label(version, migration.name);
    if (version != expected) {
      return Error::invalidArgument("migration versions must be 1..N without gaps; expected " +
                                    std::to_string(expected) + ", found " + file);
    }
    if (!seen[version].first) {
      return Error::invalidArgument("migration " + file + " has no .up.sql file");
    }
    if (!seen[version].second) {
      return Error::invalidArgument("migration " + file +
                                    " has no .down.sql file; every migration must be reversible");
    }
    out.push_back(std::move(migration));
    ++expected;
  }
  return out;
}

Migrator::Migrator(Pool& pool, std::vector<Migration> migrations)
    : pool_(&pool), migrations_(std::move(migrations)) {
  std::sort(migrations_.begin(), migrations_.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (size_t i = 0; i < migrations_.size(); ++i) {
    CHECK_EQ(migrations_[i].version, static_cast<int>(i + 1)) << "migration versions must be 1..N";
  }
}

Result<Migrator> Migrator::fromDirectory(Pool& pool, const std::filesystem::path& dir) {
  Result<std::vector<Migration>> migrations = loadMigrations(dir);
  if (!migrations) {
    return std::move(migrations).error();
  }
  return Migrator(pool, std::move(*migrations));
}

int Migrator::latestVersion() const {
  return migrations_.empty() ? 0 : migrations_.back().version;
}

Result<int> Migrator::currentVersion() {
  return underMigrationLock(
      *pool_, [](pqxx::connection& conn) -> Result<int> { return appliedVersion(conn); });
}

Result<int> Migrator::up() {
  return underMigrationLock(*pool_, [this](pqxx::connection& conn) -> Result<int> {
    const int current = appliedVersion(conn);
    if (current > latestVersion()) {
      LOG(WARNING) << "platform database schema is at version " << current
                   << ", newer than this binary knows (" << latestVersion()
                   << "); leaving it alone";
      return 0;
    }
    int applied = 0;
    for (const Migration& migration : migrations_) {
      if (migration.version <= current) {
        continue;
      }
      pqxx::work txn(conn);
      txn.exec(migration.up_sql);
      txn.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                      migration.version, migration.name);
      txn.commit();
      LOG(INFO) << "platform database: applied migration "
                << label(migration.version, migration.name);
      ++applied;
    }
    return applied;
  });
}

Result<int> Migrator::down(int steps) {
  if (steps < 0) {
    return Error::invalidArgument("down: steps must not be negative");
  }
  return underMigrationLock(*pool_, [this, steps](pqxx::connection& conn) -> Result<int> {
    int current = appliedVersion(conn);
    if (current > latestVersion()) {
      return Error::conflict("platform database schema is at version " + std::to_string(current) +
                             ", newer than the known migrations (" +
                             std::to_string(latestVersion()) + "); cannot revert it");
    }
    int reverted = 0;
    while (reverted < steps && current > 0) {
      const Migration& migration = migrations_[static_cast<size_t>(current - 1)];
      pqxx::work txn(conn);
      txn.exec(migration.down_sql);
      txn.exec_params("DELETE FROM schema_migrations WHERE version = $1", migration.version);
      txn.commit();
      LOG(INFO) << "platform database: reverted migration "
                << label(migration.version, migration.name);
      ++reverted;
      --current;
    }
    return reverted;
  });
}

}  // namespace daap::pg

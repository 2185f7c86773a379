#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lib/base/result.h"
#include "lib/pg/pool.h"

namespace daap::pg {

// One schema change: migrations/NNN_name.up.sql and its reverse NNN_name.down.sql.
struct Migration {
  int version = 0;
  std::string name;
  std::string up_sql;
  std::string down_sql;
};

// Reads every NNN_name.up.sql / NNN_name.down.sql pair of `dir`, ordered by version.
// InvalidArgument for a malformed file name, a version gap (versions must be 1..N), two names
// for one version, or an up file without its down file (and the reverse).
Result<std::vector<Migration>> loadMigrations(const std::filesystem::path& dir);

// Brings the platform database schema up or down. Applied versions are recorded in the table
// schema_migrations(version, name, applied_at). Every run holds a session advisory lock, so
// gateway replicas starting together apply each migration exactly once; each migration runs in
// its own transaction together with its schema_migrations row.
class Migrator {
public:
  Migrator(Pool& pool, std::vector<Migration> migrations);
  // loadMigrations(dir), then a Migrator over them.
  static Result<Migrator> fromDirectory(Pool& pool, const std::filesystem::path& dir);

  // Applies every pending migration in order; returns how many this call applied (0 when
  // another replica already did). A database newer than the known migrations is left alone.
  Result<int> up();
  // Reverts the newest `steps` applied migrations; returns how many it reverted.
  Result<int> down(int steps);
  // The highest applied version, 0 for an empty database.
  Result<int> currentVersion();
  // The highest known version.
  int latestVersion() const;

private:
  Pool* pool_;
  std::vector<Migration> migrations_;
};

}  // namespace daap::pg

#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "test/support/process.h"

namespace daap::testing {

// A real PostgreSQL 15 (the Debian packages) in a temporary directory, for integration tests:
// scram-sha-256 passwords, TLS only (a CA and server certificate generated for it; hostssl
// accepted, hostnossl rejected), listening on 127.0.0.1 on a free port that is kept across
// restarts. Tuned to start fast (fsync off, small buffers). Removed when destroyed.
//
// initdb runs once per build tree: the first instance builds a template (cluster, certificates,
// role and database `daap`) under postgresTemplateDir(), and every instance copies it and adds
// its own port and settings. The template's password and certificates are shared (test-only).
class PostgresProcess {
public:
  struct Options {
    int max_connections = 100;
    // Extra "name=value" server settings.
    std::vector<std::string> settings;
  };

  PostgresProcess();
  explicit PostgresProcess(Options options);
  ~PostgresProcess();
  PostgresProcess(const PostgresProcess&) = delete;
  PostgresProcess& operator=(const PostgresProcess&) = delete;

  // The first call creates the cluster (initdb, certificates, role and database `daap`); later
  // calls restart it on the same data directory and port. Returns once it accepts connections.
  void start();
  // Fast shutdown (pg_ctl stop -m fast); waits until it is down.
  void stop();
  // SIGKILL to the postmaster, as a crash; start() recovers.
  void kill();
  bool running() const;

  // libpq URL for the role `daap` (password included) on `database`, with sslmode=verify-full
  // and sslrootcert = caFile().
  std::string url(const std::string& database = "daap") const;
  // Creates a database owned by `daap` and returns its url(); lets each test start empty.
  std::string createDatabase(const std::string& name) const;
  // Runs SQL as `daap` through psql on `database`; out holds unaligned, tuples-only output.
  CommandResult psql(const std::string& sql, const std::string& database = "daap") const;

  int port() const { return port_; }
  const std::filesystem::path& caFile() const { return ca_file_; }
  const std::filesystem::path& dataDir() const { return data_dir_; }
  const std::filesystem::path& logFile() const { return log_file_; }

private:
  void initialize();

  Options options_;
  std::filesystem::path bin_dir_;
  std::filesystem::path root_;
  std::filesystem::path data_dir_;
  std::filesystem::path tls_dir_;
  std::filesystem::path ca_file_;
  std::filesystem::path log_file_;
  std::string password_;
  int port_ = 0;
  bool initialized_ = false;
};

// The shared template data directory (under the build tree), built on first use under an
// exclusive flock and rebuilt when incomplete (its marker file `complete` is written last) or
// older than a day.
std::filesystem::path postgresTemplateDir();

// The directory holding initdb, pg_ctl, postgres and psql of PostgreSQL 15.
std::filesystem::path postgresBinDir();

}  // namespace daap::testing

#include "test/support/postgres.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <glog/logging.h>

#include "test/support/testdata.h"

namespace daap::testing {

namespace {

constexpr const char* kServerUser = "postgres";

bool runningAsRoot() {
  return geteuid() == 0;
}

int freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  CHECK_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  CHECK_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

std::string randomHex(size_t bytes) {
  std::random_device device;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned value = device() & 0xffU;
    out += kDigits[value >> 4U];
    out += kDigits[value & 0xfU];
  }
  return out;
}

void writeFile(const std::filesystem::path& path, const std::string& text,
               std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out(path, std::ios::out | mode);
  CHECK(out) << "cannot write " << path;
  out << text;
}

void chownToServerUser(const std::filesystem::path& path) {
  if (!runningAsRoot()) {
    return;
  }
  const passwd* user = getpwnam(kServerUser);  // NOLINT(concurrency-mt-unsafe): test setup
  CHECK(user != nullptr) << "no '" << kServerUser << "' user to run PostgreSQL as";
  CHECK_EQ(chown(path.c_str(), user->pw_uid, user->pw_gid), 0) << path;
}

std::vector<std::string> asServerUser(std::vector<std::string> argv) {
  if (!runningAsRoot()) {
    return argv;
  }
  // PostgreSQL refuses to run as root.
  std::vector<std::string> out = {"runuser", "-u", kServerUser, "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void check(const CommandResult& result, const std::string& what) {
  CHECK_EQ(result.exit_code, 0) << what << " failed:\n" << result.out << result.err;
}

// Bump when buildTemplate() changes what it puts in the template.
constexpr int kTemplateFormat = 1;
// Written last: a template without it (a crash while building) is rebuilt.
constexpr const char* kTemplateMarker = "complete";
// The certificates are valid 7 days; a template older than this is rebuilt.
constexpr auto kTemplateMaxAge = std::chrono::hours(24);

const std::vector<std::string>& initdbOptions() {
  // 1 MB WAL segments instead of 16: less to copy for every instance.
  static const std::vector<std::string> kOptions = {
      "-U",   "postgres",         "--auth=trust", "-E",
      "UTF8", "--locale=C.UTF-8", "--no-sync",    "--wal-segsize=1"};
  return kOptions;
}

// FNV-1a: stable across runs and builds, unlike std::hash.
uint64_t stableHash(const std::string& text) {
  uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

// An flock(2) held on a file next to the template, released when destroyed.
class FileLock {
public:
  FileLock(const std::string& path, int operation)
      : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    CHECK_GE(fd_, 0) << "cannot open " << path;
    relock(operation);
  }
  ~FileLock() { close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Not atomic (flock drops the old lock first): callers re-check what they saw.
  void relock(int operation) {
    while (flock(fd_, operation) != 0) {
      CHECK_EQ(errno, EINTR) << "flock failed";
    }
  }

private:
  int fd_;
};

bool templateComplete(const std::filesystem::path& templ) {
  std::error_code ec;
  const auto written = std::filesystem::last_write_time(templ / kTemplateMarker, ec);
  if (ec) {
    return false;
  }
  return std::filesystem::file_time_type::clock::now() - written < kTemplateMaxAge;
}

// initdb, certificates, base settings, pg_hba and the role/database `daap`, built in a private
// directory and copied into `templ` (owner and modes kept), then the marker.
void buildTemplate(const std::filesystem::path& bin_dir, const std::filesystem::path& templ) {
  std::error_code ec;
  std::filesystem::remove_all(templ, ec);
  CHECK(!ec) << "cannot remove the stale template " << templ << ": " << ec.message();
  std::string staging_name =
      (std::filesystem::temp_directory_path() / "daap-pg-template-XXXXXX").string();
  CHECK(mkdtemp(staging_name.data()) != nullptr);
  const std::filesystem::path staging = staging_name;
  const std::filesystem::path data_dir = staging / "data";
  const std::filesystem::path tls_dir = staging / "tls";
  chownToServerUser(staging);
  std::filesystem::create_directories(tls_dir);
  std::vector<std::string> initdb = {(bin_dir / "initdb").string(), "-D", data_dir.string()};
  initdb.insert(initdb.end(), initdbOptions().begin(), initdbOptions().end());
  check(runCommand(asServerUser(initdb)), "initdb");
  // A CA and a server certificate for localhost / 127.0.0.1 signed by it (EC keys: fast).
  const std::string ca_key = (tls_dir / "ca.key").string();
  const std::string ca_crt = (tls_dir / "ca.crt").string();
  const std::string server_key = (tls_dir / "server.key").string();
  const std::string server_csr = (tls_dir / "server.csr").string();
  const std::string server_crt = (tls_dir / "server.crt").string();
  const std::string ext_file = (tls_dir / "server.ext").string();
  check(runCommand({"openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    ca_key,
                    "-out",
                    ca_crt,
                    "-days",
                    "7",
                    "-subj",
                    "/CN=daap-test-ca",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign"}),
        "openssl (CA)");
  check(runCommand({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", server_key, "-out", server_csr, "-subj", "/CN=localhost"}),
        "openssl (server key)");
  writeFile(ext_file,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
  check(runCommand({"openssl", "x509", "-req", "-in", server_csr, "-CA", ca_crt, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", server_crt, "-days", "7", "-extfile", ext_file}),
        "openssl (server certificate)");
  std::filesystem::permissions(
      server_key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  chownToServerUser(tls_dir);
  chownToServerUser(server_key);
  chownToServerUser(server_crt);
  chownToServerUser(ca_crt);

  // Settings every instance shares; each instance appends its own (port, TLS files, options).
  writeFile(data_dir / "postgresql.conf",
            "\n# daap test settings\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "ssl_min_protocol_version = 'TLSv1.2'\n"
            "password_encryption = 'scram-sha-256'\n"
            "fsync = off\n"
            "full_page_writes = off\n"
            "shared_buffers = '16MB'\n"
            "max_wal_size = '256MB'\n"
            "max_parallel_workers_per_gather = 0\n"
            "log_min_messages = warning\n",
            std::ios::app);
  // TLS only: plain TCP is rejected outright, TLS connections need a scram-sha-256 password.
  writeFile(data_dir / "pg_hba.conf",
            "hostnossl all all all reject\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n");

  // Role and database before the server ever listens (single-user mode: no socket needed).
  // The password is shared by every copy of the template: test-only, like the certificates.
  const std::string password = randomHex(24);
  check(runCommand(asServerUser({(bin_dir / "postgres").string(), "--single", "-D",
                                 data_dir.string(), "-F", "postgres"}),
                   {},
                   "CREATE ROLE daap LOGIN CREATEDB PASSWORD '" + password +
                       "';\nCREATE DATABASE daap OWNER daap;\n"),
        "postgres --single");

  std::filesystem::create_directories(templ);
  check(runCommand({"cp", "-a", data_dir.string(), tls_dir.string(), templ.string()}),
        "copy into the PostgreSQL template");
  writeFile(templ / "password", password);
  writeFile(templ / kTemplateMarker, std::to_string(kTemplateFormat) + "\n");
  std::filesystem::remove_all(staging, ec);
}

std::filesystem::path findPostgresBinDir() {
  std::filesystem::path versioned = "/usr/lib/postgresql/15/bin";
  const CommandResult config = runCommand({"pg_config", "--bindir"});
  if (config.exit_code == 0) {
    std::string dir = config.out;
    while (!dir.empty() && (dir.back() == '\n' || dir.back() == ' ')) {
      dir.pop_back();
    }
    // pg_config reports the newest installed server; use it only when it is PostgreSQL 15.
    if (std::filesystem::exists(std::filesystem::path(dir) / "initdb") &&
        dir.find("/15/") != std::string::npos) {
      return dir;
    }
  }
  CHECK(std::filesystem::exists(versioned / "initdb"))
      << "PostgreSQL 15 server binaries not found (Debian package postgresql-15)";
  return versioned;
}

}  // namespace

std::filesystem::path postgresTemplateDir() {
  // Computed once per process: it runs programs, and every instance asks.
  static const std::filesystem::path kDir = [] {
    // Keyed by everything that shapes the template, so a changed option or another server
    // version gets its own directory.
    const std::filesystem::path bin_dir = postgresBinDir();
    const CommandResult version = runCommand({(bin_dir / "postgres").string(), "--version"});
    check(version, "postgres --version");
    std::string key = bin_dir.string() + "\n" + version.out + std::to_string(kTemplateFormat);
    for (const std::string& option : initdbOptions()) {
      key += "\n" + option;
    }
    std::ostringstream name;
    name << "pg15-uid" << geteuid() << "-" << std::hex << stableHash(key);
    return binaryDir() / "test-postgres" / name.str();
  }();
  return kDir;
}

std::filesystem::path postgresBinDir() {
  // Computed once per process: pg_config is a script that runs several programs.
  static const std::filesystem::path kDir = findPostgresBinDir();
  return kDir;
}

PostgresProcess::PostgresProcess() : PostgresProcess(Options{}) {}

PostgresProcess::PostgresProcess(Options options)
    : options_(std::move(options)), bin_dir_(postgresBinDir()) {
  std::string templ = (std::filesystem::temp_directory_path() / "daap-pg-XXXXXX").string();
  CHECK(mkdtemp(templ.data()) != nullptr);
  root_ = templ;
  data_dir_ = root_ / "data";
  tls_dir_ = root_ / "tls";
  ca_file_ = tls_dir_ / "ca.crt";
  log_file_ = root_ / "postgres.log";
  password_ = randomHex(24);
}

PostgresProcess::~PostgresProcess() {
  if (initialized_ && running()) {
    runCommand(asServerUser({(bin_dir_ / "pg_ctl").string(), "-D", data_dir_.string(), "-m",
                             "immediate", "-w", "stop"}));
  }
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void PostgresProcess::initialize() {
  chownToServerUser(root_);
  const std::filesystem::path templ = postgresTemplateDir();
  std::filesystem::create_directories(templ.parent_path());
  {
    // Shared while copying a complete template; exclusive while (re)building one.
    FileLock lock(templ.string() + ".lock", LOCK_SH);
    if (!templateComplete(templ)) {
      lock.relock(LOCK_EX);
      if (!templateComplete(templ)) {
        buildTemplate(bin_dir_, templ);
      }
    }
    check(runCommand(
              {"cp", "-a", (templ / "data").string(), (templ / "tls").string(), root_.string()}),
          "copy of the PostgreSQL template");
    password_ = readFile(templ / "password");
  }

  // This instance's own settings, after the template's (later lines win).
  std::ostringstream conf;
  conf << "\n# daap test instance\n"
       << "max_connections = " << options_.max_connections << "\n"
       << "ssl = on\n"
       << "ssl_cert_file = '" << (tls_dir_ / "server.crt").string() << "'\n"
       << "ssl_key_file = '" << (tls_dir_ / "server.key").string() << "'\n";
  for (const std::string& setting : options_.settings) {
    conf << setting << "\n";
  }
  writeFile(data_dir_ / "postgresql.conf", conf.str(), std::ios::app);
  port_ = freePort();
  initialized_ = true;
}

void PostgresProcess::start() {
  if (!initialized_) {
    initialize();
  }
  // After kill(), orphaned backends may hold the old shared memory for a moment: retry.
  CommandResult result;
  for (int attempt = 0; attempt < 40; ++attempt) {
    result = runCommand(asServerUser({(bin_dir_ / "pg_ctl").string(), "-D", data_dir_.string(),
                                      "-l", log_file_.string(), "-o", "-p " + std::to_string(port_),
                                      "-w", "-t", "60", "start"}));
    if (result.exit_code == 0) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  LOG(FATAL) << "PostgreSQL did not start:\n"
             << result.out << result.err << "\n"
             << readFile(log_file_);
}

void PostgresProcess::stop() {
  check(runCommand(asServerUser({(bin_dir_ / "pg_ctl").string(), "-D", data_dir_.string(), "-m",
                                 "fast", "-w", "stop"})),
        "pg_ctl stop");
}

void PostgresProcess::kill() {
  const std::string pid_file = readFile(data_dir_ / "postmaster.pid");
  const pid_t pid = std::stoi(pid_file.substr(0, pid_file.find('\n')));
  CHECK_EQ(::kill(pid, SIGKILL), 0);
  // Wait until the postmaster is gone (or a zombie) so the caller sees it down.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    const size_t close_paren = text.rfind(')');
    if (!stat || text.empty() ||
        (close_paren != std::string::npos && text.size() > close_paren + 2 &&
         text[close_paren + 2] == 'Z')) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  LOG(FATAL) << "postmaster " << pid << " survived SIGKILL";
}

bool PostgresProcess::running() const {
  return runCommand(
             asServerUser({(bin_dir_ / "pg_ctl").string(), "-D", data_dir_.string(), "status"}))
             .exit_code == 0;
}

std::string PostgresProcess::url(const std::string& database) const {
  return "postgresql://daap:" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" + database +
         "?sslmode=verify-full&sslrootcert=" + ca_file_.string();
}

std::string PostgresProcess::createDatabase(const std::string& name) const {
  check(psql("CREATE DATABASE \"" + name + "\" OWNER daap"), "CREATE DATABASE " + name);
  return url(name);
}

CommandResult PostgresProcess::psql(const std::string& sql, const std::string& database) const {
  return runCommand({(bin_dir_ / "psql").string(), url(database), "-X", "-A", "-t", "-q", "-v",
                     "ON_ERROR_STOP=1", "-c", sql},
                    {{"PGCONNECT_TIMEOUT", "10"}});
}

}  // namespace daap::testing

#include "test/support/postgres.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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

// Runs a command that leaves a daemon behind (pg_ctl start). runCommand would wait for the
// daemon to close the output pipes it inherited; here the child gets only /dev/null and a file
// and no other descriptor, so the daemon holds nothing of ours.
CommandResult runDetached(const std::vector<std::string>& argv, const std::filesystem::path& out) {
  std::vector<std::string> args = argv;
  std::vector<char*> pointers;
  pointers.reserve(args.size() + 1);
  for (std::string& arg : args) {
    pointers.push_back(arg.data());
  }
  pointers.push_back(nullptr);
  const pid_t pid = fork();
  CHECK_GE(pid, 0) << "fork failed";
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDONLY);
    const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (null_fd < 0 || out_fd < 0) {
      _exit(126);
    }
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    closefrom(STDERR_FILENO + 1);
    execvp(pointers[0], pointers.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = readFile(out);
  return result;
}

void check(const CommandResult& result, const std::string& what) {
  CHECK_EQ(result.exit_code, 0) << what << " failed:\n" << result.out << result.err;
}

}  // namespace

std::filesystem::path postgresBinDir() {
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

std::vector<std::string> PostgresProcess::asServerUser(std::vector<std::string> argv) const {
  if (!runningAsRoot()) {
    return argv;
  }
  // PostgreSQL refuses to run as root.
  std::vector<std::string> out = {"runuser", "-u", kServerUser, "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void PostgresProcess::initialize() {
  chownToServerUser(root_);
  std::filesystem::create_directories(tls_dir_);
  check(runCommand(asServerUser({(bin_dir_ / "initdb").string(), "-D", data_dir_.string(), "-U",
                                 "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                                 "--no-sync"})),
        "initdb");

  // A CA and a server certificate for localhost / 127.0.0.1 signed by it (EC keys: fast).
  const std::string ca_key = (tls_dir_ / "ca.key").string();
  const std::string server_key = (tls_dir_ / "server.key").string();
  const std::string server_csr = (tls_dir_ / "server.csr").string();
  const std::string server_crt = (tls_dir_ / "server.crt").string();
  const std::string ext_file = (tls_dir_ / "server.ext").string();
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
                    ca_file_.string(),
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
  check(runCommand({"openssl", "x509", "-req", "-in", server_csr, "-CA", ca_file_.string(),
                    "-CAkey", ca_key, "-CAcreateserial", "-out", server_crt, "-days", "7",
                    "-extfile", ext_file}),
        "openssl (server certificate)");
  std::filesystem::permissions(
      server_key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  chownToServerUser(tls_dir_);
  chownToServerUser(server_key);
  chownToServerUser(server_crt);
  chownToServerUser(ca_file_);

  std::ostringstream conf;
  conf << "\n# daap test settings\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "unix_socket_directories = ''\n"
       << "max_connections = " << options_.max_connections << "\n"
       << "ssl = on\n"
       << "ssl_cert_file = '" << server_crt << "'\n"
       << "ssl_key_file = '" << server_key << "'\n"
       << "ssl_min_protocol_version = 'TLSv1.2'\n"
       << "password_encryption = 'scram-sha-256'\n"
       << "fsync = off\n"
       << "full_page_writes = off\n"
       << "shared_buffers = '16MB'\n"
       << "max_wal_size = '256MB'\n"
       << "max_parallel_workers_per_gather = 0\n"
       << "log_min_messages = warning\n";
  for (const std::string& setting : options_.settings) {
    conf << setting << "\n";
  }
  writeFile(data_dir_ / "postgresql.conf", conf.str(), std::ios::app);
  // TLS only: plain TCP is rejected outright, TLS connections need a scram-sha-256 password.
  writeFile(data_dir_ / "pg_hba.conf",
            "hostnossl all all all reject\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n");

  // Role and database before the server ever listens (single-user mode: no socket needed).
  check(runCommand(asServerUser({(bin_dir_ / "postgres").string(), "--single", "-D",
                                 data_dir_.string(), "-F", "postgres"}),
                   {},
                   "CREATE ROLE daap LOGIN CREATEDB PASSWORD '" + password_ +
                       "';\nCREATE DATABASE daap OWNER daap;\n"),
        "postgres --single");
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
    result = runDetached(asServerUser({(bin_dir_ / "pg_ctl").string(), "-D", data_dir_.string(),
                                       "-l", log_file_.string(), "-o",
                                       "-p " + std::to_string(port_), "-w", "-t", "60", "start"}),
                         root_ / "pg_ctl.out");
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

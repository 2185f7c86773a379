#include "hack/devcluster/wal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <span>
#include <system_error>
#include <utility>

#include <glog/logging.h>
#include <rapidjson/error/en.h>

namespace daap::devcluster {
namespace {

// Snapshot writes are gathered into buffers of this size before each write(2).
constexpr size_t kSnapshotBufferBytes = size_t{1} << 20;
// Records are parsed into one reused buffer of this size (bigger ones borrow more and give it
// back): a fresh Document per record would fault in a fresh 64 KiB chunk each time.
constexpr size_t kParseBufferBytes = size_t{256} << 10;

std::string errnoMessage(int error) {
  return std::error_code(error, std::generic_category()).message();
}

Error ioError(std::string_view what, const std::filesystem::path& path, int error) {
  return Error::unavailable(std::string(what) + " " + path.string() + ": " + errnoMessage(error));
}

std::string_view opName(WalOp op) {
  switch (op) {
    case WalOp::Create:
      return "create";
    case WalOp::Update:
      return "update";
    case WalOp::Delete:
      return "delete";
  }
  return "create";
}

constexpr std::string_view kObjectMember = R"(,"object":)";

// Everything of a record before its object.
std::string recordHead(uint64_t version, WalOp op, std::string_view key_json, size_t version_at) {
  std::string head;
  head.reserve(64 + key_json.size());
  head.append(R"({"v":)").append(std::to_string(version));
  head.append(R"(,"op":")").append(opName(op));
  head.append(R"(","key":)").append(key_json);
  head.append(R"(,"at":)").append(std::to_string(version_at)).append(kObjectMember);
  return head;
}

constexpr std::string_view kRecordTail = "}\n";

// Writes all of `iov`, resuming after short writes and EINTR. Returns 0 or an errno value.
int writeAll(int fd, std::span<iovec> iov) {
  size_t index = 0;
  while (index < iov.size()) {
    const ssize_t written = ::writev(fd, &iov[index], static_cast<int>(iov.size() - index));
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    if (written == 0) {
      return EIO;  // A regular file never accepts nothing; do not spin.
    }
    auto left = static_cast<size_t>(written);
    while (index < iov.size() && left >= iov[index].iov_len) {
      left -= iov[index].iov_len;
      ++index;
    }
    if (index < iov.size()) {
      iov[index].iov_base = static_cast<char*>(iov[index].iov_base) + left;
      iov[index].iov_len -= left;
    }
  }
  return 0;
}

int writeAll(int fd, std::string_view data) {
  std::array<iovec, 1> iov{{{const_cast<char*>(data.data()), data.size()}}};
  return writeAll(fd, iov);
}

// Closes a descriptor when it goes out of scope.
class ScopedFd {
public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }
  // Closes now and reports the error close(2) gives, which can be a late write error.
  int close() {
    const int result = ::close(std::exchange(fd_, -1));
    return result == 0 ? 0 : errno;
  }

private:
  int fd_;
};

// A read-only view of a whole file, mapped rather than copied: replaying a WAL of tens of
// megabytes should not first fault in a buffer of the same size.
class MappedFile {
public:
  static Result<MappedFile> open(const std::filesystem::path& path) {
    ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      return ioError("open", path, errno);
    }
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) {
      return ioError("stat", path, errno);
    }
    MappedFile file;
    file.size_ = static_cast<size_t>(status.st_size);
    if (file.size_ == 0) {
      return file;
    }
    void* data = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (data == MAP_FAILED) {
      return ioError("mmap", path, errno);
    }
    ::madvise(data, file.size_, MADV_SEQUENTIAL);
    file.data_ = data;
    return file;
  }

  MappedFile(MappedFile&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) {
      ::munmap(data_, size_);
    }
  }

  std::string_view text() const {
    return data_ == nullptr ? std::string_view()
                            : std::string_view(static_cast<char*>(data_), size_);
  }

private:
  MappedFile() = default;

  void* data_ = nullptr;
  size_t size_ = 0;
};

Result<void> decodeRecord(std::string_view line, WalRecord& record) {
  // Same flags as json::parse, so a replayed object equals the one first stored.
  record.document.Parse(line.data(), line.size());
  if (record.document.HasParseError()) {
    return Error::internal("invalid JSON at offset " +
                           std::to_string(record.document.GetErrorOffset()) + ": " +
                           rapidjson::GetParseError_En(record.document.GetParseError()));
  }
  const json::Value* version = json::find(record.document, "v");
  if (version == nullptr || !version->IsUint64()) {
    return Error::internal("record without a version");
  }
  record.version = version->GetUint64();
  const std::string_view op = json::getString(record.document, "op");
  if (op == "create") {
    record.op = WalOp::Create;
  } else if (op == "update") {
    record.op = WalOp::Update;
  } else if (op == "delete") {
    record.op = WalOp::Delete;
  } else {
    return Error::internal("record with unknown op \"" + std::string(op) + "\"");
  }
  const json::Value* key = json::find(record.document, "key");
  if (key == nullptr || !key->IsArray() || key->Size() != 3) {
    return Error::internal("record without a [resource, namespace, name] key");
  }
  std::array<std::string*, 3> parts{&record.key.resource, &record.key.namespace_, &record.key.name};
  size_t index = 0;
  for (const json::Value& part : key->GetArray()) {
    if (!part.IsString()) {
      return Error::internal("record key holds a non-string");
    }
    *parts[index++] = std::string(json::view(part));
  }
  record.object = json::find(record.document, "object");
  if (record.object == nullptr || !record.object->IsObject()) {
    return Error::internal("record without an object");
  }
  // The object is the last member, and the first `,"object":` is its name: no string before it
  // can hold an unescaped quote.
  const size_t object_member = line.find(kObjectMember);
  const json::Value* at = json::find(record.document, "at");
  if (object_member != std::string_view::npos && at != nullptr && at->IsUint64()) {
    const size_t object_start = object_member + kObjectMember.size();
    record.object_text = line.substr(object_start, line.size() - 1 - object_start);
    record.version_at = static_cast<size_t>(at->GetUint64());
  }
  return {};
}

Error corrupt(const std::filesystem::path& path, size_t offset, const Error& cause) {
  return Error::internal(path.string() + ": bad record at byte " + std::to_string(offset) + ": " +
                         cause.message);
}

}  // namespace

std::string encodeWalKey(const ObjectKey& key) {
  json::Document array;
  array.SetArray();
  json::Allocator& allocator = array.GetAllocator();
  array.PushBack(json::stringValue(key.resource, allocator), allocator);
  array.PushBack(json::stringValue(key.namespace_, allocator), allocator);
  array.PushBack(json::stringValue(key.name, allocator), allocator);
  return json::serialize(array);
}

WalWriter::WalWriter(int fd, std::filesystem::path path, uint64_t size, bool fsync)
    : fd_(fd), path_(std::move(path)), size_(size), fsync_(fsync) {}

WalWriter::WalWriter(WalWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      size_(other.size_),
      fsync_(other.fsync_),
      broken_(other.broken_) {}

WalWriter& WalWriter::operator=(WalWriter&& other) noexcept {
  if (this != &other) {
    closeFile();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    size_ = other.size_;
    fsync_ = other.fsync_;
    broken_ = other.broken_;
  }
  return *this;
}

WalWriter::~WalWriter() {
  closeFile();
}

void WalWriter::closeFile() {
  if (fd_ >= 0 && ::close(std::exchange(fd_, -1)) != 0) {
    LOG(WARNING) << "wal close failed path=" << path_.string() << " error=" << errnoMessage(errno);
  }
}

Result<WalWriter> WalWriter::open(const std::filesystem::path& path, uint64_t keep_bytes,
                                  bool fsync) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return ioError("open", path, errno);
  }
  WalWriter writer(fd, path, 0, fsync);
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    return ioError("stat", path, errno);
  }
  const auto size = static_cast<uint64_t>(status.st_size);
  if (size > keep_bytes) {
    if (::ftruncate(fd, static_cast<off_t>(keep_bytes)) != 0) {
      return ioError("truncate", path, errno);
    }
    LOG(WARNING) << "wal torn tail cut path=" << path.string() << " offset=" << keep_bytes
                 << " bytes=" << size - keep_bytes;
  }
  writer.size_ = std::min(size, keep_bytes);
  return writer;
}

Result<WalWriter> WalWriter::create(const std::filesystem::path& path, bool fsync) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return ioError("create", path, errno);
  }
  return WalWriter(fd, path, 0, fsync);
}

Result<void> WalWriter::append(uint64_t version, WalOp op, std::string_view key_json,
                               std::string_view object_json, size_t version_at) {
  if (broken_) {
    return Error::unavailable("wal " + path_.string() +
                              " is unusable after a failed write; restart the devcluster");
  }
  std::string head = recordHead(version, op, key_json, version_at);
  std::array<iovec, 3> iov{{
      {head.data(), head.size()},
      {const_cast<char*>(object_json.data()), object_json.size()},
      {const_cast<char*>(kRecordTail.data()), kRecordTail.size()},
  }};
  const uint64_t total = head.size() + object_json.size() + kRecordTail.size();
  int error = writeAll(fd_, iov);
  if (error == 0 && fsync_ && ::fdatasync(fd_) != 0) {
    error = errno;
  }
  if (error != 0) {
    // Cut back any partial record so the file stays a sequence of whole records.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      broken_ = true;
    }
    return ioError("append to", path_, error);
  }
  size_ += total;
  return {};
}

Result<WalReplay> readWal(const std::filesystem::path& path, const WalApply& apply) {
  Result<MappedFile> file = MappedFile::open(path);
  if (!file) {
    return file.error();
  }
  const std::string_view text = file->text();
  std::vector<char> buffer(kParseBufferBytes);
  json::Allocator pool(buffer.data(), buffer.size());
  WalReplay replay;
  size_t offset = 0;
  while (offset < text.size()) {
    const size_t end = text.find('\n', offset);
    if (end == std::string_view::npos) {
      LOG(WARNING) << "wal torn tail ignored path=" << path.string() << " offset=" << offset
                   << " bytes=" << text.size() - offset;
      replay.torn = true;
      break;
    }
    {
      WalRecord record(&pool);
      if (Result<void> decoded = decodeRecord(text.substr(offset, end - offset), record);
          !decoded) {
        if (end + 1 != text.size()) {
          return corrupt(path, offset, decoded.error());
        }
        LOG(WARNING) << "wal unreadable tail ignored path=" << path.string() << " offset=" << offset
                     << " error=" << decoded.error().message;
        replay.torn = true;
        break;
      }
      if (Result<void> applied = apply(record); !applied) {
        return corrupt(path, offset, applied.error());
      }
    }
    pool.Clear();
    offset = end + 1;
    replay.valid_bytes = offset;
    ++replay.records;
  }
  return replay;
}

Result<void> writeSnapshot(const std::filesystem::path& path, uint64_t version,
                           const std::vector<SnapshotEntry>& entries) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  ScopedFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    return ioError("create", temp, errno);
  }
  std::string buffer;
  buffer.reserve(kSnapshotBufferBytes + kSnapshotBufferBytes / 4);
  buffer.append(R"({"snapshot":)").append(std::to_string(version));
  buffer.append(R"(,"objects":)").append(std::to_string(entries.size())).append("}\n");
  for (const SnapshotEntry& entry : entries) {
    buffer.append(
        recordHead(entry.version, WalOp::Create, encodeWalKey(*entry.key), entry.version_at));
    buffer.append(entry.json).append(kRecordTail);
    if (buffer.size() >= kSnapshotBufferBytes) {
      if (const int error = writeAll(fd.get(), buffer); error != 0) {
        return ioError("write", temp, error);
      }
      buffer.clear();
    }
  }
  if (const int error = writeAll(fd.get(), buffer); error != 0) {
    return ioError("write", temp, error);
  }
  if (::fsync(fd.get()) != 0) {
    return ioError("fsync", temp, errno);
  }
  if (const int error = fd.close(); error != 0) {
    return ioError("close", temp, error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return ioError("rename", temp, errno);
  }
  return syncDirectory(path.parent_path());
}

Result<uint64_t> readSnapshot(const std::filesystem::path& path, const WalApply& apply) {
  Result<MappedFile> file = MappedFile::open(path);
  if (!file) {
    return file.error();
  }
  const std::string_view text = file->text();
  const size_t header_end = text.find('\n');
  if (header_end == std::string_view::npos) {
    return Error::internal(path.string() + ": snapshot without a header");
  }
  Result<json::Document> header = json::parse(text.substr(0, header_end));
  const json::Value* version = header ? json::find(*header, "snapshot") : nullptr;
  const json::Value* count = header ? json::find(*header, "objects") : nullptr;
  if (version == nullptr || !version->IsUint64() || count == nullptr || !count->IsUint64()) {
    return Error::internal(path.string() + ": bad snapshot header");
  }
  std::vector<char> buffer(kParseBufferBytes);
  json::Allocator pool(buffer.data(), buffer.size());
  uint64_t seen = 0;
  size_t offset = header_end + 1;
  while (offset < text.size()) {
    const size_t end = text.find('\n', offset);
    if (end == std::string_view::npos) {
      return corrupt(path, offset, Error::internal("unterminated record"));
    }
    {
      WalRecord record(&pool);
      if (Result<void> decoded = decodeRecord(text.substr(offset, end - offset), record);
          !decoded) {
        return corrupt(path, offset, decoded.error());
      }
      if (record.op != WalOp::Create || record.version > version->GetUint64()) {
        return corrupt(path, offset, Error::internal("not a create at or before the snapshot"));
      }
      if (Result<void> applied = apply(record); !applied) {
        return corrupt(path, offset, applied.error());
      }
    }
    pool.Clear();
    ++seen;
    offset = end + 1;
  }
  if (seen != count->GetUint64()) {
    return Error::internal(path.string() + ": snapshot holds " + std::to_string(seen) +
                           " objects, its header says " + std::to_string(count->GetUint64()));
  }
  return version->GetUint64();
}

Result<void> syncDirectory(const std::filesystem::path& directory) {
  ScopedFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return ioError("open", directory, errno);
  }
  if (::fsync(fd.get()) != 0) {
    return ioError("fsync", directory, errno);
  }
  return {};
}

}  // namespace daap::devcluster

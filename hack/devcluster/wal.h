#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hack/devcluster/store.h"
#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::devcluster {

// The store's files. A WAL holds one record per line, compact JSON with the object last so it
// is written without a copy; "at" is where the object's quoted resourceVersion starts, so a
// replay keeps the logged bytes instead of serializing again:
//   {"v":12,"op":"update","key":["daap.io/daapdatabases","team-a","orders"],"at":61,"object":{...}}
// Compact JSON never holds a raw newline, so a line is a record and a crash can only tear the
// last one. A snapshot is a header line {"snapshot":V,"objects":N}, then one "create" record
// per live object carrying that object's own version.
enum class WalOp { Create, Update, Delete };

// One decoded record; `object` points into `document`, whose memory comes from the reader's
// allocator and lasts only until `apply` returns.
struct WalRecord {
  explicit WalRecord(json::Allocator* allocator) : document(allocator) {}

  uint64_t version = 0;
  WalOp op = WalOp::Create;
  ObjectKey key;
  json::Document document;
  json::Value* object = nullptr;
  std::string_view object_text;      // The object as logged.
  std::optional<size_t> version_at;  // "at", when present.
};

using WalApply = std::function<Result<void>(WalRecord&)>;

// A key as records carry it: ["resource","namespace","name"].
std::string encodeWalKey(const ObjectKey& key);

// Appends records to one file with write(2), so a record is in the kernel when append()
// returns, and on disk too with `fsync` (fdatasync per record). Not thread-safe: the store
// appends under its lock, so records land in version order. Movable; closes its file.
class WalWriter {
public:
  // Opens `path` for appending (created if missing), first cutting it to `keep_bytes`: the
  // whole records readWal() found, dropping a torn tail.
  static Result<WalWriter> open(const std::filesystem::path& path, uint64_t keep_bytes, bool fsync);
  // Creates `path` empty, replacing any file there.
  static Result<WalWriter> create(const std::filesystem::path& path, bool fsync);

  WalWriter(WalWriter&& other) noexcept;
  WalWriter& operator=(WalWriter&& other) noexcept;
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;
  ~WalWriter();

  // Appends one record. On failure the file is cut back to its previous end so no partial
  // record stays behind; if even that fails, every later append fails too.
  // `version_at` is where the quoted resourceVersion starts in `object_json`.
  Result<void> append(uint64_t version, WalOp op, std::string_view key_json,
                      std::string_view object_json, size_t version_at);

  // Bytes in the file.
  uint64_t size() const { return size_; }

private:
  WalWriter(int fd, std::filesystem::path path, uint64_t size, bool fsync);
  void closeFile();

  int fd_ = -1;
  std::filesystem::path path_;
  uint64_t size_ = 0;
  bool fsync_ = false;
  bool broken_ = false;
};

struct WalReplay {
  uint64_t valid_bytes = 0;  // Up to the end of the last whole record.
  size_t records = 0;
  bool torn = false;  // A partial or unreadable last record was skipped.
};

// Hands every whole record of a WAL to `apply`, in order, stopping at the first error it
// returns. A partial or unreadable last record is skipped with a warning; a bad record
// anywhere else is corruption (Internal).
Result<WalReplay> readWal(const std::filesystem::path& path, const WalApply& apply);

// One live object for writeSnapshot(); the pointed-to data must outlive the call.
struct SnapshotEntry {
  const ObjectKey* key = nullptr;
  uint64_t version = 0;
  std::string_view json;
  size_t version_at = 0;
};

// Writes a snapshot atomically: `path`.tmp, fsync, rename over `path`, fsync the directory.
Result<void> writeSnapshot(const std::filesystem::path& path, uint64_t version,
                           const std::vector<SnapshotEntry>& entries);

// Hands each object of a snapshot to `apply` as a Create record; returns the snapshot's version.
// Snapshots are written atomically, so any damage is corruption (Internal).
Result<uint64_t> readSnapshot(const std::filesystem::path& path, const WalApply& apply);

// fsync of a directory, so the files created or renamed in it survive a machine crash.
Result<void> syncDirectory(const std::filesystem::path& directory);

}  // namespace daap::devcluster

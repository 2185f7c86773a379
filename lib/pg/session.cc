#include "lib/pg/session.h"

#include <charconv>
#include <limits>

#include "lib/base/clock.h"

namespace daap::pg::detail {

Error mapSqlError(const pqxx::sql_error& error, std::string_view what) {
  const std::string& state = error.sqlstate();
  std::string message = std::string(what) + ": " + error.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  Error out = Error::internal(message);
  if (state == "23505") {
    out.code = ErrorCode::AlreadyExists;
  } else if (state == "23503" || state == "23502" || state == "23514" || state == "22P02" ||
             state == "22007" || state == "22008" || state == "22003" || state == "22001") {
    out.code = ErrorCode::InvalidArgument;
  } else if (state == "40001" || state == "40P01" || state == "55P03") {
    out.code = ErrorCode::Conflict;
  } else if (sessionLost(state) || state == "53300" || state == "57014") {
    out.code = ErrorCode::Unavailable;
  }
  out.reason = state;
  return out;
}

bool sessionLost(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

std::string toSqlTime(Timestamp time) {
  return formatRfc3339Micro(time);
}

Timestamp fromMicros(int64_t micros) {
  return Timestamp(
      std::chrono::duration_cast<Timestamp::duration>(std::chrono::microseconds(micros)));
}

int64_t toMicros(Timestamp time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::optional<Timestamp> optionalMicros(const pqxx::field& field) {
  if (field.is_null()) {
    return std::nullopt;
  }
  return fromMicros(field.as<int64_t>());
}

std::string textOr(const pqxx::field& field, std::string fallback) {
  if (field.is_null()) {
    return fallback;
  }
  return field.as<std::string>();
}

bool isUuid(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') {
        return false;
      }
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::optional<int64_t> parseInt64(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string encodeCursor(int64_t number, std::string_view key) {
  std::string out = std::to_string(number);
  out += '_';
  out += key;
  return out;
}

Result<std::pair<int64_t, std::string>> decodeCursor(const std::string& cursor) {
  const size_t sep = cursor.find('_');
  int64_t number = 0;
  if (sep == std::string::npos || sep == 0 || sep + 1 >= cursor.size()) {
    return Error::invalidArgument("malformed page cursor");
  }
  const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + sep, number);
  if (ec != std::errc() || end != cursor.data() + sep) {
    return Error::invalidArgument("malformed page cursor");
  }
  return std::make_pair(number, cursor.substr(sep + 1));
}

Result<void> checkLimit(int limit) {
  if (limit < 1 || limit > kMaxPageLimit) {
    return Error::invalidArgument("page limit must be between 1 and " +
                                  std::to_string(kMaxPageLimit));
  }
  return {};
}

Result<int64_t> parseResourceVersion(const std::string& resource_version) {
  int64_t value = 0;
  const char* begin = resource_version.data();
  const char* end = begin + resource_version.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (resource_version.empty() || ec != std::errc() || ptr != end || value < 0) {
    return Error::invalidArgument("resourceVersion \"" + resource_version +
                                  "\" is not a decimal integer");
  }
  return value;
}

model::Quantity bytesQuantity(int64_t bytes) {
  int64_t milli = 0;
  if (__builtin_mul_overflow(bytes, int64_t{1000}, &milli)) {
    milli = std::numeric_limits<int64_t>::max();
  }
  return model::Quantity::fromMilli(milli);
}

int64_t quantityBytes(model::Quantity quantity) {
  return quantity.value();
}

Usage readUsage(const pqxx::row& row, int first) {
  Usage usage;
  usage.databases = row[first].as<int64_t>();
  usage.cpu = model::Quantity::fromMilli(row[first + 1].as<int64_t>());
  usage.memory = bytesQuantity(row[first + 2].as<int64_t>());
  usage.storage = bytesQuantity(row[first + 3].as<int64_t>());
  return usage;
}

const char* const kUsageSums =
    "LEAST(coalesce(sum(databases), 0), 9223372036854775807)::bigint,"
    " LEAST(coalesce(sum(cpu_milli), 0), 9223372036854775807)::bigint,"
    " LEAST(coalesce(sum(memory_bytes), 0), 9223372036854775807)::bigint,"
    " LEAST(coalesce(sum(storage_bytes), 0), 9223372036854775807)::bigint";

std::string textArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') {
        out += '\\';
      }
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace daap::pg::detail

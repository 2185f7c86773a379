#include "gateway/envelope.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace daap::gateway {

HttpError httpErrorOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return {400, "invalid_argument"};
    case ErrorCode::NotFound:
      return {404, "not_found"};
    case ErrorCode::AlreadyExists:
      return {409, "already_exists"};
    case ErrorCode::Conflict:
      return {409, "conflict"};
    case ErrorCode::QuotaExceeded:
      return {422, "quota_exceeded"};
    case ErrorCode::Unauthenticated:
      return {401, "unauthenticated"};
    case ErrorCode::PermissionDenied:
      return {403, "permission_denied"};
    case ErrorCode::Gone:
      return {409, "conflict"};
    case ErrorCode::TooManyRequests:
      return {429, "too_many_requests"};
    case ErrorCode::Unavailable:
      return {503, "unavailable"};
    case ErrorCode::Internal:
      return {500, "internal"};
  }
  return {500, "internal"};
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeString(Writer& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void writeMeta(Writer& writer, std::string_view request_id, bool list,
               std::string_view next_cursor) {
  writer.Key("meta");
  writer.StartObject();
  writer.Key("request_id");
  writeString(writer, request_id);
  if (list) {
    writer.Key("next_cursor");
    if (next_cursor.empty()) {
      writer.Null();
    } else {
      writeString(writer, next_cursor);
    }
  }
  writer.EndObject();
}

}  // namespace

std::string renderData(const json::Value& data, std::string_view request_id, bool list,
                       std::string_view next_cursor) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("data");
  data.Accept(writer);
  writer.Key("error");
  writer.Null();
  writeMeta(writer, request_id, list, next_cursor);
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string renderRawData(std::string_view data_json, std::string_view request_id) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("data");
  writer.RawValue(data_json.data(), data_json.size(), rapidjson::kObjectType);
  writer.Key("error");
  writer.Null();
  writeMeta(writer, request_id, false, {});
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string renderError(std::string_view code, std::string_view message,
                        const std::vector<ErrorCause>& details, std::string_view request_id) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("data");
  writer.Null();
  writer.Key("error");
  writer.StartObject();
  writer.Key("code");
  writeString(writer, code);
  writer.Key("message");
  writeString(writer, message);
  if (!details.empty()) {
    writer.Key("details");
    writer.StartArray();
    for (const ErrorCause& cause : details) {
      writer.StartObject();
      writer.Key("field");
      writeString(writer, cause.field);
      writer.Key("reason");
      writeString(writer, cause.reason);
      writer.Key("message");
      writeString(writer, cause.message);
      writer.EndObject();
    }
    writer.EndArray();
  }
  writer.EndObject();
  writeMeta(writer, request_id, false, {});
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

http::Response errorResponse(const Error& error, std::string_view request_id) {
  const HttpError mapped = httpErrorOf(error.code);
  std::string message = error.message;
  if (error.code == ErrorCode::Internal) {
    message = "internal error; the gateway log has the details under this request id";
  }
  http::Response response = http::Response::json(
      mapped.status, renderError(mapped.code, message, error.causes, request_id));
  if (error.code == ErrorCode::Unavailable || error.code == ErrorCode::TooManyRequests) {
    const int64_t seconds = error.retry_after ? error.retry_after->count() : 1;
    response.headers.set("Retry-After", std::to_string(seconds));
  }
  return response;
}

}  // namespace daap::gateway

#include "hack/devcluster/status.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "lib/json/json.h"

namespace daap::devcluster {

namespace {

std::string qualified(std::string_view plural, std::string_view group) {
  std::string out(plural);
  if (!group.empty()) {
    out += ".";
    out += group;
  }
  return out;
}

}  // namespace

ApiStatus ApiStatus::badRequest(std::string message) {
  return {400, "BadRequest", std::move(message), {}, {}, {}, {}, {}};
}

ApiStatus ApiStatus::notFound(std::string_view group, std::string_view plural,
                              std::string_view name) {
  return {404,
          "NotFound",
          qualified(plural, group) + " \"" + std::string(name) + "\" not found",
          std::string(name),
          std::string(group),
          std::string(plural),
          {},
          {}};
}

ApiStatus ApiStatus::alreadyExists(std::string_view group, std::string_view plural,
                                   std::string_view name) {
  return {409,
          "AlreadyExists",
          qualified(plural, group) + " \"" + std::string(name) + "\" already exists",
          std::string(name),
          std::string(group),
          std::string(plural),
          {},
          {}};
}

ApiStatus ApiStatus::conflict(std::string_view group, std::string_view plural,
                              std::string_view name, std::string_view detail) {
  return {409,
          "Conflict",
          "Operation cannot be fulfilled on " + qualified(plural, group) + " \"" +
              std::string(name) + "\": " + std::string(detail),
          std::string(name),
          std::string(group),
          std::string(plural),
          {},
          {}};
}

ApiStatus ApiStatus::invalid(std::string_view group, std::string_view kind, std::string_view name,
                             std::vector<ErrorCause> causes) {
  std::string message = std::string(kind);
  if (!group.empty()) {
    message += "." + std::string(group);
  }
  message += " \"" + std::string(name) + "\" is invalid: " + joinCauses(causes);
  return {422,
          "Invalid",
          std::move(message),
          std::string(name),
          std::string(group),
          std::string(kind),
          std::move(causes),
          {}};
}

ApiStatus ApiStatus::gone(std::string message) {
  return {410, "Expired", std::move(message), {}, {}, {}, {}, {}};
}

ApiStatus ApiStatus::methodNotAllowed(std::string message) {
  return {405, "MethodNotAllowed", std::move(message), {}, {}, {}, {}, {}};
}

ApiStatus ApiStatus::unsupportedMediaType(std::string message) {
  return {415, "UnsupportedMediaType", std::move(message), {}, {}, {}, {}, {}};
}

ApiStatus ApiStatus::unauthorized() {
  return {401, "Unauthorized", "Unauthorized", {}, {}, {}, {}, {}};
}

ApiStatus ApiStatus::internal(std::string message) {
  return {500, "InternalError", std::move(message), {}, {}, {}, {}, {}};
}

std::string joinCauses(const std::vector<ErrorCause>& causes) {
  if (causes.empty()) {
    return "";
  }
  std::string out = causes.size() > 1 ? "[" : "";
  for (size_t i = 0; i < causes.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += causes[i].field + ": " + causes[i].message;
  }
  if (causes.size() > 1) {
    out += "]";
  }
  return out;
}

std::string statusJson(const ApiStatus& status) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("kind");
  writer.String("Status");
  writer.Key("apiVersion");
  writer.String("v1");
  writer.Key("metadata");
  writer.StartObject();
  writer.EndObject();
  writer.Key("status");
  writer.String("Failure");
  writer.Key("message");
  writer.String(status.message);
  writer.Key("reason");
  writer.String(status.reason);
  if (!status.name.empty() || !status.kind.empty() || !status.causes.empty() ||
      status.retry_after_seconds) {
    writer.Key("details");
    writer.StartObject();
    if (!status.name.empty()) {
      writer.Key("name");
      writer.String(status.name);
    }
    if (!status.group.empty()) {
      writer.Key("group");
      writer.String(status.group);
    }
    if (!status.kind.empty()) {
      writer.Key("kind");
      writer.String(status.kind);
    }
    if (!status.causes.empty()) {
      writer.Key("causes");
      writer.StartArray();
      for (const ErrorCause& cause : status.causes) {
        writer.StartObject();
        writer.Key("reason");
        writer.String(cause.reason);
        writer.Key("message");
        writer.String(cause.message);
        writer.Key("field");
        writer.String(cause.field);
        writer.EndObject();
      }
      writer.EndArray();
    }
    if (status.retry_after_seconds) {
      writer.Key("retryAfterSeconds");
      writer.Int(*status.retry_after_seconds);
    }
    writer.EndObject();
  }
  writer.Key("code");
  writer.Uint(status.code);
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

HttpResponse statusResponse(const ApiStatus& status) {
  HttpResponse response;
  response.status = status.code;
  response.body = statusJson(status);
  if (status.retry_after_seconds) {
    response.headers.emplace_back("Retry-After", std::to_string(*status.retry_after_seconds));
  }
  return response;
}

}  // namespace daap::devcluster

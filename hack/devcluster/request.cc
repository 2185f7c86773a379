#include "hack/devcluster/request.h"

#include <vector>

namespace daap::devcluster {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = path.find('/', start);
    const std::string_view segment =
        path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!segment.empty()) {
      segments.push_back(percentDecode(segment));
    }
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  return segments;
}

// Resource paths after /api/v1 or /apis/{g}/{v}: [namespaces/{ns}/]{plural}[/{name}[/{sub}]].
Result<RequestPath> parseResourcePath(RequestPath path, const std::vector<std::string>& rest) {
  size_t i = 0;
  // "namespaces/{ns}/{plural}" is a namespaced collection; "namespaces/{name}" is the
  // Namespace object itself and "namespaces/{name}/status" its status.
  if (rest.size() >= 3 && rest[0] == "namespaces" && rest[2] != "status" && rest[2] != "finalize") {
    path.namespace_ = rest[1];
    i = 2;
  }
  if (i >= rest.size()) {
    return Error::notFound("no resource in path");
  }
  path.plural = rest[i++];
  if (i < rest.size()) {
    path.name = rest[i++];
  }
  if (i < rest.size()) {
    path.subresource = rest[i++];
  }
  if (i < rest.size()) {
    return Error::notFound("path too long");
  }
  path.kind = RequestPath::Kind::Resource;
  return path;
}

}  // namespace

std::string percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hexValue(text[i + 1]);
      const int low = hexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += text[i] == '+' ? ' ' : text[i];
  }
  return out;
}

Result<ParsedTarget> parseTarget(std::string_view target) {
  ParsedTarget parsed;
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const size_t equals = pair.find('=');
      std::string key = percentDecode(pair.substr(0, equals));
      std::string value =
          equals == std::string_view::npos ? std::string() : percentDecode(pair.substr(equals + 1));
      parsed.query[std::move(key)] = std::move(value);
      if (amp == std::string_view::npos) {
        break;
      }
      query.remove_prefix(amp + 1);
    }
  }

  const std::vector<std::string> segments = splitPath(path);
  using Kind = RequestPath::Kind;
  RequestPath& out = parsed.path;
  if (segments.size() == 1 && segments[0] == "version") {
    out.kind = Kind::Version;
    return parsed;
  }
  if (segments.size() == 1 &&
      (segments[0] == "healthz" || segments[0] == "livez" || segments[0] == "readyz")) {
    out.kind = Kind::Health;
    return parsed;
  }
  if (!segments.empty() && segments[0] == "openapi") {
    if (segments.size() == 2 && segments[1] == "v2") {
      out.kind = Kind::OpenApiV2;
      return parsed;
    }
    if (segments.size() == 2 && segments[1] == "v3") {
      out.kind = Kind::OpenApiV3;
      return parsed;
    }
    if (segments.size() == 4 && segments[1] == "v3" && segments[2] == "api") {
      out.kind = Kind::OpenApiV3Group;
      out.version = segments[3];
      return parsed;
    }
    if (segments.size() == 5 && segments[1] == "v3" && segments[2] == "apis") {
      out.kind = Kind::OpenApiV3Group;
      out.group = segments[3];
      out.version = segments[4];
      return parsed;
    }
    return Error::notFound("unknown OpenAPI path");
  }
  if (!segments.empty() && segments[0] == "api") {
    if (segments.size() == 1) {
      out.kind = Kind::CoreGroups;
      return parsed;
    }
    out.version = segments[1];
    if (segments.size() == 2) {
      out.kind = Kind::GroupVersion;
      return parsed;
    }
    Result<RequestPath> resource = parseResourcePath(out, {segments.begin() + 2, segments.end()});
    if (!resource) {
      return resource.error();
    }
    parsed.path = std::move(resource).value();
    return parsed;
  }
  if (!segments.empty() && segments[0] == "apis") {
    if (segments.size() == 1) {
      out.kind = Kind::Groups;
      return parsed;
    }
    out.group = segments[1];
    if (segments.size() == 2) {
      out.kind = Kind::Group;
      return parsed;
    }
    out.version = segments[2];
    if (segments.size() == 3) {
      out.kind = Kind::GroupVersion;
      return parsed;
    }
    Result<RequestPath> resource = parseResourcePath(out, {segments.begin() + 3, segments.end()});
    if (!resource) {
      return resource.error();
    }
    parsed.path = std::move(resource).value();
    return parsed;
  }
  return Error::notFound("the server could not find the requested resource");
}

}  // namespace daap::devcluster

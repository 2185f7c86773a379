#include "hack/devcluster/api.h"

#include <algorithm>
#include <utility>

#include <glog/logging.h>

#include "hack/devcluster/discovery.h"
#include "hack/devcluster/garbage_collector.h"
#include "hack/devcluster/object_meta.h"
#include "hack/devcluster/openapi.h"
#include "hack/devcluster/table.h"
#include "lib/kube/selector.h"

namespace daap::devcluster {

namespace {

HttpResponse jsonResponse(unsigned status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Selectors from the query, compiled once per request.
struct Selectors {
  std::optional<kube::LabelSelector> labels;
  std::optional<kube::FieldSelector> fields;

  bool matches(const json::Value& object) const {
    if (labels && !labels->empty()) {
      const json::Value* object_labels = json::findPath(object, {"metadata", "labels"});
      static const json::Value kNoLabels(rapidjson::kObjectType);
      if (!labels->matches(object_labels != nullptr ? *object_labels : kNoLabels)) {
        return false;
      }
    }
    return !fields || fields->matches(object);
  }
};

Result<Selectors> parseSelectors(const ParsedTarget& target) {
  Selectors selectors;
  if (const std::string_view text = target.param("labelSelector"); !text.empty()) {
    Result<kube::LabelSelector> parsed = kube::LabelSelector::parse(text);
    if (!parsed) {
      return Error::invalidArgument(parsed.error().message);
    }
    selectors.labels = std::move(parsed).value();
  }
  if (const std::string_view text = target.param("fieldSelector"); !text.empty()) {
    Result<kube::FieldSelector> parsed = kube::FieldSelector::parse(text);
    if (!parsed) {
      return Error::invalidArgument(parsed.error().message);
    }
    selectors.fields = std::move(parsed).value();
  }
  return selectors;
}

// A continue token: the store version of the first page and the last key returned.
std::string encodeContinue(uint64_t version, const ObjectKey& key) {
  json::Document token(rapidjson::kObjectType);
  auto& allocator = token.GetAllocator();
  token.AddMember("rv", version, allocator);
  json::setString(token, "ns", key.namespace_, allocator);
  json::setString(token, "name", key.name, allocator);
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string raw = json::serialize(token);
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (const unsigned char c : raw) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 0x3f];
    }
  }
  if (count > 0) {
    out += kAlphabet[(bits << (6 - count)) & 0x3f];
  }
  return out;
}

Result<std::pair<uint64_t, ObjectKey>> decodeContinue(std::string_view token,
                                                      const std::string& resource) {
  std::string raw;
  uint32_t bits = 0;
  int count = 0;
  for (const char c : token) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '-') {
      value = 62;
    } else if (c == '_') {
      value = 63;
    } else {
      return Error::invalidArgument("continue key is not valid: illegal base64 data");
    }
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      raw += static_cast<char>((bits >> count) & 0xff);
    }
  }
  Result<json::Document> parsed = json::parse(raw);
  if (!parsed || !parsed->IsObject() || !json::find(*parsed, "rv") || !(*parsed)["rv"].IsUint64()) {
    return Error::invalidArgument(
        "continue key is not valid: incorrect encoded start "
        "resourceVersion (version meta.k8s.io/v1)");
  }
  return std::make_pair((*parsed)["rv"].GetUint64(),
                        ObjectKey{resource, std::string(json::getString(*parsed, "ns")),
                                  std::string(json::getString(*parsed, "name"))});
}

std::string_view eventTypeName(EventType type) {
  switch (type) {
    case EventType::Added:
      return "ADDED";
    case EventType::Modified:
      return "MODIFIED";
    case EventType::Deleted:
      return "DELETED";
  }
  return "ERROR";
}

}  // namespace

HttpResponse errorResponse(const Error& error) {
  ApiStatus status;
  status.message = error.message;
  status.causes = error.causes;
  switch (error.code) {
    case ErrorCode::InvalidArgument:
      status.code = error.causes.empty() ? 400 : 422;
      status.reason = error.causes.empty() ? "BadRequest" : "Invalid";
      break;
    case ErrorCode::NotFound:
      status.code = 404;
      status.reason = "NotFound";
      break;
    case ErrorCode::AlreadyExists:
      status.code = 409;
      status.reason = "AlreadyExists";
      break;
    case ErrorCode::Conflict:
      status.code = 409;
      status.reason = "Conflict";
      break;
    case ErrorCode::Gone:
      status.code = 410;
      status.reason = "Expired";
      break;
    case ErrorCode::PermissionDenied:
      status.code = 403;
      status.reason = "Forbidden";
      break;
    case ErrorCode::Unauthenticated:
      status.code = 401;
      status.reason = "Unauthorized";
      break;
    case ErrorCode::QuotaExceeded:
    case ErrorCode::TooManyRequests:
      status.code = 429;
      status.reason = "TooManyRequests";
      break;
    case ErrorCode::Unavailable:
      status.code = 503;
      status.reason = "ServiceUnavailable";
      break;
    case ErrorCode::Internal:
      status.code = 500;
      status.reason = "InternalError";
      break;
  }
  if (error.retry_after) {
    status.retry_after_seconds = static_cast<int>(error.retry_after->count());
  }
  return statusResponse(status);
}

ObjectKey objectKey(const ResourceType& type, std::string_view namespace_, std::string_view name) {
  return {type.storageKey(), type.namespaced ? std::string(namespace_) : std::string(),
          std::string(name)};
}

std::shared_ptr<const ResourceType> typeForStorage(const Registry& registry,
                                                   std::string_view storage_key) {
  for (const auto& type : registry.all()) {
    if (type->storageKey() == storage_key) {
      return type;
    }
  }
  return nullptr;
}

Api::Api(Store& store, Registry& registry, const Clock& clock, Options options)
    : store_(store), registry_(registry), clock_(clock), options_(std::move(options)) {}

Api::~Api() {
  stop();
}

Result<void> Api::start() {
  const auto crd_type = registry_.find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  Store::ListOptions options;
  options.resource = crd_type->storageKey();
  Result<Store::ListResult> crds = store_.list(options);
  if (!crds) {
    return crds.error();
  }
  for (const StoredObject& stored : crds->items) {
    Result<json::Document> crd = json::parse(*stored.json);
    if (!crd) {
      return crd.error();
    }
    if (Result<std::vector<std::shared_ptr<const ResourceType>>> registered =
            registry_.registerCrd(*crd);
        !registered) {
      LOG(WARNING) << "stored crd no longer valid name=" << metaString(*crd, "name")
                   << " error=" << registered.error().toString();
    }
  }
  collector_ = std::make_unique<GarbageCollector>(*this);
  return collector_->start();
}

void Api::stop() {
  if (collector_) {
    collector_->stop();
  }
}

HttpResponse Api::handle(const HttpRequest& request) {
  HttpResponse response = route(request);
  VLOG(1) << "request method=" << request.method << " target=" << request.target
          << " status=" << response.status;
  return response;
}

HttpResponse Api::route(const HttpRequest& request) {
  Result<ParsedTarget> target = parseTarget(request.target);
  if (!target) {
    return statusResponse(
        {404, "NotFound", "the server could not find the requested resource", {}, {}, {}, {}, {}});
  }
  using Kind = RequestPath::Kind;
  const Kind kind = target->path.kind;
  if (kind == Kind::Health) {
    HttpResponse ok = jsonResponse(200, "ok");
    ok.content_type = "text/plain";
    return ok;
  }
  if (kind == Kind::Version) {
    return jsonResponse(200, versionDocument());
  }
  if (!options_.token.empty() && request.authorization != "Bearer " + options_.token) {
    return statusResponse(ApiStatus::unauthorized());
  }
  if (request.method != "GET" && kind != Kind::Resource) {
    return statusResponse(
        ApiStatus::methodNotAllowed("the server does not allow this method on "
                                    "the requested resource"));
  }
  switch (kind) {
    case Kind::CoreGroups:
      return jsonResponse(200, coreVersionsDocument());
    case Kind::Groups:
      return jsonResponse(200, groupListDocument(registry_));
    case Kind::Group: {
      Result<std::string> document = groupDocument(registry_, target->path.group);
      return document ? jsonResponse(200, std::move(document).value())
                      : errorResponse(document.error());
    }
    case Kind::GroupVersion: {
      Result<std::string> document =
          resourceListDocument(registry_, target->path.group, target->path.version);
      return document ? jsonResponse(200, std::move(document).value())
                      : errorResponse(document.error());
    }
    case Kind::OpenApiV2:
      // kubectl falls back to OpenAPI v3, which is served below; v2 is deliberately absent.
      return statusResponse(
          {404, "NotFound", "OpenAPI v2 is not served; use /openapi/v3", {}, {}, {}, {}, {}});
    case Kind::OpenApiV3:
      return jsonResponse(200, openApiV3Index(registry_));
    case Kind::OpenApiV3Group: {
      Result<std::string> document =
          openApiV3Document(registry_, target->path.group, target->path.version);
      return document ? jsonResponse(200, std::move(document).value())
                      : errorResponse(document.error());
    }
    case Kind::Resource:
      return handleResource(request, *target);
    default:
      return statusResponse(ApiStatus::internal("unrouted path"));
  }
}

HttpResponse Api::handleResource(const HttpRequest& request, const ParsedTarget& target) {
  const RequestPath& path = target.path;
  const std::shared_ptr<const ResourceType> type =
      registry_.find(path.group, path.version, path.plural);
  if (type == nullptr) {
    return statusResponse({404,
                           "NotFound",
                           "the server could not find the requested resource",
                           {},
                           path.group,
                           path.plural,
                           {},
                           {}});
  }
  if (!type->namespaced && !path.namespace_.empty()) {
    return statusResponse({404,
                           "NotFound",
                           "the server could not find the requested resource",
                           {},
                           path.group,
                           path.plural,
                           {},
                           {}});
  }
  if (!path.subresource.empty() && (path.subresource != "status" || !type->status_subresource)) {
    return statusResponse({404,
                           "NotFound",
                           "the server could not find the requested resource",
                           {},
                           path.group,
                           path.plural,
                           {},
                           {}});
  }
  const std::string& method = request.method;
  if (path.name.empty()) {
    if (method == "GET") {
      if (target.flag("watch")) {
        return watch(request, target, type);
      }
      return list(request, target, *type);
    }
    if (method == "POST") {
      return create(request, target, *type);
    }
    if (method == "DELETE") {
      return removeCollection(request, target, *type);
    }
  } else {
    if (method == "GET") {
      return get(request, target, *type);
    }
    if (method == "PUT") {
      return replace(request, target, *type);
    }
    if (method == "PATCH") {
      return patch(request, target, *type);
    }
    if (method == "DELETE" && path.subresource.empty()) {
      return remove(request, target, *type);
    }
  }
  return statusResponse(ApiStatus::methodNotAllowed(
      "the server does not allow this method on the requested resource"));
}

HttpResponse Api::get(const HttpRequest& request, const ParsedTarget& target,
                      const ResourceType& type) {
  const RequestPath& path = target.path;
  Result<StoredObject> stored = store_.get(objectKey(type, path.namespace_, path.name));
  if (!stored) {
    return statusResponse(ApiStatus::notFound(type.group, type.plural, path.name));
  }
  if (wantsTable(request.accept)) {
    Result<json::Document> object = json::parse(*stored->json);
    if (!object) {
      return errorResponse(object.error());
    }
    const std::vector<const json::Value*> rows{&object.value()};
    return jsonResponse(200, json::serialize(buildTable(
                                 type, rows, {}, {}, target.param("includeObject"), clock_.now())));
  }
  return jsonResponse(200, *stored->json);
}

HttpResponse Api::list(const HttpRequest& request, const ParsedTarget& target,
                       const ResourceType& type) {
  Result<Selectors> selectors = parseSelectors(target);
  if (!selectors) {
    return errorResponse(selectors.error());
  }
  Store::ListOptions options;
  options.resource = type.storageKey();
  options.namespace_ = target.path.namespace_;
  if (selectors->labels || selectors->fields) {
    options.filter = [&selectors](const json::Value& object) {
      return selectors->matches(object);
    };
  }
  if (const std::string_view limit = target.param("limit"); !limit.empty()) {
    options.limit = parseResourceVersion(limit);
  }
  if (const std::string_view token = target.param("continue"); !token.empty()) {
    Result<std::pair<uint64_t, ObjectKey>> decoded = decodeContinue(token, options.resource);
    if (!decoded) {
      return errorResponse(decoded.error());
    }
    options.continue_version = decoded->first;
    options.continue_after = decoded->second;
  }
  Result<Store::ListResult> page = store_.list(options);
  if (!page) {
    if (page.error().code == ErrorCode::Gone) {
      return statusResponse(ApiStatus::gone(
          "The provided continue parameter is too old to display a consistent list result. You "
          "can start a new list without the continue parameter."));
    }
    return errorResponse(page.error());
  }
  const std::string resource_version = std::to_string(page->resource_version);
  const std::string continue_token =
      page->last_key ? encodeContinue(page->resource_version, *page->last_key) : std::string();

  if (wantsTable(request.accept)) {
    std::vector<json::Document> parsed;
    parsed.reserve(page->items.size());
    std::vector<const json::Value*> rows;
    for (const StoredObject& item : page->items) {
      Result<json::Document> object = json::parse(*item.json);
      if (object) {
        parsed.push_back(std::move(object).value());
      }
    }
    rows.reserve(parsed.size());
    for (const json::Document& object : parsed) {
      rows.push_back(&object);
    }
    return jsonResponse(200,
                        json::serialize(buildTable(type, rows, resource_version, continue_token,
                                                   target.param("includeObject"), clock_.now())));
  }

  // Items are already JSON: splice them into the list text instead of re-parsing.
  std::string body = R"({"kind":")" + type.list_kind + R"(","apiVersion":")" + type.apiVersion() +
                     R"(","metadata":{"resourceVersion":")" + resource_version + "\"";
  if (!continue_token.empty()) {
    body += R"(,"continue":")" + continue_token + "\"";
  }
  body += R"(},"items":[)";
  for (size_t i = 0; i < page->items.size(); ++i) {
    if (i > 0) {
      body += ',';
    }
    body += *page->items[i].json;
  }
  body += "]}";
  return jsonResponse(200, std::move(body));
}

HttpResponse Api::watch(const HttpRequest& request, const ParsedTarget& target,
                        std::shared_ptr<const ResourceType> type) {
  Result<Selectors> selectors = parseSelectors(target);
  if (!selectors) {
    return errorResponse(selectors.error());
  }
  const std::string_view version_text = target.param("resourceVersion");
  const std::string resource = type->storageKey();
  const std::string namespace_ = target.path.namespace_;
  std::vector<StoredObject> initial;
  std::unique_ptr<Watcher> watcher;
  uint64_t start_version = 0;
  if (version_text.empty() || version_text == "0") {
    Store::Snapshot snapshot = store_.listAndWatch(resource, namespace_);
    initial = std::move(snapshot.items);
    watcher = std::move(snapshot.watcher);
    start_version = snapshot.resource_version;
  } else {
    start_version = parseResourceVersion(version_text);
    if (start_version == 0) {
      return errorResponse(
          Error::invalidArgument("invalid resourceVersion: " + std::string(version_text)));
    }
    Result<std::unique_ptr<Watcher>> subscribed = store_.watch(resource, namespace_, start_version);
    if (!subscribed) {
      // The API server answers 200 and sends one ERROR event; clients relist on it.
      const ApiStatus gone =
          ApiStatus::gone("too old resource version: " + std::string(version_text) + " (" +
                          std::to_string(store_.oldestResumableVersion() - 1) + ")");
      HttpResponse response;
      response.stream = [gone](const ChunkSink& send) {
        send(R"({"type":"ERROR","object":)" + statusJson(gone) + "}\n");
      };
      return response;
    }
    watcher = std::move(subscribed).value();
  }

  std::chrono::milliseconds timeout = options_.default_watch_timeout;
  if (const std::string_view seconds = target.param("timeoutSeconds"); !seconds.empty()) {
    timeout = std::chrono::seconds(parseResourceVersion(seconds));
  }
  const bool bookmarks = target.flag("allowWatchBookmarks");
  const bool table = wantsTable(request.accept);
  const std::string include_object(target.param("includeObject"));
  const std::chrono::milliseconds bookmark_interval = options_.bookmark_interval;
  const Clock& clock = clock_;

  HttpResponse response;
  response.stream = [=, selectors = std::move(selectors).value(), initial = std::move(initial),
                     watcher = std::shared_ptr<Watcher>(std::move(watcher)),
                     &clock](const ChunkSink& send) {
    auto render = [&](std::string_view type_name, const StoredObject& stored) -> std::string {
      Result<json::Document> object = json::parse(*stored.json);
      if (!object || !selectors.matches(*object)) {
        return {};
      }
      std::string event = R"({"type":")" + std::string(type_name) + R"(","object":)";
      if (table) {
        const std::vector<const json::Value*> rows{&object.value()};
        event += json::serialize(buildTable(*type, rows, {}, {}, include_object, clock.now()));
      } else {
        event += *stored.json;
      }
      event += "}\n";
      return event;
    };
    for (const StoredObject& item : initial) {
      if (const std::string event = render("ADDED", item); !event.empty() && !send(event)) {
        return;
      }
    }
    uint64_t delivered_version = start_version;
    const auto deadline = clock.monotonicNow() + timeout;
    auto last_bookmark = clock.monotonicNow();
    for (;;) {
      const auto now = clock.monotonicNow();
      if (now >= deadline) {
        return;
      }
      const auto wait = std::min(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now), bookmark_interval);
      WatchEvent event;
      const Watcher::Status status = watcher->next(wait, event);
      if (status == Watcher::Status::Closed) {
        return;
      }
      if (status == Watcher::Status::Expired) {
        send(R"({"type":"ERROR","object":)" +
             statusJson(ApiStatus::gone("watch fell too far behind; relist")) + "}\n");
        return;
      }
      if (status == Watcher::Status::Event) {
        delivered_version = event.object.resource_version;
        const std::string rendered = render(eventTypeName(event.type), event.object);
        if (!rendered.empty() && !send(rendered)) {
          return;
        }
      }
      if (bookmarks && clock.monotonicNow() - last_bookmark >= bookmark_interval) {
        last_bookmark = clock.monotonicNow();
        const std::string bookmark = R"({"type":"BOOKMARK","object":{"kind":")" + type->kind +
                                     R"(","apiVersion":")" + type->apiVersion() +
                                     R"(","metadata":{"resourceVersion":")" +
                                     std::to_string(delivered_version) + "\"}}}\n";
        if (!send(bookmark)) {
          return;
        }
      } else if (status == Watcher::Status::Timeout && !send({})) {
        return;
      }
    }
  };
  return response;
}

}  // namespace daap::devcluster

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "lib/base/result.h"
#include "lib/json/json.h"
#include "lib/kube/config.h"
#include "lib/kube/resource.h"
#include "lib/kube/watch.h"

namespace daap::kube {

struct ClientOptions {
  // Client-side rate limit (token bucket), as client-go's QPS and burst; qps <= 0 disables it.
  double qps = 20;
  int burst = 30;
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // Idempotent requests (GET, PUT with a resourceVersion, DELETE) are retried on transport
  // errors, 429 (after Retry-After) and 5xx, with jittered exponential backoff.
  int max_retries = 3;
  std::chrono::milliseconds retry_base{std::chrono::milliseconds(100)};
  std::chrono::milliseconds retry_max{std::chrono::seconds(5)};
  // How often a token_file is checked for a rotated token. Between those reads a changed mtime
  // (looked at once a second at most) or a 401 answer makes the client read it at once.
  std::chrono::seconds token_reload{std::chrono::seconds(60)};
  std::string user_agent = "daap";
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;
  std::string continue_token;
  std::string resource_version;
};

// One page of a list: the raw List object and its metadata.
struct ListPage {
  json::Document list;  // {"kind":"...List","metadata":{...},"items":[...]}
  std::string resource_version;
  std::string continue_token;
};

struct WriteOptions {
  std::string field_validation = "Strict";  // Strict | Warn | Ignore
  std::string field_manager = "daap";
  bool dry_run = false;
};

enum class PatchType { Merge, Json };

// An HTTP answer of any status, for request().
struct RawResponse {
  int http_status = 0;
  std::string body;
};

struct DeleteOptions {
  std::string propagation_policy;  // Background (default) | Foreground | Orphan
  std::string precondition_uid;
  std::string precondition_resource_version;
};

struct WatchOptions {
  std::string resource_version;  // Empty: synthetic ADDED events for what exists, then changes.
  std::string label_selector;
  std::string field_selector;
  bool allow_bookmarks = true;
  std::chrono::seconds timeout{std::chrono::minutes(5)};  // Server-side timeoutSeconds.
};

// The only code in DAAP that speaks HTTP to Kubernetes. Every verb on any resource, errors as
// daap::Error with the Kubernetes Status mapped once: code (NotFound, AlreadyExists, Conflict,
// InvalidArgument for Invalid and BadRequest, PermissionDenied for Forbidden, Unauthenticated,
// Gone, TooManyRequests with retry_after, Unavailable for transport errors and 5xx), http_status
// (0 for transport errors), reason (the Status reason) and causes (details.causes).
// Thread-safe: any number of threads may call any method at once; each request takes a pooled
// connection (HTTP/1.1 keep-alive), so a long watch never blocks other requests. Every request,
// watches included, first waits for the rate limiter. Messages and logs never hold the token or
// a request body. The Client must outlive every call in progress (watches included).
class Client {
public:
  static Result<std::unique_ptr<Client>> create(ClusterConfig config, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<json::Document> get(const Resource& resource, std::string_view namespace_,
                             std::string_view name);
  Result<ListPage> list(const Resource& resource, std::string_view namespace_,
                        const ListOptions& options = {});
  // Creates `object` (its metadata.namespace, or `namespace_` when unset).
  Result<json::Document> create(const Resource& resource, std::string_view namespace_,
                                const json::Value& object, const WriteOptions& options = {});
  // PUT of the whole object; metadata.resourceVersion, when set, is the precondition.
  Result<json::Document> update(const Resource& resource, const json::Value& object,
                                const WriteOptions& options = {});
  Result<json::Document> updateStatus(const Resource& resource, const json::Value& object);
  Result<json::Document> patch(const Resource& resource, std::string_view namespace_,
                               std::string_view name, PatchType type, const json::Value& patch,
                               const WriteOptions& options = {});
  Result<json::Document> patchStatus(const Resource& resource, std::string_view namespace_,
                                     std::string_view name, PatchType type,
                                     const json::Value& patch);
  Result<void> remove(const Resource& resource, std::string_view namespace_, std::string_view name,
                      const DeleteOptions& options = {});

  // Streams watch events to `on_event` until the server ends the stream (timeout, restart:
  // returns ok), `on_event` returns false, `stop` is requested, or an error. A 410 arrives as an
  // ERROR event (code Gone) and ends the stream with Error{Gone}. Blocks the calling thread
  // only.
  // Details: on_event runs on the calling thread, in stream order, one event at a time, and
  // must not throw. ADDED, MODIFIED, DELETED and BOOKMARK events reach on_event; an ERROR event
  // does not: it ends the watch with its Status mapped as statusError() does (410 -> Gone).
  // A line that is not a valid event ends the watch with InvalidArgument after the events
  // before it were delivered. A broken connection (server killed, network) or a stalled one
  // (no byte for timeout + 30 s; one hour + 30 s with no timeout) is Unavailable with http_status
  // 0; a non-200 answer is mapped like any request's. Watches are never retried here: the caller
  // resumes from the last resourceVersion it saw (BOOKMARKs included) and relists on Gone. A stop
  // request is seen at once, even while the stream is idle. No request timeout applies.
  Result<void> watch(const Resource& resource, std::string_view namespace_,
                     const WatchOptions& options,
                     const std::function<bool(WatchEvent&& event)>& on_event,
                     std::stop_token stop = {});

  // One request to `path` (with its query string) under the server URL, for benchmarks and
  // tests: rate limited, retried as its method allows (GET and DELETE), and any HTTP status is a
  // value; only a transport failure is an Error (Unavailable).
  Result<RawResponse> request(std::string_view method, std::string_view path,
                              std::string_view body = {},
                              std::string_view content_type = "application/json");

  const ClusterConfig& config() const;

private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace daap::kube

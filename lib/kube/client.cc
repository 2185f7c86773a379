#include "lib/kube/client.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <curl/curl.h>
#include <glog/logging.h>

#include "lib/base/backoff.h"
#include "lib/kube/rate_limiter.h"

namespace daap::kube {

namespace {

using SteadyClock = std::chrono::steady_clock;

// libcurl's own type for numeric options.
using CurlLong = long;  // NOLINT(google-runtime-int)

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kMergePatch = "application/merge-patch+json";
constexpr std::string_view kJsonPatch = "application/json-patch+json";
// Idle handles kept for reuse; more concurrent requests than this open extra connections that
// are closed when they finish.
constexpr size_t kMaxIdleHandles = 32;
// An error answer is read whole; more than this is not a Status and is cut.
constexpr size_t kMaxErrorBody = 1 << 20;
// How often the token file's mtime is looked at.
constexpr auto kTokenStatInterval = std::chrono::seconds(1);
// A watch with no byte at all for its timeout plus this margin is a dead connection. Without a
// timeout the server picks one (the API server: 30 to 60 minutes), so assume the longest.
constexpr auto kWatchStallMargin = std::chrono::seconds(30);
constexpr auto kWatchServerTimeout = std::chrono::seconds(3600);
// How long a watch sleeps in curl_multi_poll before looking at its stop token again; a stop
// request also wakes it at once.
constexpr int kWatchPollMillis = 1000;

void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { CHECK_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK); });
}

enum class Method { Get, Post, Put, Patch, Delete };

std::string_view methodName(Method method) {
  switch (method) {
    case Method::Get:
      return "GET";
    case Method::Post:
      return "POST";
    case Method::Put:
      return "PUT";
    case Method::Patch:
      return "PATCH";
    case Method::Delete:
      return "DELETE";
  }
  return "GET";
}

struct Request {
  Method method = Method::Get;
  std::string path;  // Path and query, under the server URL.
  std::string body;
  std::string_view content_type = kJson;
  // Safe to send twice: GET, DELETE, PUT with a resourceVersion precondition.
  bool idempotent = false;
};

struct Response {
  int http_status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
};

// Builds "?a=b&c=d" with percent-encoded values; empty values are left out.
class Query {
public:
  void add(std::string_view key, std::string_view value) {
    if (value.empty()) {
      return;
    }
    text_ += text_.empty() ? '?' : '&';
    text_ += key;
    text_ += '=';
    text_ += percentEncode(value);
  }
  const std::string& text() const { return text_; }

private:
  std::string text_;
};

void addWriteOptions(Query& query, const WriteOptions& options) {
  query.add("fieldValidation", options.field_validation);
  query.add("fieldManager", options.field_manager);
  if (options.dry_run) {
    query.add("dryRun", "All");
  }
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

// Retry-After in delta-seconds; the HTTP-date form is ignored (the API server sends seconds).
void parseRetryAfter(std::string_view line, std::optional<std::chrono::seconds>& retry_after) {
  constexpr std::string_view kName = "retry-after:";
  if (startsWithNoCase(line, "HTTP/")) {
    retry_after.reset();  // A new response (after a 100 Continue or a redirect).
    return;
  }
  if (!startsWithNoCase(line, kName)) {
    return;
  }
  const std::string_view value = trim(line.substr(kName.size()));
  int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size() && seconds >= 0) {
    retry_after = std::chrono::seconds(seconds);
  }
}

// A pooled easy handle: its own keep-alive connection and what its callbacks fill.
struct Handle {
  Handle() : curl(curl_easy_init()) { CHECK(curl != nullptr) << "curl_easy_init failed"; }
  ~Handle() { curl_easy_cleanup(curl); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  CURL* curl;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
};

size_t appendBody(char* data, size_t size, size_t count, void* raw) {
  static_cast<Handle*>(raw)->body.append(data, size * count);
  return size * count;
}

size_t readHeader(char* data, size_t size, size_t count, void* raw) {
  parseRetryAfter({data, size * count}, static_cast<Handle*>(raw)->retry_after);
  return size * count;
}

// A transport failure that another attempt may cure (not a TLS or configuration mistake).
bool transientCurlError(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_OUT_OF_MEMORY:
      return false;
    default:
      return true;
  }
}

Error transportError(std::string_view method, std::string_view path, CURLcode code,
                     const char* detail) {
  std::string message =
      std::string(method) + " " + std::string(path) + ": " + curl_easy_strerror(code);
  if (detail != nullptr && detail[0] != '\0') {
    message += " (" + std::string(trim(detail)) + ")";
  }
  Error error = Error::unavailable(std::move(message));
  error.http_status = 0;
  return error;
}

// The Error for a non-2xx answer: its Status when the body is one, else the HTTP code alone.
Error httpError(int http_status, std::string_view body,
                std::optional<std::chrono::seconds> retry_after) {
  Error error;
  Result<json::Document> status = json::parse(body);
  if (status && status->IsObject() && json::getString(*status, "kind") == "Status") {
    error = statusError(*status, http_status);
  } else {
    // Not a Status (a proxy's or load balancer's page): classified by its code, body left out.
    json::Document empty;
    empty.SetObject();
    error = statusError(empty, http_status);
    error.message = "HTTP " + std::to_string(http_status) + " without a Status body";
  }
  if (retry_after) {
    error.retry_after = retry_after;
  }
  return error;
}

bool retryable(const Error& error) {
  return error.http_status == 0 || error.http_status == 429 || error.http_status >= 500;
}

// The server URL split for CURLOPT_CONNECT_TO: scheme://host:port/prefix.
struct ServerUrl {
  std::string scheme;
  std::string host;  // IPv6 with its brackets.
  std::string port;
  std::string prefix;  // Path prefix without a trailing '/', e.g. a proxy's "/k8s/clusters/c".
};

Result<ServerUrl> parseServer(std::string_view server) {
  ServerUrl url;
  const size_t scheme_end = server.find("://");
  if (scheme_end == std::string_view::npos) {
    return Error::invalidArgument("cluster server \"" + std::string(server) +
                                  "\" is not an http(s) URL");
  }
  url.scheme = std::string(server.substr(0, scheme_end));
  if (url.scheme != "https" && url.scheme != "http") {
    return Error::invalidArgument("cluster server \"" + std::string(server) +
                                  "\" is not an http(s) URL");
  }
  std::string_view rest = server.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash);
    while (!prefix.empty() && prefix.back() == '/') {
      prefix.remove_suffix(1);
    }
    url.prefix = std::string(prefix);
  }
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    url.host = std::string(authority.substr(0, colon));
    url.port = std::string(authority.substr(colon + 1));
  } else {
    url.host = std::string(authority);
    url.port = url.scheme == "https" ? "443" : "80";
  }
  if (url.host.empty()) {
    return Error::invalidArgument("cluster server \"" + std::string(server) + "\" has no host");
  }
  return url;
}

bool isLoopback(std::string_view host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "[::1]" || host == "::1";
}

Result<std::string> readToken(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return Error::invalidArgument("cannot read token file " + path.string());
  }
  std::ostringstream text;
  text << file.rdbuf();
  return std::string(trim(text.str()));
}

std::string_view metadataString(const json::Value& object, std::string_view key) {
  const json::Value* metadata = json::find(object, "metadata");
  return metadata == nullptr ? std::string_view() : json::getString(*metadata, key);
}

// What a watch's write callback works with.
struct WatchStream {
  CURL* curl = nullptr;
  const std::function<bool(WatchEvent&& event)>* on_event = nullptr;
  std::stop_token stop;
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  CurlLong http_status = 0;
  std::string error_body;
  std::optional<std::chrono::seconds> retry_after;
  // Set when the watch ends by our decision: an ERROR event or a bad line (`error`), or
  // on_event returning false.
  std::optional<Error> error;
  bool finished = false;

  // Delivers decoded events in order until one ends the stream.
  void deliver() {
    for (WatchEvent& event : events) {
      if (finished || stop.stop_requested()) {
        break;  // Nothing reaches on_event after a stop request.
      }
      if (event.type == WatchEventType::Error) {
        error = statusError(event.object, 0);
        finished = true;
      } else if (!(*on_event)(std::move(event))) {
        finished = true;
      }
    }
    events.clear();
  }

  void consume(std::string_view bytes) {
    Result<void> fed = decoder.feed(bytes, events);
    deliver();
    if (!fed && !finished) {
      error = std::move(fed).error();
      finished = true;
    }
  }
};

size_t watchWrite(char* data, size_t size, size_t count, void* raw) {
  auto* stream = static_cast<WatchStream*>(raw);
  const size_t bytes = size * count;
  if (stream->http_status == 0) {
    curl_easy_getinfo(stream->curl, CURLINFO_RESPONSE_CODE, &stream->http_status);
  }
  if (stream->http_status != 200) {
    const size_t room = kMaxErrorBody - std::min(kMaxErrorBody, stream->error_body.size());
    stream->error_body.append(data, std::min(bytes, room));
    return bytes;
  }
  if (!stream->finished) {
    stream->consume({data, bytes});
  }
  // A short count aborts the transfer (CURLE_WRITE_ERROR), which we read as our own stop.
  return stream->finished ? 0 : bytes;
}

size_t watchHeader(char* data, size_t size, size_t count, void* raw) {
  parseRetryAfter({data, size * count}, static_cast<WatchStream*>(raw)->retry_after);
  return size * count;
}

int watchProgress(void* raw, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                  curl_off_t /*ulnow*/) {
  const auto* stream = static_cast<const WatchStream*>(raw);
  return stream->finished || stream->stop.stop_requested() ? 1 : 0;
}

// Frees a curl_slist when it goes out of scope.
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void append(Slist& list, const std::string& line) {
  curl_slist* appended = curl_slist_append(list.get(), line.c_str());
  CHECK(appended != nullptr) << "curl_slist_append failed";
  static_cast<void>(list.release());
  list.reset(appended);
}

}  // namespace

// Owns the curl handles. Handles are pooled under pool_mu_ and used by one request at a time;
// the token under token_mu_. No lock is held during I/O.
class Client::Impl {
public:
  Impl(ClusterConfig config, ClientOptions options, const ServerUrl& server, std::string token)
      : config_(std::move(config)),
        options_(std::move(options)),
        limiter_(options_.qps, options_.burst),
        token_(std::move(token)),
        token_checked_(SteadyClock::now()),
        token_read_(token_checked_) {
    if (!config_.tls_server_name.empty()) {
      // Verify the certificate (and send SNI) for tls_server_name while connecting to the
      // server's real address: the URL names tls_server_name and CONNECT_TO maps it back. The
      // Host header then carries tls_server_name too, which the API server ignores.
      base_url_ = server.scheme + "://" + config_.tls_server_name + ":" + server.port;
      Slist connect_to;
      append(connect_to,
             config_.tls_server_name + ":" + server.port + ":" + server.host + ":" + server.port);
      connect_to_ = std::move(connect_to);
    } else {
      base_url_ = server.scheme + "://" + server.host + ":" + server.port;
    }
    base_url_ += server.prefix;
    // Proxies from the environment apply (libcurl's default) except to a loopback server.
    if (isLoopback(server.host)) {
      const bool bracketed = server.host.front() == '[';
      no_proxy_ = bracketed ? server.host.substr(1, server.host.size() - 2) : server.host;
    }
    if (!config_.token_file.empty()) {
      std::error_code ignored;
      token_mtime_ = std::filesystem::last_write_time(config_.token_file, ignored);
    }
  }

  ~Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  const ClusterConfig& config() const { return config_; }

  // Sends `request`, retrying what may be retried. Any HTTP answer is a Response (the last
  // one when retries ran out); only a transport failure is an Error.
  Result<Response> execute(const Request& request);
  // execute(), then a 2xx body parsed, or the answer mapped to an Error.
  Result<json::Document> executeJson(const Request& request);
  Result<void> watch(const std::string& path, std::chrono::seconds timeout,
                     const std::function<bool(WatchEvent&& event)>& on_event, std::stop_token stop);

private:
  // Options every request shares: TLS, proxy, HTTP version, user agent.
  void configure(CURL* curl) const;
  std::unique_ptr<Handle> acquireHandle();
  void releaseHandle(std::unique_ptr<Handle> handle);
  // One attempt. `transient` tells whether a transport failure may pass on retry.
  Result<Response> performOnce(const Request& request, bool& transient);
  Slist headers(std::string_view content_type, bool has_body);
  std::string token();
  // Re-reads the token file now; true when the token changed.
  bool reloadToken();

  const ClusterConfig config_;
  const ClientOptions options_;
  std::string base_url_;
  Slist connect_to_;
  std::string no_proxy_;
  RateLimiter limiter_;

  std::mutex pool_mu_;
  // Guarded by pool_mu_.
  std::vector<std::unique_ptr<Handle>> idle_;

  std::mutex token_mu_;
  // Guarded by token_mu_. From config_.token, or the last good read of config_.token_file.
  std::string token_;
  std::filesystem::file_time_type token_mtime_;
  SteadyClock::time_point token_checked_;
  SteadyClock::time_point token_read_;
};

void Client::Impl::configure(CURL* curl) const {
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, CurlLong{1});
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CurlLong{CURL_HTTP_VERSION_1_1});
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, CurlLong{1});
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!no_proxy_.empty()) {
    curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy_.c_str());
  }
  if (connect_to_ != nullptr) {
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to_.get());
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, CurlLong{options_.request_timeout.count()});
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, CurlLong{0});
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, CurlLong{0});
  } else if (!config_.ca_pem.empty()) {
    // CURL_BLOB_COPY: libcurl keeps its own copy; it never writes through the pointer.
    curl_blob ca{const_cast<char*>(config_.ca_pem.data()), config_.ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
  }
  if (!config_.client_certificate_pem.empty()) {
    curl_blob cert{const_cast<char*>(config_.client_certificate_pem.data()),
                   config_.client_certificate_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!config_.client_key_pem.empty()) {
    curl_blob key{const_cast<char*>(config_.client_key_pem.data()), config_.client_key_pem.size(),
                  CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
}

std::unique_ptr<Handle> Client::Impl::acquireHandle() {
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Handle> handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  configure(handle->curl);
  curl_easy_setopt(handle->curl, CURLOPT_WRITEFUNCTION, appendBody);
  curl_easy_setopt(handle->curl, CURLOPT_WRITEDATA, handle.get());
  curl_easy_setopt(handle->curl, CURLOPT_HEADERFUNCTION, readHeader);
  curl_easy_setopt(handle->curl, CURLOPT_HEADERDATA, handle.get());
  curl_easy_setopt(handle->curl, CURLOPT_ERRORBUFFER, handle->error_buffer.data());
  curl_easy_setopt(handle->curl, CURLOPT_TIMEOUT_MS, CurlLong{options_.request_timeout.count()});
  return handle;
}

void Client::Impl::releaseHandle(std::unique_ptr<Handle> handle) {
  handle->body.clear();
  std::lock_guard lock(pool_mu_);
  if (idle_.size() < kMaxIdleHandles) {
    idle_.push_back(std::move(handle));
  }
}

std::string Client::Impl::token() {
  if (config_.token_file.empty()) {
    return token_;  // Never changes: no lock needed.
  }
  const SteadyClock::time_point now = SteadyClock::now();
  bool reload = false;
  {
    std::lock_guard lock(token_mu_);
    if (now - token_checked_ < kTokenStatInterval) {
      return token_;
    }
    token_checked_ = now;
    reload = now - token_read_ >= options_.token_reload;
    if (!reload) {
      std::error_code error;
      const auto mtime = std::filesystem::last_write_time(config_.token_file, error);
      reload = !error && mtime != token_mtime_;
    }
  }
  if (reload) {
    static_cast<void>(reloadToken());
  }
  std::lock_guard lock(token_mu_);
  return token_;
}

bool Client::Impl::reloadToken() {
  if (config_.token_file.empty()) {
    return false;
  }
  std::error_code error;
  const auto mtime = std::filesystem::last_write_time(config_.token_file, error);
  Result<std::string> read = readToken(config_.token_file);
  std::lock_guard lock(token_mu_);
  token_read_ = SteadyClock::now();
  if (!read || read->empty()) {
    // Keep the last good token; the file may be mid-rotation.
    LOG(WARNING) << "kube token file unreadable, keeping the previous token file="
                 << config_.token_file.string();
    return false;
  }
  if (!error) {
    token_mtime_ = mtime;
  }
  if (*read == token_) {
    return false;
  }
  token_ = std::move(read).value();
  VLOG(1) << "kube token reloaded file=" << config_.token_file.string();
  return true;
}

Slist Client::Impl::headers(std::string_view content_type, bool has_body) {
  Slist list;
  append(list, "Accept: application/json");
  if (has_body) {
    append(list, "Content-Type: " + std::string(content_type));
  }
  // libcurl would otherwise wait for "100 Continue" before sending a large body.
  append(list, "Expect:");
  if (std::string bearer = token(); !bearer.empty()) {
    append(list, "Authorization: Bearer " + bearer);
  }
  return list;
}

Result<Response> Client::Impl::performOnce(const Request& request, bool& transient) {
  std::unique_ptr<Handle> handle = acquireHandle();
  CURL* curl = handle->curl;
  handle->body.clear();
  handle->retry_after.reset();
  handle->error_buffer[0] = '\0';

  const std::string url = base_url_ + request.path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  const bool has_body = request.method != Method::Get;
  if (has_body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, CurlLong{1});
  }
  // POST is implied by POSTFIELDS; the other verbs with a body name themselves.
  const bool custom = request.method != Method::Get && request.method != Method::Post;
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
                   custom ? methodName(request.method).data() : nullptr);
  const Slist header_list = headers(request.content_type, has_body);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());

  const CURLcode code = curl_easy_perform(curl);
  // The header list dies with this call: never leave it set on a pooled handle.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (code != CURLE_OK) {
    transient = transientCurlError(code);
    Error error =
        transportError(methodName(request.method), request.path, code, handle->error_buffer.data());
    releaseHandle(std::move(handle));
    return error;
  }
  CurlLong status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  Response response{static_cast<int>(status), std::move(handle->body), handle->retry_after};
  releaseHandle(std::move(handle));
  return response;
}

Result<Response> Client::Impl::execute(const Request& request) {
  // Made on the first retry only: seeding it from std::random_device costs more than a whole
  // keep-alive GET.
  std::optional<Backoff> backoff;
  bool token_reloaded = false;
  for (int attempt = 0;; ++attempt) {
    limiter_.acquire();
    const SteadyClock::time_point start = SteadyClock::now();
    bool transient = true;
    Result<Response> response = performOnce(request, transient);
    const auto elapsed = std::chrono::duration<double, std::milli>(SteadyClock::now() - start);
    VLOG(1) << "kube request method=" << methodName(request.method) << " path=" << request.path
            << " status=" << (response ? response->http_status : 0)
            << " elapsed_ms=" << elapsed.count() << " attempt=" << attempt;
    if (response && response->http_status < 400) {
      return response;
    }
    const Error error =
        response ? httpError(response->http_status, response->body, response->retry_after)
                 : response.error();
    // A rotated token: the file may already hold the new one. A 401 was not acted on, so any
    // verb may be sent again, once.
    if (error.code == ErrorCode::Unauthenticated && !token_reloaded && reloadToken()) {
      token_reloaded = true;
      --attempt;
      continue;
    }
    if (!request.idempotent || attempt >= options_.max_retries || !retryable(error) ||
        (error.http_status == 0 && !transient)) {
      return response;
    }
    if (!backoff) {
      backoff.emplace(options_.retry_base, options_.retry_max);
    }
    const std::chrono::milliseconds backoff_delay = backoff->next();
    const std::chrono::milliseconds delay =
        error.retry_after ? std::chrono::milliseconds(*error.retry_after) : backoff_delay;
    LOG(WARNING) << "kube request will be retried method=" << methodName(request.method)
                 << " path=" << request.path << " code=" << errorCodeName(error.code)
                 << " status=" << error.http_status << " attempt=" << attempt
                 << " delay_ms=" << delay.count();
    std::this_thread::sleep_for(delay);
  }
}

Result<json::Document> Client::Impl::executeJson(const Request& request) {
  Result<Response> response = execute(request);
  if (!response) {
    return std::move(response).error();
  }
  if (response->http_status >= 300) {
    // Redirects are not followed: an API server never sends one.
    return httpError(response->http_status, response->body, response->retry_after);
  }
  Result<json::Document> document = json::parse(response->body);
  if (!document) {
    return Error::internal(std::string(methodName(request.method)) + " " + request.path +
                           ": response is not JSON: " + document.error().message);
  }
  return document;
}

Result<void> Client::Impl::watch(const std::string& path, std::chrono::seconds timeout,
                                 const std::function<bool(WatchEvent&& event)>& on_event,
                                 std::stop_token stop) {
  limiter_.acquire();
  // A handle of its own, outside the pool, driven through a multi handle so that a stop
  // request wakes it at once instead of at the next progress callback.
  Handle handle;
  CURL* curl = handle.curl;
  configure(curl);
  WatchStream stream;
  stream.curl = curl;
  stream.on_event = &on_event;
  stream.stop = std::move(stop);

  const std::string url = base_url_ + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, CurlLong{1});
  const Slist header_list = headers(kJson, false);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, handle.error_buffer.data());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, watchWrite);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &stream);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, watchHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &stream);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, CurlLong{0});
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, watchProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &stream);
  // No total timeout: the server ends the stream after timeoutSeconds. A connection that
  // stays silent for longer (no events, no bookmarks) is dead.
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, CurlLong{0});
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, CurlLong{1});
  const std::chrono::seconds stall =
      (timeout > std::chrono::seconds(0) ? timeout : kWatchServerTimeout) + kWatchStallMargin;
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, CurlLong{stall.count()});

  CURLM* multi = curl_multi_init();
  CHECK(multi != nullptr) << "curl_multi_init failed";
  CHECK_EQ(curl_multi_add_handle(multi, curl), CURLM_OK);
  CURLcode code = CURLE_OK;
  bool done = false;
  {
    const std::stop_callback wake(stream.stop, [multi] { curl_multi_wakeup(multi); });
    int running = 1;
    while (!done && !stream.stop.stop_requested()) {
      if (curl_multi_perform(multi, &running) != CURLM_OK) {
        code = CURLE_RECV_ERROR;
        break;
      }
      int queued = 0;
      while (const CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg == CURLMSG_DONE) {
          code = message->data.result;
          done = true;
        }
      }
      if (!done && !stream.stop.stop_requested()) {
        curl_multi_poll(multi, nullptr, 0, kWatchPollMillis, nullptr);
      }
    }
  }
  curl_multi_remove_handle(multi, curl);
  curl_multi_cleanup(multi);

  if (stream.error) {
    return std::move(*stream.error);
  }
  if (stream.finished || stream.stop.stop_requested()) {
    return {};  // on_event said enough, or the caller stopped us.
  }
  if (code != CURLE_OK) {
    return transportError("WATCH", path, code, handle.error_buffer.data());
  }
  if (stream.http_status == 0) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &stream.http_status);
  }
  if (stream.http_status != 200) {
    return httpError(static_cast<int>(stream.http_status), stream.error_body, stream.retry_after);
  }
  if (stream.decoder.pending() > 0) {
    stream.consume("\n");  // A last event without its newline.
    if (stream.error) {
      return std::move(*stream.error);
    }
  }
  return {};
}

Result<std::unique_ptr<Client>> Client::create(ClusterConfig config, ClientOptions options) {
  initCurlOnce();
  Result<ServerUrl> server = parseServer(config.server);
  if (!server) {
    return std::move(server).error();
  }
  if (options.request_timeout <= std::chrono::milliseconds(0)) {
    return Error::invalidArgument("request_timeout must be positive");
  }
  std::string token = config.token;
  if (!config.token_file.empty()) {
    // The file wins over an inline token, as in client-go.
    Result<std::string> read = readToken(config.token_file);
    if (!read) {
      return std::move(read).error();
    }
    token = std::move(read).value();
  }
  auto impl = std::make_unique<Impl>(std::move(config), std::move(options),
                                     std::move(server).value(), std::move(token));
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() = default;

const ClusterConfig& Client::config() const {
  return impl_->config();
}

Result<json::Document> Client::get(const Resource& resource, std::string_view namespace_,
                                   std::string_view name) {
  Request request;
  request.path = objectPath(resource, namespace_, name);
  request.idempotent = true;
  return impl_->executeJson(request);
}

Result<ListPage> Client::list(const Resource& resource, std::string_view namespace_,
                              const ListOptions& options) {
  Query query;
  query.add("labelSelector", options.label_selector);
  query.add("fieldSelector", options.field_selector);
  if (options.limit > 0) {
    query.add("limit", std::to_string(options.limit));
  }
  query.add("continue", options.continue_token);
  query.add("resourceVersion", options.resource_version);
  Request request;
  request.path = collectionPath(resource, namespace_) + query.text();
  request.idempotent = true;
  Result<json::Document> list = impl_->executeJson(request);
  if (!list) {
    return std::move(list).error();
  }
  ListPage page;
  page.resource_version = std::string(metadataString(*list, "resourceVersion"));
  page.continue_token = std::string(metadataString(*list, "continue"));
  page.list = std::move(list).value();
  return page;
}

Result<json::Document> Client::create(const Resource& resource, std::string_view namespace_,
                                      const json::Value& object, const WriteOptions& options) {
  if (!object.IsObject()) {
    return Error::invalidArgument("create " + resource.plural + ": object is not a JSON object");
  }
  std::string_view target_namespace = metadataString(object, "namespace");
  if (target_namespace.empty()) {
    target_namespace = namespace_;
  }
  if (resource.namespaced && target_namespace.empty()) {
    return Error::invalidArgument("create " + resource.plural + ": no namespace");
  }
  Query query;
  addWriteOptions(query, options);
  Request request;
  request.method = Method::Post;
  request.path = collectionPath(resource, target_namespace) + query.text();
  request.body = json::serialize(object);
  return impl_->executeJson(request);
}

Result<json::Document> Client::update(const Resource& resource, const json::Value& object,
                                      const WriteOptions& options) {
  const std::string_view name = metadataString(object, "name");
  if (name.empty()) {
    return Error::invalidArgument("update " + resource.plural + ": metadata.name is not set");
  }
  Query query;
  addWriteOptions(query, options);
  Request request;
  request.method = Method::Put;
  request.path = objectPath(resource, metadataString(object, "namespace"), name) + query.text();
  request.body = json::serialize(object);
  // With a resourceVersion a repeated PUT cannot overwrite anyone: at worst it is a Conflict.
  request.idempotent = !metadataString(object, "resourceVersion").empty();
  return impl_->executeJson(request);
}

Result<json::Document> Client::updateStatus(const Resource& resource, const json::Value& object) {
  const std::string_view name = metadataString(object, "name");
  if (name.empty()) {
    return Error::invalidArgument("update " + resource.plural +
                                  "/status: metadata.name is not set");
  }
  Query query;
  addWriteOptions(query, WriteOptions{});
  Request request;
  request.method = Method::Put;
  request.path =
      objectPath(resource, metadataString(object, "namespace"), name, "status") + query.text();
  request.body = json::serialize(object);
  request.idempotent = !metadataString(object, "resourceVersion").empty();
  return impl_->executeJson(request);
}

Result<json::Document> Client::patch(const Resource& resource, std::string_view namespace_,
                                     std::string_view name, PatchType type,
                                     const json::Value& patch, const WriteOptions& options) {
  Query query;
  addWriteOptions(query, options);
  Request request;
  request.method = Method::Patch;
  request.path = objectPath(resource, namespace_, name) + query.text();
  request.body = json::serialize(patch);
  request.content_type = type == PatchType::Merge ? kMergePatch : kJsonPatch;
  return impl_->executeJson(request);
}

Result<json::Document> Client::patchStatus(const Resource& resource, std::string_view namespace_,
                                           std::string_view name, PatchType type,
                                           const json::Value& patch) {
  Query query;
  addWriteOptions(query, WriteOptions{});
  Request request;
  request.method = Method::Patch;
  request.path = objectPath(resource, namespace_, name, "status") + query.text();
  request.body = json::serialize(patch);
  request.content_type = type == PatchType::Merge ? kMergePatch : kJsonPatch;
  return impl_->executeJson(request);
}

Result<void> Client::remove(const Resource& resource, std::string_view namespace_,
                            std::string_view name, const DeleteOptions& options) {
  json::Document body;
  body.SetObject();
  json::Allocator& allocator = body.GetAllocator();
  json::setString(body, "apiVersion", "v1", allocator);
  json::setString(body, "kind", "DeleteOptions", allocator);
  if (!options.propagation_policy.empty()) {
    json::setString(body, "propagationPolicy", options.propagation_policy, allocator);
  }
  if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty()) {
    json::Value& preconditions = json::ensureObject(body, "preconditions", allocator);
    if (!options.precondition_uid.empty()) {
      json::setString(preconditions, "uid", options.precondition_uid, allocator);
    }
    if (!options.precondition_resource_version.empty()) {
      json::setString(preconditions, "resourceVersion", options.precondition_resource_version,
                      allocator);
    }
  }
  Request request;
  request.method = Method::Delete;
  request.path = objectPath(resource, namespace_, name);
  request.body = json::serialize(body);
  request.idempotent = true;
  Result<Response> response = impl_->execute(request);
  if (!response) {
    return std::move(response).error();
  }
  if (response->http_status >= 300) {
    return httpError(response->http_status, response->body, response->retry_after);
  }
  return {};
}

Result<void> Client::watch(const Resource& resource, std::string_view namespace_,
                           const WatchOptions& options,
                           const std::function<bool(WatchEvent&& event)>& on_event,
                           std::stop_token stop) {
  Query query;
  query.add("watch", "1");
  query.add("resourceVersion", options.resource_version);
  if (options.allow_bookmarks) {
    query.add("allowWatchBookmarks", "true");
  }
  if (options.timeout > std::chrono::seconds(0)) {
    query.add("timeoutSeconds", std::to_string(options.timeout.count()));
  }
  query.add("labelSelector", options.label_selector);
  query.add("fieldSelector", options.field_selector);
  return impl_->watch(collectionPath(resource, namespace_) + query.text(), options.timeout,
                      on_event, std::move(stop));
}

Result<RawResponse> Client::request(std::string_view method, std::string_view path,
                                    std::string_view body, std::string_view content_type) {
  Request request;
  if (method == "GET") {
    request.method = Method::Get;
  } else if (method == "POST") {
    request.method = Method::Post;
  } else if (method == "PUT") {
    request.method = Method::Put;
  } else if (method == "PATCH") {
    request.method = Method::Patch;
  } else if (method == "DELETE") {
    request.method = Method::Delete;
  } else {
    return Error::invalidArgument("unsupported method " + std::string(method));
  }
  request.path = std::string(path);
  request.body = std::string(body);
  request.content_type = content_type;
  request.idempotent = request.method == Method::Get || request.method == Method::Delete;
  Result<Response> response = impl_->execute(request);
  if (!response) {
    return std::move(response).error();
  }
  return RawResponse{response->http_status, std::move(response->body)};
}

}  // namespace daap::kube

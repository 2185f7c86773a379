#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lib/base/result.h"
#include "lib/http/request.h"
#include "lib/http/response.h"
#include "lib/http/router.h"

namespace daap::http {

// A response the server produces itself (no handler ran, or the handler threw).
// code is stable: "bad_request" (400: unparsable request or query), "not_found" (404),
// "method_not_allowed" (405), "payload_too_large" (413), "headers_too_large" (431),
// "internal" (500: the handler threw), "unavailable" (503: the worker queue is full),
// "not_implemented" (501: unknown method).
struct ServerError {
  int status = 500;
  std::string_view code;
  std::string_view message;     // Short, for humans; never holds request data.
  std::string_view request_id;  // Empty when the request could not be parsed far enough.
};

// Renders a server-made error; the gateway plugs in its {data, error, meta} envelope. The
// server adds X-Request-Id, Allow (405) and Retry-After (503) itself. Runs on an I/O thread
// or a worker: it must be quick and must not block.
using ErrorRenderer = std::function<Response(const ServerError&)>;

// One finished exchange, for metrics and access logs. Holds no header or body on purpose: an
// observer cannot log X-API-Key or a payload by mistake.
struct Exchange {
  std::string_view route_name;  // Empty when no route matched (404/405/413/...).
  Method method = Method::Other;
  int status = 0;
  std::chrono::nanoseconds duration{0};  // From the request fully read to the response written.
  std::string_view request_id;
  std::string_view remote_address;
  std::string_view path;  // Decoded path, without the query (which may carry tokens).
};

// Called once per response after it was written (or its write failed), on an I/O thread:
// must be quick, thread-safe and must not block (count, VLOG one line).
using Observer = std::function<void(const Exchange&)>;

struct TlsFiles {
  std::string certificate_chain_file;  // PEM.
  std::string private_key_file;        // PEM.
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, see Server::port().
  int io_threads = 2;
  // Handlers may block on PostgreSQL, so by default they never run on an I/O thread. 0 runs
  // every handler inline on the I/O thread: only for servers whose handlers never block
  // (the operator's /metrics, /healthz, /readyz), saving a thread hop per request.
  int worker_threads = 8;
  // Requests waiting for a worker beyond this are answered 503 at once instead of queueing
  // without bound.
  size_t max_queued_requests = 1024;
  size_t max_body_bytes = size_t{1024} * 1024;  // More is 413.
  // From the first byte of a request to its last header byte: a slow client is cut off.
  std::chrono::milliseconds header_timeout{10'000};
  // From the end of the headers to the last body byte.
  std::chrono::milliseconds body_timeout{30'000};
  // How long a keep-alive connection may sit between requests.
  std::chrono::milliseconds idle_timeout{60'000};
  // How long writing one response may take.
  std::chrono::milliseconds write_timeout{30'000};
  // Connections beyond this are closed right after accept.
  size_t max_connections = 4096;
  std::optional<TlsFiles> tls;  // When set, the listener speaks only TLS.
  ErrorRenderer render_error;   // Default: {"error":{"code":..,"message":..}} as JSON.
  Observer observer;            // Default: none.
};

// An HTTP/1.1 server with keep-alive: an io_context run by io_threads threads that only
// parse and write, and a bounded pool of worker threads that run the router's handlers
// (requests are posted to the pool, responses posted back to the connection). A route's
// FastHandler, when it has one, is tried first on the I/O thread; only when it declines does
// the request go to the pool. The router
// must outlive the server and must not change after start(). start() and stop() are called
// from one owning thread.
class Server {
public:
  Server(ServerOptions options, const Router& router);
  ~Server();  // Calls stop() with no grace.
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the TLS files, binds and listens, and starts the threads. An unusable address, a
  // taken port or bad TLS files are errors.
  Result<void> start();

  // Graceful shutdown: stops accepting, closes idle keep-alive connections and connections
  // still reading a request, lets requests already handed to a handler finish and get their
  // response (with Connection: close) for up to `grace`, then closes whatever is left and
  // joins every thread. A handler still running after the grace delays the join until it
  // returns (handlers must bound their own work, e.g. a statement timeout). Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{10'000});

  // The bound port (the ephemeral one when options.port was 0); 0 before start().
  uint16_t port() const;

  // Open connections right now, for tests and a gauge.
  size_t connectionCount() const;

private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace daap::http

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/result.h"

namespace daap::devcluster {

struct HttpRequest {
  std::string method;
  std::string target;  // Path and query, as sent.
  std::string content_type;
  std::string accept;
  std::string authorization;
  std::string body;
};

// Sends one chunk of a streamed response; false once the client has gone away. An empty chunk
// sends nothing and only probes whether the client is still there.
using ChunkSink = std::function<bool(std::string_view chunk)>;

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for a streamed (chunked) response such as a watch: called once on the connection's
  // thread after the headers went out; returns when the stream is over.
  std::function<void(const ChunkSink& send)> stream;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct TlsIdentity {
  std::string certificate_pem;
  std::string private_key_pem;
};

// A blocking HTTP/1.1 server on one loopback port: a thread accepts, one thread per connection
// serves keep-alive requests in order (a watch holds its connection's thread). Plain HTTP or TLS.
// start() binds; stop() closes the listener and joins the acceptor; connection threads end
// when their peers hang up or their stream ends.
class HttpServer {
public:
  struct Options {
    std::string address = "127.0.0.1";
    uint16_t port = 0;  // 0: an ephemeral port, see port().
    std::optional<TlsIdentity> tls;
    size_t max_body_bytes = size_t{8} * 1024 * 1024;
  };

  HttpServer(Options options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Result<void> start();
  void stop();
  uint16_t port() const;

private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace daap::devcluster

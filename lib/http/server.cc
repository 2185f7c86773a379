#include "lib/http/server.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <glog/logging.h>

#include "lib/http/uri.h"
#include "lib/http/worker_pool.h"

namespace daap::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Headers beyond this are 431: API keys and ids are short, a huge header is abuse.
constexpr uint32_t kHeaderLimit = 16 * 1024;
// How long a connection closed after an error keeps draining what the client still sends,
// so the client reads our error response instead of a reset.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr size_t kMaxRequestIdLength = 128;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string_view toStd(beast::string_view text) {
  return {text.data(), text.size()};
}

bool validRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) {
    return false;
  }
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

// 128 random bits as hex. Request ids need uniqueness, not secrecy, so a per-thread PRNG
// seeded once from the OS is enough and costs nanoseconds.
std::string newRequestId() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string id(32, '0');
  for (size_t half = 0; half < 2; ++half) {
    uint64_t bits = engine();
    for (size_t i = 0; i < 16; ++i) {
      id[half * 16 + i] = kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return id;
}

Response defaultRenderError(const ServerError& error) {
  // code, message and request_id come from fixed strings or the validated id charset: no
  // escaping needed.
  std::string body = R"({"error":{"code":")";
  body += error.code;
  body += R"(","message":")";
  body += error.message;
  body += R"("})";
  if (!error.request_id.empty()) {
    body += R"(,"meta":{"request_id":")";
    body += error.request_id;
    body += R"("})";
  }
  body += "}";
  return Response::json(error.status, std::move(body));
}

// What the server needs to see of a connection of either stream type. All calls are posted onto
// the connection's strand.
class Connection {
public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection() = default;
  // Closes the connection unless a request is being handled; that one completes first.
  virtual void beginShutdown() = 0;
  virtual void forceClose() = 0;
  virtual asio::any_io_executor executor() = 0;
};

class ServerCore {
public:
  ServerCore(ServerOptions options, const Router& router)
      : options_(std::move(options)), router_(router), ioc_(std::max(1, options_.io_threads)) {
    if (!options_.render_error) {
      options_.render_error = defaultRenderError;
    }
  }

  ~ServerCore() { stop(std::chrono::milliseconds{0}); }

  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  Result<void> start();
  void stop(std::chrono::milliseconds grace);

  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  WorkerPool& workers() { return *workers_; }
  bool hasWorkers() const { return workers_ != nullptr; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  void track(Connection* connection, const std::shared_ptr<Connection>& shared) {
    const std::lock_guard lock(mu_);
    connections_.emplace(connection, shared);
  }
  void untrack(Connection* connection) {
    {
      const std::lock_guard lock(mu_);
      connections_.erase(connection);
    }
    connection_count_.fetch_sub(1, std::memory_order_acq_rel);
    drained_.notify_all();
  }

  uint16_t port() const { return port_.load(); }
  size_t connectionCount() const { return connection_count_.load(std::memory_order_acquire); }

private:
  void accept();
  void onAccept(beast::error_code ec, tcp::socket socket);
  std::vector<std::shared_ptr<Connection>> liveConnections();

  ServerOptions options_;
  const Router& router_;
  std::optional<asio::ssl::context> tls_;

  std::mutex mu_;
  std::condition_variable drained_;
  // Guarded by mu_. Weak: a connection lives as long as its pending operations.
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;

  std::atomic<uint16_t> port_{0};
  std::atomic<size_t> connection_count_{0};
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool stopped_ = false;
  // Declared after the connection registry: destroying the io_context destroys pending
  // handlers, whose connections untrack themselves.
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::optional<tcp::acceptor> acceptor_;
  std::unique_ptr<WorkerPool> workers_;
  std::vector<std::thread> io_threads_;
};

// One keep-alive connection. Every member is touched only on the connection's strand, except
// that a worker thread runs the matched handler on a copy of the request it was given.
template <typename Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
public:
  Session(ServerCore& server, Stream stream, std::string remote_address)
      : server_(server), stream_(std::move(stream)), remote_address_(std::move(remote_address)) {}

  ~Session() override { server_.untrack(this); }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run() {
    if constexpr (kTls) {
      lowest().expires_after(server_.options().header_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) {
                                  self->closeNow();
                                  return;
                                }
                                self->readRequest();
                              });
    } else {
      readRequest();
    }
  }

  void beginShutdown() override {
    shutting_down_ = true;
    if (state_ == State::Idle || state_ == State::Reading) {
      closeNow();
    }
  }

  void forceClose() override { closeNow(); }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  enum class State { Idle, Reading, Handling, Writing, Closed };

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void readRequest() {
    if (shutting_down_ || server_.stopping()) {
      closeNow();
      return;
    }
    parser_.emplace();
    parser_->body_limit(server_.options().max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    if (buffer_.size() == 0) {
      // Between requests: wait for the first byte under the idle timeout, so the header
      // timeout below measures only how long the client takes to send its headers.
      state_ = State::Idle;
      lowest().expires_after(server_.options().idle_timeout);
      stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](
                                                         beast::error_code ec, size_t bytes) {
        if (ec) {
          self->closeNow();
          return;
        }
        self->buffer_.commit(bytes);
        self->readHeader();
      });
      return;
    }
    readHeader();
  }

  void readHeader() {
    state_ = State::Reading;
    lowest().expires_after(server_.options().header_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onHeader(ec); });
  }

  void onHeader(beast::error_code ec) {
    if (ec) {
      onReadError(ec);
      return;
    }
    lowest().expires_after(server_.options().body_timeout);
    if (parser_->is_done()) {
      onRequest();
      return;
    }
    const auto expect = parser_->get()[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      // Clients such as curl wait (up to a second) for this before sending a large body.
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](beast::error_code write_ec, size_t) {
                          if (write_ec) {
                            self->closeNow();
                            return;
                          }
                          self->readBody();
                        });
      return;
    }
    readBody();
  }

  void readBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) {
                          self->onReadError(ec);
                          return;
                        }
                        self->onRequest();
                      });
  }

  void onReadError(beast::error_code ec) {
    started_ = Clock::now();
    current_ = Current{};
    current_.request_id = newRequestId();
    // The rest of this request is unread: drain it after answering, see lingeringClose().
    linger_ = true;
    if (ec == bhttp::error::body_limit) {
      writeError(413, "payload_too_large", "request body exceeds the limit", false);
    } else if (ec == bhttp::error::header_limit) {
      writeError(431, "headers_too_large", "request headers exceed the limit", false);
    } else if (ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
               ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
      writeError(400, "bad_request", "malformed HTTP request", false);
    } else {
      closeNow();  // Timeout, reset or the peer hung up: nobody to answer.
    }
  }

  void onRequest() {
    started_ = Clock::now();
    lowest().expires_never();
    bhttp::request<bhttp::string_body> raw = parser_->release();
    parser_.reset();
    keep_alive_ = raw.keep_alive();

    Request request;
    request.method = parseMethod(toStd(raw.method_string()));
    request.target = std::string(toStd(raw.target()));
    request.remote_address = remote_address_;
    for (const auto& field : raw) {
      request.headers.add(std::string(toStd(field.name_string())),
                          std::string(toStd(field.value())));
    }
    const std::optional<std::string_view> incoming_id = request.headers.get("X-Request-Id");
    request.request_id = incoming_id.has_value() && validRequestId(*incoming_id)
                             ? std::string(*incoming_id)
                             : newRequestId();
    current_ = Current{};
    current_.method = request.method;
    current_.request_id = request.request_id;

    if (request.target.empty() || request.target.front() != '/') {
      writeError(400, "bad_request", "request target must be an absolute path", keep_alive_);
      return;
    }
    const size_t question = request.target.find('?');
    Result<std::string> path =
        percentDecode(std::string_view(request.target).substr(0, question), false);
    if (!path) {
      writeError(400, "bad_request", "malformed percent-encoding in path", keep_alive_);
      return;
    }
    request.path = std::move(*path);
    current_.path = request.path;
    if (question != std::string::npos) {
      Result<std::multimap<std::string, std::string>> query =
          parseQuery(std::string_view(request.target).substr(question + 1));
      if (!query) {
        writeError(400, "bad_request", "malformed percent-encoding in query", keep_alive_);
        return;
      }
      request.query = std::move(*query);
    }
    if (request.method == Method::Other) {
      writeError(501, "not_implemented", "method not implemented", keep_alive_);
      return;
    }
    request.body = std::move(raw.body());

    RouteMiss miss;
    const FastHandler* fast = nullptr;
    const Handler* handler = server_.router().match(request, miss, &fast);
    if (handler == nullptr) {
      if (miss.status == 405) {
        Response response = render(405, "method_not_allowed", "method not allowed");
        response.headers.set("Allow", allowHeader(miss.allowed));
        writeResponse(std::move(response));
      } else {
        writeError(404, "not_found", "no such route", keep_alive_);
      }
      return;
    }
    current_.route_name = request.route_name;

    if (fast != nullptr) {
      std::optional<Response> answered = runFastHandler(*fast, request);
      if (answered) {
        writeResponse(std::move(*answered));
        return;
      }
    }
    if (!server_.hasWorkers()) {
      writeResponse(runHandler(*handler, request));
      return;
    }
    state_ = State::Handling;
    const bool queued = server_.workers().tryPost([self = this->shared_from_this(), handler,
                                                   request = std::move(request)]() mutable {
      Response response = self->runHandler(*handler, request);
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->writeResponse(std::move(response));
      });
    });
    if (!queued) {
      Response response = render(503, "unavailable", "server overloaded, retry later");
      response.headers.set("Retry-After", "1");
      writeResponse(std::move(response));
    }
  }

  // Runs on a worker thread; touches only its arguments and immutable server state.
  Response runHandler(const Handler& handler, Request& request) {
    try {
      return handler(request);
    } catch (const std::exception& e) {
      // A bug: the caller gets a 500 with the request id to quote, the log gets the rest.
      LOG(ERROR) << "handler threw route=" << request.route_name
                 << " request_id=" << request.request_id << " what=" << e.what();
    } catch (...) {
      LOG(ERROR) << "handler threw route=" << request.route_name
                 << " request_id=" << request.request_id << " what=unknown";
    }
    ServerError error{500, "internal", "internal error", request.request_id};
    return server_.options().render_error(error);
  }

  // Runs on the I/O thread. A fast path that throws is a bug like a handler that throws, but
  // the request still gets its chance on a worker.
  std::optional<Response> runFastHandler(const FastHandler& fast, Request& request) {
    try {
      return fast(request);
    } catch (const std::exception& e) {
      LOG(ERROR) << "fast handler threw route=" << request.route_name
                 << " request_id=" << request.request_id << " what=" << e.what();
    } catch (...) {
      LOG(ERROR) << "fast handler threw route=" << request.route_name
                 << " request_id=" << request.request_id << " what=unknown";
    }
    return std::nullopt;
  }

  Response render(int status, std::string_view code, std::string_view message) {
    return server_.options().render_error(ServerError{status, code, message, current_.request_id});
  }

  void writeError(int status, std::string_view code, std::string_view message, bool keep_alive) {
    keep_alive_ = keep_alive;
    writeResponse(render(status, code, message));
  }

  void writeResponse(Response response) {
    if (state_ == State::Closed) {
      return;
    }
    state_ = State::Writing;
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(11);
    out->result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers.all()) {
      out->insert(name, value);
    }
    out->set(bhttp::field::content_type, response.content_type);
    if (!current_.request_id.empty()) {
      out->set("X-Request-Id", current_.request_id);
    }
    out->body() = std::move(response.body);
    const bool keep_alive = keep_alive_ && !shutting_down_ && !server_.stopping();
    out->keep_alive(keep_alive);
    out->prepare_payload();
    current_.status = response.status;

    lowest().expires_after(server_.options().write_timeout);
    bhttp::async_write(stream_, *out,
                       [self = this->shared_from_this(), out, keep_alive](
                           beast::error_code ec, size_t) { self->onWritten(ec, keep_alive); });
  }

  void onWritten(beast::error_code ec, bool keep_alive) {
    if (server_.options().observer) {
      Exchange exchange;
      exchange.route_name = current_.route_name;
      exchange.method = current_.method;
      exchange.status = current_.status;
      exchange.duration = Clock::now() - started_;
      exchange.request_id = current_.request_id;
      exchange.remote_address = remote_address_;
      exchange.path = current_.path;
      server_.options().observer(exchange);
    }
    if (ec) {
      closeNow();
      return;
    }
    if (!keep_alive) {
      if (linger_) {
        lingeringClose();
      } else {
        closeNow();
      }
      return;
    }
    readRequest();
  }

  // Half-closes, then reads and discards until the client closes too (or a short timeout),
  // so a client still sending a refused body does not get a reset that eats our response.
  void lingeringClose() {
    state_ = State::Closed;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(kLingerTimeout);
    drain();
  }

  void drain() {
    lowest().async_read_some(asio::buffer(discard_),
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) {
                                 self->closeNow();
                                 return;
                               }
                               self->drain();
                             });
  }

  void closeNow() {
    state_ = State::Closed;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  // What the observer reports about the exchange in progress.
  struct Current {
    std::string route_name;
    Method method = Method::Other;
    int status = 0;
    std::string request_id;
    std::string path;
  };

  ServerCore& server_;
  Stream stream_;
  const std::string remote_address_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::array<char, 4096> discard_{};
  State state_ = State::Idle;
  bool keep_alive_ = true;
  bool shutting_down_ = false;
  bool linger_ = false;
  Clock::time_point started_;
  Current current_;
};

Result<void> ServerCore::start() {
  CHECK(!started_ && !acceptor_.has_value()) << "Server::start() called twice";
  beast::error_code ec;
  if (options_.tls.has_value()) {
    tls_.emplace(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    tls_->use_certificate_chain_file(options_.tls->certificate_chain_file, ec);
    if (ec) {
      return Error::invalidArgument("cannot load TLS certificate chain: " + ec.message());
    }
    tls_->use_private_key_file(options_.tls->private_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return Error::invalidArgument("cannot load TLS private key: " + ec.message());
    }
  }

  const asio::ip::address address = asio::ip::make_address(options_.address, ec);
  if (ec) {
    return Error::invalidArgument("invalid listen address " + options_.address);
  }
  const tcp::endpoint endpoint{address, options_.port};
  acceptor_.emplace(asio::make_strand(ioc_));
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_->bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error::unavailable("cannot listen on " + options_.address + ":" +
                              std::to_string(options_.port) + ": " + ec.message());
  }
  port_.store(acceptor_->local_endpoint().port());

  if (options_.worker_threads > 0) {
    workers_ = std::make_unique<WorkerPool>(options_.worker_threads, options_.max_queued_requests);
  }
  work_.emplace(ioc_.get_executor());
  started_ = true;
  accept();
  const int io_threads = std::max(1, options_.io_threads);
  io_threads_.reserve(static_cast<size_t>(io_threads));
  for (int i = 0; i < io_threads; ++i) {
    io_threads_.emplace_back([this] { ioc_.run(); });
  }
  VLOG(1) << "http server listening address=" << options_.address << " port=" << port_.load()
          << " tls=" << options_.tls.has_value();
  return {};
}

void ServerCore::accept() {
  acceptor_->async_accept(
      asio::make_strand(ioc_),
      [this](beast::error_code ec, tcp::socket socket) { onAccept(ec, std::move(socket)); });
}

void ServerCore::onAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_->is_open()) {
    return;  // Shutting down.
  }
  if (!ec) {
    const size_t count = connection_count_.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (count > options_.max_connections || stopping()) {
      LOG_EVERY_N(WARNING, 100) << "http connection refused connections=" << count - 1
                                << " max=" << options_.max_connections;
      beast::error_code ignored;
      socket.close(ignored);
      connection_count_.fetch_sub(1, std::memory_order_acq_rel);
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      beast::error_code endpoint_ec;
      const tcp::endpoint remote = socket.remote_endpoint(endpoint_ec);
      std::string remote_address =
          endpoint_ec ? std::string("unknown")
                      : remote.address().to_string() + ":" + std::to_string(remote.port());
      std::shared_ptr<Connection> connection;
      if (tls_.has_value()) {
        auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            *this, beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls_),
            std::move(remote_address));
        connection = session;
        track(session.get(), connection);
        session->run();
      } else {
        auto session = std::make_shared<Session<beast::tcp_stream>>(
            *this, beast::tcp_stream(std::move(socket)), std::move(remote_address));
        connection = session;
        track(session.get(), connection);
        session->run();
      }
    }
  } else {
    LOG_EVERY_N(WARNING, 100) << "http accept failed error=" << ec.message();
  }
  accept();
}

std::vector<std::shared_ptr<Connection>> ServerCore::liveConnections() {
  std::vector<std::shared_ptr<Connection>> live;
  const std::lock_guard lock(mu_);
  for (const auto& [raw, weak] : connections_) {
    if (std::shared_ptr<Connection> connection = weak.lock()) {
      live.push_back(std::move(connection));
    }
  }
  return live;
}

void ServerCore::stop(std::chrono::milliseconds grace) {
  if (!started_ || stopped_) {
    return;
  }
  stopped_ = true;
  stopping_.store(true, std::memory_order_release);
  asio::post(acceptor_->get_executor(), [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
  });
  for (const std::shared_ptr<Connection>& connection : liveConnections()) {
    asio::post(connection->executor(), [connection] { connection->beginShutdown(); });
  }
  {
    std::unique_lock lock(mu_);
    drained_.wait_for(lock, grace, [this] { return connections_.empty(); });
  }
  for (const std::shared_ptr<Connection>& connection : liveConnections()) {
    asio::post(connection->executor(), [connection] { connection->forceClose(); });
  }
  work_.reset();
  // Closed sockets complete their operations with errors, so run() returns once the
  // remaining handlers ran; stop() makes sure a stuck handler cannot hold us.
  {
    std::unique_lock lock(mu_);
    drained_.wait_for(lock, std::chrono::seconds(1), [this] { return connections_.empty(); });
  }
  ioc_.stop();
  for (std::thread& thread : io_threads_) {
    thread.join();
  }
  io_threads_.clear();
  if (workers_ != nullptr) {
    workers_->stop();
  }
  VLOG(1) << "http server stopped port=" << port_.load();
}

}  // namespace

class Server::Impl : public ServerCore {
public:
  using ServerCore::ServerCore;
};

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() = default;

Result<void> Server::start() {
  return impl_->start();
}

void Server::stop(std::chrono::milliseconds grace) {
  impl_->stop(grace);
}

uint16_t Server::port() const {
  return impl_->port();
}

size_t Server::connectionCount() const {
  return impl_->connectionCount();
}

}  // namespace daap::http

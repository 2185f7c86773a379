#include "hack/devcluster/http_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <glog/logging.h>

namespace daap::devcluster {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

HttpRequest toRequest(const http::request<http::string_body>& in) {
  HttpRequest out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  out.content_type = std::string(in[http::field::content_type]);
  out.accept = std::string(in[http::field::accept]);
  out.authorization = std::string(in[http::field::authorization]);
  out.body = in.body();
  return out;
}

HttpResponse payloadTooLarge() {
  HttpResponse response;
  response.status = 413;
  response.body =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
      R"("message":"request entity too large","reason":"RequestEntityTooLarge","code":413})";
  return response;
}

// Serves keep-alive requests on one connection until the peer hangs up or a stream ends.
template <typename Stream>
void serveConnection(Stream& stream, const HttpHandler& handler, size_t max_body_bytes) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::body_limit) {
      const HttpResponse too_large = payloadTooLarge();
      http::response<http::string_body> out{http::status::payload_too_large, 11};
      out.set(http::field::content_type, too_large.content_type);
      out.body() = too_large.body;
      out.keep_alive(false);
      out.prepare_payload();
      http::write(stream, out, ec);
      return;
    }
    if (ec) {
      return;  // Peer closed, or sent garbage: nothing to answer.
    }
    const http::request<http::string_body>& request = parser.get();
    const bool keep_alive = request.keep_alive();
    HttpResponse response = handler(toRequest(request));

    if (response.stream) {
      http::response<http::empty_body> head{static_cast<http::status>(response.status), 11};
      head.set(http::field::content_type, response.content_type);
      for (const auto& [name, value] : response.headers) {
        head.set(name, value);
      }
      head.chunked(true);
      http::response_serializer<http::empty_body> serializer{head};
      http::write_header(stream, serializer, ec);
      if (ec) {
        return;
      }
      bool open = true;
      const int socket_fd = beast::get_lowest_layer(stream).native_handle();
      response.stream([&](std::string_view chunk) {
        if (!open) {
          return false;
        }
        if (chunk.empty()) {
          // A probe: has the peer hung up? (An empty chunk on the wire would end the body.)
          pollfd probe{socket_fd, POLLRDHUP, 0};
          open = poll(&probe, 1, 0) <= 0 || (probe.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0;
          return open;
        }
        asio::write(stream, http::make_chunk(asio::const_buffer(chunk.data(), chunk.size())), ec);
        open = !ec;
        return open;
      });
      if (!open) {
        return;
      }
      asio::write(stream, http::make_chunk_last(), ec);
      if (ec || !keep_alive) {
        return;
      }
      continue;
    }

    http::response<http::string_body> out{static_cast<http::status>(response.status), 11};
    out.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) {
      out.set(name, value);
    }
    out.body() = std::move(response.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    http::write(stream, out, ec);
    if (ec || !keep_alive) {
      return;
    }
  }
}

}  // namespace

class HttpServer::Impl {
public:
  Impl(Options options, HttpHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)), acceptor_(io_) {}

  Result<void> start() {
    beast::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address(options_.address, ec), options_.port);
    if (ec) {
      return Error::invalidArgument("bad listen address " + options_.address);
    }
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return Error::unavailable("cannot listen on " + options_.address + ":" +
                                std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    if (options_.tls) {
      ssl_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      ssl_->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                        asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      ssl_->use_certificate_chain(asio::buffer(options_.tls->certificate_pem), ec);
      if (!ec) {
        ssl_->use_private_key(asio::buffer(options_.tls->private_key_pem), asio::ssl::context::pem,
                              ec);
      }
      if (ec) {
        return Error::invalidArgument("bad TLS identity: " + ec.message());
      }
    }
    acceptor_thread_ = std::thread([this] { acceptLoop(); });
    return {};
  }

  void stop() {
    if (stopping_.exchange(true)) {
      return;
    }
    // close() does not wake a thread blocked in accept(); shutdown() does (EINVAL).
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    if (acceptor_thread_.joinable()) {
      acceptor_thread_.join();
    }
    beast::error_code ec;
    acceptor_.close(ec);
    // Wake every connection thread blocked in a read (keep-alive) or a write; a watch ends at
    // its next send, or at once when the store closes.
    std::unique_lock lock(mu_);
    for (const auto& [id, connection] : connections_) {
      if (!connection.done) {
        ::shutdown(connection.fd, SHUT_RDWR);
      }
    }
    const bool drained = drained_.wait_for(lock, kDrainTimeout, [this] {
      return std::all_of(connections_.begin(), connections_.end(),
                         [](const auto& entry) { return entry.second.done; });
    });
    if (!drained) {
      LOG(WARNING) << "connections still busy after stop; leaving them";
    }
    for (auto& [id, connection] : connections_) {
      if (connection.done) {
        connection.thread.join();
      } else {
        connection.thread.detach();
      }
    }
    connections_.clear();
  }

  uint16_t port() const { return port_; }

private:
  void acceptLoop() {
    while (!stopping_) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) {
        if (stopping_) {
          return;
        }
        LOG_EVERY_N(WARNING, 100) << "accept failed error=" << ec.message();
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      const std::lock_guard lock(mu_);
      if (stopping_) {
        return;  // stop() already woke the others; this one is closed unserved.
      }
      reapFinished();
      const uint64_t id = next_connection_++;
      Connection& connection = connections_[id];
      connection.fd = socket.native_handle();
      connection.thread = std::thread([this, id, socket = std::move(socket)]() mutable {
        serve(socket);
        {
          const std::lock_guard done_lock(mu_);
          connections_[id].done = true;  // From here stop() no longer touches its fd.
          drained_.notify_all();
        }
        beast::error_code close_ec;
        socket.close(close_ec);
      });
    }
  }

  // Joins the threads of connections that have ended. Requires mu_.
  void reapFinished() {
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->second.done) {
        it->second.thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void serve(tcp::socket& socket) {
    beast::error_code ec;
    if (!ssl_) {
      serveConnection(socket, handler_, options_.max_body_bytes);
      socket.shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    beast::ssl_stream<tcp::socket&> stream(socket, *ssl_);
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (ec) {
      VLOG(1) << "tls handshake failed error=" << ec.message();
      return;
    }
    serveConnection(stream, handler_, options_.max_body_bytes);
    stream.shutdown(ec);
  }

  Options options_;
  HttpHandler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::unique_ptr<asio::ssl::context> ssl_;
  std::thread acceptor_thread_;
  std::atomic<bool> stopping_{false};
  uint16_t port_ = 0;
  // How long stop() waits for connection threads to finish their current request.
  static constexpr std::chrono::seconds kDrainTimeout{5};
  std::mutex mu_;
  std::condition_variable drained_;
  struct Connection {
    int fd = -1;
    std::thread thread;
    bool done = false;  // Its thread has finished serving and is about to exit.
  };
  std::map<uint64_t, Connection> connections_;  // Guarded by mu_.
  uint64_t next_connection_ = 0;                // Guarded by mu_.
};

HttpServer::HttpServer(Options options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  stop();
}

Result<void> HttpServer::start() {
  return impl_->start();
}

void HttpServer::stop() {
  impl_->stop();
}

uint16_t HttpServer::port() const {
  return impl_->port();
}

}  // namespace daap::devcluster

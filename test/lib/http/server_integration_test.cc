#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>
#include <gtest/gtest.h>

#include "lib/http/server.h"
#include "test/support/process.h"

namespace daap::http {
namespace {

using std::chrono::milliseconds;
using Deadline = std::chrono::steady_clock::time_point;

Deadline deadlineIn(milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}
bool before(Deadline deadline) {
  return std::chrono::steady_clock::now() < deadline;
}

// ---- A libcurl client with what these tests need: any method, extra headers, reuse. ----

struct Reply {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  long connects = -1;  // NOLINT(google-runtime-int): CURLINFO_NUM_CONNECTS wants a long.
  CURLcode code = CURLE_OK;

  std::string header(std::string_view name) const {
    for (const auto& [field, value] : headers) {
      if (field.size() == name.size() &&
          std::equal(field.begin(), field.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return value;
      }
    }
    return {};
  }
};

size_t appendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t appendHeader(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    static_cast<std::vector<std::pair<std::string, std::string>>*>(out)->emplace_back(
        line.substr(0, colon), value);
  }
  return size * count;
}

class Client {
public:
  Client() : curl_(curl_easy_init()) { CHECK(curl_ != nullptr); }
  ~Client() { curl_easy_cleanup(curl_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void trust(const std::string& ca_file) { ca_file_ = ca_file; }

  Reply send(const std::string& method, const std::string& url, const std::string& body = {},
             const std::vector<std::string>& headers = {}) {
    Reply reply;
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 20000L);
    if (!body.empty()) {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_slist* list = nullptr;
    for (const std::string& header : headers) {
      list = curl_slist_append(list, header.c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    if (!ca_file_.empty()) {
      curl_easy_setopt(curl_, CURLOPT_CAINFO, ca_file_.c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, appendBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, appendHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &reply.headers);
    reply.code = curl_easy_perform(curl_);
    curl_slist_free_all(list);
    if (reply.code == CURLE_OK) {
      long status = 0;  // NOLINT(google-runtime-int): libcurl's type.
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
      reply.status = static_cast<int>(status);
      curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &reply.connects);
    }
    return reply;
  }

private:
  CURL* curl_;
  std::string ca_file_;
};

// ---- Raw sockets, for what curl will not do: dribble bytes, pipeline, hold idle. ----

class RawConnection {
public:
  explicit RawConnection(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    CHECK_GE(fd_, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent <= 0) {
        return false;
      }
      data.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
  }

  // Reads until `done(received)` holds, the peer closes, or the deadline. Returns what came.
  std::string receiveUntil(const std::function<bool(const std::string&)>& done,
                           milliseconds timeout) {
    const Deadline deadline = deadlineIn(timeout);
    while (!done(received_) && !closed_ && before(deadline)) {
      pollOnce(milliseconds(20));
    }
    return received_;
  }

  // True once the server closed (EOF or reset), polling up to the deadline.
  bool waitClosed(milliseconds timeout) {
    const Deadline deadline = deadlineIn(timeout);
    while (!closed_ && before(deadline)) {
      pollOnce(milliseconds(20));
    }
    return closed_;
  }

  // Non-blocking check for a close that already happened.
  bool closedNow() {
    pollOnce(milliseconds(0));
    return closed_;
  }

  const std::string& received() const { return received_; }

private:
  void pollOnce(milliseconds wait) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(wait.count())) <= 0) {
      return;
    }
    char buffer[65536];
    const ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (got <= 0) {
      closed_ = true;
      return;
    }
    received_.append(buffer, static_cast<size_t>(got));
  }

  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

// Counts complete responses in a raw byte stream (each of ours carries Content-Length).
size_t countResponses(const std::string& stream) {
  size_t count = 0;
  size_t at = 0;
  for (;;) {
    const size_t head_end = stream.find("\r\n\r\n", at);
    if (head_end == std::string::npos) {
      return count;
    }
    const std::string head = stream.substr(at, head_end - at);
    const size_t length_at = head.find("Content-Length: ");
    const size_t length =
        length_at == std::string::npos ? 0 : std::stoul(head.substr(length_at + 16));
    if (stream.size() < head_end + 4 + length) {
      return count;
    }
    ++count;
    at = head_end + 4 + length;
  }
}

// ---- The server under test. ----

class ServerTest : public ::testing::Test {
public:
  ~ServerTest() override {
    releaseSlow();
    if (server_ != nullptr) {
      server_->stop(milliseconds(2000));
    }
  }

protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  ServerTest() {
    router_.add(Method::Get, "/hello", "hello",
                [](Request&) { return Response::text(200, "hello"); });
    router_.add(Method::Get, "/databases/{id}", "databases.get", [](Request& request) {
      return Response::text(200, "id=" + std::string(request.pathParam("id")));
    });
    router_.add(Method::Delete, "/databases/{id}", "databases.destroy",
                [](Request&) { return Response::text(204, ""); });
    router_.add(Method::Get, "/tiers/{id}/quota", "quotas.get", [](Request& request) {
      return Response::text(200, "quota of " + std::string(request.pathParam("id")));
    });
    router_.add(Method::Get, "/echo", "echo", [](Request& request) {
      std::string out;
      for (const auto& [name, value] : request.query) {
        out.append(name).append("=").append(value).append(";");
      }
      out.append("|id=").append(request.request_id).append("|peer=").append(request.remote_address);
      return Response::text(200, out);
    });
    router_.add(Method::Post, "/upload", "upload", [this](Request& request) {
      uploads_.fetch_add(1);
      return Response::text(200, std::to_string(request.body.size()));
    });
    router_.add(Method::Get, "/slow", "slow", [this](Request&) {
      slow_entered_.store(true);
      slow_release_.wait();
      return Response::text(200, "slow done");
    });
    router_.add(Method::Get, "/throw", "throw",
                [](Request&) -> Response { throw std::runtime_error("boom"); });
  }

  void start(ServerOptions options = {}) {
    server_ = std::make_unique<Server>(std::move(options), router_);
    const Result<void> started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().toString();
    ASSERT_NE(server_->port(), 0);
  }

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }

  void releaseSlow() {
    std::call_once(released_, [this] { slow_promise_.set_value(); });
  }

  bool waitFor(const std::function<bool()>& condition, milliseconds timeout) {
    const Deadline deadline = deadlineIn(timeout);
    while (!condition()) {
      if (!before(deadline)) {
        return false;
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
  }

  Router router_;
  std::unique_ptr<Server> server_;
  std::atomic<int> uploads_{0};
  std::atomic<bool> slow_entered_{false};
  std::promise<void> slow_promise_;
  std::shared_future<void> slow_release_ = slow_promise_.get_future().share();
  std::once_flag released_;
};

TEST_F(ServerTest, RoutesWithPathParameters) {
  start();
  Client client;
  Reply reply = client.send("GET", url("/databases/orders%2Fv2"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "id=orders/v2");
  EXPECT_EQ(reply.header("Content-Type"), "text/plain; charset=utf-8");

  reply = client.send("GET", url("/tiers/gold/quota"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "quota of gold");
}

TEST_F(ServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start();
  Client client;
  Reply missing = client.send("GET", url("/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find(R"("code":"not_found")"), std::string::npos) << missing.body;
  EXPECT_EQ(missing.header("Content-Type"), "application/json");

  Reply wrong = client.send("PUT", url("/databases/db1"));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("Allow"), "GET, DELETE");
  EXPECT_NE(wrong.body.find(R"("code":"method_not_allowed")"), std::string::npos);

  Reply unknown = client.send("BREW", url("/hello"));
  EXPECT_EQ(unknown.status, 501);
}

TEST_F(ServerTest, QueryParametersArePercentDecoded) {
  start();
  Client client;
  const Reply reply = client.send("GET", url("/echo?name=a%20b&tag=x&tag=y+z&sym=%26%3D"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.body.starts_with("name=a b;sym=&=;tag=x;tag=y z;|")) << reply.body;

  const Reply bad = client.send("GET", url("/echo?name=%zz"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("code":"bad_request")"), std::string::npos);
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  start();
  Client client;
  const Reply first = client.send("GET", url("/echo"));
  const Reply second = client.send("GET", url("/echo"));
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.connects, 0) << "curl had to open a new connection";
  const auto peer = [](const std::string& body) {
    return body.substr(body.find("|peer="));
  };
  EXPECT_EQ(peer(first.body), peer(second.body));
}

TEST_F(ServerTest, PipelinedRequestsOnOneSocketAllGetAnswers) {
  start();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.connected());
  std::string requests;
  for (int i = 0; i < 3; ++i) {
    requests += "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  ASSERT_TRUE(connection.send(requests));
  const std::string got = connection.receiveUntil(
      [](const std::string& data) { return countResponses(data) == 3; }, milliseconds(10000));
  EXPECT_EQ(countResponses(got), 3U) << got;
  EXPECT_FALSE(connection.closedNow());
}

TEST_F(ServerTest, BodyOfExactlyTheLimitIsAccepted) {
  start();
  Client client;
  const Reply reply = client.send("POST", url("/upload"), std::string(size_t{1024} * 1024, 'x'));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "1048576");
}

TEST_F(ServerTest, BodyOneByteOverTheLimitIs413ThroughTheErrorHook) {
  ServerOptions options;
  options.render_error = [](const ServerError& error) {
    Response response =
        Response::json(error.status, "{\"envelope\":\"" + std::string(error.code) + "\"}");
    response.headers.set("X-Rendered-By", "test");
    return response;
  };
  start(std::move(options));
  Client client;
  const Reply reply =
      client.send("POST", url("/upload"), std::string(size_t{1024} * 1024 + 1, 'x'));
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.body, R"({"envelope":"payload_too_large"})");
  EXPECT_EQ(reply.header("X-Rendered-By"), "test");
  EXPECT_FALSE(reply.header("X-Request-Id").empty());
  EXPECT_EQ(uploads_.load(), 0);
}

TEST_F(ServerTest, OversizedBodySentWithoutWaitingStillGets413) {
  start();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.connected());
  const std::string body(size_t{1024} * 1024 + 1, 'x');
  // No Expect: 100-continue; the whole body follows at once, as a naive client does. The
  // server must drain it rather than reset the connection under its own 413.
  connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n");
  connection.send(body);
  const std::string got = connection.receiveUntil(
      [](const std::string& data) { return countResponses(data) == 1; }, milliseconds(10000));
  EXPECT_TRUE(got.starts_with("HTTP/1.1 413")) << got.substr(0, 200);
  EXPECT_TRUE(connection.waitClosed(milliseconds(10000)));
  EXPECT_EQ(uploads_.load(), 0);
}

TEST_F(ServerTest, SlowHeaderClientIsCutOffWhileOthersAreServed) {
  ServerOptions options;
  options.header_timeout = milliseconds(500);
  start(std::move(options));

  RawConnection slow(server_->port());
  ASSERT_TRUE(slow.connected());
  std::atomic<bool> cut_off{false};
  std::thread dribbler([&] {
    // Far more header than it can send before the timeout at one byte per 20 ms.
    const std::string request = "GET /hello HTTP/1.1\r\nX-Slow: " + std::string(2000, 'a');
    for (const char c : request) {
      if (!slow.send(std::string_view(&c, 1)) || slow.closedNow()) {
        cut_off.store(true);
        return;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  });

  Client client;
  int served = 0;
  while (!cut_off.load() && served < 1000) {
    const Reply reply = client.send("GET", url("/hello"));
    ASSERT_EQ(reply.status, 200);
    ++served;
    std::this_thread::sleep_for(milliseconds(10));
  }
  dribbler.join();
  EXPECT_TRUE(cut_off.load()) << "the slow client was never disconnected";
  EXPECT_GT(served, 0);
  EXPECT_TRUE(slow.received().empty()) << "a cut-off client gets no response";
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = milliseconds(300);
  start(std::move(options));
  RawConnection idle(server_->port());
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  idle.receiveUntil([](const std::string& data) { return countResponses(data) == 1; },
                    milliseconds(5000));
  ASSERT_EQ(countResponses(idle.received()), 1U);
  EXPECT_TRUE(idle.waitClosed(milliseconds(10000)));
  EXPECT_TRUE(waitFor([this] { return server_->connectionCount() == 0; }, milliseconds(5000)));
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitAreClosed) {
  ServerOptions options;
  options.max_connections = 2;
  start(std::move(options));
  RawConnection first(server_->port());
  RawConnection second(server_->port());
  ASSERT_TRUE(waitFor([this] { return server_->connectionCount() == 2; }, milliseconds(5000)));
  RawConnection third(server_->port());
  EXPECT_TRUE(third.waitClosed(milliseconds(5000)));
  ASSERT_TRUE(first.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  first.receiveUntil([](const std::string& data) { return countResponses(data) == 1; },
                     milliseconds(5000));
  EXPECT_TRUE(first.received().starts_with("HTTP/1.1 200")) << first.received();
}

TEST_F(ServerTest, GracefulShutdownFinishesInFlightRequestAndRefusesNewOnes) {
  start();
  const uint16_t port = server_->port();

  // An idle keep-alive connection that must be closed as soon as shutdown starts.
  RawConnection idle(port);
  ASSERT_TRUE(idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  idle.receiveUntil([](const std::string& data) { return countResponses(data) == 1; },
                    milliseconds(5000));
  ASSERT_EQ(countResponses(idle.received()), 1U);

  std::future<Reply> in_flight = std::async(std::launch::async, [this] {
    Client client;
    return client.send("GET", url("/slow"));
  });
  ASSERT_TRUE(waitFor([this] { return slow_entered_.load(); }, milliseconds(10000)));

  std::thread stopper([this] { server_->stop(milliseconds(20000)); });
  // While the slow handler still runs: idle connections go, new connections are refused.
  EXPECT_TRUE(idle.waitClosed(milliseconds(10000)));
  EXPECT_TRUE(waitFor([port] { return !RawConnection(port).connected(); }, milliseconds(10000)));
  EXPECT_EQ(in_flight.wait_for(milliseconds(0)), std::future_status::timeout);

  releaseSlow();
  const Reply reply = in_flight.get();
  stopper.join();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "slow done");
  EXPECT_EQ(reply.header("Connection"), "close");
  EXPECT_FALSE(RawConnection(port).connected());
}

TEST_F(ServerTest, RequestIdIsEchoedOrGenerated) {
  start();
  Client client;
  const Reply given = client.send("GET", url("/echo"), {}, {"X-Request-Id: abc-123.X_9"});
  EXPECT_EQ(given.header("X-Request-Id"), "abc-123.X_9");
  EXPECT_NE(given.body.find("|id=abc-123.X_9|"), std::string::npos) << given.body;

  for (const std::string& bad :
       {std::string("has space"), std::string(129, 'a'), std::string("semi;colon")}) {
    const Reply replaced = client.send("GET", url("/echo"), {}, {"X-Request-Id: " + bad});
    const std::string id = replaced.header("X-Request-Id");
    EXPECT_EQ(id.size(), 32U) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  }
  const Reply first = client.send("GET", url("/hello"));
  const Reply second = client.send("GET", url("/hello"));
  EXPECT_NE(first.header("X-Request-Id"), second.header("X-Request-Id"));
  EXPECT_EQ(client.send("GET", url("/nope")).header("X-Request-Id").size(), 32U);
}

TEST_F(ServerTest, ObserverSeesRouteMethodStatusAndDuration) {
  struct Seen {
    std::string route;
    Method method;
    int status;
    std::chrono::nanoseconds duration;
    std::string request_id;
    std::string path;
  };
  std::mutex mu;
  std::vector<Seen> seen;
  ServerOptions options;
  options.observer = [&](const Exchange& exchange) {
    const std::lock_guard lock(mu);
    seen.push_back({std::string(exchange.route_name), exchange.method, exchange.status,
                    exchange.duration, std::string(exchange.request_id),
                    std::string(exchange.path)});
  };
  start(std::move(options));
  Client client;
  client.send("GET", url("/databases/db1?token=secret"), {}, {"X-Request-Id: obs-1"});
  client.send("DELETE", url("/nope"));
  ASSERT_TRUE(waitFor(
      [&] {
        const std::lock_guard lock(mu);
        return seen.size() == 2;
      },
      milliseconds(5000)));
  const std::lock_guard lock(mu);
  EXPECT_EQ(seen[0].route, "databases.get");
  EXPECT_EQ(seen[0].method, Method::Get);
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_GT(seen[0].duration.count(), 0);
  EXPECT_EQ(seen[0].request_id, "obs-1");
  EXPECT_EQ(seen[0].path, "/databases/db1");  // Never the query.
  EXPECT_EQ(seen[1].route, "");
  EXPECT_EQ(seen[1].method, Method::Delete);
  EXPECT_EQ(seen[1].status, 404);
}

TEST_F(ServerTest, ThrowingHandlerIs500AndTheServerKeepsServing) {
  start();
  Client client;
  const Reply reply = client.send("GET", url("/throw"));
  EXPECT_EQ(reply.status, 500);
  EXPECT_NE(reply.body.find(R"("code":"internal")"), std::string::npos);
  EXPECT_EQ(reply.body.find("boom"), std::string::npos) << "exception text leaked";
  EXPECT_EQ(client.send("GET", url("/hello")).status, 200);
}

TEST_F(ServerTest, FullWorkerQueueIs503) {
  ServerOptions options;
  options.worker_threads = 1;
  options.max_queued_requests = 1;
  start(std::move(options));
  // The one worker blocks in /slow, so of three more requests one waits in the queue and the
  // other two are refused at once.
  std::future<Reply> blocked = std::async(std::launch::async, [this] {
    Client client;
    return client.send("GET", url("/slow"));
  });
  ASSERT_TRUE(waitFor([this] { return slow_entered_.load(); }, milliseconds(10000)));
  std::vector<std::future<Reply>> more;
  more.reserve(3);
  for (int i = 0; i < 3; ++i) {
    more.push_back(std::async(std::launch::async, [this] {
      Client client;
      return client.send("GET", url("/hello"));
    }));
  }
  const auto answered = [&] {
    int ready = 0;
    for (const std::future<Reply>& reply : more) {
      ready += reply.wait_for(milliseconds(0)) == std::future_status::ready ? 1 : 0;
    }
    return ready;
  };
  EXPECT_TRUE(waitFor([&] { return answered() >= 2; }, milliseconds(10000)));
  releaseSlow();
  EXPECT_EQ(blocked.get().status, 200);
  int refused = 0;
  int served = 0;
  for (std::future<Reply>& reply : more) {
    const Reply got = reply.get();
    if (got.status == 503) {
      ++refused;
      EXPECT_EQ(got.header("Retry-After"), "1");
    } else if (got.status == 200) {
      ++served;
    }
  }
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(served, 1);
}

TEST_F(ServerTest, InlineHandlersServeWithoutWorkers) {
  ServerOptions options;
  options.worker_threads = 0;
  start(std::move(options));
  Client client;
  EXPECT_EQ(client.send("GET", url("/databases/db7")).body, "id=db7");
  EXPECT_EQ(client.send("GET", url("/throw")).status, 500);
  EXPECT_EQ(client.send("GET", url("/hello")).status, 200);
}

TEST_F(ServerTest, FastHandlerAnswersOnTheIoThreadOrHandsOverToAWorker) {
  router_.add(
      Method::Get, "/cache/{key}", "cache",
      [](Request& request) { return Response::text(200, "worker:" + request.path_params["key"]); },
      [](Request& request) -> std::optional<Response> {
        if (request.pathParam("key") != "hit") {
          return std::nullopt;
        }
        return Response::text(200, "fast:hit");
      });
  ServerOptions options;
  options.worker_threads = 1;
  start(std::move(options));
  Client client;
  EXPECT_EQ(client.send("GET", url("/cache/hit")).body, "fast:hit");
  EXPECT_EQ(client.send("GET", url("/cache/miss")).body, "worker:miss");

  // With the only worker busy, a hit is still answered (it never needs a worker); a miss
  // waits for the worker.
  std::future<Reply> slow = std::async(std::launch::async, [this] {
    Client other;
    return other.send("GET", url("/slow"));
  });
  ASSERT_TRUE(waitFor([this] { return slow_entered_.load(); }, milliseconds(10000)));
  std::future<Reply> miss = std::async(std::launch::async, [this] {
    Client other;
    return other.send("GET", url("/cache/miss"));
  });
  const Reply hit = client.send("GET", url("/cache/hit"));
  EXPECT_EQ(hit.status, 200);
  EXPECT_EQ(hit.body, "fast:hit");
  EXPECT_FALSE(hit.header("X-Request-Id").empty());
  EXPECT_EQ(miss.wait_for(milliseconds(0)), std::future_status::timeout);
  releaseSlow();
  EXPECT_EQ(slow.get().body, "slow done");
  EXPECT_EQ(miss.get().body, "worker:miss");
}

TEST_F(ServerTest, TakenPortIsAnError) {
  start();
  ServerOptions options;
  options.port = server_->port();
  Server second(std::move(options), router_);
  const Result<void> started = second.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::Unavailable);
}

class TlsServerTest : public ServerTest {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("daap-http-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    const testing::CommandResult made = testing::runCommand(
        {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
         (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(TlsServerTest, ServesHttpsWithTheGivenCertificate) {
  ServerOptions options;
  options.tls = TlsFiles{(dir_ / "cert.pem").string(), (dir_ / "key.pem").string()};
  start(std::move(options));
  const std::string https = "https://127.0.0.1:" + std::to_string(server_->port());

  Client client;
  client.trust((dir_ / "cert.pem").string());
  Reply reply = client.send("GET", https + "/databases/db1");
  ASSERT_EQ(reply.code, CURLE_OK) << curl_easy_strerror(reply.code);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "id=db1");
  reply = client.send("GET", https + "/hello");
  EXPECT_EQ(reply.connects, 0) << "TLS keep-alive not reused";

  Client untrusting;
  EXPECT_NE(untrusting.send("GET", https + "/hello").code, CURLE_OK);
  Client plain;
  EXPECT_NE(plain.send("GET", url("/hello")).status, 200);
}

TEST_F(TlsServerTest, MissingKeyFileIsAnError) {
  ServerOptions options;
  options.tls = TlsFiles{(dir_ / "cert.pem").string(), (dir_ / "absent.pem").string()};
  Server server(std::move(options), router_);
  const Result<void> started = server.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace daap::http

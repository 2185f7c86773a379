#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace daap::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::vector<std::string> headers;  // "Name: value" lines.
  std::string transport_error;       // Set when no HTTP answer came back.
};

// A small libcurl client for tests that speak HTTP to the devcluster directly (raw status
// codes, watch streams). Production code uses lib/kube.
class HttpClient {
public:
  HttpClient(std::string base_url, std::string token, std::string ca_pem);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult request(const std::string& method, const std::string& path,
                     const std::string& body = {},
                     const std::string& content_type = "application/json",
                     const std::string& accept = "application/json");

  // Streams a response line by line until `on_line` returns false, the server ends it or
  // `timeout` passes. Returns the HTTP status.
  int stream(const std::string& path, const std::function<bool(const std::string&)>& on_line,
             std::chrono::milliseconds timeout);

private:
  std::string base_url_;
  std::string token_;
  std::string ca_pem_;
  void* curl_;  // CURL*, reused so connections are kept alive.
};

}  // namespace daap::testing

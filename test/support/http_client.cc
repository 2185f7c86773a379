#include "test/support/http_client.h"

#include <curl/curl.h>
#include <glog/logging.h>

namespace daap::testing {

namespace {

size_t appendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t appendHeader(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  if (!line.empty()) {
    static_cast<std::vector<std::string>*>(out)->push_back(line);
  }
  return size * count;
}

struct StreamState {
  std::string buffer;
  const std::function<bool(const std::string&)>* on_line;
  bool stopped = false;
};

size_t splitLines(char* data, size_t size, size_t count, void* raw) {
  auto* state = static_cast<StreamState*>(raw);
  state->buffer.append(data, size * count);
  size_t newline = 0;
  while ((newline = state->buffer.find('\n')) != std::string::npos) {
    const std::string line = state->buffer.substr(0, newline);
    state->buffer.erase(0, newline + 1);
    if (!(*state->on_line)(line)) {
      state->stopped = true;
      return 0;  // Aborts the transfer.
    }
  }
  return size * count;
}

void configure(CURL* curl, const std::string& url, const std::string& ca_pem, curl_slist* headers) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(ca_pem.data()), ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
}

}  // namespace

HttpClient::HttpClient(std::string base_url, std::string token, std::string ca_pem)
    : base_url_(std::move(base_url)),
      token_(std::move(token)),
      ca_pem_(std::move(ca_pem)),
      curl_(curl_easy_init()) {
  CHECK(curl_ != nullptr);
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpResult HttpClient::request(const std::string& method, const std::string& path,
                               const std::string& body, const std::string& content_type,
                               const std::string& accept) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  headers = curl_slist_append(headers, ("Accept: " + accept).c_str());
  if (!token_.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token_).c_str());
  }
  configure(curl, base_url_ + path, ca_pem_, headers);
  HttpResult result;
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(body.size()));  // NOLINT(google-runtime-int)
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, appendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, appendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    result.transport_error = curl_easy_strerror(code);
  } else {
    long status = 0;  // NOLINT(google-runtime-int): libcurl's type.
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.status = static_cast<int>(status);
  }
  curl_slist_free_all(headers);
  return result;
}

int HttpClient::stream(const std::string& path,
                       const std::function<bool(const std::string&)>& on_line,
                       std::chrono::milliseconds timeout) {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  if (!token_.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token_).c_str());
  }
  configure(curl, base_url_ + path, ca_pem_, headers);
  StreamState state{{}, &on_line};
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, splitLines);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(timeout.count()));  // NOLINT(google-runtime-int)
  curl_easy_perform(curl);
  long status = 0;  // NOLINT(google-runtime-int)
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return static_cast<int>(status);
}

}  // namespace daap::testing

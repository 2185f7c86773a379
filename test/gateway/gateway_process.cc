#include "test/gateway/gateway_process.h"

#include <signal.h>
#include <unistd.h>

#include <sstream>

#include <curl/curl.h>
#include <glog/logging.h>
#include <gtest/gtest.h>

#include "test/support/testdata.h"

namespace daap::testing {

std::filesystem::path gatewayBinary() {
  return binaryDir() / "gateway/daap-gateway";
}

GatewayProcess::GatewayProcess(const DevclusterProcess& cluster, std::string database_url,
                               std::string bootstrap_key, std::vector<std::string> extra_args)
    : cluster_(cluster),
      database_url_(std::move(database_url)),
      bootstrap_key_(std::move(bootstrap_key)),
      extra_args_(std::move(extra_args)) {
  char pattern[] = "/tmp/daap-gateway-XXXXXX";
  CHECK(mkdtemp(pattern) != nullptr);
  root_ = pattern;
  log_file_ = root_ / "gateway.log";
}

GatewayProcess::~GatewayProcess() {
  stop(SIGKILL);
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

void GatewayProcess::start() {
  // stderr (the glog stream) goes to a file through the shell; the program itself is exec'd.
  std::vector<std::string> argv = {
      "/bin/sh",
      "-c",
      R"(exec "$0" "$@" 2>>"$DAAP_TEST_GATEWAY_LOG")",
      gatewayBinary().string(),
      "--kubeconfig=" + cluster_.kubeconfig().string(),
      "--port=" + std::to_string(port_),
      "--migrations-dir=" + (sourceDir() / "migrations").string(),
      "--auth-cache-ttl-ms=1000",
  };
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_.start(argv, {{"HOME", root_.string()},
                        {"DAAP_DATABASE_URL", database_url_},
                        {"DAAP_BOOTSTRAP_API_KEY", bootstrap_key_},
                        {"DAAP_TEST_GATEWAY_LOG", log_file_.string()}});
  std::string line;
  while (process_.readLine(line, std::chrono::seconds(60))) {
    const std::string marker = " port=";
    if (line.rfind("daap-gateway ready", 0) == 0) {
      port_ = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(marker) + marker.size())));
      return;
    }
  }
  LOG(FATAL) << "daap-gateway did not become ready; log: " << readFile(log_file_);
}

int GatewayProcess::stop(int signal) {
  return process_.stop(signal);
}

namespace {

size_t appendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t readRequestId(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  constexpr std::string_view kName = "x-request-id:";
  if (line.size() > kName.size()) {
    std::string lower = line.substr(0, kName.size());
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower == kName) {
      std::string value = line.substr(kName.size());
      while (!value.empty() && (value.front() == ' ')) {
        value.erase(0, 1);
      }
      while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
        value.pop_back();
      }
      *static_cast<std::string*>(out) = value;
    }
  }
  return size * count;
}

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream stream(path);
  std::string segment;
  while (std::getline(stream, segment, '/')) {
    if (!segment.empty()) {
      out.push_back(segment);
    }
  }
  return out;
}

}  // namespace

std::string matchTemplate(const gateway::Contract& contract, const std::string& method,
                          const std::string& path) {
  const std::vector<std::string> wanted = segments(path.substr(0, path.find('?')));
  std::string best;
  int best_literals = -1;
  for (const gateway::Operation& operation : contract.operations()) {
    if (operation.method != method) {
      continue;
    }
    const std::vector<std::string> parts = segments(operation.path);
    if (parts.size() != wanted.size()) {
      continue;
    }
    int literals = 0;
    bool matches = true;
    for (size_t i = 0; i < parts.size() && matches; ++i) {
      if (!parts[i].empty() && parts[i].front() == '{') {
        continue;
      }
      matches = parts[i] == wanted[i];
      ++literals;
    }
    if (matches && literals > best_literals) {
      best = operation.path;
      best_literals = literals;
    }
  }
  return best;
}

ApiClient::ApiClient(std::string base_url, const gateway::Contract& contract)
    : base_url_(std::move(base_url)), contract_(contract) {}

void ApiClient::setBaseUrl(std::string base_url) {
  std::lock_guard lock(mu_);
  base_url_ = std::move(base_url);
}

ApiResponse ApiClient::call(const std::string& method, const std::string& path,
                            const std::string& api_key, const std::string& body,
                            const std::map<std::string, std::string>& extra_headers) {
  std::string url;
  {
    std::lock_guard lock(mu_);
    url = base_url_ + path;
  }
  ApiResponse response;
  CURL* curl = curl_easy_init();
  CHECK(curl != nullptr);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  if (!api_key.empty()) {
    headers = curl_slist_append(headers, ("X-API-Key: " + api_key).c_str());
  }
  for (const auto& [name, value] : extra_headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, appendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, readRequestId);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.request_id);
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    response.transport_error = curl_easy_strerror(code);
  } else {
    long status = 0;  // NOLINT(google-runtime-int): libcurl's type.
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (response.status == 0) {
    return response;
  }
  {
    std::lock_guard lock(mu_);
    const std::string bare = path.substr(0, path.find('?'));
    if (bare != "/health" && bare != "/openapi.json" && bare != "/metrics") {
      request_ids_.push_back(response.request_id);
    }
    bodies_.push_back(response.body);
  }
  // Every answer must match the contract: a drifted response fails the test that got it.
  const std::string path_template = matchTemplate(contract_, method, path);
  if (!path_template.empty() && path_template != "/metrics") {
    Result<json::Document> parsed = json::parse(response.body);
    if (!parsed) {
      ADD_FAILURE() << method << " " << path << " answered " << response.status
                    << " with a body that is not JSON";
    } else if (Result<void> valid =
                   contract_.validateResponse(method, path_template, response.status, *parsed);
               !valid) {
      ADD_FAILURE() << method << " " << path << " -> " << response.status
                    << " does not match openapi.yaml: " << valid.error().toString()
                    << "\nbody: " << response.body.substr(0, 2000);
    }
  }
  return response;
}

std::vector<std::string> ApiClient::apiRequestIds() const {
  std::lock_guard lock(mu_);
  return request_ids_;
}

std::vector<std::string> ApiClient::bodies() const {
  std::lock_guard lock(mu_);
  return bodies_;
}

}  // namespace daap::testing

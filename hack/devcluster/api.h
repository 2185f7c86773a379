#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hack/devcluster/http_server.h"
#include "hack/devcluster/registry.h"
#include "hack/devcluster/request.h"
#include "hack/devcluster/status.h"
#include "hack/devcluster/store.h"
#include "lib/base/clock.h"
#include "lib/base/result.h"
#include "lib/json/json.h"

namespace daap::devcluster {

class GarbageCollector;

// The Kubernetes API semantics on top of the store: routing, discovery, CRUD with uid,
// generation, finalizers and deletionTimestamp, status subresource isolation, merge and JSON
// patch, schema admission for custom resources, list with selectors and pages, watch with
// bookmarks, and server-side Tables for kubectl. Thread-safe: handle() runs on many
// connection threads at once; all shared state lives in the store and the registry.
class Api {
public:
  struct Options {
    // Empty: no authentication. Otherwise every request but health and version needs
    // "Authorization: Bearer <token>".
    std::string token;
    // How often an idle watch that asked for bookmarks gets one.
    std::chrono::milliseconds bookmark_interval{std::chrono::seconds(5)};
    // The longest a watch runs when the client gives no timeoutSeconds.
    std::chrono::seconds default_watch_timeout{std::chrono::minutes(30)};
  };

  Api(Store& store, Registry& registry, const Clock& clock, Options options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Registers the kinds of every CRD already in the store (after a restart) and starts the
  // garbage collector.
  Result<void> start();
  void stop();

  HttpResponse handle(const HttpRequest& request);

  // Creates the object, or updates it when it exists and differs: how the server installs the
  // CRDs it serves from the start. `object` carries apiVersion and kind.
  Result<void> applyManifest(const json::Value& object);

  // The verbs the garbage collector and the namespace controller use, with the same semantics
  // as a client's DELETE and PUT.
  struct DeleteOptions {
    std::string propagation;  // Background (default), Foreground, Orphan.
    std::string precondition_uid;
    std::string precondition_resource_version;
  };
  Result<json::Document> deleteObject(const ResourceType& type, const std::string& namespace_,
                                      const std::string& name, const DeleteOptions& options);
  Result<json::Document> updateObject(const ResourceType& type, const json::Value& object,
                                      bool status_only, bool allow_unconditional);
  // A client's POST, for in-process controllers: the namespace comes from the object's
  // metadata, validation is Strict. AlreadyExists when the name is taken.
  Result<json::Document> createObject(const ResourceType& type, json::Document object);

  // Learns of every successful write (after the store has it), on the writer's thread: keep it
  // cheap and never write from inside it. `removed`: the object is gone. Add observers before
  // start() and before serving.
  using Observer =
      std::function<void(const ResourceType& type, const json::Value& object, bool removed)>;
  void addObserver(Observer observer);

  const Registry& registry() const { return registry_; }
  Store& store() { return store_; }

private:
  HttpResponse route(const HttpRequest& request);
  HttpResponse handleResource(const HttpRequest& request, const ParsedTarget& target);
  HttpResponse get(const HttpRequest& request, const ParsedTarget& target,
                   const ResourceType& type);
  HttpResponse list(const HttpRequest& request, const ParsedTarget& target,
                    const ResourceType& type);
  HttpResponse watch(const HttpRequest& request, const ParsedTarget& target,
                     std::shared_ptr<const ResourceType> type);
  HttpResponse create(const HttpRequest& request, const ParsedTarget& target,
                      const ResourceType& type);
  HttpResponse replace(const HttpRequest& request, const ParsedTarget& target,
                       const ResourceType& type);
  HttpResponse patch(const HttpRequest& request, const ParsedTarget& target,
                     const ResourceType& type);
  HttpResponse remove(const HttpRequest& request, const ParsedTarget& target,
                      const ResourceType& type);
  HttpResponse removeCollection(const HttpRequest& request, const ParsedTarget& target,
                                const ResourceType& type);

  Result<json::Document> createObject(const ResourceType& type, json::Document object,
                                      const std::string& path_namespace,
                                      std::string_view field_validation,
                                      std::vector<std::string>& warnings);
  Result<json::Document> writeUpdate(const ResourceType& type, json::Document incoming,
                                     const StoredObject& current, bool status_only,
                                     std::string_view field_validation,
                                     std::vector<std::string>& warnings);
  Result<void> admit(const ResourceType& type, json::Document& object,
                     const json::Value* old_object, std::string_view field_validation,
                     std::vector<std::string>& warnings);
  void afterWrite(const ResourceType& type, const json::Value* object, bool removed);
  // Fills a CRD's status as the API server does once its names are accepted.
  void markCrdEstablished(json::Document& crd);
  // Strips strategic-merge-patch directives ("$patch", "$setElementOrder/...").
  static void dropDirectives(json::Value& patch);

  Store& store_;
  Registry& registry_;
  const Clock& clock_;
  Options options_;
  std::unique_ptr<GarbageCollector> collector_;
  std::vector<Observer> observers_;
};

// The store key of an object of `type`.
ObjectKey objectKey(const ResourceType& type, std::string_view namespace_, std::string_view name);

// "daap.io/daapdatabases" -> the registered type at its first served version, for objects
// read back from the store.
std::shared_ptr<const ResourceType> typeForStorage(const Registry& registry,
                                                   std::string_view storage_key);

}  // namespace daap::devcluster

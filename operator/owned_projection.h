#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "lib/json/json.h"

namespace daap::controller {

// What the operator caches of the objects it renders for databases (Cluster, Pooler,
// ObjectStore, ScheduledBackup, NetworkPolicy, the backup credentials Secret): their identity,
// the status that health and backup reporting read, and a digest of the fields DAAP owns in
// place of the fields themselves. 10,000 databases' objects then take a few MiB, and no
// credential value of a copied Secret stays in the operator's memory.

// One rendering of each kind DAAP owns, for a database on a tier with every optional part:
// every field DAAP may set, which is what ownedDigest covers.
class OwnedShapes {
public:
  OwnedShapes();

  // nullptr for a kind DAAP does not render.
  const json::Value* forKind(std::string_view kind) const;

private:
  std::map<std::string, json::Document, std::less<>> shapes_;
};

// Digest of what DAAP owns in `object`: metadata labels, annotations (without kubectl's
// last-applied copy) and ownerReferences, and every member but metadata and status as far as
// `shape` reaches. A live object whose digest equals its rendering's holds exactly what DAAP
// wants; one that differs may still hold it (a default the API server added inside an owned
// object, a foreign label), which only a read of the live object can tell.
uint64_t ownedDigest(const json::Value& object, const json::Value& shape);

// The cached form, a few hundred bytes: metadata (name, namespace, uid, deletionTimestamp, the
// database-id label, the controlling owner's kind and name), spec.instances and status as health
// and backup status read them (phase, instance counts, the Ready condition, the recovery
// window), and the ownedDigest. No apiVersion, kind or resourceVersion: nothing reads them from
// the cache (the informer keeps the resourceVersion apart), and a repair reads the object.
json::Document projectOwned(const json::Value& object, const json::Value& shape);

// The digest projectOwned kept; nullopt for an object not projected so.
std::optional<uint64_t> cachedOwnedDigest(const json::Value& cached);

}  // namespace daap::controller

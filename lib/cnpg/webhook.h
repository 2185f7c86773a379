#pragma once

#include <string>
#include <vector>

#include "lib/json/json.h"

namespace daap::cnpg {

// The rules CloudNativePG's validating webhooks enforce and its CRD schemas do not (cnpg.md
// section 11), for the kinds DAAP writes: Cluster, Pooler, ScheduledBackup. An API server
// without the CNPG operator (the devcluster, a fresh cluster) admits what these reject, and the
// object then never comes true; DAAP checks its renderings against them instead. Each violation
// reads "<field>: <why>"; empty when the object passes (and for other kinds).
// Checked: Cluster name a DNS-1035 label <= 50; imageName tag starting with a PostgreSQL major
// >= 13 (not "latest", not digest-only); storage.size present and parseable; requests <=
// limits; initdb database and owner both or neither; exactly one bootstrap method; no fixed
// PostgreSQL parameters, parameter names GUC-shaped; synchronous.number in [1, instances);
// at most one WAL-archiver plugin; hibernation annotation "on"/"off"; Pooler name differs from
// its cluster, PgBouncer parameters on the allow-list; ScheduledBackup schedule with 6 fields
// (or a descriptor such as "@daily").
std::vector<std::string> webhookViolations(const json::Value& object);

}  // namespace daap::cnpg

#pragma once

#include "lib/base/result.h"
#include "lib/json/json.h"
#include "lib/model/quota.h"
#include "lib/model/tier.h"

namespace daap::model {

// JSON forms of tiers, exactly as crds/daap.io_daaptiers.yaml and the DaapDatabase
// status.provisionedTier schema spell them. Decoding applies the CRD defaults, so a manifest as
// written (pooler omitted, credentials keys omitted) and the object the API server stores decode
// to the same Tier. Decoders check the CRD's types, enums and ranges themselves: a decoded value
// is safe to render. Errors are InvalidArgument; the message and causes[0].field name the field
// ("spec.resources.cpu", "status.provisionedTier.pooler.poolMode").

// A whole DaapTier object (metadata.name, metadata.generation, spec). A missing generation
// (a manifest not yet applied) reads as 0.
Result<Tier> decodeTier(const json::Value& daap_tier);

// The value at status.provisionedTier of a DaapDatabase.
Result<TierParameters> decodeProvisionedTier(const json::Value& provisioned_tier);
json::Value encodeProvisionedTier(const TierParameters& parameters, json::Allocator& allocator);

// The DaapTier `spec` (not the whole object) the gateway writes; decodeTier of an object with
// this spec gives back `tier` (name and generation come from metadata).
json::Value encodeTierSpec(const Tier& tier, json::Allocator& allocator);

// DaapTier status.usage.
json::Value encodeUsage(const Usage& usage, json::Allocator& allocator);
Result<Usage> decodeUsage(const json::Value& usage);

}  // namespace daap::model

#pragma once

#include <cstdint>
#include <string_view>

namespace daap::schema::detail {

// The string formats of a CRD schema, as kube-apiserver treats them (go-openapi's strfmt
// registry). Recognised formats survive schema compilation (others are dropped, as the apiserver
// strips them); of those, the ones below are checked and the rest (email, uri, hostname, isbn*,
// creditcard, ssn, rgbcolor, duration, bsonobjectid, quantity) are accepted unchecked.
// Private to lib/schema.
enum class StringFormat : std::uint8_t {
  Unchecked,
  DateTime,
  Date,
  Byte,
  Uuid,
  Uuid3,
  Uuid4,
  Uuid5,
  Ipv4,
  Ipv6,
  Cidr,
  Mac,
  HexColor,
  Password,
};

// True when `format` (as written, e.g. "date-time") is one the apiserver keeps on a string node.
bool isSupportedStringFormat(std::string_view format);

StringFormat stringFormat(std::string_view format);

// Whether `text` is valid for `format`; Unchecked and Password accept everything.
bool isValidFormat(StringFormat format, std::string_view text);

}  // namespace daap::schema::detail

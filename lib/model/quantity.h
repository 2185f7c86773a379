#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/result.h"

namespace daap::model {

// A Kubernetes resource quantity ("500m", "2", "1Gi", "1.5G", "100Mi", "1e3"), held exactly as
// an integer count of milli-units (nano would overflow memory sizes in 64 bits): "1Gi" is
// 1073741824000, "500m" is 500. Quantities finer than a milli-unit are rounded up, as the API
// server does when it canonicalises. Plain value; arithmetic checks overflow.
class Quantity {
public:
  Quantity() = default;
  static Result<Quantity> parse(std::string_view text);
  static Quantity fromMilli(int64_t milli) { return Quantity(milli); }

  int64_t milli() const { return milli_; }
  // Rounded up to whole units (cores, bytes).
  int64_t value() const;

  // Overflow is an InvalidArgument error.
  Result<Quantity> plus(Quantity other) const;
  Result<Quantity> times(int64_t factor) const;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 flags the synthesized `cmp != 0`.
  auto operator<=>(const Quantity&) const = default;

  // Canonical text: a binary suffix for whole multiples of 1024 where it is no longer than the
  // decimal form ("1Gi", "1536Mi"), otherwise decimal ("1500m", "2", "1500M", and "2G" rather
  // than "1953125Ki").
  std::string toString() const;

private:
  explicit Quantity(int64_t milli) : milli_(milli) {}
  int64_t milli_ = 0;
};

}  // namespace daap::model

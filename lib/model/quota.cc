#include "lib/model/quota.h"

#include <limits>
#include <string>

namespace daap::model {
namespace {

constexpr int64_t kMaxMilli = std::numeric_limits<int64_t>::max();

Quantity saturatingPlus(Quantity a, Quantity b) {
  Result<Quantity> sum = a.plus(b);
  if (sum) {
    return *sum;
  }
  return Quantity::fromMilli(b.milli() < 0 ? 0 : kMaxMilli);
}

Quantity saturatingTimes(Quantity a, int64_t factor) {
  Result<Quantity> product = a.times(factor);
  return product ? *product : Quantity::fromMilli(kMaxMilli);
}

// a - b, never below zero.
Quantity clampedMinus(Quantity a, Quantity b) {
  if (b.milli() >= a.milli()) {
    return Quantity();
  }
  if (b.milli() < 0 && a.milli() > kMaxMilli + b.milli()) {
    return Quantity::fromMilli(kMaxMilli);
  }
  return Quantity::fromMilli(a.milli() - b.milli());
}

int64_t saturatingPlus(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b < 0 ? std::numeric_limits<int64_t>::min() : kMaxMilli;
  }
  return sum;
}

}  // namespace

Usage demandOf(const TierParameters& parameters) {
  Usage demand;
  demand.databases = 1;
  demand.cpu = saturatingTimes(parameters.cpu, parameters.instances);
  demand.memory = saturatingTimes(parameters.memory, parameters.instances);
  demand.storage = saturatingTimes(parameters.storage_size, parameters.instances);
  return demand;
}

Usage& operator+=(Usage& total, const Usage& more) {
  total.databases = saturatingPlus(total.databases, more.databases);
  total.cpu = saturatingPlus(total.cpu, more.cpu);
  total.memory = saturatingPlus(total.memory, more.memory);
  total.storage = saturatingPlus(total.storage, more.storage);
  return total;
}

Usage operator+(Usage a, const Usage& b) {
  a += b;
  return a;
}

Usage& operator-=(Usage& total, const Usage& less) {
  total.databases = less.databases >= total.databases ? 0 : total.databases - less.databases;
  total.cpu = clampedMinus(total.cpu, less.cpu);
  total.memory = clampedMinus(total.memory, less.memory);
  total.storage = clampedMinus(total.storage, less.storage);
  return total;
}

Usage operator-(Usage a, const Usage& b) {
  a -= b;
  return a;
}

Usage operator*(Usage demand, int64_t count) {
  int64_t databases = 0;
  demand.databases = __builtin_mul_overflow(demand.databases, count, &databases)
                         ? std::numeric_limits<int64_t>::max()
                         : databases;
  demand.cpu = saturatingTimes(demand.cpu, count);
  demand.memory = saturatingTimes(demand.memory, count);
  demand.storage = saturatingTimes(demand.storage, count);
  return demand;
}

std::string QuotaViolation::message() const {
  return "tier quota exceeded for " + dimension + ": limit " + limit + ", used " + used +
         ", requested " + requested;
}

std::optional<QuotaViolation> checkQuota(const Quota& quota, const Usage& used,
                                         const Usage& demand) {
  if (saturatingPlus(used.databases, demand.databases) > quota.max_databases) {
    return QuotaViolation{"databases", std::to_string(quota.max_databases),
                          std::to_string(used.databases), std::to_string(demand.databases)};
  }
  struct Dimension {
    const char* name;
    Quantity limit;
    Quantity used;
    Quantity requested;
  };
  const Dimension dimensions[] = {
      {"cpu", quota.max_cpu, used.cpu, demand.cpu},
      {"memory", quota.max_memory, used.memory, demand.memory},
      {"storage", quota.max_storage, used.storage, demand.storage},
  };
  for (const Dimension& dimension : dimensions) {
    if (saturatingPlus(dimension.used, dimension.requested) > dimension.limit) {
      return QuotaViolation{dimension.name, dimension.limit.toString(), dimension.used.toString(),
                            dimension.requested.toString()};
    }
  }
  return std::nullopt;
}

}  // namespace daap::model

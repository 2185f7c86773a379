#pragma once

#include <string>

#include "lib/metrics/metrics.h"

namespace daap::controller {

// Counts every write the operator sends to the API server, by verb and resource
// (daap_operator_writes_total{verb,resource}): the measure of "an up-to-date object costs no
// write". Handles are cheap to copy; default-constructed ones record nothing.
class WriteMetrics {
public:
  WriteMetrics() = default;
  explicit WriteMetrics(metrics::Registry& registry);

  // verb: create | update | patch | status | delete.
  void count(const std::string& verb, const std::string& resource) const;

private:
  metrics::CounterFamily* family_ = nullptr;
};

}  // namespace daap::controller

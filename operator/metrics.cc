#include "operator/metrics.h"

namespace daap::controller {

WriteMetrics::WriteMetrics(metrics::Registry& registry)
    : family_(&registry.counter("daap_operator_writes_total",
                                "Writes the operator sent to the API server, by verb and resource.",
                                {"verb", "resource"})) {}

void WriteMetrics::count(const std::string& verb, const std::string& resource) const {
  if (family_ != nullptr) {
    family_->withLabels({verb, resource}).inc();
  }
}

}  // namespace daap::controller

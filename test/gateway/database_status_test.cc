// The REST status of a database and the phases a ?status= filter selects must agree: every
// database shown as "provisioning" (an operator phase not written yet included) is found by
// ?status=provisioning.
#include <algorithm>

#include <gtest/gtest.h>

#include "gateway/handlers/databases.h"

namespace daap::gateway {
namespace {

TEST(DatabaseStatus, FilterSelectsEveryPhaseShownAsThatStatus) {
  for (const char* phase :
       {"", "Provisioning", "Ready", "Error", "Frozen", "Archived", "Deleted"}) {
    const std::vector<std::string> selected = phasesOf(restStatusOf(phase));
    EXPECT_NE(std::find(selected.begin(), selected.end(), phase), selected.end())
        << "phase '" << phase << "' shown as " << restStatusOf(phase);
  }
  EXPECT_EQ(phasesOf("provisioning"), (std::vector<std::string>{"", "Provisioning"}));
  EXPECT_EQ(phasesOf("ready"), std::vector<std::string>{"Ready"});
  EXPECT_TRUE(phasesOf("Ready").empty());
  EXPECT_TRUE(phasesOf("running").empty());
}

}  // namespace
}  // namespace daap::gateway

#include "config/diagnostics.h"

#include <gtest/gtest.h>

namespace lakeinfra::config {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("zone", "zone"), 0u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("contaners", "containers"), 1u);  // insertion
  EXPECT_EQ(edit_distance("zones", "zone"), 1u);            // deletion
  EXPECT_EQ(edit_distance("tier", "pier"), 1u);             // substitution
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(ClosestMatch, SuggestsPlausibleTypos) {
  const std::vector<std::string> keys = {"name", "tier", "containers", "force_destroy", "naming"};
  EXPECT_EQ(closest_match("contaners", keys), "containers");
  EXPECT_EQ(closest_match("forcedestroy", keys), "force_destroy");
  EXPECT_EQ(closest_match("nmae", keys), "name");
  EXPECT_EQ(closest_match("teir", keys), "tier");
}

TEST(ClosestMatch, ReturnsNothingWhenNothingIsClose) {
  const std::vector<std::string> tiers = {"internal", "restricted", "sensitive"};
  EXPECT_EQ(closest_match("secret", tiers), "");
  EXPECT_EQ(closest_match("xyz", tiers), "");
  EXPECT_EQ(closest_match("anything", {}), "");
}

TEST(ClosestMatch, PrefersTheNearestCandidate) {
  EXPECT_EQ(closest_match("zon", {"zones", "zone"}), "zone");
  EXPECT_EQ(closest_match("internl", {"internal", "restricted", "sensitive"}), "internal");
}

TEST(LocationStr, ShowsWhatIsKnown) {
  EXPECT_EQ((Location{"lake.yaml", 3, 7}).str(), "lake.yaml:3:7");
  EXPECT_EQ((Location{"lake.yaml", 3, 0}).str(), "lake.yaml:3");
  EXPECT_EQ((Location{"lake.yaml", 0, 0}).str(), "lake.yaml");
  EXPECT_EQ((Location{"", 3, 7}).str(), "");
  EXPECT_FALSE(Location{}.known());
  EXPECT_TRUE(Location{"lake.yaml"}.known());
}

TEST(FormatDiagnostic, RendersSeverityLocationSummaryDetailAndHint) {
  Diagnostic d;
  d.summary = "unknown tier \"secret\"";
  d.detail = "tiers order access";
  d.hint = "Valid tiers: internal, restricted, sensitive";
  d.location = Location{"lake.yaml", 4, 11};
  EXPECT_EQ(format_diagnostic(d),
            "error: lake.yaml:4:11: unknown tier \"secret\"\n"
            "  tiers order access\n"
            "  hint: Valid tiers: internal, restricted, sensitive\n");
}

TEST(FormatDiagnostic, OmitsWhatIsMissingAndShowsAddress) {
  Diagnostic w{Severity::kWarning, "overlay file is empty", "", "", Location{"lake.dev.yaml"}, ""};
  EXPECT_EQ(format_diagnostic(w), "warning: lake.dev.yaml: overlay file is empty\n");
  Diagnostic n{Severity::kNote, "will be replaced", "", "", Location{}, "zone.bronze"};
  EXPECT_EQ(format_diagnostic(n), "note: zone.bronze: will be replaced\n");
}

TEST(Diagnostics, CollectsInOrderAndKnowsWhetherAnyIsAnError) {
  Diagnostics all;
  EXPECT_TRUE(all.empty());
  all.add_warning("first", Location{"a.yaml", 1, 1});
  EXPECT_FALSE(all.has_errors());
  all.add_error("second", Location{"a.yaml", 2, 1}, "fix it");
  EXPECT_TRUE(all.has_errors());
  Diagnostics more = Diagnostics::error("third");
  all.append(more);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.str(),
            "warning: a.yaml:1:1: first\n"
            "error: a.yaml:2:1: second\n"
            "  hint: fix it\n"
            "error: third\n");
}

}  // namespace
}  // namespace lakeinfra::config

#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lwm2md::bench {

/// One measured figure, printed as a `BENCH {...}` line that scripts/bench collects. `floor` is
/// the same figure for the baseline measured in the same run; the ratio is derived from it.
struct Figure {
  std::string scenario;
  std::string metric;
  double value = 0;
  std::string unit;
  std::optional<double> floor;
  std::optional<std::string> target;
  std::optional<bool> pass;
};

/// Prints the BENCH line (ratio = value / floor when there is a positive floor).
void report(const Figure& figure);

/// A free-form line for people (scripts/bench ignores anything that is not a BENCH line).
void note(const std::string& text);

/// The q-quantile (0..1, nearest rank) of `samples`; 0 for none.
double quantile(std::vector<double> samples, double q);

}  // namespace lwm2md::bench

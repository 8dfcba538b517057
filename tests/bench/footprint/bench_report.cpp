#include "bench_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace lwm2md::bench {

void report(const Figure& figure) {
  // ordered_json keeps the field order of the protocol, which makes the lines easy to read.
  nlohmann::ordered_json line;
  line["scenario"] = figure.scenario;
  line["metric"] = figure.metric;
  line["value"] = figure.value;
  line["unit"] = figure.unit;
  line["floor"] = figure.floor ? nlohmann::ordered_json(*figure.floor) : nullptr;
  line["ratio"] = figure.floor && *figure.floor > 0
                      ? nlohmann::ordered_json(figure.value / *figure.floor)
                      : nullptr;
  line["target"] = figure.target ? nlohmann::ordered_json(*figure.target) : nullptr;
  line["pass"] = figure.pass ? nlohmann::ordered_json(*figure.pass) : nullptr;
  std::printf("BENCH %s\n", line.dump().c_str());
  std::fflush(stdout);
}

void note(const std::string& text) {
  std::printf("# %s\n", text.c_str());
  std::fflush(stdout);
}

double quantile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
  return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
}

}  // namespace lwm2md::bench

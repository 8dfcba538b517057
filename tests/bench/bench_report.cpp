#include "bench_report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace lwm2md::bench {
namespace {

// Three decimals are more than any of these figures can resolve; longer ones only add noise
// to the table.
double rounded(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

}  // namespace

void report(const Figure& figure) {
  nlohmann::json line;
  line["scenario"] = figure.scenario;
  line["metric"] = figure.metric;
  line["value"] = rounded(figure.value);
  line["unit"] = figure.unit;
  line["floor"] = nullptr;
  line["ratio"] = nullptr;
  if (figure.floor) {
    line["floor"] = rounded(*figure.floor);
    if (*figure.floor > 0) line["ratio"] = rounded(figure.value / *figure.floor);
  }
  line["target"] = figure.target ? nlohmann::json(*figure.target) : nlohmann::json(nullptr);
  line["pass"] = figure.pass ? nlohmann::json(*figure.pass) : nlohmann::json(nullptr);
  std::printf("BENCH %s\n", line.dump().c_str());
  std::fflush(stdout);
}

Options parseOptions(int argc, char** argv) {
  Options options;
  if (const char* env = std::getenv("LWM2MD_BINARY")) options.daemon = env;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") {
      options.smoke = true;
    } else if (arg == "--daemon" && i + 1 < argc) {
      options.daemon = argv[++i];
    } else {
      options.rest.push_back(arg);
    }
  }
  return options;
}

void note(const std::string& text) {
  std::printf("# %s\n", text.c_str());
  std::fflush(stdout);
}

double percentile(std::vector<double>& samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

std::optional<double> cpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may contain spaces: the fields after it start at the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  // Field 3 (state) is the first after ')'; utime and stime are fields 14 and 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stoul(field);
    if (index == 15) stime = std::stoul(field);
  }
  if (!fields) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<uint64_t> udpReceiveBufferErrors() {
  std::ifstream in("/proc/net/snmp");
  std::string header, values;
  // Two "Udp:" lines: the field names, then the numbers.
  while (std::getline(in, header)) {
    if (header.rfind("Udp:", 0) != 0) continue;
    if (!std::getline(in, values)) return std::nullopt;
    std::istringstream names(header), numbers(values);
    std::string name, number;
    while (names >> name && numbers >> number)
      if (name == "RcvbufErrors") return std::stoull(number);
    return std::nullopt;
  }
  return std::nullopt;
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string selfPath() {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string{};
}

}  // namespace lwm2md::bench

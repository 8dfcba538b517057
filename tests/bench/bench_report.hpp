#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwm2md::bench {

using Clock = std::chrono::steady_clock;

/// One figure in the line protocol that scripts/bench parses:
/// `BENCH {"scenario":...,"metric":...,"value":...,"unit":...,"floor":...,"ratio":...,
/// "target":...,"pass":...}`. Everything else a program prints is ignored by the harness.
struct Figure {
  std::string scenario;
  std::string metric;
  double value = 0;
  std::string unit;
  std::optional<double> floor;  // the same quantity for the bare path, measured in this run
  std::optional<std::string> target;
  /// Set when there is a target: whether `value` meets it.
  std::optional<bool> pass;
};

/// Prints the figure as one BENCH line (ratio = value / floor when there is a floor).
void report(const Figure& figure);
/// A free-form line for people ("# text"; the harness ignores anything but BENCH lines).
void note(const std::string& text);

/// The command line every benchmark program understands.
struct Options {
  bool smoke = false;  // --smoke: a seconds-long run that only checks the figures are sane
  std::string daemon;  // --daemon PATH, else $LWM2MD_BINARY
  std::vector<std::string> rest;  // anything else, in order
};
Options parseOptions(int argc, char** argv);

/// Nearest-rank percentile (q in 0..1) of `samples`, which it sorts. 0 when empty.
double percentile(std::vector<double>& samples, double q);

/// utime + stime of a process in seconds (from /proc/PID/stat); nullopt when unreadable.
std::optional<double> cpuSeconds(pid_t pid);

/// The host's UDP RcvbufErrors counter (/proc/net/snmp): datagrams dropped because a socket's
/// receive buffer was full. Host-wide, so only a hint when other programs use UDP too.
std::optional<uint64_t> udpReceiveBufferErrors();

double secondsSince(Clock::time_point start);

/// The absolute path of the running program, for re-running it as a helper process.
std::string selfPath();

}  // namespace lwm2md::bench

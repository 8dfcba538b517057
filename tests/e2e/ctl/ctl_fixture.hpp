#pragma once

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"

namespace lwm2md::test {

/// The daemon fixture plus the real lwm2mctl binary (LWM2MCTL_BINARY), run against the
/// fixture's private bus while the test LwM2M server keeps being pumped.
class CtlFixture : public DaemonFixture {
 protected:
  struct Run {
    int code = -1;
    std::string output;  // stdout and stderr together
    /// The first line that is a JSON document (lwm2mctl prints nothing else on it).
    nlohmann::json json() const {
      std::size_t start = 0;
      while (start < output.size()) {
        const auto end = output.find('\n', start);
        const std::string line = output.substr(start, end - start);
        if (!line.empty() && (line[0] == '{' || line[0] == '['))
          return nlohmann::json::parse(line, nullptr, false);
        if (end == std::string::npos) break;
        start = end + 1;
      }
      return nlohmann::json::value_t::discarded;
    }
    /// Every JSON line (watch --json).
    std::vector<nlohmann::json> jsonLines() const {
      std::vector<nlohmann::json> lines;
      std::size_t start = 0;
      while (start < output.size()) {
        const auto end = output.find('\n', start);
        const std::string line = output.substr(start, end - start);
        if (!line.empty() && line[0] == '{')
          lines.push_back(nlohmann::json::parse(line, nullptr, false));
        if (end == std::string::npos) break;
        start = end + 1;
      }
      return lines;
    }
  };

  static std::string binary() {
    const char* path = std::getenv("LWM2MCTL_BINARY");
    return path ? path : "lwm2mctl";
  }

  std::vector<std::string> withBus(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--address", bus_.address()});
    return args;
  }

  /// Runs lwm2mctl to its end (at most 15 s).
  Run ctl(std::vector<std::string> args, bool addBus = true) {
    ChildProcess process(binary(), addBus ? withBus(std::move(args)) : std::move(args));
    EXPECT_TRUE(process.started()) << process.error();
    auto code = process.waitExit(std::chrono::seconds(15), [this] { server_.pump(5ms); });
    return {code.value_or(-1), process.output()};
  }

  /// Runs `args` until `pred` holds for its result (at most `timeout`); the last result.
  Run ctlUntil(const std::vector<std::string>& args, const std::function<bool(const Run&)>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Run run = ctl(args);
    while (!pred(run) && std::chrono::steady_clock::now() < deadline) {
      server_.pump(50ms);
      run = ctl(args);
    }
    return run;
  }

  /// The first server's state, as `lwm2mctl --json servers` tells it.
  Run waitServerState(const std::string& state) {
    return ctlUntil({"--json", "servers"}, [&](const Run& run) {
      auto json = run.json();
      return json.is_array() && !json.empty() && json[0].value("state", "") == state;
    });
  }

  sdbus::ObjectPath addShared(std::uint16_t oid, std::uint16_t iid, const DbusValues& values) {
    sdbus::ObjectPath path;
    manager()
        ->callMethod("AddInstance")
        .onInterface("org.lwm2md1.Manager")
        .withArguments(oid, iid, values,
                       std::map<std::string, sdbus::Variant>{{"shared", sdbus::Variant(true)}})
        .storeResultsTo(path);
    return path;
  }
};

}  // namespace lwm2md::test

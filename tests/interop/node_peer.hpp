#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "support/child_process.hpp"

namespace lwm2md::test {

/// A real LwM2M server from the npm registry (coap-shepherd or lwm2m-node-lib), run by one of
/// the remote-controlled peer scripts in this directory: commands go to its stdin and events
/// and replies come back as JSON lines (the protocol is documented in the scripts).
class NodePeer {
 public:
  using Pump = std::function<void()>;

  /// Starts `node <script>` on 127.0.0.1:`port`; `pump` runs while waiting (D-Bus client).
  NodePeer(const std::string& script, std::uint16_t port, Pump pump = {});
  ~NodePeer();
  NodePeer(const NodePeer&) = delete;
  NodePeer& operator=(const NodePeer&) = delete;

  bool started() const { return child_ && child_->started(); }
  std::string output() const { return child_ ? child_->output() : std::string(); }

  /// The next event named `name` not returned before, within `timeout`.
  std::optional<nlohmann::json> waitForEvent(const std::string& name,
                                             std::chrono::milliseconds timeout);
  /// Sends a command (an "id" is added) and waits for its reply.
  std::optional<nlohmann::json> command(
      nlohmann::json command, std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  /// Parses the JSON lines that arrived since the last call.
  void poll();

  std::unique_ptr<ChildProcess> child_;
  int stdinWrite_ = -1;
  Pump pump_;
  std::size_t consumed_ = 0;
  std::vector<nlohmann::json> events_;
  std::size_t nextEvent_ = 0;
  std::vector<nlohmann::json> replies_;
  int nextId_ = 1;
};

}  // namespace lwm2md::test

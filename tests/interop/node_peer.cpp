#include "node_peer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace lwm2md::test {

NodePeer::NodePeer(const std::string& script, std::uint16_t port, Pump pump)
    : pump_(std::move(pump)) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  stdinWrite_ = fds[1];
  ChildOptions options;
  options.program = "node";
  options.args = {script};
  options.env = {{"PORT", std::to_string(port)}, {"RUN_SECS", "120"}};
  options.fds = {{0, fds[0]}};
  child_ = std::make_unique<ChildProcess>(options);
  close(fds[0]);
}

NodePeer::~NodePeer() {
  if (stdinWrite_ >= 0) close(stdinWrite_);  // the peer exits on stdin EOF
  if (child_ && child_->running()) child_->waitExit(std::chrono::seconds(3));
}

void NodePeer::poll() {
  const std::string text = child_->output();
  while (true) {
    const auto end = text.find('\n', consumed_);
    if (end == std::string::npos) break;
    const std::string line = text.substr(consumed_, end - consumed_);
    consumed_ = end + 1;
    if (line.empty() || line.front() != '{') continue;  // library logs on stderr
    auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) continue;
    if (json.contains("event"))
      events_.push_back(std::move(json));
    else if (json.contains("id"))
      replies_.push_back(std::move(json));
  }
}

std::optional<nlohmann::json> NodePeer::waitForEvent(const std::string& name,
                                                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    poll();
    for (; nextEvent_ < events_.size(); ++nextEvent_) {
      if (events_[nextEvent_]["event"] == name) return events_[nextEvent_++];
    }
    if (std::chrono::steady_clock::now() >= deadline || !child_->running()) return std::nullopt;
    if (pump_) pump_();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<nlohmann::json> NodePeer::command(nlohmann::json command,
                                                std::chrono::milliseconds timeout) {
  const int id = nextId_++;
  command["id"] = id;
  const std::string line = command.dump() + "\n";
  if (write(stdinWrite_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    poll();
    for (const auto& reply : replies_)
      if (reply["id"] == id) return reply;
    if (std::chrono::steady_clock::now() >= deadline || !child_->running()) return std::nullopt;
    if (pump_) pump_();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace lwm2md::test

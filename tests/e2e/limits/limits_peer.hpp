#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "observe/raw_coap_peer.hpp"

namespace lwm2md::test {

/// A hand-coded LwM2M server on a plain UDP socket on 127.0.0.1 that sends whatever request a
/// test builds (Block1 numbers and Size1 values libcoap would never send) and shows every
/// option of the answer. It accepts Registers and answers Updates on the way, keeping their
/// payloads.
class LimitsPeer {
 public:
  LimitsPeer();
  ~LimitsPeer();
  LimitsPeer(const LimitsPeer&) = delete;
  LimitsPeer& operator=(const LimitsPeer&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::string uri() const;
  int registers() const { return registers_; }

  /// Waits for a Register and accepts it.
  bool acceptRegister(std::chrono::milliseconds timeout);
  /// Waits for an Update whose payload contains `text`.
  bool waitForUpdate(const std::string& text, std::chrono::milliseconds timeout);

  /// A CON request on `path` ("/3/0/15") with a fresh message id and token.
  RawMessage request(uint8_t code, const std::string& path);
  void send(const RawMessage& message);
  /// The answer to `token` (piggybacked or separate; empty ACKs are skipped), waiting at most
  /// `timeout`. Other datagrams are kept for later calls.
  std::optional<RawMessage> responseTo(const std::vector<uint8_t>& token,
                                       std::chrono::milliseconds timeout);
  /// Answers registration traffic for `duration` (e.g. while the daemon stops).
  void pump(std::chrono::milliseconds duration);

 private:
  /// The next datagram that is no registration request; nullopt at the deadline or right
  /// after answering registration traffic.
  std::optional<RawMessage> receive(std::chrono::milliseconds timeout);
  /// Answers Register, Update and De-register; false for anything else.
  bool handleRegistration(const RawMessage& message);

  int fd_ = -1;
  uint16_t port_ = 0;
  sockaddr_storage client_{};
  socklen_t clientLength_ = 0;
  uint16_t nextMid_ = 0x2000;
  uint32_t nextToken_ = 1;
  int registers_ = 0;
  std::vector<std::string> updates_;
  std::vector<RawMessage> held_;
};

}  // namespace lwm2md::test

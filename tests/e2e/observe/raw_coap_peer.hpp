#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <netinet/in.h>

namespace lwm2md::test {

/// One CoAP message as it travels (RFC 7252 §3), decoded by hand so that tests see what
/// libcoap hides: the message type (CON/NON/ACK/RST) and the message id.
struct RawMessage {
  enum Type : uint8_t { Con = 0, Non = 1, Ack = 2, Rst = 3 };
  uint8_t type = Con;
  uint8_t code = 0;
  uint16_t mid = 0;
  std::vector<uint8_t> token;
  std::multimap<uint16_t, std::vector<uint8_t>> options;
  std::vector<uint8_t> payload;

  std::optional<uint32_t> uintOption(uint16_t number) const;
  std::optional<uint32_t> observe() const { return uintOption(6); }
  std::vector<std::string> stringOptions(uint16_t number) const;
  void addOption(uint16_t number, const std::string& value);
  void addUintOption(uint16_t number, uint32_t value);
  std::string text() const { return {payload.begin(), payload.end()}; }

  std::vector<uint8_t> encode() const;
  /// nullopt for anything that is not a well-formed CoAP message.
  static std::optional<RawMessage> decode(const std::vector<uint8_t>& bytes);
};

/// A minimal LwM2M server on a plain UDP socket on 127.0.0.1, for what the libcoap test server
/// cannot show or do: the type of each notification, answering one with RST by message id, or
/// refusing Updates. It accepts a Register, answers Updates with 2.04 (or a chosen code) and
/// hands every other datagram to the test.
class RawCoapPeer {
 public:
  RawCoapPeer();
  ~RawCoapPeer();
  RawCoapPeer(const RawCoapPeer&) = delete;
  RawCoapPeer& operator=(const RawCoapPeer&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::string uri() const;

  /// Waits for a Register and accepts it (ACK 2.01, Location-Path rd/<n>).
  bool acceptRegister(std::chrono::milliseconds timeout);
  /// Answers the next Updates with `code` (e.g. 0x84) instead of 2.04.
  void failUpdates(uint8_t code) { updateCode_ = code; }
  int registers() const { return registers_; }

  /// Sends a CON GET with the given options; returns its token (responseTo() finds the answer).
  std::vector<uint8_t> get(const std::string& path, std::optional<uint32_t> observe,
                           std::optional<uint16_t> accept = {},
                           std::optional<std::vector<uint8_t>> token = {});
  /// Sends a CON PUT with Uri-Query items and no payload (Write-Attributes); returns its token.
  std::vector<uint8_t> writeAttributes(const std::string& path,
                                       const std::vector<std::string>& query);
  /// The next datagram that is not a registration request, waiting at most `timeout`.
  std::optional<RawMessage> next(std::chrono::milliseconds timeout);
  /// The response to `token` (skipping other datagrams, which are kept for next()).
  std::optional<RawMessage> responseTo(const std::vector<uint8_t>& token,
                                       std::chrono::milliseconds timeout);
  void sendEmpty(uint8_t type, uint16_t mid);

 private:
  /// The next datagram that is not a registration request; with `untilRegister`, also
  /// returns (nullopt) right after answering a Register.
  std::optional<RawMessage> receive(std::chrono::milliseconds timeout, bool untilRegister = false);
  void send(const RawMessage& message);
  RawMessage newRequest(uint8_t code, const std::string& path);
  bool handleRegistration(const RawMessage& message);

  int fd_ = -1;
  uint16_t port_ = 0;
  sockaddr_storage client_{};
  socklen_t clientLength_ = 0;
  uint16_t nextMid_ = 0x1000;
  uint32_t nextToken_ = 0x51;
  uint8_t updateCode_ = 0x44;
  int registers_ = 0;
  std::vector<RawMessage> held_;
};

}  // namespace lwm2md::test

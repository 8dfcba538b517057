#include "raw_coap_peer.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

namespace lwm2md::test {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint16_t kUriPath = 11, kLocationPath = 8, kAccept = 17, kUriQuery = 15;
constexpr uint8_t kGet = 0x01, kPost = 0x02, kPut = 0x03, kDelete = 0x04;
constexpr uint8_t kCreated = 0x41, kDeleted = 0x42;

// An option's delta or length: 0..12 inline, 13 + one byte, 14 + two bytes (RFC 7252 §3.1).
void putNibbleExtension(std::vector<uint8_t>& out, uint32_t value) {
  if (value >= 269) {
    out.push_back(static_cast<uint8_t>((value - 269) >> 8));
    out.push_back(static_cast<uint8_t>((value - 269) & 0xff));
  } else if (value >= 13) {
    out.push_back(static_cast<uint8_t>(value - 13));
  }
}

uint8_t nibble(uint32_t value) {
  return value >= 269 ? 14 : value >= 13 ? 13 : static_cast<uint8_t>(value);
}

bool readNibble(const std::vector<uint8_t>& in, size_t& pos, uint32_t& value) {
  if (value == 13) {
    if (pos + 1 > in.size()) return false;
    value = 13u + in[pos++];
  } else if (value == 14) {
    if (pos + 2 > in.size()) return false;
    value = 269u + (static_cast<uint32_t>(in[pos]) << 8) + in[pos + 1];
    pos += 2;
  } else if (value == 15) {
    return false;
  }
  return true;
}

}  // namespace

std::optional<uint32_t> RawMessage::uintOption(uint16_t number) const {
  auto it = options.find(number);
  if (it == options.end()) return std::nullopt;
  uint32_t value = 0;
  for (auto byte : it->second) value = (value << 8) | byte;
  return value;
}

std::vector<std::string> RawMessage::stringOptions(uint16_t number) const {
  std::vector<std::string> out;
  auto [begin, end] = options.equal_range(number);
  for (auto it = begin; it != end; ++it) out.emplace_back(it->second.begin(), it->second.end());
  return out;
}

void RawMessage::addOption(uint16_t number, const std::string& value) {
  options.emplace(number, std::vector<uint8_t>(value.begin(), value.end()));
}

void RawMessage::addUintOption(uint16_t number, uint32_t value) {
  std::vector<uint8_t> bytes;
  for (int shift = 24; shift >= 0; shift -= 8)
    if (!bytes.empty() || (value >> shift) & 0xff)
      bytes.push_back(static_cast<uint8_t>((value >> shift) & 0xff));
  options.emplace(number, bytes);
}

std::vector<uint8_t> RawMessage::encode() const {
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>(0x40 | (type << 4) | token.size()));
  out.push_back(code);
  out.push_back(static_cast<uint8_t>(mid >> 8));
  out.push_back(static_cast<uint8_t>(mid & 0xff));
  out.insert(out.end(), token.begin(), token.end());
  uint16_t previous = 0;
  for (const auto& [number, value] : options) {
    const uint32_t delta = number - previous;
    const auto length = static_cast<uint32_t>(value.size());
    out.push_back(static_cast<uint8_t>((nibble(delta) << 4) | nibble(length)));
    putNibbleExtension(out, delta);
    putNibbleExtension(out, length);
    out.insert(out.end(), value.begin(), value.end());
    previous = number;
  }
  if (!payload.empty()) {
    out.push_back(0xff);
    out.insert(out.end(), payload.begin(), payload.end());
  }
  return out;
}

std::optional<RawMessage> RawMessage::decode(const std::vector<uint8_t>& in) {
  if (in.size() < 4 || (in[0] >> 6) != 1) return std::nullopt;
  RawMessage message;
  message.type = static_cast<uint8_t>((in[0] >> 4) & 3);
  const size_t tokenLength = in[0] & 0x0f;
  message.code = in[1];
  message.mid = static_cast<uint16_t>((in[2] << 8) | in[3]);
  if (tokenLength > 8 || 4 + tokenLength > in.size()) return std::nullopt;
  message.token.assign(in.begin() + 4, in.begin() + 4 + static_cast<long>(tokenLength));
  size_t pos = 4 + tokenLength;
  uint32_t number = 0;
  while (pos < in.size()) {
    if (in[pos] == 0xff) {
      message.payload.assign(in.begin() + static_cast<long>(pos) + 1, in.end());
      if (message.payload.empty()) return std::nullopt;
      break;
    }
    uint32_t delta = in[pos] >> 4;
    uint32_t length = in[pos] & 0x0f;
    ++pos;
    if (!readNibble(in, pos, delta) || !readNibble(in, pos, length)) return std::nullopt;
    if (pos + length > in.size()) return std::nullopt;
    number += delta;
    message.options.emplace(static_cast<uint16_t>(number),
                            std::vector<uint8_t>(in.begin() + static_cast<long>(pos),
                                                 in.begin() + static_cast<long>(pos + length)));
    pos += length;
  }
  return message;
}

RawCoapPeer::RawCoapPeer() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  port_ = ntohs(address.sin_port);
}

RawCoapPeer::~RawCoapPeer() {
  if (fd_ >= 0) ::close(fd_);
}

std::string RawCoapPeer::uri() const {
  return fmt::format("coap://127.0.0.1:{}", port_);
}

std::optional<RawMessage> RawCoapPeer::receive(std::chrono::milliseconds timeout,
                                               bool untilRegister) {
  const auto deadline = Clock::now() + timeout;
  const int registersBefore = registers_;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(std::max<long>(0, left.count()))) <= 0)
      return std::nullopt;
    std::vector<uint8_t> buffer(65536);
    sockaddr_storage from{};
    socklen_t fromLength = sizeof(from);
    const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &fromLength);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<size_t>(n));
    client_ = from;
    clientLength_ = fromLength;
    auto message = RawMessage::decode(buffer);
    if (message && !handleRegistration(*message)) return message;
    if (Clock::now() >= deadline || (untilRegister && registers_ != registersBefore))
      return std::nullopt;
  }
}

bool RawCoapPeer::handleRegistration(const RawMessage& message) {
  const auto path = message.stringOptions(kUriPath);
  if (message.type != RawMessage::Con || path.empty() || path[0] != "rd") return false;
  RawMessage ack;
  ack.type = RawMessage::Ack;
  ack.mid = message.mid;
  ack.token = message.token;
  if (message.code == kPost && path.size() == 1) {
    ++registers_;
    ack.code = kCreated;
    ack.addOption(kLocationPath, "rd");
    ack.addOption(kLocationPath, std::to_string(registers_));
  } else if (message.code == kPost) {
    ack.code = updateCode_;
  } else if (message.code == kDelete) {
    ack.code = kDeleted;
  } else {
    return false;
  }
  send(ack);
  return true;
}

bool RawCoapPeer::acceptRegister(std::chrono::milliseconds timeout) {
  const int before = registers_;
  const auto deadline = Clock::now() + timeout;
  while (registers_ == before && Clock::now() < deadline) {
    auto message = receive(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()), true);
    if (message) held_.push_back(*message);
  }
  return registers_ > before;
}

void RawCoapPeer::send(const RawMessage& message) {
  const auto bytes = message.encode();
  ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&client_),
           clientLength_);
}

RawMessage RawCoapPeer::newRequest(uint8_t code, const std::string& path) {
  RawMessage request;
  request.type = RawMessage::Con;
  request.code = code;
  request.mid = nextMid_++;
  const uint32_t value = nextToken_++;
  request.token = {0xab, static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value & 0xff)};
  size_t start = 1;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    request.addOption(kUriPath, path.substr(start, end - start));
    start = end + 1;
  }
  return request;
}

std::vector<uint8_t> RawCoapPeer::get(const std::string& path, std::optional<uint32_t> observe,
                                      std::optional<uint16_t> accept,
                                      std::optional<std::vector<uint8_t>> token) {
  RawMessage request = newRequest(kGet, path);
  if (token) request.token = *token;
  if (observe) request.addUintOption(6, *observe);
  if (accept) request.addUintOption(kAccept, *accept);
  send(request);
  return request.token;
}

std::vector<uint8_t> RawCoapPeer::writeAttributes(const std::string& path,
                                                  const std::vector<std::string>& query) {
  RawMessage request = newRequest(kPut, path);
  for (const auto& item : query) request.addOption(kUriQuery, item);
  send(request);
  return request.token;
}

std::optional<RawMessage> RawCoapPeer::next(std::chrono::milliseconds timeout) {
  if (!held_.empty()) {
    RawMessage message = held_.front();
    held_.erase(held_.begin());
    return message;
  }
  return receive(timeout);
}

std::optional<RawMessage> RawCoapPeer::responseTo(const std::vector<uint8_t>& token,
                                                  std::chrono::milliseconds timeout) {
  for (auto it = held_.begin(); it != held_.end(); ++it) {
    if (it->token == token && it->type == RawMessage::Ack) {
      RawMessage message = *it;
      held_.erase(it);
      return message;
    }
  }
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto message =
        receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    if (!message) break;
    if (message->token == token && message->type == RawMessage::Ack) return message;
    held_.push_back(*message);
  }
  return std::nullopt;
}

void RawCoapPeer::sendEmpty(uint8_t type, uint16_t mid) {
  RawMessage message;
  message.type = type;
  message.code = 0;
  message.mid = mid;
  send(message);
}

}  // namespace lwm2md::test

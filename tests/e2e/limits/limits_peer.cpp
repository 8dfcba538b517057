#include "limits_peer.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

namespace lwm2md::test {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint16_t kUriPath = 11, kLocationPath = 8;
constexpr uint8_t kPost = 0x02, kDelete = 0x04, kCreated = 0x41, kDeleted = 0x42, kChanged = 0x44;

std::chrono::milliseconds until(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

}  // namespace

LimitsPeer::LimitsPeer() {
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

LimitsPeer::~LimitsPeer() {
  if (fd_ >= 0) ::close(fd_);
}

std::string LimitsPeer::uri() const {
  return fmt::format("coap://127.0.0.1:{}", port_);
}

std::optional<RawMessage> LimitsPeer::receive(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // Bounded by the deadline: each pass waits for what is left of it.
  for (;;) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(until(deadline).count())) <= 0) return std::nullopt;
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
    if (message) return std::nullopt;  // registration traffic, answered: let the caller look
    if (Clock::now() >= deadline) return std::nullopt;
  }
}

bool LimitsPeer::handleRegistration(const RawMessage& message) {
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
    ack.code = kChanged;
    updates_.push_back(message.text());
  } else if (message.code == kDelete) {
    ack.code = kDeleted;
  } else {
    return false;
  }
  send(ack);
  return true;
}

bool LimitsPeer::acceptRegister(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (registers_ == 0 && Clock::now() < deadline)
    if (auto message = receive(until(deadline))) held_.push_back(*message);
  return registers_ > 0;
}

bool LimitsPeer::waitForUpdate(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto seen = [&] {
    return std::any_of(updates_.begin(), updates_.end(),
                       [&](const std::string& u) { return u.find(text) != std::string::npos; });
  };
  while (!seen() && Clock::now() < deadline)
    if (auto message = receive(std::min(until(deadline), std::chrono::milliseconds(100))))
      held_.push_back(*message);
  return seen();
}

RawMessage LimitsPeer::request(uint8_t code, const std::string& path) {
  RawMessage message;
  message.type = RawMessage::Con;
  message.code = code;
  message.mid = nextMid_++;
  const uint32_t value = nextToken_++;
  message.token = {0x1e, static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value & 0xff)};
  size_t start = 1;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    message.addOption(kUriPath, path.substr(start, end - start));
    start = end + 1;
  }
  return message;
}

void LimitsPeer::send(const RawMessage& message) {
  const auto bytes = message.encode();
  ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&client_),
           clientLength_);
}

std::optional<RawMessage> LimitsPeer::responseTo(const std::vector<uint8_t>& token,
                                                 std::chrono::milliseconds timeout) {
  auto isAnswer = [&](const RawMessage& m) { return m.token == token && m.code != 0; };
  auto held = std::find_if(held_.begin(), held_.end(), isAnswer);
  if (held != held_.end()) {
    RawMessage found = *held;
    held_.erase(held);
    return found;
  }
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto message = receive(until(deadline));
    if (!message) continue;
    if (isAnswer(*message)) {
      // A separate response that is CON wants its ACK (RFC 7252 §5.2.2).
      if (message->type == RawMessage::Con) {
        RawMessage ack;
        ack.type = RawMessage::Ack;
        ack.mid = message->mid;
        send(ack);
      }
      return message;
    }
    if (message->code != 0) held_.push_back(*message);  // empty ACKs are dropped
  }
  return std::nullopt;
}

void LimitsPeer::pump(std::chrono::milliseconds duration) {
  const auto deadline = Clock::now() + duration;
  while (Clock::now() < deadline)
    if (auto message = receive(until(deadline)); message && message->code != 0)
      held_.push_back(*message);
}

}  // namespace lwm2md::test

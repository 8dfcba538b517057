#include "lossy_relay.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace lwm2md::test {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// The largest datagram the relay carries: far above any CoAP message the tests send (libcoap
/// keeps blocks at 1 KiB), and within UDP's limit.
constexpr std::size_t kMaxDatagram = 65535;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int boundUdpSocket(std::uint16_t& port, std::string& error) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    error = std::string("bind: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  port = ntohs(address.sin_port);
  return fd;
}

bool chance(std::mt19937& random, double percent) {
  if (percent <= 0) return false;
  // Drawn even at 100 % so that the sequence of draws does not depend on the setting.
  std::uniform_real_distribution<double> draw(0.0, 100.0);
  return draw(random) < percent;
}

milliseconds uniform(std::mt19937& random, milliseconds low, milliseconds high) {
  if (high <= low) return std::max(low, milliseconds(0));
  std::uniform_int_distribution<std::int64_t> draw(low.count(), high.count());
  return std::max(milliseconds(draw(random)), milliseconds(0));
}

}  // namespace

std::optional<CoapHeader> parseCoapHeader(const std::vector<std::uint8_t>& bytes) {
  if (bytes.size() < 4) return std::nullopt;
  if ((bytes[0] >> 6) != 1) return std::nullopt;  // version 1 only
  const std::size_t tokenLength = bytes[0] & 0x0f;
  if (tokenLength > 8 || bytes.size() < 4 + tokenLength) return std::nullopt;
  CoapHeader header;
  header.type = static_cast<std::uint8_t>((bytes[0] >> 4) & 0x03);
  header.code = bytes[1];
  header.messageId = static_cast<std::uint16_t>((bytes[2] << 8) | bytes[3]);
  header.token.assign(bytes.begin() + 4,
                      bytes.begin() + 4 + static_cast<std::ptrdiff_t>(tokenLength));
  return header;
}

LossyRelay::LossyRelay(std::uint16_t upstreamPort) : upstreamPort_(upstreamPort) {
  std::uint16_t clientPort = 0;
  clientFd_ = boundUdpSocket(clientPort, error_);
  if (clientFd_ < 0) return;
  upstreamFd_ = boundUdpSocket(upstreamSidePort_, error_);
  if (upstreamFd_ < 0) return;
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) {
    error_ = std::string("eventfd: ") + std::strerror(errno);
    return;
  }
  thread_ = std::thread([this] { run(); });
  port_ = clientPort;
}

LossyRelay::~LossyRelay() {
  stop_ = true;
  if (wakeFd_ >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(wakeFd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : {clientFd_, upstreamFd_, wakeFd_})
    if (fd >= 0) ::close(fd);
}

std::string LossyRelay::uri() const {
  return "coap://127.0.0.1:" + std::to_string(port_);
}

void LossyRelay::setImpairment(Direction direction, const Impairment& impairment) {
  {
    std::lock_guard lock(mutex_);
    Side& s = side(direction);
    s.impairment = impairment;
    s.random.seed(impairment.seed);
  }
  const std::uint64_t one = 1;
  (void)!::write(wakeFd_, &one, sizeof one);
}

void LossyRelay::setBoth(const Impairment& impairment) {
  Impairment other = impairment;
  other.seed = impairment.seed * 2654435761u + 1;  // the two directions draw independently
  setImpairment(Direction::ToServer, impairment);
  setImpairment(Direction::ToClient, other);
}

void LossyRelay::setUpstream(std::uint16_t port) {
  std::lock_guard lock(mutex_);
  upstreamPort_ = port;
}

std::vector<DatagramRecord> LossyRelay::records(Direction direction) const {
  std::lock_guard lock(mutex_);
  return side(direction).records;
}

std::size_t LossyRelay::received(Direction direction) const {
  std::lock_guard lock(mutex_);
  return side(direction).records.size();
}

std::size_t LossyRelay::dropped(Direction direction) const {
  std::lock_guard lock(mutex_);
  const auto& records = side(direction).records;
  return static_cast<std::size_t>(
      std::count_if(records.begin(), records.end(), [](const auto& r) { return r.dropped; }));
}

std::size_t LossyRelay::delivered(Direction direction) const {
  std::lock_guard lock(mutex_);
  return side(direction).delivered;
}

void LossyRelay::clearRecords() {
  std::lock_guard lock(mutex_);
  toServer_.records.clear();
  toClient_.records.clear();
  toServer_.delivered = toClient_.delivered = 0;
}

std::size_t LossyRelay::injectToClient(std::span<const std::vector<std::uint8_t>> datagrams) {
  std::optional<sockaddr_in> to;
  {
    std::lock_guard lock(mutex_);
    to = clientAddress_;
  }
  if (!to) return 0;
  // One system call per batch: a flood of 100k datagrams a second is beyond one sendto each
  // under a sanitizer.
  constexpr std::size_t kBatch = 64;
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> vectors{};
  std::size_t next = 0, taken = 0;
  while (next < datagrams.size()) {
    const std::size_t count = std::min(kBatch, datagrams.size() - next);
    for (std::size_t i = 0; i < count; ++i) {
      const auto& bytes = datagrams[next + i];
      vectors[i].iov_base = const_cast<std::uint8_t*>(bytes.data());
      vectors[i].iov_len = bytes.size();
      messages[i] = mmsghdr{};
      messages[i].msg_hdr.msg_name = &*to;
      messages[i].msg_hdr.msg_namelen = sizeof *to;
      messages[i].msg_hdr.msg_iov = &vectors[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::sendmmsg(clientFd_, messages.data(), static_cast<unsigned>(count), 0);
    if (n > 0) {
      taken += static_cast<std::size_t>(n);
      next += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EMSGSIZE) {
      ++next;  // one datagram too large for UDP: skipped, not counted
    } else {
      break;  // EAGAIN or ENOBUFS: the send buffer is full for the moment
    }
  }
  return taken;
}

void LossyRelay::setToServerFilter(std::function<bool(std::span<const std::uint8_t>)> swallow) {
  std::lock_guard lock(mutex_);
  toServerFilter_ = std::move(swallow);
}

std::size_t LossyRelay::swallowed() const {
  std::lock_guard lock(mutex_);
  return swallowed_;
}

void LossyRelay::run() {
  while (!stop_) {
    int timeoutMs = 100;  // bounded, so a missed wake-up costs at most this
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) {
        const auto next =
            std::min_element(queue_.begin(), queue_.end(), [](const Queued& a, const Queued& b) {
              return a.due < b.due;
            })->due;
        const auto wait = std::chrono::ceil<milliseconds>(next - Clock::now()).count();
        timeoutMs = static_cast<int>(std::clamp<std::int64_t>(wait, 0, timeoutMs));
      }
    }
    pollfd fds[3] = {{clientFd_, POLLIN, 0}, {upstreamFd_, POLLIN, 0}, {wakeFd_, POLLIN, 0}};
    if (::poll(fds, 3, timeoutMs) < 0 && errno != EINTR) break;
    if (fds[2].revents & POLLIN) {
      std::uint64_t count = 0;
      (void)!::read(wakeFd_, &count, sizeof count);
    }
    if (fds[0].revents & POLLIN) receive(clientFd_, Direction::ToServer);
    if (fds[1].revents & POLLIN) receive(upstreamFd_, Direction::ToClient);

    // Everything due goes out, earliest first (equal times keep their queue order).
    std::vector<Queued> due;
    {
      std::lock_guard lock(mutex_);
      const auto now = Clock::now();
      auto split = std::stable_partition(queue_.begin(), queue_.end(),
                                         [now](const Queued& q) { return q.due > now; });
      due.assign(std::make_move_iterator(split), std::make_move_iterator(queue_.end()));
      queue_.erase(split, queue_.end());
    }
    std::stable_sort(due.begin(), due.end(),
                     [](const Queued& a, const Queued& b) { return a.due < b.due; });
    for (const Queued& datagram : due) deliver(datagram);
  }
}

void LossyRelay::receive(int fd, Direction direction) {
  std::vector<std::uint8_t> buffer(kMaxDatagram);
  // Bounded: a flood cannot keep the relay from delivering what is due.
  for (int i = 0; i < 64; ++i) {
    sockaddr_in from{};
    socklen_t fromLength = sizeof from;
    const ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &fromLength);
    if (n < 0) return;  // EAGAIN: drained (or an ICMP error from a port nobody listens on)
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    if (direction == Direction::ToServer) {
      clientAddress_ = from;
      if (toServerFilter_ && toServerFilter_(std::span<const std::uint8_t>(
                                 buffer.data(), static_cast<std::size_t>(n)))) {
        ++swallowed_;
        continue;
      }
    }
    Side& s = side(direction);
    DatagramRecord record;
    record.received = now;
    record.bytes.assign(buffer.begin(), buffer.begin() + n);
    const Impairment& imp = s.impairment;
    // The draws always happen in the same order, whatever the settings, so that one
    // setting changed leaves the others' decisions as they were.
    const bool lose = chance(s.random, imp.lossPercent);
    const milliseconds delay = uniform(s.random, imp.delay - imp.jitter, imp.delay + imp.jitter);
    const bool duplicate = chance(s.random, imp.duplicatePercent);
    const milliseconds copyAfter = uniform(s.random, milliseconds(1), milliseconds(10));
    const bool reorder = chance(s.random, imp.reorderPercent);
    const milliseconds holdBack =
        imp.delay + imp.jitter + uniform(s.random, milliseconds(1), milliseconds(50));
    record.dropped = imp.blocked || lose;
    record.duplicated = !record.dropped && duplicate;
    if (!record.dropped) {
      const auto due = now + delay + (reorder ? holdBack : milliseconds(0));
      queue_.push_back({due, direction, record.bytes});
      if (duplicate) queue_.push_back({due + copyAfter, direction, record.bytes});
    }
    s.records.push_back(std::move(record));
  }
}

void LossyRelay::deliver(const Queued& datagram) {
  sockaddr_in to{};
  int fd = -1;
  {
    std::lock_guard lock(mutex_);
    if (datagram.direction == Direction::ToServer) {
      to = loopback(upstreamPort_);
      fd = upstreamFd_;
    } else {
      if (!clientAddress_) return;  // nobody to answer yet
      to = *clientAddress_;
      fd = clientFd_;
    }
  }
  {
    // Counted before it goes, so a reader that has the datagram in hand also sees the count.
    std::lock_guard lock(mutex_);
    ++side(datagram.direction).delivered;
  }
  const ssize_t sent = ::sendto(fd, datagram.bytes.data(), datagram.bytes.size(), 0,
                                reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (sent != static_cast<ssize_t>(datagram.bytes.size())) {
    std::lock_guard lock(mutex_);
    --side(datagram.direction).delivered;
  }
}

}  // namespace lwm2md::test

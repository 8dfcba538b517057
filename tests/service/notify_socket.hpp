#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace lwm2md::test {

/// A NOTIFY_SOCKET like systemd's: a datagram socket collecting sd_notify messages, each line
/// stamped with the time it was read (drain() often, and the stamp is close to its arrival).
class NotifySocket {
 public:
  struct Line {
    std::string text;
    std::chrono::steady_clock::time_point at;
  };

  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    bound_ = fd_ >= 0 && path.size() < sizeof(address.sun_path) &&
             bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool ok() const { return bound_; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  /// Reads what has arrived; a datagram may hold several NAME=value lines.
  void drain() {
    char buffer[4096];
    ssize_t n;
    while ((n = recv(fd_, buffer, sizeof buffer, 0)) > 0) {
      const auto now = std::chrono::steady_clock::now();
      std::string datagram(buffer, static_cast<size_t>(n));
      size_t start = 0;
      while (start < datagram.size()) {
        auto end = datagram.find('\n', start);
        if (end == std::string::npos) end = datagram.size();
        if (end > start) lines.push_back({datagram.substr(start, end - start), now});
        start = end + 1;
      }
    }
  }
  bool has(const std::string& text) const { return count(text) > 0; }
  size_t count(const std::string& text) const {
    return static_cast<size_t>(
        std::count_if(lines.begin(), lines.end(), [&](const Line& l) { return l.text == text; }));
  }
  /// Index of the first line equal to `text` at or after `from`; lines.size() when none.
  size_t find(const std::string& text, size_t from = 0) const {
    for (size_t i = from; i < lines.size(); ++i)
      if (lines[i].text == text) return i;
    return lines.size();
  }
  /// Arrival times of every line equal to `text`.
  std::vector<std::chrono::steady_clock::time_point> times(const std::string& text) const {
    std::vector<std::chrono::steady_clock::time_point> out;
    for (const auto& line : lines)
      if (line.text == text) out.push_back(line.at);
    return out;
  }
  std::string dump() const {
    std::string out;
    for (const auto& line : lines) out += line.text + "\n";
    return out;
  }

  std::vector<Line> lines;

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

}  // namespace lwm2md::test

// What systemd sees of the daemon (sd_notify), and Device object executes forwarded to D-Bus.
#include <gmock/gmock.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "e2e_fixture.hpp"

namespace lwm2md::test {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

/// A NOTIFY_SOCKET like systemd's: a datagram socket collecting sd_notify messages.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifySocket() { close(fd_); }
  bool ok() const { return bound_; }
  const std::string& path() const { return path_; }
  /// Reads what has arrived; each datagram may hold several NAME=value lines.
  void drain() {
    char buffer[4096];
    ssize_t n;
    while ((n = recv(fd_, buffer, sizeof buffer, 0)) > 0) {
      std::string datagram(buffer, static_cast<size_t>(n));
      size_t start = 0;
      while (start < datagram.size()) {
        auto end = datagram.find('\n', start);
        if (end == std::string::npos) end = datagram.size();
        if (end > start) lines.push_back(datagram.substr(start, end - start));
        start = end + 1;
      }
    }
  }
  bool has(const std::string& line) const {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }
  std::vector<std::string> lines;

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST_F(DaemonFixture, TellsSystemdReadyStatusAndStopping) {
  NotifySocket notify(dir_.file("notify"));
  ASSERT_TRUE(notify.ok());
  daemonEnv_["NOTIFY_SOCKET"] = notify.path();
  startAndRegister();
  ASSERT_TRUE(server_.waitFor(
      [&] {
        notify.drain();
        return notify.has("READY=1") && notify.has("STATUS=registered");
      },
      10s))
      << ::testing::PrintToString(notify.lines);
  daemon_->signal(SIGTERM);
  ASSERT_TRUE(server_.waitFor(
      [&] {
        notify.drain();
        return notify.has("STOPPING=1");
      },
      10s));
  EXPECT_EQ(daemon_->waitExit(10s, [this] { server_.pump(10ms); }), 0);
}

TEST_F(DaemonFixture, DeviceRebootAndFactoryResetAreForwardedOverDbus) {
  startAndRegister();
  ASSERT_TRUE(waitForBusName());
  std::vector<std::pair<uint16_t, std::string>> executed;
  auto device = sdbus::createProxy(*client_, "org.lwm2md1", "/org/lwm2md1/Object/3/0");
  device->uponSignal("Executed")
      .onInterface("org.lwm2md1.Instance")
      .call([&](uint16_t rid, const std::string& args) { executed.emplace_back(rid, args); });
  device->finishRegistration();
  auto reboot = server_.execute("/3/0/4");
  ASSERT_TRUE(reboot);
  EXPECT_EQ(reboot->code, 0x44);
  auto reset = server_.execute("/3/0/5");
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->code, 0x44);
  ASSERT_TRUE(server_.waitFor([&] { return executed.size() == 2; }, 5s));
  EXPECT_EQ(executed[0].first, 4);
  EXPECT_EQ(executed[1].first, 5);
}

}  // namespace
}  // namespace lwm2md::test

// SIGHUP re-reads the config file: changed servers register anew, removed ones De-register,
// new ones register, unchanged ones keep their registration and observations; an invalid file
// changes nothing; log_level takes at once. The real daemon against libcoap test servers.
#include <signal.h>

#include <string>
#include <vector>

#include "multiserver/multiserver_fixture.hpp"
#include "notify_socket.hpp"

namespace lwm2md::test {
namespace {

using namespace multi;
using ::testing::HasSubstr;

struct Table {
  std::string uri;
  int shortId;
  int lifetime;
};

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class Reload : public MultiServerFixture {
 protected:
  std::string configText(const std::vector<Table>& servers, const std::string& logLevel = "info",
                         const std::string& endpoint = "e2e-reload") const {
    std::string text = "endpoint = \"" + endpoint + "\"\nlog_level = \"" + logLevel +
                       "\"\n"
                       "[registration]\nretry_initial = 1\nretry_max = 4\n"
                       "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"E2E\"\n";
    for (const auto& s : servers)
      text += "[[server]]\nuri = \"" + s.uri + "\"\nshort_id = " + std::to_string(s.shortId) +
              "\nlifetime = " + std::to_string(s.lifetime) + "\nbinding = \"U\"\n";
    return text;
  }
  std::vector<Table> both() const {
    return {{server_.uri(), kSsid1, kLifetime1}, {second_.uri(), kSsid2, kLifetime2}};
  }

  /// Starts the daemon with the file's log_level in force (no --log-level) and the notify
  /// socket; waits for both Registers, the bus name and the provider's /3303/0.
  void startBoth(const std::string& logLevel = "info") {
    ASSERT_TRUE(notify_.ok());
    file_ = dir_.file("lwm2md.toml");
    ASSERT_TRUE(writeFile(file_, configText(both(), logLevel)));
    DaemonOptions options;
    options.binary = std::getenv("LWM2MD_BINARY");
    options.configFile = file_;
    options.busAddress = bus_.address();
    options.stateDir = dir_.file("state");
    options.logLevel = std::nullopt;
    options.env = {{"NOTIFY_SOCKET", notify_.path()}};
    daemon_ = std::make_unique<DaemonProcess>(options);
    ASSERT_TRUE(daemon_->started()) << daemon_->error();
    auto first = server_.waitForEvent(Event::Kind::Register, 10s);
    ASSERT_TRUE(first) << "no Register at server 1\n" << daemon_->output();
    auto second = second_.waitForEvent(Event::Kind::Register, 10s);
    ASSERT_TRUE(second) << "no Register at server 2\n" << daemon_->output();
    register1_ = *first;
    register2_ = *second;
    ASSERT_TRUE(waitForBusName());
    sensor_ =
        addInstance(kTemperature, 0,
                    {{5700, sdbus::Variant(20.5)}, {5701, sdbus::Variant(std::string("Cel"))}});
    settle();
    ASSERT_TRUE(server_.waitFor(
        [&] {
          notify_.drain();
          return notify_.has("READY=1");
        },
        5s));
  }

  /// Writes the file, sends SIGHUP and waits until the daemon says READY=1 after RELOADING=1.
  void reload(const std::string& text) {
    ASSERT_TRUE(writeFile(file_, text));
    notify_.drain();
    const size_t from = notify_.lines.size();
    daemon_->signal(SIGHUP);
    ASSERT_TRUE(server_.waitFor(
        [&] {
          notify_.drain();
          const size_t reloading = notify_.find("RELOADING=1", from);
          return notify_.find("READY=1", reloading) < notify_.lines.size();
        },
        10s))
        << notify_.dump() << daemon_->output();
    lastReload_ = from;
  }
  /// The STATUS= lines the last reload sent.
  std::vector<std::string> statusSinceReload() const {
    std::vector<std::string> out;
    for (size_t i = lastReload_; i < notify_.lines.size(); ++i)
      if (notify_.lines[i].text.rfind("STATUS=", 0) == 0) out.push_back(notify_.lines[i].text);
    return out;
  }

  NotifySocket notify_{dir_.file("notify")};
  std::string file_;
  size_t lastReload_ = 0;
};

TEST_F(Reload, ChangedServerRegistersAgainAndTheOtherKeepsItsSession) {
  ASSERT_NO_FATAL_FAILURE(startBoth());
  auto observe2 = second_.startObserve("/3303/0/5700", kText);
  ASSERT_TRUE(observe2) << daemon_->output();
  EXPECT_CODE(*observe2, kContent);
  ASSERT_TRUE(server_.waitFor([&] { return observationsOf(kSsid2) == 1; }, 3s));
  settle();
  const size_t events2 = second_.events().size();

  ASSERT_NO_FATAL_FAILURE(
      reload(configText({{server_.uri(), kSsid1, 120}, {second_.uri(), kSsid2, kLifetime2}})));
  auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(reg) << "server 1 did not register anew\n" << daemon_->output();
  EXPECT_EQ(reg->query["lt"], "120");
  EXPECT_EQ(reg->query["ep"], "e2e-reload");
  auto dereg = server_.waitForEvent(Event::Kind::Deregister, 5s);
  ASSERT_TRUE(dereg) << "the old registration was not ended\n" << daemon_->output();
  EXPECT_EQ(dereg->location, register1_.location);
  EXPECT_NE(reg->location, register1_.location);
  settle();
  // The tree has the new lifetime (what an Update or the next start would send).
  auto own1 = ownServerInstance(server_, kSsid1);
  ASSERT_TRUE(own1);
  EXPECT_EQ(TestLwm2mServer::text(read(server_, "/1/" + std::to_string(*own1) + "/1")), "120");
  EXPECT_TRUE(server_.waitFor([&] { return serverState(kSsid1) == "registered"; }, 3s));

  // Server 2 heard nothing of it: no Register, Update or De-register, and its observation
  // still notifies.
  EXPECT_EQ(second_.events().size(), events2) << "server 2 saw registration traffic";
  EXPECT_EQ(observationsOf(kSsid2), 1u);
  setSensor(25.0);
  ASSERT_TRUE(second_.waitForNotifications(observe2->token, 1, 5s)) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(second_.notifications(observe2->token).back()), "25");
  EXPECT_EQ(serverState(kSsid2), "registered");
  EXPECT_THAT(statusSinceReload(), ::testing::Contains(HasSubstr("STATUS=registered")));
}

TEST_F(Reload, RemovedServerDeregistersAndAddedServerRegisters) {
  ASSERT_NO_FATAL_FAILURE(startBoth());
  const size_t registers1 = count(server_, Event::Kind::Register);

  ASSERT_NO_FATAL_FAILURE(reload(configText({{server_.uri(), kSsid1, kLifetime1}})));
  auto dereg = second_.waitForEvent(Event::Kind::Deregister, 5s);
  ASSERT_TRUE(dereg) << "the removed server got no De-register\n" << daemon_->output();
  EXPECT_EQ(dereg->location, register2_.location);
  settle();
  EXPECT_EQ(count(second_, Event::Kind::Register), 1u);
  EXPECT_EQ(count(server_, Event::Kind::Register), registers1);
  EXPECT_EQ(count(server_, Event::Kind::Deregister), 0u);
  // Its Server instance is gone: server 1 now sees one Server instance, its own.
  EXPECT_FALSE(ownServerInstance(server_, kSsid2));
  EXPECT_TRUE(ownServerInstance(server_, kSsid1));

  // A third server (the fixture's spare libcoap server) is added.
  ASSERT_NO_FATAL_FAILURE(
      reload(configText({{server_.uri(), kSsid1, kLifetime1}, {bs_.uri(), 3, 75}})));
  auto added = bs_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(added) << "the new server got no Register\n" << daemon_->output();
  EXPECT_EQ(added->query["lt"], "75");
  EXPECT_EQ(added->query["ep"], "e2e-reload");
  settle();
  EXPECT_EQ(count(server_, Event::Kind::Register), registers1);
  EXPECT_EQ(count(server_, Event::Kind::Deregister), 0u);
  EXPECT_EQ(count(second_, Event::Kind::Register), 1u);
  EXPECT_TRUE(server_.waitFor([&] { return serverState(3) == "registered"; }, 3s));
}

TEST_F(Reload, InvalidFileChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(startBoth());
  const size_t events1 = server_.events().size();
  const size_t events2 = second_.events().size();

  // Valid TOML, invalid value: the message names the file, the line and the key.
  std::string bad = configText({{server_.uri(), kSsid1, 0}, {bs_.uri(), 3, 75}});
  ASSERT_NO_FATAL_FAILURE(reload(bad));
  EXPECT_THAT(statusSinceReload(), ::testing::Contains(HasSubstr("STATUS=reload failed: ")));
  EXPECT_THAT(statusSinceReload(), ::testing::Contains(HasSubstr("lwm2md.toml:")));
  EXPECT_THAT(daemon_->output(), HasSubstr("reload failed"));
  EXPECT_THAT(daemon_->output(), HasSubstr("lifetime"));
  // Not TOML at all.
  ASSERT_NO_FATAL_FAILURE(reload("endpoint = \"x\"\n[[server]\nuri = "));
  EXPECT_THAT(statusSinceReload(), ::testing::Contains(HasSubstr("STATUS=reload failed: ")));
  // A file that is gone.
  std::filesystem::remove(file_);
  notify_.drain();
  const size_t from = notify_.lines.size();
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(server_.waitFor(
      [&] {
        notify_.drain();
        for (size_t i = from; i < notify_.lines.size(); ++i)
          if (notify_.lines[i].text.rfind("STATUS=reload failed", 0) == 0) return true;
        return false;
      },
      10s))
      << notify_.dump();

  idle(1000ms);
  EXPECT_EQ(server_.events().size(), events1);
  EXPECT_EQ(second_.events().size(), events2);
  EXPECT_EQ(bs_.events().size(), 0u);
  EXPECT_TRUE(daemon_->running());
  auto manufacturer = read(second_, "/3/0/0");
  EXPECT_CODE(manufacturer, kContent);
  EXPECT_EQ(serverState(kSsid1), "registered");
  EXPECT_EQ(serverState(kSsid2), "registered");

  // The running config is still the first one: a valid file now changes server 1 only.
  ASSERT_NO_FATAL_FAILURE(
      reload(configText({{server_.uri(), kSsid1, 100}, {second_.uri(), kSsid2, kLifetime2}})));
  auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
  ASSERT_TRUE(reg) << daemon_->output();
  EXPECT_EQ(reg->query["lt"], "100");
  settle();
  EXPECT_EQ(second_.events().size(), events2);
}

TEST_F(Reload, LogLevelTakesAtOnce) {
  ASSERT_NO_FATAL_FAILURE(startBoth("info"));
  auto own1 = ownServerInstance(server_, kSsid1);
  ASSERT_TRUE(own1);
  const std::string trigger = "/1/" + std::to_string(*own1) + "/8";
  const std::string line = "Registration Update Trigger";  // an info line of the "reg" logger
  auto triggerAndWait = [&] {
    const size_t updates = count(server_, Event::Kind::Update);
    EXPECT_CODE(execute(server_, trigger), kChanged);
    EXPECT_TRUE(server_.waitFor([&] { return count(server_, Event::Kind::Update) > updates; }, 5s));
    idle(300ms);  // the log line is written before the Update; give stderr a moment
  };
  triggerAndWait();
  const size_t atInfo = occurrences(daemon_->output(), line);
  ASSERT_GE(atInfo, 1u) << daemon_->output();

  ASSERT_NO_FATAL_FAILURE(reload(configText(both(), "warn")));
  triggerAndWait();
  EXPECT_EQ(occurrences(daemon_->output(), line), atInfo) << "an info line at level warn";

  ASSERT_NO_FATAL_FAILURE(reload(configText(both(), "debug")));
  triggerAndWait();
  EXPECT_EQ(occurrences(daemon_->output(), line), atInfo + 1) << daemon_->output();
  // Nothing else changed: no server registered again.
  EXPECT_EQ(count(server_, Event::Kind::Register), 1u);
  EXPECT_EQ(count(second_, Event::Kind::Register), 1u);
}

TEST_F(Reload, EndpointChangeWaitsForARestart) {
  ASSERT_NO_FATAL_FAILURE(startBoth());
  const size_t events1 = server_.events().size();
  const size_t events2 = second_.events().size();
  ASSERT_NO_FATAL_FAILURE(reload(configText(both(), "info", "another-name")));
  idle(1000ms);
  EXPECT_THAT(daemon_->output(), HasSubstr("endpoint stays 'e2e-reload'"));
  EXPECT_EQ(server_.events().size(), events1);
  EXPECT_EQ(second_.events().size(), events2);
  EXPECT_EQ(
      manager()->getProperty("Endpoint").onInterface("org.lwm2md1.Manager").get<std::string>(),
      "e2e-reload");
}

}  // namespace
}  // namespace lwm2md::test

// The D-Bus system policy (systemd/org.lwm2md1.conf) under a private bus of type "system" with
// Debian's default-deny rules, the real lwm2md running as its own user, the example callback
// provider as a member of group lwm2m, and busctl run as different users through setpriv.
//
// Needs root (setpriv changes uid). What it does to the machine: when user lwm2md or group
// lwm2m do not resolve yet, it applies the shipped sysusers file (systemd-sysusers), which adds
// the system user/group lwm2md and the group lwm2m to /etc/passwd, /etc/group and
// /etc/shadow, exactly as installing the package would. Nothing else outside its temp dirs.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "system_bus.hpp"
#include "temp_dir.hpp"
#include "test_lwm2m_server.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// busctl's text for org.freedesktop.DBus.Error.AccessDenied, a refusal by the bus's policy (the
// daemon's own refusals are org.lwm2md1.Error.* with messages of their own).
constexpr const char* kDenied = "Access denied";
constexpr std::uint8_t kContent = 0x45;  // 2.05

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

/// Who runs a command: setpriv's --reuid/--regid and the supplementary groups.
struct Identity {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

std::vector<std::string> asIdentity(const Identity& who, const std::string& program,
                                    const std::vector<std::string>& args) {
  // As the unit runs the daemon: NoNewPrivileges=yes and an empty CapabilityBoundingSet=.
  std::vector<std::string> out = {"--reuid=" + std::to_string(who.uid),
                                  "--regid=" + std::to_string(who.gid), "--no-new-privs",
                                  "--bounding-set=-all", "--inh-caps=-all"};
  if (who.groups.empty()) {
    out.push_back("--clear-groups");
  } else {
    std::string list;
    for (gid_t g : who.groups) list += (list.empty() ? "" : ",") + std::to_string(g);
    out.push_back("--groups=" + list);
  }
  out.push_back("--");
  out.push_back(program);
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

struct Outcome {
  int code = -1;
  std::string output;
};

class PolicyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    // The policy names user lwm2md and group lwm2m: they must resolve before the bus reads it.
    if (::getpwnam("lwm2md") == nullptr || ::getgrnam("lwm2m") == nullptr) {
      ChildProcess sysusers("systemd-sysusers", {env("LWM2MD_SYSUSERS")});
      const auto code = sysusers.waitExit(30s);
      if (code != 0) std::fprintf(stderr, "systemd-sysusers: %s\n", sysusers.output().c_str());
    }
  }

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run commands as other users";
    const passwd* pw = ::getpwnam("lwm2md");
    const group* gr = ::getgrnam("lwm2m");
    ASSERT_NE(pw, nullptr) << "user lwm2md does not resolve after systemd-sysusers";
    ASSERT_NE(gr, nullptr) << "group lwm2m does not resolve after systemd-sysusers";
    daemonUser_ = {"lwm2md", pw->pw_uid, pw->pw_gid, {}};
    // dbus-daemon refuses connections from a uid without a passwd entry, so the member is an
    // existing user (nobody) with lwm2m as a supplementary group: only the group differs from
    // nobody_, which is what the policy must tell apart.
    member_ = {"nobody in lwm2m", nobody_.uid, nobody_.gid, {gr->gr_gid}};
    // The activation file alone in a services directory, as it is installed.
    ASSERT_TRUE(services_.ok());
    const auto activation = readFile(env("LWM2MD_DBUS_ACTIVATION"));
    ASSERT_TRUE(activation) << "cannot read LWM2MD_DBUS_ACTIVATION";
    ASSERT_TRUE(writeFile(services_.file("org.lwm2md1.service"), *activation));
    bus_ = std::make_unique<SystemTypeBus>(env("LWM2MD_DBUS_POLICY"),
                                           env("LWM2MD_STOCK_SYSTEM_CONF"), services_.path());
    ASSERT_TRUE(bus_->ok()) << bus_->error();
  }

  void TearDown() override {
    if (provider_) provider_->terminate(2s);
    if (daemon_) daemon_->terminate(10s, [this] { server_.pump(10ms); });
  }

  /// busctl on the private bus as `who` (at most 20 s; the server keeps answering meanwhile).
  Outcome busctl(const Identity& who, const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--address=" + bus_->address(), "--no-pager"};
    all.insert(all.end(), args.begin(), args.end());
    ChildProcess process("setpriv", asIdentity(who, "busctl", all));
    EXPECT_TRUE(process.started()) << process.error();
    const auto code = process.waitExit(20s, [this] { server_.pump(5ms); });
    return {code.value_or(-1), process.output()};
  }

  Outcome requestName(const Identity& who) {
    return busctl(who, {"call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "RequestName", "su", "org.lwm2md1", "0"});
  }

  /// The real daemon, as user lwm2md, registered with the test LwM2M server.
  void startDaemon() {
    ASSERT_TRUE(server_.ok()) << server_.error();
    ASSERT_TRUE(dir_.ok());
    ::chmod(dir_.path().c_str(), 0755);
    const std::string config = dir_.file("lwm2md.toml");
    ASSERT_TRUE(writeFile(config,
                          "endpoint = \"policy-gw\"\n"
                          "[registration]\nretry_initial = 1\nretry_max = 4\n"
                          "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"P\"\n"
                          "serial = \"1\"\nfirmware_version = \"1\"\n"
                          "[[server]]\nuri = \"" +
                              server_.uri() +
                              "\"\nshort_id = 1\nlifetime = 60\nbinding = \"U\"\n"));
    ::chmod(config.c_str(), 0644);
    const std::string state = dir_.file("state");
    ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);
    ASSERT_EQ(::chown(state.c_str(), daemonUser_.uid, daemonUser_.gid), 0);
    ChildOptions options;
    options.program = "setpriv";
    options.args = asIdentity(daemonUser_, env("LWM2MD_BINARY"),
                              {"--bus-address", bus_->address(), "--config", config, "--state-dir",
                               state, "--log-level", "debug"});
    options.unsetEnv = {"NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"};
    daemon_ = std::make_unique<ChildProcess>(options);
    ASSERT_TRUE(daemon_->started()) << daemon_->error();
    ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 15s)) << "no Register; daemon:\n"
                                                                  << daemon_->output() << "\nbus:\n"
                                                                  << bus_->output();
  }

  /// The example callback provider as `who`; its instance path once published.
  std::optional<std::string> startProvider(const Identity& who) {
    ChildOptions options;
    options.program = "setpriv";
    options.args = asIdentity(who, env("LWM2MD_EXAMPLE_CALLBACK"),
                              {"--bus-address", bus_->address(), "--seconds", "60"});
    provider_ = std::make_unique<ChildProcess>(options);
    if (!provider_->started()) return std::nullopt;
    const std::string marker = "published ";
    if (!provider_->waitForOutput(marker, 10s, [this] { server_.pump(5ms); })) return std::nullopt;
    const std::string out = provider_->output();
    const auto start = out.find(marker) + marker.size();
    return out.substr(start, out.find('\n', start) - start);
  }

  std::string providerOwner(const std::string& path) {
    const Outcome run =
        busctl(root_, {"get-property", "org.lwm2md1", path, "org.lwm2md1.Instance", "Owner"});
    // s ":1.7"
    const auto open = run.output.find('"');
    const auto close = run.output.find('"', open + 1);
    if (run.code != 0 || open == std::string::npos || close == std::string::npos) return {};
    return run.output.substr(open + 1, close - open - 1);
  }

  Identity root_{"root", 0, 0, {}};
  Identity nobody_{"nobody", 65534, 65534, {}};
  Identity daemonUser_;
  Identity member_;
  TestLwm2mServer server_;
  TempDir dir_{"lwm2md-policy"};
  TempDir services_{"lwm2md-services"};
  std::unique_ptr<SystemTypeBus> bus_;
  std::unique_ptr<ChildProcess> daemon_;
  std::unique_ptr<ChildProcess> provider_;
};

TEST(DefaultPolicyElement, TakesTheFirstDefaultContextOnly) {
  EXPECT_EQ(defaultPolicyElement("<busconfig><policy user=\"root\"><allow own=\"*\"/></policy>"
                                 "<policy context=\"default\"><deny own=\"*\"/></policy>"
                                 "<policy context=\"default\"><allow own=\"*\"/></policy>"),
            "<policy context=\"default\"><deny own=\"*\"/></policy>");
  EXPECT_EQ(defaultPolicyElement(""), "");
  EXPECT_EQ(defaultPolicyElement("<policy context=\"default\"><deny own=\"*\"/>"), "");
  EXPECT_EQ(defaultPolicyElement("<policy context=\"mandatory\"></policy>"), "");
}

TEST_F(PolicyTest, OnlyRootAndTheDaemonUserMayOwnTheName) {
  for (const Identity* who : {&root_, &daemonUser_}) {
    const Outcome run = requestName(*who);
    EXPECT_EQ(run.code, 0) << who->name << ": " << run.output;
    EXPECT_THAT(run.output, HasSubstr("u 1")) << who->name;  // primary owner
  }
  for (const Identity* who : {&nobody_, &member_}) {
    const Outcome run = requestName(*who);
    EXPECT_NE(run.code, 0) << who->name << ": " << run.output;
    EXPECT_THAT(run.output, HasSubstr(kDenied)) << who->name;
  }
  // A look-alike name is not covered.
  const Outcome other =
      busctl(daemonUser_, {"call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "RequestName", "su", "org.lwm2md1x", "0"});
  EXPECT_THAT(other.output, HasSubstr(kDenied));
}

// PrivateUsers=yes runs the daemon in a user namespace that maps lwm2md to itself: the bus
// must still see uid lwm2md, or the unit could not own its name.
TEST_F(PolicyTest, TheDaemonUserOwnsTheNameFromAUserNamespace) {
  ChildProcess probe("setpriv", asIdentity(daemonUser_, "unshare", {"--map-current-user", "true"}));
  if (probe.waitExit(10s) != 0) GTEST_SKIP() << "no user namespaces here: " << probe.output();
  ChildProcess process(
      "setpriv", asIdentity(daemonUser_, "unshare",
                            {"--map-current-user", "busctl", "--address=" + bus_->address(), "call",
                             "org.freedesktop.DBus", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus", "RequestName", "su", "org.lwm2md1", "0"}));
  EXPECT_EQ(process.waitExit(20s), 0) << process.output();
  EXPECT_THAT(process.output(), HasSubstr("u 1"));
}

TEST_F(PolicyTest, EveryoneMayInspectButOnlyLwm2mMembersChange) {
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  const std::string root = "/org/lwm2md1";
  const std::string device = "/org/lwm2md1/Object/3/0";

  for (const Identity* who : {&nobody_, &member_, &daemonUser_}) {
    SCOPED_TRACE(who->name);
    Outcome run = busctl(*who, {"introspect", "org.lwm2md1", root});
    EXPECT_EQ(run.code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("org.lwm2md1.Manager"));
    run = busctl(*who, {"get-property", "org.lwm2md1", root, "org.lwm2md1.Manager", "Endpoint"});
    EXPECT_EQ(run.code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("s \"policy-gw\""));
    run = busctl(*who, {"call", "org.lwm2md1", root, "org.freedesktop.DBus.Properties", "GetAll",
                        "s", "org.lwm2md1.Manager"});
    EXPECT_EQ(run.code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("\"Endpoint\" s \"policy-gw\""));
    run = busctl(*who, {"call", "org.lwm2md1", root, "org.freedesktop.DBus.ObjectManager",
                        "GetManagedObjects"});
    EXPECT_EQ(run.code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr(device));
    // Properties.Set is not opened to anyone but root (the daemon's answer would be "read-only";
    // the bus refuses first).
    run = busctl(
        *who, {"set-property", "org.lwm2md1", root, "org.lwm2md1.Manager", "Endpoint", "s", "x"});
    EXPECT_THAT(run.output, HasSubstr(kDenied));
  }

  // Outside group lwm2m (nobody, and the daemon's own user): no Manager or Instance method.
  for (const Identity* who : {&nobody_, &daemonUser_}) {
    SCOPED_TRACE(who->name);
    Outcome run = busctl(
        *who, {"call", "org.lwm2md1", root, "org.lwm2md1.Manager", "AddInstance", "qqa{qv}a{sv}",
               "3303", "0", "1", "5700", "d", "21.5", "1", "shared", "b", "true"});
    EXPECT_NE(run.code, 0);
    EXPECT_THAT(run.output, HasSubstr(kDenied));
    run = busctl(*who, {"call", "org.lwm2md1", device, "org.lwm2md1.Instance", "Set", "a{qv}", "1",
                        "9", "x", "50"});
    EXPECT_THAT(run.output, HasSubstr(kDenied));
    run = busctl(*who, {"call", "org.lwm2md1", device, "org.lwm2md1.Instance", "Get", "aq", "0"});
    EXPECT_THAT(run.output, HasSubstr(kDenied));
    run = busctl(*who, {"call", "org.lwm2md1", root, "org.lwm2md1.Manager", "Register"});
    EXPECT_THAT(run.output, HasSubstr(kDenied));
  }
  // The Provider interface is opened to the daemon's user only.
  Outcome providerCall = busctl(nobody_, {"call", "org.lwm2md1", root, "org.lwm2md1.Provider",
                                          "Read", "qqaq", "3", "0", "0"});
  EXPECT_THAT(providerCall.output, HasSubstr(kDenied));
  EXPECT_TRUE(server_.read("/3303/0", 0).value_or(Response{}).code != kContent);

  // A member of lwm2m adds, sets, reads and removes.
  Outcome add = busctl(
      member_, {"call", "org.lwm2md1", root, "org.lwm2md1.Manager", "AddInstance", "qqa{qv}a{sv}",
                "3303", "0", "1", "5700", "d", "21.5", "1", "shared", "b", "true"});
  ASSERT_EQ(add.code, 0) << add.output << "\nbus:\n" << bus_->output();
  EXPECT_THAT(add.output, HasSubstr("o \"/org/lwm2md1/Object/3303/0\""));
  const std::string added = "/org/lwm2md1/Object/3303/0";
  Outcome set = busctl(member_, {"call", "org.lwm2md1", added, "org.lwm2md1.Instance", "Set",
                                 "a{qv}", "1", "5700", "d", "22.5"});
  EXPECT_EQ(set.code, 0) << set.output;
  auto read = server_.read("/3303/0/5700", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kContent);
  EXPECT_EQ(TestLwm2mServer::text(*read), "22.5");
  Outcome refused =
      busctl(nobody_, {"call", "org.lwm2md1", added, "org.lwm2md1.Instance", "Remove"});
  EXPECT_THAT(refused.output, HasSubstr(kDenied));
  Outcome remove =
      busctl(member_, {"call", "org.lwm2md1", added, "org.lwm2md1.Instance", "Remove"});
  EXPECT_EQ(remove.code, 0) << remove.output;
  // Root, the administrator, may call anything.
  Outcome rootCall =
      busctl(root_, {"call", "org.lwm2md1", root, "org.lwm2md1.Manager", "UpdateRegistration"});
  EXPECT_THAT(rootCall.output, Not(HasSubstr(kDenied)));
  EXPECT_TRUE(daemon_->running()) << daemon_->output();
}

TEST_F(PolicyTest, TheDaemonUserCallsProvidersAndNobodyElseDoes) {
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  const auto path = startProvider(member_);
  ASSERT_TRUE(path) << (provider_ ? provider_->output() : "") << "\nbus:\n" << bus_->output();
  const std::string owner = providerOwner(*path);
  ASSERT_FALSE(owner.empty()) << *path;
  const std::string iid = path->substr(path->rfind('/') + 1);

  // Through the daemon: an LwM2M Read of the callback instance becomes the daemon's (as
  // lwm2md) Provider.Read call to the example.
  auto read = server_.read("/3303/" + iid + "/5701", 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->code, kContent) << daemon_->output();
  EXPECT_EQ(TestLwm2mServer::text(*read), "Cel");

  // Directly: user lwm2md may call org.lwm2md1.Provider, and only that, on a client.
  const std::vector<std::string> providerRead = {
      "call", owner, "/org/lwm2md1/Provider", "org.lwm2md1.Provider", "Read", "qqaq", "3303", iid,
      "1",    "5701"};
  Outcome run = busctl(daemonUser_, providerRead);
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("5701 s \"Cel\""));
  run = busctl(daemonUser_, {"call", owner, "/org/lwm2md1/Provider",
                             "org.freedesktop.DBus.Introspectable", "Introspect"});
  EXPECT_THAT(run.output, HasSubstr(kDenied));
  for (const Identity* who : {&nobody_, &member_}) {
    run = busctl(*who, providerRead);
    EXPECT_NE(run.code, 0) << who->name;
    EXPECT_THAT(run.output, HasSubstr(kDenied)) << who->name;
  }
}

TEST_F(PolicyTest, AProviderOutsideLwm2mIsRefused) {
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  EXPECT_FALSE(startProvider(nobody_));
  ASSERT_TRUE(provider_);
  // The provider library prints dbus-daemon's full AccessDenied message.
  EXPECT_THAT(provider_->output(), HasSubstr("Rejected send message"));
  auto read = server_.read("/3303/0", 0);
  ASSERT_TRUE(read);
  EXPECT_NE(read->code, kContent);
}

// The activation file loads (dbus-daemon validates it) and names our bus name.
TEST_F(PolicyTest, TheBusKnowsTheActivatableName) {
  const Outcome run = busctl(nobody_, {"call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ListActivatableNames"});
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("\"org.lwm2md1\""));
}

}  // namespace
}  // namespace lwm2md::test

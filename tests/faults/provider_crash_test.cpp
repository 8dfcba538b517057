// Issue 8: a callback provider process crashes (SIGKILL) while the daemon waits for its answer
// to a server's Read or Write. tests/e2e/ctl/callback_edge_test.cpp
// (ProviderLeavingMidRequestGivesServiceUnavailable) already cuts an in-process provider's bus
// connection mid-call; this adds what it leaves out: a real separate process killed by the
// kernel mid-call, for Write as well as Read, and a new provider taking the instance over
// afterwards.
#include <signal.h>

#include <cstdio>

#include "faults_fixture.hpp"

namespace lwm2md::test {
namespace {

using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::testing::Not;

class ProviderCrash : public FaultFixture {
 protected:
  /// Starts the hanging provider and waits for the Update announcing its /3303/0.
  std::unique_ptr<ChildProcess> startProvider() {
    const char* program = std::getenv("LWM2MD_FAULTS_PROVIDER");
    EXPECT_TRUE(program) << "LWM2MD_FAULTS_PROVIDER is not set";
    if (!program) return nullptr;
    auto child = std::make_unique<ChildProcess>(
        program, std::vector<std::string>{"--bus-address", bus_.address(), "--seconds", "120"});
    EXPECT_TRUE(child->started()) << child->error();
    auto update = server_.waitForEvent(Event::Kind::Update, 15s);
    EXPECT_TRUE(update) << child->output() << "\n" << daemon_->output();
    if (update) {
      EXPECT_THAT(update->payload, HasSubstr("</3303/0>"));
    }
    return child;
  }

  /// Sends `method` on /3303/0 and SIGKILLs the provider as soon as it has the call in
  /// hand ("in read"/"in write" on its stdout). Returns the server's answer and how long it took.
  std::pair<std::optional<Response>, Clock::duration> crashDuring(ChildProcess& provider,
                                                                  Method method,
                                                                  const std::string& marker) {
    bool killed = false;
    server_.setSidePump([&] {
      pumpClient();
      if (!killed && provider.output().find(marker) != std::string::npos) {
        provider.signal(SIGKILL);
        killed = true;
      }
    });
    RequestOptions options;
    options.timeout = 15s;
    if (method == Method::Get) {
      options.accept = kTextPlain;
    } else {
      options.contentFormat = kTextPlain;
      options.payload = {'x'};
    }
    const auto start = Clock::now();
    // Read the Sensor Value; write the Application Type (5700 is read-only).
    const std::string path = method == Method::Get ? "/3303/0/5700" : "/3303/0/5750";
    auto response = server_.request(method, path, options);
    const auto took = Clock::now() - start;
    server_.setSidePump([this] { pumpClient(); });
    EXPECT_TRUE(killed) << "the provider never got the call:\n" << provider.output();
    EXPECT_EQ(provider.waitExit(5s), 128 + SIGKILL);
    return {response, took};
  }
};

TEST_F(ProviderCrash, KilledMidReadOrWriteGives503AndTheDaemonCarriesOn) {
  // A provider timeout far longer than the answer may take: only the crash explains it.
  startDaemon(faultConfig(LinkTiming{}) + "[dbus]\nprovider_timeout = 20\n");
  ASSERT_TRUE(server_.waitForEvent(Event::Kind::Register, 10s)) << daemon_->output();
  ASSERT_TRUE(waitForBusName());

  const std::vector<std::pair<Method, std::string>> calls = {{Method::Get, "in read"},
                                                             {Method::Put, "in write"}};
  for (const auto& [method, marker] : calls) {
    SCOPED_TRACE(marker);
    auto provider = startProvider();
    ASSERT_TRUE(provider);
    if (HasFailure()) return;
    auto [response, took] = crashDuring(*provider, method, marker);
    ASSERT_TRUE(response) << "no answer; daemon output:\n" << daemon_->output();
    EXPECT_EQ(response->code, kServiceUnavailable)
        << TestLwm2mServer::codeString(response->code) << " " << TestLwm2mServer::text(*response);
    EXPECT_LT(took, 10s) << "the daemon waited for its provider timeout instead";
    ASSERT_TRUE(daemon_->running()) << daemon_->output();
    std::printf("[faults] provider killed %s: %s after %lld ms\n", marker.c_str(),
                TestLwm2mServer::codeString(response->code).c_str(),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));

    // The instance went with the process, and the server hears of it.
    auto update = server_.waitForEvent(Event::Kind::Update, 10s);
    ASSERT_TRUE(update) << daemon_->output();
    EXPECT_THAT(update->payload, Not(HasSubstr("</3303/0>")));
    auto gone = server_.read("/3303/0/5700", kTextPlain);
    ASSERT_TRUE(gone) << daemon_->output();
    EXPECT_EQ(gone->code, kNotFound) << TestLwm2mServer::codeString(gone->code);
  }

  // The daemon serves everything else as before, and a new provider gets the instance back
  // (a cached one this time).
  auto manufacturer = server_.read("/3/0/0", kTextPlain);
  ASSERT_TRUE(manufacturer);
  EXPECT_EQ(TestLwm2mServer::text(*manufacturer), "lwm2md tests");
  addSensor(7.5);
  auto back = server_.waitForEvent(Event::Kind::Update, 10s);
  ASSERT_TRUE(back) << daemon_->output();
  EXPECT_THAT(back->payload, HasSubstr("</3303/0>"));
  auto value = server_.read("/3303/0/5700", kTextPlain);
  ASSERT_TRUE(value);
  EXPECT_EQ(value->code, kContent);
  EXPECT_EQ(TestLwm2mServer::text(*value), "7.5");
  EXPECT_TRUE(daemon_->running());
}

}  // namespace
}  // namespace lwm2md::test

// Issue 8, the CoAP side of [limits]: a server's oversized body (whole or block-wise) gets 4.13
// with Size1, an Observe beyond max_observations_per_server is served as a plain Read, and a
// request beyond max_pending_requests waiting for providers gets 5.03 with Max-Age. Each limit
// logs once (rate-limited), and the daemon goes on serving. A hand-coded UDP server sends
// what libcoap would not (Block1 numbers past the limit, Size1 announcements).
#include <gmock/gmock.h>
#include <signal.h>

#include <string>

#include "e2e_fixture.hpp"
#include "limits_peer.hpp"

namespace lwm2md::test {
namespace {

using ::testing::HasSubstr;

constexpr uint8_t kGet = 0x01, kPut = 0x03;
constexpr uint8_t kContent = 0x45, kChanged = 0x44, kContinue = 0x5f, kTooLarge = 0x8d,
                  kUnavailable = 0xa3, kGatewayTimeout = 0xa4;
constexpr uint16_t kObserve = 6, kContentFormat = 12, kMaxAge = 14, kAccept = 17, kBlock1 = 27,
                   kSize1 = 60, kSize2 = 28, kRequestTag = 292;
constexpr uint16_t kText = 0;
constexpr const char* kTimezone = "/3/0/15";  // a writable string of the Device object

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

class Limits : public DaemonFixture {
 protected:
  void TearDown() override {
    if (provider_) provider_->signal(SIGKILL);
    // The De-register goes to the raw peer: answer it while the daemon stops.
    if (daemon_ && daemon_->running()) daemon_->stop(10s, [this] { peer_.pump(10ms); });
  }

  /// The config with a [limits] table of `limits` (small by default).
  std::string limitsConfig(const std::string& limits =
                               "max_payload = 1024\n"
                               "max_observations_per_server = 3\n"
                               "max_pending_requests = 2\n") {
    return "endpoint = \"e2e-limits\"\nlog_level = \"debug\"\n"
           "[registration]\nretry_initial = 1\nretry_max = 4\n"
           "[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"E2E\"\nserial = \"0001\"\n"
           "firmware_version = \"1.2.3\"\n"
           "[dbus]\nprovider_timeout = 2\n"
           "[limits]\n" +
           limits + "[[server]]\nuri = \"" + peer_.uri() +
           "\"\nshort_id = 1\nlifetime = 60\nbinding = \"U\"\nversion = \"1.1\"\n";
  }

  void start() {
    ASSERT_TRUE(peer_.ok());
    startDaemon(limitsConfig());
    ASSERT_TRUE(peer_.acceptRegister(10s)) << daemon_->output();
  }

  /// Sends `message` and returns its answer (which must come).
  RawMessage exchange(const RawMessage& message, std::chrono::milliseconds timeout = 3s) {
    peer_.send(message);
    auto answer = peer_.responseTo(message.token, timeout);
    EXPECT_TRUE(answer) << "no answer\n" << daemon_->output();
    return answer.value_or(RawMessage{});
  }

  /// A PUT of `text` as text/plain on the Timezone resource, optionally as block `num`.
  RawMessage put(const std::string& text, std::optional<uint32_t> block1 = {},
                 std::optional<uint32_t> size1 = {}) {
    RawMessage message = peer_.request(kPut, kTimezone);
    message.addUintOption(kContentFormat, kText);
    if (block1) {
      message.addUintOption(kBlock1, *block1);
      // Every block of one body carries its Request-Tag (RFC 9175 §3.3), as libcoap sends.
      message.addOption(kRequestTag, requestTag_);
    }
    if (size1) message.addUintOption(kSize1, *size1);
    message.payload.assign(text.begin(), text.end());
    return message;
  }

  std::string timezone() {
    RawMessage read = peer_.request(kGet, kTimezone);
    read.addUintOption(kAccept, kText);
    RawMessage answer = exchange(read);
    EXPECT_EQ(answer.code, kContent);
    return answer.text();
  }

  RawMessage observe(const std::string& path, uint32_t action,
                     std::optional<std::vector<uint8_t>> token = {}) {
    RawMessage message = peer_.request(kGet, path);
    if (token) message.token = *token;
    message.addUintOption(kObserve, action);
    message.addUintOption(kAccept, kText);
    return exchange(message);
  }

  void expectTooLarge(const RawMessage& answer) {
    EXPECT_EQ(answer.code, kTooLarge) << answer.text();
    EXPECT_EQ(answer.type, RawMessage::Ack);
    EXPECT_EQ(answer.uintOption(kSize1), 1024u) << "Size1 carries the limit";
    EXPECT_THAT(answer.text(), HasSubstr("1024"));
  }

  LimitsPeer peer_;
  std::unique_ptr<ChildProcess> provider_;
  std::string requestTag_ = "t1";
};

TEST_F(Limits, OversizedBodiesGet413WithSize1AndNothingIsWritten) {
  start();
  ASSERT_EQ(exchange(put("Europe/Berlin")).code, kChanged);

  // One datagram over the limit.
  expectTooLarge(exchange(put(std::string(1100, 'a'))));
  // A first block announcing (Size1) a body over the limit: refused before any of it is kept.
  expectTooLarge(exchange(put(std::string(512, 'b'), (0u << 4) | 8u | 5u, 4096)));
  // A Size1 of 4 GiB - 1: the daemon must not try to make room for it.
  expectTooLarge(exchange(put(std::string(16, 'c'), (0u << 4) | 8u | 0u, 0xffffffffu)));
  // A block whose number alone puts it past the limit, with no earlier block.
  expectTooLarge(exchange(put(std::string(10, 'd'), (1u << 4) | 0u | 6u)));
  // A block number far out (2^20 - 1 blocks of 1024): must not grow a buffer to 1 GiB.
  expectTooLarge(exchange(put(std::string(10, 'e'), (0xfffffu << 4) | 6u)));
  EXPECT_EQ(timezone(), "Europe/Berlin") << "a refused body writes nothing";

  // A block-wise body crossing the limit midway, with no Size1: blocks 0 and 1 fit (1024
  // bytes), block 2 does not.
  EXPECT_EQ(exchange(put(std::string(512, 'f'), (0u << 4) | 8u | 5u)).code, kContinue);
  EXPECT_EQ(exchange(put(std::string(512, 'f'), (1u << 4) | 8u | 5u)).code, kContinue);
  expectTooLarge(exchange(put(std::string(1, 'f'), (2u << 4) | 0u | 5u)));
  EXPECT_EQ(timezone(), "Europe/Berlin");

  // A block-wise body at the limit goes through whole.
  requestTag_ = "t2";
  EXPECT_EQ(exchange(put(std::string(512, 'g'), (0u << 4) | 8u | 5u, 1024)).code, kContinue);
  EXPECT_EQ(exchange(put(std::string(512, 'h'), (1u << 4) | 0u | 5u)).code, kChanged);
  EXPECT_EQ(timezone(), std::string(512, 'g') + std::string(512, 'h'));

  // Seven refusals, one log line (rate-limited), naming the limit.
  EXPECT_EQ(occurrences(daemon_->output(), "refused a request body"), 1u) << daemon_->output();
  EXPECT_THAT(daemon_->output(), HasSubstr("max_payload"));
  ASSERT_EQ(exchange(put("UTC")).code, kChanged) << "the daemon goes on serving";
  EXPECT_EQ(timezone(), "UTC");
}

// A copy of a Confirmable request (the server's retransmission when the ACK was lost, or the
// network's duplicate) is answered as the first was and not served again (RFC 7252 §4.5).
// Served again, a late copy of a write undid the write after it, and a copy of a body's last
// block got 4.08 although the body was written.
TEST_F(Limits, ACopyOfARequestIsAnsweredAsBeforeAndServedOnce) {
  start();
  const RawMessage first = put("Europe/Paris");
  ASSERT_EQ(exchange(first).code, kChanged);
  ASSERT_EQ(exchange(put("Asia/Tokyo")).code, kChanged);
  EXPECT_EQ(exchange(first).code, kChanged) << "the copy gets the first answer";
  EXPECT_EQ(timezone(), "Asia/Tokyo") << "the copy must not write again";

  requestTag_ = "dup";
  EXPECT_EQ(exchange(put(std::string(16, 'a'), (0u << 4) | 8u | 0u)).code, kContinue);
  const RawMessage last = put("bbbbb", (1u << 4) | 0u | 0u);
  const RawMessage done = exchange(last);
  ASSERT_EQ(done.code, kChanged);
  const RawMessage again = exchange(last);
  EXPECT_EQ(again.code, kChanged) << again.text();
  EXPECT_EQ(again.uintOption(kBlock1), done.uintOption(kBlock1));
  EXPECT_EQ(timezone(), std::string(16, 'a') + "bbbbb");
}

TEST_F(Limits, ObserveBeyondTheLimitIsAPlainRead) {
  start();
  std::vector<std::vector<uint8_t>> tokens;
  for (const char* path : {"/3/0/0", "/3/0/1", "/3/0/2"}) {
    RawMessage answer = observe(path, 0);
    EXPECT_EQ(answer.code, kContent) << path;
    EXPECT_TRUE(answer.observe()) << path << " is observed";
    tokens.push_back(answer.token);
  }
  // The fourth: the value, without an Observe option (RFC 7641 §4.1).
  RawMessage fourth = observe("/3/0/3", 0);
  EXPECT_EQ(fourth.code, kContent);
  EXPECT_EQ(fourth.text(), "1.2.3");
  EXPECT_FALSE(fourth.observe()) << "beyond max_observations_per_server";
  EXPECT_THAT(daemon_->output(), HasSubstr("max_observations_per_server"));

  // Re-registering an observation with its token still works at the limit.
  RawMessage again = observe("/3/0/0", 0, tokens[0]);
  EXPECT_EQ(again.code, kContent);
  EXPECT_TRUE(again.observe());
  // Another refusal within 10 s is counted, not logged.
  EXPECT_FALSE(observe("/3/0/3", 0).observe());
  EXPECT_EQ(occurrences(daemon_->output(), "max_observations_per_server); answered"), 1u);

  // Cancelling one frees a slot: the refused ones were never stored, so one more fits now.
  RawMessage cancelled = observe("/3/0/1", 1, tokens[1]);
  EXPECT_EQ(cancelled.code, kContent);
  EXPECT_FALSE(cancelled.observe());
  RawMessage fits = observe("/3/0/3", 0);
  EXPECT_EQ(fits.code, kContent);
  EXPECT_TRUE(fits.observe()) << daemon_->output();
  // A second observation of an observed path (a new token) is one more too.
  RawMessage full = observe("/3/0/2", 0);
  EXPECT_EQ(full.code, kContent);
  EXPECT_FALSE(full.observe()) << "full again";
}

TEST_F(Limits, RequestsBeyondThePendingLimitGet503WithMaxAge) {
  start();
  ASSERT_TRUE(waitForBusName());
  const char* program = std::getenv("LWM2MD_LIMITS_PROVIDER");
  ASSERT_TRUE(program) << "LWM2MD_LIMITS_PROVIDER is not set";
  provider_ = std::make_unique<ChildProcess>(
      program, std::vector<std::string>{"--bus-address", bus_.address(), "--seconds", "60"});
  ASSERT_TRUE(provider_->started()) << provider_->error();
  ASSERT_TRUE(peer_.waitForUpdate("</3303/0>", 15s)) << provider_->output() << daemon_->output();

  auto read = [&] {
    RawMessage message = peer_.request(kGet, "/3303/0/5700");
    message.addUintOption(kAccept, kText);
    peer_.send(message);
    return message.token;
  };
  // Two reads wait for the provider, which hangs in the first.
  const auto first = read();
  const auto second = read();
  peer_.pump(300ms);
  // The third is refused at once, with a retry hint.
  const auto third = read();
  auto refused = peer_.responseTo(third, 1s);
  ASSERT_TRUE(refused) << daemon_->output();
  EXPECT_EQ(refused->code, kUnavailable);
  EXPECT_EQ(refused->uintOption(kMaxAge), 2u);
  EXPECT_EQ(refused->text(), "too many requests waiting for providers (2)");
  EXPECT_THAT(daemon_->output(), HasSubstr("max_pending_requests"));
  // Requests no provider serves are not held back.
  RawMessage manufacturer = peer_.request(kGet, "/3/0/0");
  manufacturer.addUintOption(kAccept, kText);
  EXPECT_EQ(exchange(manufacturer).code, kContent);

  // The two waiting ones time out (provider_timeout = 2 s) and free their slots.
  auto timedOut1 = peer_.responseTo(first, 5s);
  auto timedOut2 = peer_.responseTo(second, 5s);
  ASSERT_TRUE(timedOut1 && timedOut2) << daemon_->output();
  EXPECT_EQ(timedOut1->code, kGatewayTimeout);
  EXPECT_EQ(timedOut2->code, kGatewayTimeout);
  // So the next one waits for the provider again instead of being refused.
  const auto fourth = read();
  auto waited = peer_.responseTo(fourth, 5s);
  ASSERT_TRUE(waited) << daemon_->output();
  EXPECT_EQ(waited->code, kGatewayTimeout) << waited->text();
}

TEST_F(Limits, ReloadAppliesChangedLimitsAtOnce) {
  start();
  const std::string body(1100, 'r');
  expectTooLarge(exchange(put(body)));
  EXPECT_TRUE(observe("/3/0/0", 0).observe());

  writeFile(dir_.file("lwm2md.toml"),
            limitsConfig("max_payload = 2048\nmax_observations_per_server = 1\n"));
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(server_.waitFor(
      [&] {
        peer_.pump(20ms);
        return daemon_->output().find("reload: [limits] max_payload 2048") != std::string::npos;
      },
      10s))
      << daemon_->output();
  // The larger body fits now; the observation held stays, and a second no longer fits.
  EXPECT_EQ(exchange(put(body)).code, kChanged);
  // Read back: it comes in blocks (Block2); the first names the whole size (Size2).
  RawMessage read = peer_.request(kGet, kTimezone);
  read.addUintOption(kAccept, kText);
  RawMessage first = exchange(read);
  EXPECT_EQ(first.code, kContent);
  EXPECT_EQ(first.uintOption(kSize2), body.size());
  EXPECT_EQ(first.text(), body.substr(0, first.payload.size()));
  EXPECT_FALSE(observe("/3/0/1", 0).observe());
  EXPECT_EQ(peer_.registers(), 1) << "a [limits] change re-registers nothing";
}

}  // namespace
}  // namespace lwm2md::test

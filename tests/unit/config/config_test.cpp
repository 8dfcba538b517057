#include "config/config.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lwm2md {
namespace {

using testing::HasSubstr;

const std::filesystem::path kExample =
    std::filesystem::path(LWM2MD_SOURCE_DIR) / "conf" / "lwm2md.toml";

std::string hostName() {
  std::array<char, 256> buffer{};
  EXPECT_EQ(gethostname(buffer.data(), buffer.size() - 1), 0);
  return buffer.data();
}

TEST(Config, ExampleFileLoadsWithTheDocumentedValues) {
  auto config = loadConfig(kExample);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->sourceFile, kExample);
  EXPECT_EQ(config->endpoint, hostName());
  EXPECT_EQ(config->stateDir, "/var/lib/lwm2md");
  EXPECT_TRUE(config->objectDirs.empty());
  EXPECT_EQ(config->logLevel, "info");
  EXPECT_FALSE(config->bootstrap);
  ASSERT_EQ(config->servers.size(), 1u);
  const ServerConfig& server = config->servers[0];
  EXPECT_EQ(server.uri, "coap://127.0.0.1:5683");
  EXPECT_EQ(server.shortId, 1);
  EXPECT_EQ(server.lifetime, 86400u);
  EXPECT_EQ(server.binding, "U");
  EXPECT_EQ(server.version, "1.1");
  EXPECT_EQ(server.security.mode, "nosec");
  EXPECT_TRUE(server.security.identity.empty());
  EXPECT_TRUE(server.security.secretKey.empty());
  EXPECT_FALSE(server.notifyConfirmable);
  EXPECT_EQ(server.defaultPmin, 0u);
  EXPECT_EQ(server.defaultPmax, 0u);
  EXPECT_EQ(config->device.manufacturer, "Example Corp");
  EXPECT_EQ(config->device.model, "GW-1");
  EXPECT_EQ(config->device.serial, "0001");
  EXPECT_EQ(config->device.firmwareVersion, "1.0.0");
  EXPECT_EQ(config->device.deviceType, "");
  EXPECT_EQ(config->registration.retryInitialSeconds, 2u);
  EXPECT_EQ(config->registration.retryMaxSeconds, 300u);
  EXPECT_DOUBLE_EQ(config->registration.updateAtFraction, 0.9);
  EXPECT_DOUBLE_EQ(config->coap.ackTimeoutSeconds, 2.0);
  EXPECT_DOUBLE_EQ(config->coap.ackRandomFactor, 1.5);
  EXPECT_EQ(config->coap.maxRetransmit, 4u);
  EXPECT_EQ(config->coap.nstart, 1u);
  EXPECT_EQ(config->limits, LimitsConfig{});
  EXPECT_EQ(config->limits.maxPayloadBytes, 1048576u);
  EXPECT_EQ(config->limits.maxInstancesPerProvider, 10000u);
  EXPECT_EQ(config->limits.maxObservationsPerServer, 4096u);
  EXPECT_EQ(config->limits.maxPendingRequests, 256u);
  EXPECT_EQ(config->limits.dbusCallsPerSecond, 20000u);
}

// The example is the reference users copy from: every key the loader accepts must appear in
// it, set or commented out.
TEST(Config, ExampleFileDocumentsEveryKey) {
  std::ifstream in(kExample);
  std::stringstream text;
  text << in.rdbuf();
  const std::string example = text.str();
  ASSERT_FALSE(example.empty());
  for (const char* key : {"endpoint",
                          "state_dir",
                          "object_dirs",
                          "log_level",
                          "uri",
                          "security",
                          "psk_identity",
                          "psk_key",
                          "psk_key_file",
                          "certificate",
                          "certificate_file",
                          "private_key",
                          "private_key_file",
                          "server_certificate",
                          "server_certificate_file",
                          "public_key",
                          "public_key_file",
                          "server_public_key",
                          "server_public_key_file",
                          "short_id",
                          "lifetime",
                          "binding",
                          "version",
                          "notify_confirmable",
                          "default_pmin",
                          "default_pmax",
                          "manufacturer",
                          "model",
                          "serial",
                          "firmware_version",
                          "device_type",
                          "hardware_version",
                          "software_version",
                          "retry_initial",
                          "retry_max",
                          "update_at_fraction",
                          "ack_timeout",
                          "ack_random_factor",
                          "max_retransmit",
                          "nstart",
                          "provider_timeout",
                          "max_payload",
                          "max_instances_per_provider",
                          "max_observations_per_server",
                          "max_pending_requests",
                          "dbus_calls_per_second"}) {
    const std::string set = std::string("\n") + key + " = ";
    const std::string commented = std::string("\n#") + key + " = ";
    EXPECT_TRUE(example.find(set) != std::string::npos ||
                example.find(commented) != std::string::npos)
        << key;
  }
  for (const char* table : {"\n#[bootstrap]\n", "\n[[server]]\n", "\n[device]\n",
                            "\n[registration]\n", "\n[coap]\n", "\n[dbus]\n", "\n[limits]\n"}) {
    EXPECT_THAT(example, HasSubstr(table));
  }
}

// Uncommenting the optional keys of the example (with a coaps server for the PSK ones) must
// still give a valid file: the commented values are not allowed to rot. Key files and the
// certificate/RPK keys (another security mode, placeholders) stay commented; the security
// tests load those.
TEST(Config, ExampleWithOptionalKeysUncommentedLoads) {
  std::ifstream in(kExample);
  std::string line;
  std::string text;
  int uncommented = 0;
  // Bounded by the file's line count.
  while (std::getline(in, line)) {
    const bool keyLine = line.size() > 2 && line[0] == '#' && line[1] != ' ' &&
                         line.find(" = ") != std::string::npos;
    const std::string key = keyLine ? line.substr(1, line.find(" = ") - 1) : "";
    const bool otherMode = key.ends_with("_file") || key.ends_with("certificate") ||
                           key.ends_with("public_key") || key == "private_key";
    if ((keyLine && !otherMode) || line == "#[bootstrap]") {
      line.erase(0, 1);
      ++uncommented;
    }
    text += line + '\n';
  }
  EXPECT_GE(uncommented, 12);
  // The PSK keys now sit in the coap:// nosec server; make it a PSK server.
  for (auto [from, to] :
       {std::pair<std::string, std::string>{"coap://127.0.0.1:5683", "coaps://127.0.0.1:5684"},
        {"security = \"nosec\"", "security = \"psk\""}}) {
    auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  }
  auto config = parseConfig(text, "uncommented.toml");
  ASSERT_TRUE(config.ok()) << config.error().message << "\n" << text;
  EXPECT_EQ(config->endpoint, "gw-0001");
  ASSERT_EQ(config->objectDirs.size(), 1u);
  ASSERT_TRUE(config->bootstrap);
  EXPECT_EQ(config->bootstrap->uri, "coaps://bs.example.net:5684");
  EXPECT_EQ(config->bootstrap->security.mode, "psk");
  EXPECT_EQ(config->bootstrap->security.secretKey,
            (std::vector<std::uint8_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  const auto& identity = config->servers.at(0).security.identity;
  EXPECT_EQ(std::string(identity.begin(), identity.end()), "gw-0001");
  EXPECT_EQ(config->device.softwareVersion, "0.1.0");
}

TEST(Config, MinimalFileGetsTheDefaults) {
  auto config = parseConfig("[[server]]\nuri = \"coap://[::1]\"\n", "min.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->sourceFile, "min.toml");
  EXPECT_EQ(config->endpoint, hostName());
  EXPECT_FALSE(config->endpoint.empty());
  EXPECT_EQ(config->stateDir, "/var/lib/lwm2md");
  EXPECT_EQ(config->logLevel, "info");
  EXPECT_FALSE(config->bootstrap);
  ASSERT_EQ(config->servers.size(), 1u);
  const ServerConfig& s = config->servers[0];
  EXPECT_EQ(s.uri, "coap://[::1]");
  EXPECT_EQ(s.shortId, 1);
  EXPECT_EQ(s.lifetime, 86400u);
  EXPECT_EQ(s.binding, "U");
  EXPECT_EQ(s.version, "1.1");
  EXPECT_EQ(s.security.mode, "nosec");
  EXPECT_EQ(config->device.manufacturer, "");
  EXPECT_EQ(config->registration.retryInitialSeconds, 2u);
  EXPECT_EQ(config->registration.retryMaxSeconds, 300u);
  EXPECT_DOUBLE_EQ(config->registration.updateAtFraction, 0.9);
  // RFC 7252 §4.8 defaults when there is no [coap] table.
  EXPECT_DOUBLE_EQ(config->coap.ackTimeoutSeconds, 2.0);
  EXPECT_DOUBLE_EQ(config->coap.ackRandomFactor, 1.5);
  EXPECT_EQ(config->coap.maxRetransmit, 4u);
}

TEST(Config, CoapTransmissionParametersAreRead) {
  auto config = parseConfig(
      "[[server]]\nuri = \"coap://[::1]\"\n"
      "[coap]\nack_timeout = 1.25\nack_random_factor = 1\nmax_retransmit = 1\nnstart = 8\n",
      "coap.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_DOUBLE_EQ(config->coap.ackTimeoutSeconds, 1.25);
  EXPECT_DOUBLE_EQ(config->coap.ackRandomFactor, 1.0);
  EXPECT_EQ(config->coap.maxRetransmit, 1u);
  EXPECT_EQ(config->coap.nstart, 8u);
}

TEST(Config, CoapTransmissionParametersAtTheirLimits) {
  auto config = parseConfig(
      "[[server]]\nuri = \"coap://[::1]\"\n"
      "[coap]\nack_timeout = 300\nack_random_factor = 10.0\nmax_retransmit = 20\n",
      "coap.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_DOUBLE_EQ(config->coap.ackTimeoutSeconds, 300.0);
  EXPECT_DOUBLE_EQ(config->coap.ackRandomFactor, 10.0);
  EXPECT_EQ(config->coap.maxRetransmit, 20u);
  // Only some keys set: the others keep their defaults.
  auto partial =
      parseConfig("[[server]]\nuri = \"coap://[::1]\"\n[coap]\nack_timeout = 1\n", "coap.toml");
  ASSERT_TRUE(partial.ok()) << partial.error().message;
  EXPECT_DOUBLE_EQ(partial->coap.ackTimeoutSeconds, 1.0);
  EXPECT_DOUBLE_EQ(partial->coap.ackRandomFactor, 1.5);
  EXPECT_EQ(partial->coap.maxRetransmit, 4u);
}

TEST(Config, LimitsAreReadAndDefaultWhenAbsent) {
  auto config = parseConfig(
      "[[server]]\nuri = \"coap://[::1]\"\n"
      "[limits]\nmax_payload = 1024\nmax_instances_per_provider = 1\n"
      "max_observations_per_server = 1000000\nmax_pending_requests = 100000\n"
      "dbus_calls_per_second = 0\n",
      "limits.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->limits.maxPayloadBytes, 1024u);
  EXPECT_EQ(config->limits.maxInstancesPerProvider, 1u);
  EXPECT_EQ(config->limits.maxObservationsPerServer, 1000000u);
  EXPECT_EQ(config->limits.maxPendingRequests, 100000u);
  EXPECT_EQ(config->limits.dbusCallsPerSecond, 0u);
  auto partial = parseConfig(
      "[[server]]\nuri = \"coap://[::1]\"\n[limits]\nmax_payload = 67108864\n", "limits.toml");
  ASSERT_TRUE(partial.ok()) << partial.error().message;
  EXPECT_EQ(partial->limits.maxPayloadBytes, 67108864u);
  EXPECT_EQ(partial->limits.maxPendingRequests, LimitsConfig{}.maxPendingRequests);
}

TEST(Config, BootstrapTimers) {
  auto config = parseConfig(
      "[bootstrap]\nuri = \"coap://127.0.0.1:5690\"\nhold_off = 30\naccount_timeout = 600\n",
      "bs.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_TRUE(config->bootstrap);
  EXPECT_EQ(config->bootstrap->holdOffSeconds, 30u);
  EXPECT_EQ(config->bootstrap->accountTimeoutSeconds, 600u);
  auto bad = parseConfig("[bootstrap]\nuri = \"coap://127.0.0.1\"\nhold_off = -1\n", "bs.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("bs.toml:3: key 'bootstrap.hold_off'"));
}

TEST(Config, BootstrapAloneIsEnough) {
  char dir[] = "/tmp/lwm2md-config-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::filesystem::path keyFile = std::filesystem::path(dir) / "bs.psk";
  std::ofstream(keyFile) << "0102\n";
  std::filesystem::permissions(keyFile, std::filesystem::perms::owner_read);
  auto config = parseConfig(
      "endpoint = \"ep-1\"\n[bootstrap]\nuri = \"coaps://bs.example.net\"\nsecurity = \"psk\"\n"
      "psk_identity = \"id\"\npsk_key_file = \"" +
          keyFile.string() + "\"\n",
      "bs.toml");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->endpoint, "ep-1");
  EXPECT_TRUE(config->servers.empty());
  ASSERT_TRUE(config->bootstrap);
  EXPECT_EQ(config->bootstrap->security.mode, "psk");
  EXPECT_EQ(config->bootstrap->security.identity, (std::vector<std::uint8_t>{'i', 'd'}));
  EXPECT_EQ(config->bootstrap->security.secretKey, (std::vector<std::uint8_t>{1, 2}));
}

TEST(Config, ReadsEveryServerKeyAndSeveralServers) {
  auto config = parseConfig(R"(endpoint = "urn:dev:ops:1-GW-1"
object_dirs = ["/a", "/b"]
log_level = "trace"
[[server]]
uri = "coap://127.0.0.1:15683"
short_id = 7
lifetime = 2147483648
binding = "UQT"
notify_confirmable = true
default_pmin = 5
default_pmax = 60
[[server]]
uri = "coaps://lwm2m.example.net"
short_id = 65534
version = "1.0"
binding = "UQS"
security = "psk"
psk_identity = "gw"
psk_key = "0A0b"
[registration]
retry_initial = 1
retry_max = 1
update_at_fraction = 0.5
)",
                            "full.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->endpoint, "urn:dev:ops:1-GW-1");
  EXPECT_EQ(config->objectDirs, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(config->logLevel, "trace");
  ASSERT_EQ(config->servers.size(), 2u);
  const ServerConfig& a = config->servers[0];
  EXPECT_EQ(a.shortId, 7);
  EXPECT_EQ(a.lifetime, 2147483648u);
  EXPECT_EQ(a.binding, "UQT");
  EXPECT_TRUE(a.notifyConfirmable);
  EXPECT_EQ(a.defaultPmin, 5u);
  EXPECT_EQ(a.defaultPmax, 60u);
  const ServerConfig& b = config->servers[1];
  EXPECT_EQ(b.shortId, 65534);
  EXPECT_EQ(b.version, "1.0");
  EXPECT_EQ(b.security.mode, "psk");
  EXPECT_EQ(b.security.identity, (std::vector<std::uint8_t>{'g', 'w'}));
  EXPECT_EQ(b.security.secretKey, (std::vector<std::uint8_t>{0x0a, 0x0b}));
  EXPECT_EQ(config->registration.retryInitialSeconds, 1u);
  EXPECT_EQ(config->registration.retryMaxSeconds, 1u);
  EXPECT_DOUBLE_EQ(config->registration.updateAtFraction, 0.5);
}

TEST(Config, InlineArrayOfServerTablesIsTheSameAsDoubleBrackets) {
  auto config = parseConfig(
      "server = [{uri = \"coap://127.0.0.1\", short_id = 2}, {uri = \"coap://127.0.0.2\"}]\n",
      "inline.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->servers.size(), 2u);
  EXPECT_EQ(config->servers[0].shortId, 2);
  EXPECT_EQ(config->servers[1].shortId, 1);
}

TEST(Config, MissingFileNamesTheFileAndTheReason) {
  auto config = loadConfig("/nonexistent/lwm2md.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            "/nonexistent/lwm2md.toml: cannot read: No such file or directory");
  EXPECT_EQ(config.error().kind, ErrorKind::NotFound);
}

TEST(Config, DirectoryIsNotReadable) {
  auto config = loadConfig("/tmp");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, "/tmp: cannot read: Is a directory");
}

TEST(Config, LoadReportsErrorsWithThePathItWasGiven) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("lwm2md-config-test-" + std::to_string(getpid()) + ".toml");
  {
    std::ofstream out(file);
    out << "[[server]]\nuri = \"coap://127.0.0.1\"\nlifetime = 0\n";
  }
  auto config = loadConfig(file);
  std::filesystem::remove(file);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            file.string() + ":3: key 'server[0].lifetime': must be an integer in 1..2147483648");
}

TEST(Config, OversizedFileIsRefused) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("lwm2md-config-big-" + std::to_string(getpid()) + ".toml");
  {
    std::ofstream out(file);
    out << std::string(2 << 20, '#');
  }
  auto config = loadConfig(file);
  std::filesystem::remove(file);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("cannot read: larger than"));
}

TEST(Config, LogLevelNames) {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    EXPECT_TRUE(isLogLevel(level)) << level;
  }
  EXPECT_FALSE(isLogLevel(""));
  EXPECT_FALSE(isLogLevel("warning"));
  EXPECT_FALSE(isLogLevel("Info"));
}

}  // namespace
}  // namespace lwm2md

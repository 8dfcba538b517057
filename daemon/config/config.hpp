#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace lwm2md {

/// How a session to a server is secured, with the key material already decoded to bytes (the
/// config names files or gives hex/base64; this holds what goes into the Security object).
/// The bytes are secret in part: never log them.
struct SecurityConfig {
  std::string mode = "nosec";  // nosec | psk | cert | rpk
  std::vector<std::uint8_t>
      identity;  // -> /0/x/3: PSK identity, own cert DER, own RPK public key DER
  std::vector<std::uint8_t>
      serverKey;  // -> /0/x/4: server cert / CA DER, or server RPK public key DER
  std::vector<std::uint8_t> secretKey;  // -> /0/x/5: PSK key, or own private key DER

  bool operator==(const SecurityConfig&) const = default;
};

/// One factory-provisioned LwM2M server ([[server]] table).
struct ServerConfig {
  std::string uri;                 // coap://host:port, or coaps:// with DTLS
  std::uint16_t shortId = 1;       // 1..65534
  std::uint32_t lifetime = 86400;  // seconds, >= 1
  std::string binding = "U";       // U, UQ, S, ... (LwM2M binding letters)
  std::string version = "1.1";     // "1.0" or "1.1"
  SecurityConfig security;
  bool notifyConfirmable = false;  // notifications as CON
  std::uint32_t defaultPmin = 0;   // Server object resource 2
  std::uint32_t defaultPmax = 0;   // Server object resource 3 (0 = none)

  /// A SIGHUP reload re-registers a server whose table changed in any way.
  bool operator==(const ServerConfig&) const = default;
};

/// [bootstrap] table (optional; used by a later issue).
struct BootstrapConfig {
  std::string uri;
  SecurityConfig security;
  /// Client Hold Off Time (/0/x/11): seconds to wait before a client-initiated bootstrap.
  std::uint32_t holdOffSeconds = 0;
  /// Bootstrap-Server Account Timeout (/0/x/12): how long the account lives after a
  /// successful bootstrap; 0 = for ever.
  std::uint32_t accountTimeoutSeconds = 0;

  bool operator==(const BootstrapConfig&) const = default;
};

/// [device] table: the Device object's protocol resources.
struct DeviceConfig {
  std::string manufacturer;     // /3/0/0
  std::string model;            // /3/0/1
  std::string serial;           // /3/0/2
  std::string firmwareVersion;  // /3/0/3
  std::string deviceType;       // /3/0/17
  std::string hardwareVersion;  // /3/0/18
  std::string softwareVersion;  // /3/0/19

  bool operator==(const DeviceConfig&) const = default;
};

/// [registration] table: retry behaviour of Register (exponential back-off).
struct RegistrationConfig {
  std::uint32_t retryInitialSeconds = 2;
  std::uint32_t retryMaxSeconds = 300;
  /// An Update is sent when this fraction of the lifetime has passed (0.5 .. 0.95).
  double updateAtFraction = 0.9;
  /// on_stop = "keep": a stop (SIGTERM) leaves the registrations on the servers, without a
  /// De-register, so that the next start resumes them (and the servers' observations) with an
  /// Update. "deregister" (default) ends them as the TS expects of a client going away.
  bool keepOnStop = false;
  /// resume = true: a start within a saved registration's lifetime takes it up with an Update
  /// from the same UDP port, and the servers' observations with it, instead of registering
  /// anew. Off by default while one intermittent failure (a server write right after the
  /// resuming Update went unanswered, once in CI) is open.
  bool resume = false;

  bool operator==(const RegistrationConfig&) const = default;
};

/// [coap] table: the CoAP transmission parameters (RFC 7252 §4.8) of every server session.
/// They decide how long a CON message (a request or a confirmable notification) is
/// retransmitted before it counts as lost.
struct CoapConfig {
  double ackTimeoutSeconds = 2.0;   // ACK_TIMEOUT, 1..300 (libcoap 4.3.1 ignores < 1 s)
  double ackRandomFactor = 1.5;     // ACK_RANDOM_FACTOR, 1..10
  std::uint32_t maxRetransmit = 4;  // MAX_RETRANSMIT, 1..20 (libcoap 4.3.1 ignores 0)
  std::uint32_t nstart = 1;         // NSTART, 1..32: CON messages in flight per server

  bool operator==(const CoapConfig&) const = default;
};

/// [limits] table: bounds that keep one misbehaving server or D-Bus client from exhausting the
/// daemon. Hitting one refuses that one request with a precise error and a log line; nothing
/// already held is dropped.
struct LimitsConfig {
  /// Largest request body a server may send, a block-wise (Block1) transfer counted whole
  /// (4.13 Request Entity Too Large with Size1), and the largest value a D-Bus client may Set.
  std::uint32_t maxPayloadBytes = 1U << 20;
  /// Instances one D-Bus client (unique bus name) may own at once.
  std::uint32_t maxInstancesPerProvider = 10000;
  /// Observations one server may hold; an Observe beyond it is answered as a plain GET
  /// (RFC 7641 §4.1: no Observe option in the response).
  std::uint32_t maxObservationsPerServer = 4096;
  /// Server requests waiting for callback providers at once, all servers together; one beyond
  /// it gets 5.03 Service Unavailable with Max-Age.
  std::uint32_t maxPendingRequests = 256;
  /// Method calls per second one D-Bus client may make (a burst of as many is allowed); 0 means
  /// no limit.
  std::uint32_t dbusCallsPerSecond = 20000;

  bool operator==(const LimitsConfig&) const = default;
};

struct Config {
  std::filesystem::path sourceFile;  // the file it was loaded from ("" for defaults)
  std::string endpoint;              // default: the host name
  std::string stateDir = "/var/lib/lwm2md";
  std::vector<std::string> objectDirs;
  std::string logLevel = "info";  // trace debug info warn error critical off
  std::optional<BootstrapConfig> bootstrap;
  std::vector<ServerConfig> servers;
  DeviceConfig device;
  RegistrationConfig registration;
  CoapConfig coap;
  /// [dbus] provider_timeout: how long a server request waits for a callback provider before
  /// the server gets 5.04 Gateway Timeout.
  double providerTimeoutSeconds = 5.0;
  LimitsConfig limits;
};

/// Loads and validates a TOML config file. Unknown keys, wrong types and out-of-range values
/// are errors whose message names the file, the line and the key, e.g.
///   "/etc/lwm2md/lwm2md.toml:12: key 'server[0].lifetime': must be an integer >= 1"
/// A TOML syntax error gives the parser's line and column. Key files (psk_key_file, ...) are
/// read while loading; a relative one is taken relative to the config file's directory.
Result<Config> loadConfig(const std::filesystem::path& file);
/// The same from text (`source` names it in messages); used by tests and fuzzing.
Result<Config> parseConfig(std::string_view text, const std::filesystem::path& source);

/// Whether `level` is one of the log_level names (trace debug info warn error critical off);
/// shared with the --log-level option.
bool isLogLevel(std::string_view level);

}  // namespace lwm2md

#include "config/config.hpp"

#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/coap_uri.hpp"
#include "config/key_material.hpp"
#include "config/table_reader.hpp"

namespace lwm2md {

namespace {

constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};
constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
// Beyond this a lifetime no longer fits the signed 32-bit timers some servers use.
constexpr std::int64_t kMaxLifetime = std::int64_t{1} << 31;
// A config file is a few kilobytes; the cap keeps a wrong path (a device, a log) from being
// slurped whole.
constexpr std::size_t kMaxFileSize = 1 << 20;

// The Endpoint Client Name goes into the Register query as "ep=...", unescaped by many servers.
bool isValidEndpoint(std::string_view endpoint) {
  if (endpoint.empty()) return false;
  for (char c : endpoint) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '&') return false;
  }
  return true;
}

std::string hostName() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return {};
  return std::string(buffer.data());
}

// LwM2M 1.1 binding letters: U(DP), T(CP), S(MS), N(on-IP), plus Q(ueue mode). 1.0 knows only
// U, S and Q, and a binding must name at least one transport.
std::string bindingProblem(std::string_view binding, std::string_view version) {
  if (binding.empty()) return "must not be empty";
  std::set<char> seen;
  bool transport = false;
  for (char c : binding) {
    if (std::string_view("UQSNT").find(c) == std::string_view::npos) {
      return "may only contain the letters U, Q, S, N, T";
    }
    if (!seen.insert(c).second) return fmt::format("repeats the letter '{}'", c);
    if (c != 'Q') transport = true;
    if ((c == 'N' || c == 'T') && version == "1.0") {
      return fmt::format("letter '{}' needs version = \"1.1\"", c);
    }
  }
  if (!transport) return "must contain a transport (U, S, N or T), not only Q";
  return {};
}

// One piece of key material: given inline (`key`) or as a file (`key`_file), used by some
// security modes and required by some of them.
struct KeyItem {
  std::string_view key;
  KeyMaterial kind;
  std::vector<std::uint8_t> SecurityConfig::*field;
  std::string_view usedBy;    // the modes that read it, as the message names them
  std::string_view required;  // the mode that needs it ("" when optional everywhere)
};

constexpr std::array<KeyItem, 6> kKeyItems{{
    {"psk_key", KeyMaterial::PskKey, &SecurityConfig::secretKey, "\"psk\"", "psk"},
    {"certificate", KeyMaterial::Certificate, &SecurityConfig::identity, "\"cert\"", "cert"},
    {"server_certificate", KeyMaterial::Certificate, &SecurityConfig::serverKey, "\"cert\"", ""},
    {"public_key", KeyMaterial::PublicKey, &SecurityConfig::identity, "\"rpk\"", "rpk"},
    {"server_public_key", KeyMaterial::PublicKey, &SecurityConfig::serverKey, "\"rpk\"", ""},
    {"private_key", KeyMaterial::PrivateKey, &SecurityConfig::secretKey, "\"cert\" or \"rpk\"",
     "cert rpk"},
}};

bool usedIn(const KeyItem& item, std::string_view mode) {
  return item.usedBy.find(fmt::format("\"{}\"", mode)) != std::string_view::npos;
}

bool requiredIn(const KeyItem& item, std::string_view mode) {
  for (std::size_t at = 0; at < item.required.size();) {
    std::size_t end = item.required.find(' ', at);
    if (end == std::string_view::npos) end = item.required.size();
    if (item.required.substr(at, end - at) == mode) return true;
    at = end + 1;
  }
  return false;
}

// Reads one item into `out`: exactly one of the inline value and the file, decoded to bytes.
void readKeyItem(TableReader& r, const KeyItem& item, SecurityConfig& out,
                 const std::filesystem::path& baseDir) {
  const std::string fileKey = fmt::format("{}_file", item.key);
  auto inlineValue = r.string(item.key);
  auto fileValue = r.string(fileKey);
  const bool hasInline = r.has(item.key);
  const bool hasFile = r.has(fileKey);
  if (!usedIn(item, out.mode)) {
    // Keys left over from another mode would be silently ignored: say so instead.
    for (std::string_view k : {std::string_view(item.key), std::string_view(fileKey)}) {
      if (r.has(k)) r.fail(k, fmt::format("is only used with security = {}", item.usedBy));
    }
    return;
  }
  if (hasInline && hasFile) {
    r.fail(fileKey, fmt::format("{} and {} are mutually exclusive", item.key, fileKey));
    return;
  }
  if (!hasInline && !hasFile) {
    if (requiredIn(item, out.mode))
      r.fail(item.key,
             fmt::format("security = \"{}\" needs {} or {}", out.mode, item.key, fileKey));
    return;
  }
  if (inlineValue) {
    auto bytes = decodeInlineKey(*inlineValue, item.kind);
    if (bytes) {
      out.*item.field = std::move(*bytes);
    } else {
      r.fail(item.key, bytes.error().message);
    }
  } else if (fileValue) {
    if (fileValue->empty()) {
      r.fail(fileKey, "must not be empty");
      return;
    }
    // A relative path is relative to the config file, not to wherever the daemon started.
    const std::filesystem::path path = baseDir / *fileValue;
    auto bytes = readKeyFile(path, item.kind);
    if (bytes) {
      out.*item.field = std::move(*bytes);
    } else {
      r.fail(fileKey, bytes.error().message);
    }
  }
}

void readSecurity(TableReader& r, SecurityConfig& out, std::optional<bool> secureUri,
                  const std::filesystem::path& baseDir) {
  if (auto v = r.string("security")) {
    if (*v == "nosec" || *v == "psk" || *v == "cert" || *v == "rpk") {
      out.mode = *v;
    } else {
      r.fail("security", "must be one of nosec, psk, cert, rpk");
      // Checking the keys against a mode the user did not mean would only add noise.
      r.get("psk_identity");
      for (const KeyItem& item : kKeyItems) {
        r.get(item.key);
        r.get(fmt::format("{}_file", item.key));
      }
      return;
    }
  }
  auto identity = r.string("psk_identity");
  if (out.mode == "psk") {
    if (!r.has("psk_identity")) {
      r.fail("psk_identity", "is required when security = \"psk\"");
    } else if (identity && identity->empty()) {
      r.fail("psk_identity", "must not be empty");
    } else if (identity) {
      out.identity.assign(identity->begin(), identity->end());
    }
  } else if (r.has("psk_identity")) {
    r.fail("psk_identity", "is only used with security = \"psk\"");
  }
  for (const KeyItem& item : kKeyItems) readKeyItem(r, item, out, baseDir);

  // The scheme and the mode must agree: coaps:// with NoSec has no keys to shake hands with,
  // and coap:// with keys would send them nowhere.
  if (secureUri) {
    const bool nosec = out.mode == "nosec";
    if (*secureUri && nosec) {
      r.fail("security", "coaps:// needs security = psk, cert or rpk");
    } else if (!*secureUri && !nosec) {
      r.fail("security", fmt::format("security = \"{}\" needs a coaps:// uri", out.mode));
    }
  }
}

// Returns whether the uri is coaps://, or nullopt if it is absent or invalid.
std::optional<bool> readUri(TableReader& r, std::string& out) {
  if (!r.has("uri")) {
    r.fail("uri", "is required");
    return std::nullopt;
  }
  auto v = r.string("uri");
  if (!v) return std::nullopt;
  Result<CoapUri> uri = parseCoapUri(*v);
  if (!uri) {
    r.fail("uri", fmt::format("\"{}\" {}", *v, uri.error().message));
    return std::nullopt;
  }
  out = *v;
  return uri->secure;
}

BootstrapConfig readBootstrap(TableReader& r, const std::filesystem::path& baseDir) {
  BootstrapConfig b;
  std::optional<bool> secure = readUri(r, b.uri);
  readSecurity(r, b.security, secure, baseDir);
  if (auto v = r.integer("hold_off", 0, 86400)) b.holdOffSeconds = static_cast<std::uint32_t>(*v);
  if (auto v = r.integer("account_timeout", 0, 4294967295LL))
    b.accountTimeoutSeconds = static_cast<std::uint32_t>(*v);
  r.finish();
  return b;
}

ServerConfig readServer(TableReader& r, const std::filesystem::path& baseDir) {
  ServerConfig s;
  std::optional<bool> secure = readUri(r, s.uri);
  if (auto v = r.integer("short_id", 1, 65534)) s.shortId = static_cast<std::uint16_t>(*v);
  if (auto v = r.integer("lifetime", 1, kMaxLifetime)) s.lifetime = static_cast<std::uint32_t>(*v);
  if (auto v = r.string("version")) {
    if (*v == "1.0" || *v == "1.1") {
      s.version = *v;
    } else {
      r.fail("version", "must be \"1.0\" or \"1.1\"");
    }
  }
  if (auto v = r.string("binding")) {
    std::string problem = bindingProblem(*v, s.version);
    if (problem.empty()) {
      s.binding = *v;
    } else {
      r.fail("binding", problem);
    }
  }
  readSecurity(r, s.security, secure, baseDir);
  if (auto v = r.boolean("notify_confirmable")) s.notifyConfirmable = *v;
  auto pmin = r.integer("default_pmin", 0, kMaxU32);
  auto pmax = r.integer("default_pmax", 0, kMaxU32);
  if (pmin) s.defaultPmin = static_cast<std::uint32_t>(*pmin);
  if (pmax) s.defaultPmax = static_cast<std::uint32_t>(*pmax);
  if (pmin && pmax && *pmax != 0 && *pmax < *pmin) {
    r.fail("default_pmax", "must be 0 (none) or >= default_pmin");
  }
  r.finish();
  return s;
}

void readServers(TableReader& top, std::vector<ServerConfig>& out,
                 const std::filesystem::path& baseDir) {
  const toml::node* node = top.get("server");
  if (node == nullptr) return;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    top.fail("server", "must be an array of tables: write [[server]], not [server]");
    return;
  }
  Diagnostics& diag = top.diagnostics();
  std::vector<std::size_t> owners;  // index in `array` of each entry in `out`
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string name = fmt::format("server[{}]", i);
    const toml::table* table = element.as_table();
    if (table == nullptr) {
      diag.add(lineOf(element), name, "must be a table ([[server]])");
      continue;
    }
    TableReader r(diag, *table, name + ".");
    ServerConfig server = readServer(r, baseDir);
    // The Short Server ID is how the Server and Security objects refer to each other.
    for (std::size_t j = 0; j < out.size(); ++j) {
      if (out[j].shortId == server.shortId) {
        r.fail("short_id",
               fmt::format("short_id {}{} is already used by server[{}]", server.shortId,
                           r.has("short_id") ? "" : " (the default)", owners[j]));
        break;
      }
    }
    out.push_back(std::move(server));
    owners.push_back(i);
  }
}

DeviceConfig readDevice(TableReader& r) {
  DeviceConfig d;
  auto set = [&r](std::string_view key, std::string& field) {
    if (auto v = r.string(key)) field = *v;
  };
  set("manufacturer", d.manufacturer);
  set("model", d.model);
  set("serial", d.serial);
  set("firmware_version", d.firmwareVersion);
  set("device_type", d.deviceType);
  set("hardware_version", d.hardwareVersion);
  set("software_version", d.softwareVersion);
  r.finish();
  return d;
}

RegistrationConfig readRegistration(TableReader& r) {
  RegistrationConfig c;
  if (auto v = r.integer("retry_initial", 1, kMaxU32)) {
    c.retryInitialSeconds = static_cast<std::uint32_t>(*v);
  }
  if (auto v = r.integer("retry_max", 1, kMaxU32)) {
    if (*v < c.retryInitialSeconds) {
      r.fail("retry_max", fmt::format("must be >= retry_initial ({})", c.retryInitialSeconds));
    } else {
      c.retryMaxSeconds = static_cast<std::uint32_t>(*v);
    }
  } else if (!r.has("retry_max") && c.retryMaxSeconds < c.retryInitialSeconds) {
    r.fail("retry_initial", fmt::format("must be <= retry_max ({})", c.retryMaxSeconds));
  }
  if (auto v = r.number("update_at_fraction", 0.5, 0.95)) c.updateAtFraction = *v;
  if (auto v = r.boolean("resume")) c.resume = *v;
  if (auto v = r.string("on_stop")) {
    if (*v == "keep")
      c.keepOnStop = true;
    else if (*v != "deregister")
      r.fail("on_stop", fmt::format("must be \"deregister\" or \"keep\", not \"{}\"", *v));
  }
  r.finish();
  return c;
}

CoapConfig readCoap(TableReader& r) {
  CoapConfig c;
  // The lower bounds are libcoap 4.3.1's: it silently keeps its default for an ack_timeout
  // below 1 s or a max_retransmit of 0, so those must not pass for accepted values. The upper
  // bounds keep its fixed-point timeout arithmetic (thousandths) far from overflow.
  if (auto v = r.number("ack_timeout", 1, 300)) c.ackTimeoutSeconds = *v;
  if (auto v = r.number("ack_random_factor", 1, 10)) c.ackRandomFactor = *v;
  if (auto v = r.integer("max_retransmit", 1, 20)) c.maxRetransmit = static_cast<std::uint32_t>(*v);
  if (auto v = r.integer("nstart", 1, 32)) c.nstart = static_cast<std::uint32_t>(*v);
  r.finish();
  return c;
}

LimitsConfig readLimits(TableReader& r) {
  LimitsConfig c;
  auto read = [&r](std::string_view key, std::int64_t min, std::int64_t max, std::uint32_t& field) {
    if (auto v = r.integer(key, min, max)) field = static_cast<std::uint32_t>(*v);
  };
  read("max_payload", 1024, std::int64_t{64} << 20, c.maxPayloadBytes);
  read("max_instances_per_provider", 1, 1000000, c.maxInstancesPerProvider);
  read("max_observations_per_server", 1, 1000000, c.maxObservationsPerServer);
  read("max_pending_requests", 1, 100000, c.maxPendingRequests);
  read("dbus_calls_per_second", 0, 10000000, c.dbusCallsPerSecond);
  r.finish();
  return c;
}

void readTop(TableReader& top, Config& config) {
  if (auto v = top.string("endpoint")) {
    if (isValidEndpoint(*v)) {
      config.endpoint = *v;
    } else {
      top.fail("endpoint", "must be non-empty printable ASCII without '&' or whitespace");
    }
  } else if (!top.has("endpoint")) {
    config.endpoint = hostName();
    if (!isValidEndpoint(config.endpoint)) {
      top.fail("endpoint",
               fmt::format("not set, and the host name \"{}\" cannot be used", config.endpoint));
    }
  }
  if (auto v = top.string("state_dir")) {
    if (v->empty()) {
      top.fail("state_dir", "must not be empty");
    } else {
      config.stateDir = *v;
    }
  }
  if (auto v = top.stringArray("object_dirs")) config.objectDirs = std::move(*v);
  if (auto v = top.string("log_level")) {
    if (isLogLevel(*v)) {
      config.logLevel = *v;
    } else {
      top.fail("log_level", "must be one of trace, debug, info, warn, error, critical, off");
    }
  }
}

}  // namespace

bool isLogLevel(std::string_view level) {
  for (std::string_view known : kLogLevels) {
    if (level == known) return true;
  }
  return false;
}

Result<Config> parseConfig(std::string_view text, const std::filesystem::path& source) {
  const std::string file = source.string();
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(file));
  } catch (const toml::parse_error& e) {
    const toml::source_position where = e.source().begin;
    return badRequest(
        fmt::format("{}:{}:{}: syntax error: {}", file, where.line, where.column, e.description()));
  } catch (const std::exception& e) {
    return badRequest(fmt::format("{}: cannot parse: {}", file, e.what()));
  }

  Diagnostics diag(file);
  const std::filesystem::path baseDir = source.parent_path();
  Config config;
  config.sourceFile = source;
  TableReader top(diag, root, "");
  readTop(top, config);

  if (const toml::table* t = top.table("bootstrap")) {
    TableReader r(diag, *t, "bootstrap.");
    config.bootstrap = readBootstrap(r, baseDir);
  }
  readServers(top, config.servers, baseDir);
  // Only when nothing was written at all: a present but broken server or bootstrap table has
  // been reported already.
  const toml::node* servers = top.get("server");
  const bool noServers =
      servers == nullptr || (servers->is_array() && servers->as_array()->empty());
  if (noServers && !top.has("bootstrap")) {
    top.fail("server", "at least one [[server]] or a [bootstrap] table is required");
  }
  if (const toml::table* t = top.table("device")) {
    TableReader r(diag, *t, "device.");
    config.device = readDevice(r);
  }
  if (const toml::table* t = top.table("registration")) {
    TableReader r(diag, *t, "registration.");
    config.registration = readRegistration(r);
  }
  if (const toml::table* t = top.table("coap")) {
    TableReader r(diag, *t, "coap.");
    config.coap = readCoap(r);
  }
  if (const toml::table* t = top.table("dbus")) {
    TableReader r(diag, *t, "dbus.");
    if (auto v = r.number("provider_timeout", 0.1, 300.0)) config.providerTimeoutSeconds = *v;
    r.finish();
  }
  if (const toml::table* t = top.table("limits")) {
    TableReader r(diag, *t, "limits.");
    config.limits = readLimits(r);
  }
  top.finish();

  if (!diag.empty()) return diag.toError();
  return config;
}

Result<Config> loadConfig(const std::filesystem::path& file) {
  auto cannotRead = [&file](int err) {
    Error e = badRequest(fmt::format("{}: cannot read: {}", file.string(), std::strerror(err)));
    e.kind = err == ENOENT ? ErrorKind::NotFound : ErrorKind::Failed;
    return e;
  };
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return cannotRead(errno);
  std::string text;
  std::array<char, 4096> buffer{};
  int readError = 0;
  // Bounded by kMaxFileSize: each pass adds at least one byte or ends the loop.
  while (text.size() <= kMaxFileSize) {
    std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f);
    text.append(buffer.data(), n);
    if (n < buffer.size()) {
      if (std::ferror(f)) readError = errno != 0 ? errno : EIO;
      break;
    }
  }
  std::fclose(f);
  if (readError != 0) return cannotRead(readError);
  if (text.size() > kMaxFileSize) {
    return badRequest(
        fmt::format("{}: cannot read: larger than {} bytes", file.string(), kMaxFileSize));
  }
  return parseConfig(text, file);
}

}  // namespace lwm2md

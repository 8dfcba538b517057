#include "coap/session_security.hpp"

#include <fmt/format.h>

#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

constexpr std::uint16_t kMode = 2;
constexpr std::uint16_t kIdentity = 3;
constexpr std::uint16_t kServerKey = 4;
constexpr std::uint16_t kSecretKey = 5;

Error problem(const Instance& instance, std::string_view what) {
  return badRequest(fmt::format("/0/{}: {}", instance.instanceId(), what));
}

// The bytes of an Opaque resource; empty when absent or not opaque.
std::vector<std::uint8_t> opaque(const Instance& instance, std::uint16_t rid) {
  auto data = instance.resource(rid);
  if (!data || !data->value) return {};
  if (const auto* bytes = std::get_if<Opaque>(&*data->value)) return *bytes;
  return {};
}

}  // namespace

std::string_view toString(SecurityMode mode) {
  switch (mode) {
    case SecurityMode::Psk:
      return "PSK";
    case SecurityMode::Rpk:
      return "RPK";
    case SecurityMode::Certificate:
      return "Certificate";
    case SecurityMode::NoSec:
      return "NoSec";
  }
  return "unknown";
}

Result<SessionSecurity> sessionSecurityFrom(const Instance& securityInstance) {
  const Instance& in = securityInstance;
  if (in.objectId() != 0)
    return problem(in, fmt::format("object {} is not the Security object", in.objectId()));
  auto modeData = in.resource(kMode);
  if (!modeData || !modeData->value) return problem(in, "has no Security Mode (resource 2)");
  const auto* mode = std::get_if<std::int64_t>(&*modeData->value);
  if (!mode) return problem(in, "Security Mode (resource 2) is not an integer");

  SessionSecurity security;
  security.identity = opaque(in, kIdentity);
  security.serverKey = opaque(in, kServerKey);
  security.secretKey = opaque(in, kSecretKey);
  auto need = [&](std::uint16_t rid, std::string_view name,
                  const std::vector<std::uint8_t>& bytes) -> std::optional<Error> {
    if (!bytes.empty()) return std::nullopt;
    return problem(in, fmt::format("Security Mode {} needs the {} (resource {})",
                                   toString(security.mode), name, rid));
  };
  switch (*mode) {
    case 0:
      security.mode = SecurityMode::Psk;
      if (auto e = need(kIdentity, "PSK identity", security.identity)) return *e;
      if (auto e = need(kSecretKey, "pre-shared key", security.secretKey)) return *e;
      security.serverKey.clear();  // not used by PSK
      return security;
    case 1:
      security.mode = SecurityMode::Rpk;
      if (auto e = need(kIdentity, "own public key", security.identity)) return *e;
      if (auto e = need(kSecretKey, "own private key", security.secretKey)) return *e;
      return security;
    case 2:
      security.mode = SecurityMode::Certificate;
      if (auto e = need(kIdentity, "own certificate", security.identity)) return *e;
      if (auto e = need(kSecretKey, "own private key", security.secretKey)) return *e;
      return security;
    case 3:
      // NoSec carries no key material, whatever the other resources hold.
      return SessionSecurity{};
    case 4:
      return problem(in, "Security Mode 4 (Certificate with EST) is not supported");
    default:
      return problem(in, fmt::format("Security Mode {} is not defined (0..4)", *mode));
  }
}

}  // namespace lwm2md

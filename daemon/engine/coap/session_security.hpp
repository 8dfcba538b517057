#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace lwm2md {

class Instance;

/// Security Mode (/0/x/2, LwM2M TS Appendix E.1); the values are the resource's.
enum class SecurityMode : std::int64_t { Psk = 0, Rpk = 1, Certificate = 2, NoSec = 3 };

/// "PSK", "RPK", "Certificate", "NoSec".
std::string_view toString(SecurityMode mode);

/// The credentials one CoAP session uses, as the Security object instance holds them. The
/// bytes are partly secret: never log them (operator<< and fmt are deliberately not provided).
struct SessionSecurity {
  SecurityMode mode = SecurityMode::NoSec;
  /// /0/x/3: the PSK identity, the own X.509 certificate (DER) or the own raw public key
  /// (SubjectPublicKeyInfo DER).
  std::vector<std::uint8_t> identity;
  /// /0/x/4: the server's certificate or its CA (DER), or the server's raw public key; empty
  /// when the server is not to be checked against one.
  std::vector<std::uint8_t> serverKey;
  /// /0/x/5: the PSK, or the own private key (DER).
  std::vector<std::uint8_t> secretKey;
};

/// Reads the credentials of a Security object instance (/0/x): the mode from resource 2 and
/// the key material from 3, 4 and 5. Errors name the instance and the missing resource (never
/// key bytes): a PSK mode without identity or key, Certificate/RPK without own key pair, a
/// mode this client does not implement (4 EST), a missing or malformed mode.
Result<SessionSecurity> sessionSecurityFrom(const Instance& securityInstance);

}  // namespace lwm2md

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/value.hpp"

namespace lwm2md {

class Instance;
class ObjectTree;

/// Resource ids of the Security (0) and Server (1) objects the Bootstrap interface looks at
/// (TS 1.1 Appendix E.1, E.2).
namespace bootstrap_ids {
constexpr std::uint16_t kSecurity = 0;
constexpr std::uint16_t kServer = 1;
constexpr std::uint16_t kAccessControl = 2;
constexpr std::uint16_t kDevice = 3;

// Security object (0).
constexpr std::uint16_t kServerUri = 0;
constexpr std::uint16_t kBootstrapServer = 1;
constexpr std::uint16_t kSecurityMode = 2;
constexpr std::uint16_t kPublicKeyOrIdentity = 3;
constexpr std::uint16_t kServerPublicKey = 4;
constexpr std::uint16_t kSecretKey = 5;
constexpr std::uint16_t kSecurityShortServerId = 10;
constexpr std::uint16_t kClientHoldOffTime = 11;
constexpr std::uint16_t kAccountTimeout = 12;

// Server object (1).
constexpr std::uint16_t kServerShortServerId = 0;
constexpr std::uint16_t kLifetime = 1;
constexpr std::uint16_t kNotificationStoring = 6;
constexpr std::uint16_t kBinding = 7;

// Access Control object (2).
constexpr std::uint16_t kAclObjectId = 0;
constexpr std::uint16_t kAclInstanceId = 1;
constexpr std::uint16_t kAcl = 2;
constexpr std::uint16_t kAclOwner = 3;

// Security Mode values (/0/x/2).
constexpr std::int64_t kModePsk = 0;
constexpr std::int64_t kModeRpk = 1;
constexpr std::int64_t kModeCertificate = 2;
constexpr std::int64_t kModeNoSec = 3;
constexpr std::int64_t kModeCertificateEst = 4;
}  // namespace bootstrap_ids

/// A single resource's value, nullopt when absent or multiple.
std::optional<Value> singleValue(const Instance& instance, std::uint16_t rid);
/// An Integer resource's value; nullopt when absent or of another type.
std::optional<std::int64_t> integerValue(const Instance& instance, std::uint16_t rid);
/// True when /0/x/1 (Bootstrap-Server) is present and true.
bool isBootstrapAccount(const Instance& security);
/// The Security instance of the server account (not a Bootstrap-Server's) whose Short Server
/// ID (/0/x/10) is `shortId`; null when there is none.
const Instance* findSecurityInstance(const ObjectTree& tree, std::uint16_t shortId);
/// Instance ids of every Security instance that is a Bootstrap-Server account, in order.
std::vector<std::uint16_t> bootstrapAccounts(const ObjectTree& tree);

}  // namespace lwm2md

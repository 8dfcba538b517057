#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dm/dm_request.hpp"
#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

class Instance;
class ObjectTree;

/// The LwM2M Server object (1): the resources the registration reads and the ones a server
/// executes (TS 1.1 Appendix E.2).
namespace server_object {
constexpr std::uint16_t kObjectId = 1;
constexpr std::uint16_t kShortServerId = 0;
constexpr std::uint16_t kLifetime = 1;
constexpr std::uint16_t kDefaultMinPeriod = 2;
constexpr std::uint16_t kDefaultMaxPeriod = 3;
constexpr std::uint16_t kDisable = 4;
constexpr std::uint16_t kDisableTimeout = 5;
constexpr std::uint16_t kBinding = 7;
constexpr std::uint16_t kRegistrationUpdateTrigger = 8;
constexpr std::uint16_t kCommunicationRetryCount = 17;
constexpr std::uint16_t kCommunicationRetryTimer = 18;
constexpr std::uint16_t kSequenceDelayTimer = 19;
constexpr std::uint16_t kSequenceRetryCount = 20;
/// Disable Timeout when the resource is absent (TS E.2: 86400 s).
constexpr std::int64_t kDefaultDisableTimeout = 86400;
}  // namespace server_object

/// What a Server object instance says about its registration. Optional members are absent
/// resources: the registration then falls back to the TS defaults or the daemon's config.
struct ServerAccount {
  std::uint16_t shortId = 0;
  std::uint32_t lifetime = 86400;
  std::string binding = "U";
  std::uint32_t disableTimeout = server_object::kDefaultDisableTimeout;
  std::optional<std::uint32_t> retryCount;          // 17
  std::optional<std::uint32_t> retryTimer;          // 18, seconds
  std::optional<std::uint32_t> sequenceDelay;       // 19, seconds
  std::optional<std::uint32_t> sequenceRetryCount;  // 20
};

/// The Server object instance whose Short Server ID is `shortId`; null when there is none.
const Instance* findServerInstance(const ObjectTree& tree, std::uint16_t shortId);

/// Reads an instance of object 1. Values out of range (a hand-made instance) are clamped to what
/// the registration can use, never trusted blindly.
ServerAccount readServerAccount(const Instance& instance);

/// Checks values a server writes to a Server object instance: Lifetime >= 1, a Binding the
/// daemon can honour, no negative periods or timers. 4.00 with the reason otherwise.
Status validateServerValues(const std::vector<ResourceData>& values);

/// A binding string is a set of binding letters (TS 1.1 §6.2.1.1: U, M, H, T, S, N, and the
/// LwM2M 1.0 queue-mode letter Q), each at most once, and must include U: this daemon reaches
/// its servers over UDP only. Returns the reason it is refused, or nullopt.
std::optional<std::string> bindingError(std::string_view binding);

}  // namespace lwm2md

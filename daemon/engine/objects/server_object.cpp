#include "objects/server_object.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "ddf/object_registry.hpp"
#include "io/content_format.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

using namespace server_object;

constexpr std::string_view kBindingLetters = "UMHTSNQ";

/// A number from an Integer or Unsigned Integer value; nullopt for anything else.
std::optional<std::int64_t> numberOf(const std::optional<Value>& value) {
  if (!value) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(&*value)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&*value))
    return static_cast<std::int64_t>(
        std::min<std::uint64_t>(*u, std::numeric_limits<std::int64_t>::max()));
  return std::nullopt;
}

std::optional<std::int64_t> numberAt(const Instance& instance, std::uint16_t rid) {
  auto data = instance.resource(rid);
  if (!data) return std::nullopt;
  return numberOf(data->value);
}

std::uint32_t clampU32(std::int64_t value, std::uint32_t low) {
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(value, low, std::numeric_limits<std::uint32_t>::max()));
}

std::optional<std::uint32_t> optionalU32(const Instance& instance, std::uint16_t rid) {
  auto number = numberAt(instance, rid);
  if (!number) return std::nullopt;
  return clampU32(*number, 0);
}

Status checkValue(const ResourceData& data) {
  auto number = numberOf(data.value);
  switch (data.id) {
    case kLifetime:
      if (number && *number < 1)
        return badRequest(fmt::format("Lifetime must be at least 1 s, not {}", *number));
      if (number && *number > std::numeric_limits<std::uint32_t>::max())
        return badRequest(fmt::format("Lifetime {} s is too large", *number));
      break;
    case kDefaultMinPeriod:
    case kDefaultMaxPeriod:
    case kDisableTimeout:
      if (number && *number < 0)
        return badRequest(
            fmt::format("resource {} of the Server object must not be negative, "
                        "not {}",
                        data.id, *number));
      break;
    case kBinding:
      if (data.value) {
        const auto* text = std::get_if<std::string>(&*data.value);
        if (!text) break;  // a type mismatch: the data model names it
        if (auto error = bindingError(*text)) return badRequest(*error);
      }
      break;
    default:
      break;
  }
  return {};
}

}  // namespace

const Instance* findServerInstance(const ObjectTree& tree, std::uint16_t shortId) {
  for (const Instance* instance : tree.instancesOf(kObjectId))
    if (numberAt(*instance, kShortServerId) == std::int64_t{shortId}) return instance;
  return nullptr;
}

ServerAccount readServerAccount(const Instance& instance) {
  ServerAccount account;
  if (auto id = numberAt(instance, kShortServerId))
    account.shortId = static_cast<std::uint16_t>(std::clamp<std::int64_t>(*id, 0, 65535));
  if (auto lifetime = numberAt(instance, kLifetime)) account.lifetime = clampU32(*lifetime, 1);
  if (auto binding = instance.resource(kBinding); binding && binding->value)
    if (const auto* text = std::get_if<std::string>(&*binding->value); text && !text->empty())
      account.binding = *text;
  if (auto timeout = numberAt(instance, kDisableTimeout))
    account.disableTimeout = clampU32(*timeout, 0);
  account.retryCount = optionalU32(instance, kCommunicationRetryCount);
  account.retryTimer = optionalU32(instance, kCommunicationRetryTimer);
  account.sequenceDelay = optionalU32(instance, kSequenceDelayTimer);
  account.sequenceRetryCount = optionalU32(instance, kSequenceRetryCount);
  return account;
}

std::optional<std::string> bindingError(std::string_view binding) {
  if (binding.empty()) return "the Binding must not be empty";
  for (std::size_t i = 0; i < binding.size(); ++i) {
    const char letter = binding[i];
    if (kBindingLetters.find(letter) == std::string_view::npos)
      return fmt::format("Binding '{}': '{}' is not a binding letter ({})", binding, letter,
                         kBindingLetters);
    if (binding.find(letter, i + 1) != std::string_view::npos)
      return fmt::format("Binding '{}' names '{}' twice", binding, letter);
  }
  if (binding.find('U') == std::string_view::npos)
    return fmt::format("Binding '{}' lacks U: lwm2md reaches its servers over UDP only", binding);
  return std::nullopt;
}

Status validateServerValues(const std::vector<ResourceData>& values) {
  for (const auto& value : values)
    if (auto status = checkValue(value); !status) return status;
  return {};
}

}  // namespace lwm2md

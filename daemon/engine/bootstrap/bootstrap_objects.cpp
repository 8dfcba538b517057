#include "bootstrap/bootstrap_objects.hpp"

#include <algorithm>
#include <limits>

#include "tree/object_tree.hpp"

namespace lwm2md {

std::optional<Value> singleValue(const Instance& instance, std::uint16_t rid) {
  auto data = instance.resource(rid);
  if (!data || data->multiple || !data->value) return std::nullopt;
  return data->value;
}

std::optional<std::int64_t> integerValue(const Instance& instance, std::uint16_t rid) {
  auto value = singleValue(instance, rid);
  if (!value) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(&*value)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&*value))
    return static_cast<std::int64_t>(
        std::min<std::uint64_t>(*u, std::numeric_limits<std::int64_t>::max()));
  return std::nullopt;
}

bool isBootstrapAccount(const Instance& security) {
  auto value = singleValue(security, bootstrap_ids::kBootstrapServer);
  const bool* flag = value ? std::get_if<bool>(&*value) : nullptr;
  return flag && *flag;
}

std::vector<std::uint16_t> bootstrapAccounts(const ObjectTree& tree) {
  std::vector<std::uint16_t> ids;
  for (const Instance* instance : tree.instancesOf(bootstrap_ids::kSecurity))
    if (isBootstrapAccount(*instance)) ids.push_back(instance->instanceId());
  return ids;
}

const Instance* findSecurityInstance(const ObjectTree& tree, std::uint16_t shortId) {
  for (const Instance* security : tree.instancesOf(bootstrap_ids::kSecurity))
    if (!isBootstrapAccount(*security) &&
        integerValue(*security, bootstrap_ids::kSecurityShortServerId) == std::int64_t{shortId})
      return security;
  return nullptr;
}

}  // namespace lwm2md

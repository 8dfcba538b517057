#include "generated_state.hpp"

#include <string>

namespace lwm2md::test {

namespace {

ResourceData single(std::uint16_t id, ResourceType type, Value value) {
  ResourceData r;
  r.id = id;
  r.type = type;
  r.value = std::move(value);
  return r;
}

Opaque pattern(std::size_t size, std::uint64_t seed) {
  Opaque bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
  return bytes;
}

}  // namespace

PersistedState stateForGeneration(std::uint64_t g) {
  PersistedState state;
  state.generation = g;
  state.bootstrapped = g % 3 != 0;
  const auto gi = static_cast<std::int64_t>(g);

  InstanceData bootstrap;
  bootstrap.id = 0;
  bootstrap.resources = {
      single(0, ResourceType::String, "coaps://bs-" + std::to_string(g) + ".example:5684"),
      single(1, ResourceType::Boolean, true),
      single(2, ResourceType::Integer, std::int64_t{0}),
      single(3, ResourceType::Opaque, pattern(8 + g % 9, g)),
      single(5, ResourceType::Opaque, pattern(16 + g % 48, g + 1)),
      single(11, ResourceType::Integer, gi % 60),
  };
  state.instances.emplace_back(0, bootstrap);

  const unsigned servers = 1 + static_cast<unsigned>(g % 3);
  for (unsigned i = 0; i < servers; ++i) {
    const auto ssid = static_cast<std::uint16_t>(100 + i);
    InstanceData security;
    security.id = static_cast<std::uint16_t>(1 + i);
    security.resources = {
        single(0, ResourceType::String,
               "coaps://server" + std::to_string(i) + "-" + std::to_string(g) + ".example"),
        single(1, ResourceType::Boolean, false),
        single(2, ResourceType::Integer, std::int64_t{0}),
        single(3, ResourceType::Opaque, pattern(10, g + i)),
        single(5, ResourceType::Opaque, pattern(16, g * 3 + i)),
        single(10, ResourceType::Integer, std::int64_t{ssid}),
    };
    state.instances.emplace_back(0, security);

    InstanceData server;
    server.id = static_cast<std::uint16_t>(i);
    server.resources = {
        single(0, ResourceType::Integer, std::int64_t{ssid}),
        single(1, ResourceType::Integer, 60 + gi),
        single(6, ResourceType::Boolean, g % 2 == 0),
        single(7, ResourceType::String, "U"),
    };
    state.instances.emplace_back(1, server);

    InstanceData acl;
    acl.id = static_cast<std::uint16_t>(i);
    ResourceData rights;
    rights.id = 2;
    rights.type = ResourceType::Integer;
    rights.multiple = true;
    rights.instances = {{0, std::int64_t{1}}, {ssid, gi % 32}};
    acl.resources = {
        single(0, ResourceType::Integer, std::int64_t{3}),
        single(1, ResourceType::Integer, std::int64_t{0}),
        rights,
        single(3, ResourceType::Integer, std::int64_t{ssid}),
    };
    state.instances.emplace_back(2, acl);

    StoredAttributeEntry attributes;
    attributes.server = ssid;
    attributes.path = Path(3, 0, 9);
    attributes.attributes.pmin = static_cast<std::uint32_t>(g % 100);
    attributes.attributes.pmax = static_cast<std::uint32_t>(g % 100 + 60);
    attributes.attributes.gt = static_cast<double>(g) * 0.5;
    state.attributes.push_back(attributes);

    state.locations[ssid] = {"rd", "g" + std::to_string(g) + "-s" + std::to_string(i)};
  }

  // Padding (a vendor object would do the same) so that file sizes range over a few kilobytes.
  InstanceData padding;
  padding.id = 9;
  padding.resources = {single(0, ResourceType::Opaque, pattern((g * 397) % 6000, g + 7))};
  state.instances.emplace_back(2, padding);
  return state;
}

}  // namespace lwm2md::test

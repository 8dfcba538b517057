#include "registration/registration_payload.hpp"

#include <fmt/format.h>

#include "ddf/object_registry.hpp"
#include "io/content_format.hpp"
#include "io/link_format.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

constexpr std::uint16_t kSecurityObject = 0;
constexpr std::uint16_t kOscoreObject = 21;

/// `b=` and, for 1.1, the separate `Q` item.
void addBinding(std::vector<std::string>& query, std::string_view binding,
                std::string_view lwm2mVersion) {
  if (lwm2mVersion == "1.0") {
    query.push_back(fmt::format("b={}", binding));
    return;
  }
  std::string letters;
  bool queue = false;
  for (char c : binding) {
    if (c == 'Q')
      queue = true;
    else
      letters += c;
  }
  query.push_back(fmt::format("b={}", letters));
  if (queue) query.emplace_back("Q");
}

}  // namespace

std::string registrationPayload(const ObjectTree& tree, std::string_view lwm2mVersion) {
  const bool v11 = lwm2mVersion != "1.0";
  std::vector<Link> links;
  if (v11)
    links.push_back(
        {"/",
         {{"rt", "oma.lwm2m", true},
          {"ct", std::to_string(static_cast<unsigned>(ContentFormat::SenmlCbor)), false}}});
  std::uint16_t lastObject = Path::kInvalidId;
  for (const Instance* instance : tree.allInstances()) {
    const auto oid = instance->objectId();
    if (oid == kSecurityObject || oid == kOscoreObject) continue;
    if (oid != lastObject) {
      lastObject = oid;
      const auto& version = instance->definition().objectVersion;
      if (v11 && !version.empty() && version != "1.0")
        links.push_back({Path(oid).toString(), {{"ver", version, false}}});
    }
    links.push_back({Path(oid, instance->instanceId()).toString(), {}});
  }
  return encodeLinks(links);
}

std::vector<std::string> registerQuery(std::string_view endpoint, unsigned lifetime,
                                       std::string_view lwm2mVersion, std::string_view binding) {
  std::vector<std::string> query{fmt::format("ep={}", endpoint), fmt::format("lt={}", lifetime),
                                 fmt::format("lwm2m={}", lwm2mVersion)};
  addBinding(query, binding, lwm2mVersion);
  return query;
}

std::vector<std::string> updateQuery(std::optional<unsigned> lifetime,
                                     const std::optional<std::string>& binding,
                                     std::string_view lwm2mVersion) {
  std::vector<std::string> query;
  if (lifetime) query.push_back(fmt::format("lt={}", *lifetime));
  if (binding) addBinding(query, *binding, lwm2mVersion);
  return query;
}

}  // namespace lwm2md

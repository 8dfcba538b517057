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
  return {fmt::format("ep={}", endpoint), fmt::format("lt={}", lifetime),
          fmt::format("lwm2m={}", lwm2mVersion), fmt::format("b={}", binding)};
}

}  // namespace lwm2md

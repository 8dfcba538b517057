// libFuzzer target: the OMA DDF XML loader (daemon/ddf). Whatever parses must be a set of
// definitions the rest of the daemon can live with: ids in range, each resource filed under its
// own id, executables without a type. Each definition then gets an instance with a value for
// every resource it defines, and that instance must travel through SenML JSON and back.
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "ddf/object_registry.hpp"
#include "io/content_format.hpp"
#include "model/path.hpp"
#include "tree/object_tree.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using namespace lwm2md;

void checkDefinition(const ObjectDef& def) {
  if (def.id == Path::kInvalidId) std::abort();
  for (const auto& [rid, res] : def.resources) {
    if (rid != res.id || rid == Path::kInvalidId) std::abort();
    if (res.operations.execute && res.type != ResourceType::None) std::abort();
  }
}

/// An instance of `def` holding the type's neutral value in every resource that takes one.
std::vector<ResourceData> defaultValues(const ObjectDef& def) {
  std::vector<ResourceData> values;
  for (const auto& [rid, res] : def.resources) {
    if (res.operations.execute || res.type == ResourceType::None) continue;
    ResourceData data{rid, res.type, res.multiple, std::nullopt, {}};
    if (res.multiple)
      data.instances.emplace(0, defaultValue(res.type));
    else
      data.value = defaultValue(res.type);
    values.push_back(std::move(data));
  }
  return values;
}

void roundTrip(const ObjectRegistry& registry, const ObjectDef& def) {
  ObjectTree tree(registry);
  auto added = tree.addInstance(def.id, 0, defaultValues(def), "");
  if (!added) std::abort();  // values made from the definition must fit it
  Content content{Path(def.id, 0), {(*added)->snapshot()}};
  auto encoded = encodeContent(ContentFormat::SenmlJson, content);
  if (!encoded) std::abort();
  const ShapeLookup shapes = [&def](std::uint16_t rid) -> std::optional<ResourceShape> {
    const ResourceDef* res = def.resource(rid);
    if (!res) return std::nullopt;
    return ResourceShape{res->type, res->multiple};
  };
  auto decoded = decodeContent(ContentFormat::SenmlJson, Path(def.id, 0), *encoded, shapes);
  if (!decoded || !(*decoded == content)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto defs = parseDdf(xml, "fuzz.xml");
  if (!defs) {
    if (defs.error().message.empty()) std::abort();  // every rejection says why
    return 0;
  }
  ObjectRegistry registry;
  for (const auto& def : *defs) {
    checkDefinition(def);
    registry.add(def);
  }
  for (const auto& [oid, def] : registry.all()) roundTrip(registry, def);
  return 0;
}

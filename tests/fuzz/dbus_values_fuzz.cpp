// libFuzzer target: what D-Bus callers hand AddInstance and Set. The input builds an a{qv} map
// of typed variants (every signature the contract uses, wrong ones, empty variants, nested
// a{qv} and (qq)), which goes through the service's conversion (valuesFromDbus) and the
// definition checks of the tree (addInstance, setValues), as ManagerObject/InstanceObject do.
// Whatever converts must carry the definition's types, and an added instance read back over
// D-Bus (valuesToDbus) must convert again to the same values.
#include <sdbus-c++/sdbus-c++.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "build_config.hpp"
#include "dbus/service/value_conversion.hpp"
#include "ddf/object_registry.hpp"
#include "fuzz_nan.hpp"
#include "tree/object_tree.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using namespace lwm2md;

/// Takes bytes off the front of the input; zeros once it is used up.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  std::uint64_t u64() {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | byte();
    return value;
  }
  std::string text() {
    std::string s;
    for (std::size_t n = byte() % 16; n > 0; --n) s += static_cast<char>(byte());
    return s;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

const ObjectRegistry& registry() {
  static const ObjectRegistry* instance = [] {
    auto* loaded = new ObjectRegistry;
    std::vector<std::string> errors;
    if (loaded->loadDirectory(LWM2MD_SOURCE_OBJECTS_DIR, errors) < 6 || !errors.empty())
      std::abort();
    return loaded;
  }();
  return *instance;
}

std::string validUtf8(std::string s) {
  // sd-bus refuses invalid UTF-8 in strings (the bus would, too): callers cannot send it.
  for (char& c : s)
    if (static_cast<unsigned char>(c) >= 0x80 || c == 0) c = '?';
  return s;
}

sdbus::Variant makeVariant(Bytes& in, int depth);

/// An a{qv}: of resources of `def` at the top, of resource instances below.
std::map<std::uint16_t, sdbus::Variant> makeMap(Bytes& in, int depth, const ObjectDef* def) {
  std::map<std::uint16_t, sdbus::Variant> map;
  for (std::size_t n = in.byte() % 6; n > 0 && !in.empty(); --n) {
    const std::uint8_t pick = in.byte();
    // Mostly ids the definition has (or small resource instance ids), sometimes any, the
    // reserved 65535 included.
    std::uint16_t id = static_cast<std::uint16_t>(pick % 24);
    if (pick >= 0xF0) {
      id = in.u16();
    } else if (def && !def->resources.empty()) {
      auto it = def->resources.begin();
      std::advance(it, pick % def->resources.size());
      id = it->first;
    }
    map.insert_or_assign(id, makeVariant(in, depth + 1));
  }
  return map;
}

sdbus::Variant makeVariant(Bytes& in, int depth) {
  switch (in.byte() % 16) {
    case 0:
      return sdbus::Variant(validUtf8(in.text()));
    case 1:
      return sdbus::Variant(static_cast<std::int64_t>(in.u64()));
    case 2:
      return sdbus::Variant(in.u64());
    case 3: {
      const std::uint64_t bits = in.u64();
      double value;
      static_assert(sizeof value == sizeof bits);
      std::memcpy(&value, &bits, sizeof value);
      return sdbus::Variant(value);
    }
    case 4:
      return sdbus::Variant((in.byte() & 1) != 0);
    case 5: {
      std::vector<std::uint8_t> bytes;
      for (std::size_t n = in.byte() % 32; n > 0; --n) bytes.push_back(in.byte());
      return sdbus::Variant(bytes);
    }
    case 6:
      return sdbus::Variant(sdbus::Struct<std::uint16_t, std::uint16_t>(in.u16(), in.u16()));
    case 7:
      if (depth >= 3) return sdbus::Variant();
      return sdbus::Variant(makeMap(in, depth, nullptr));
    // Signatures no resource takes.
    case 8:
      return sdbus::Variant(static_cast<std::int32_t>(in.u64()));
    case 9:
      return sdbus::Variant(in.u16());
    case 10:
      return sdbus::Variant(sdbus::ObjectPath("/org/lwm2md1/x"));
    case 11:
      return sdbus::Variant(std::vector<std::string>{validUtf8(in.text())});
    case 12:
      return sdbus::Variant(sdbus::Struct<std::uint16_t, std::int32_t>(in.u16(), 7));
    case 13: {
      if (depth >= 3) return sdbus::Variant(in.byte());
      std::map<std::string, sdbus::Variant> named;
      named.emplace(validUtf8(in.text()), makeVariant(in, depth + 1));
      return sdbus::Variant(named);
    }
    case 14:
      return sdbus::Variant(in.byte());
    default:
      return sdbus::Variant();  // an empty variant
  }
}

void checkTypes(const ObjectDef& def, const std::vector<ResourceData>& values) {
  for (const auto& r : values) {
    const ResourceDef* res = def.resource(r.id);
    if (!res || res->type != r.type || res->multiple != r.multiple) std::abort();
    if (r.multiple ? r.value.has_value() : !r.value.has_value()) std::abort();
    if (r.instances.contains(Path::kInvalidId)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const auto& defs = registry().all();
  auto it = defs.begin();
  std::advance(it, in.byte() % defs.size());
  const ObjectDef& def = it->second;
  ObjectTree tree(registry());
  try {
    const DbusValues added = makeMap(in, 0, &def);
    const DbusValues set = makeMap(in, 0, &def);
    // AddInstance: convert, then the tree checks the definition (and validators).
    auto converted = valuesFromDbus(def, added);
    if (!converted) {
      if (converted.error().message.empty()) std::abort();
      return 0;
    }
    checkTypes(def, *converted);
    auto instance = tree.addInstance(def.id, Path::kInvalidId, *converted, ":1.42");
    if (!instance) return 0;
    // Get: what the instance holds, as a caller reads it, converts back to the same values.
    const DbusValues shown = valuesToDbus((*instance)->snapshot());
    auto back = valuesFromDbus(def, shown);
    if (!back) std::abort();
    if (!fuzz::hasNaN(*back) && *back != (*instance)->snapshot().resources) std::abort();
    // Set on the instance just added.
    auto update = valuesFromDbus(def, set);
    if (!update) return 0;
    checkTypes(def, *update);
    (void)tree.setValues(def.id, (*instance)->instanceId(), *update, ChangeOrigin::Provider);
  } catch (const sdbus::Error&) {
    // Building a variant the bus itself would refuse: not something a caller can send.
  }
  return 0;
}

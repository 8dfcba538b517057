#include "io/tlv_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <set>

#include "io/utf8.hpp"

namespace lwm2md {

namespace {

/// Bits 7-6 of the type byte.
enum class TlvKind : std::uint8_t {
  ObjectInstance = 0,
  ResourceInstance = 1,
  MultipleResource = 2,
  ResourceValue = 3,
};

constexpr std::size_t kMaxLength = 0xFFFFFF;  // the 24-bit length field's limit

std::string_view kindName(TlvKind kind) {
  switch (kind) {
    case TlvKind::ObjectInstance:
      return "an Object Instance";
    case TlvKind::ResourceInstance:
      return "a Resource Instance";
    case TlvKind::MultipleResource:
      return "a Multiple Resource";
    case TlvKind::ResourceValue:
      return "a Resource with Value";
  }
  return "?";
}

Error internalError(std::string message) {
  return {CoapCode::InternalServerError, "TLV: " + std::move(message), ErrorKind::Failed};
}

Error malformed(std::string message) {
  return badRequest("TLV: " + std::move(message));
}

// ---- encoding ---------------------------------------------------------------------------

void appendBigEndian(std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = bytes; i-- > 0;) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

Status appendTlv(std::vector<std::uint8_t>& out, TlvKind kind, std::uint16_t id,
                 std::span<const std::uint8_t> value) {
  if (value.size() > kMaxLength)
    return Error{
        CoapCode::RequestEntityTooLarge,
        fmt::format("TLV: value of id {} is {} bytes, more than TLV can carry", id, value.size()),
        ErrorKind::InvalidValue};
  auto type = static_cast<std::uint8_t>(static_cast<unsigned>(kind) << 6);
  if (id > 0xFF) type |= 0x20;
  std::size_t lengthBytes = 0;
  if (value.size() < 8)
    type |= static_cast<std::uint8_t>(value.size());
  else
    lengthBytes = value.size() <= 0xFF ? 1 : value.size() <= 0xFFFF ? 2 : 3;
  type |= static_cast<std::uint8_t>(lengthBytes << 3);
  out.push_back(type);
  appendBigEndian(out, id, id > 0xFF ? 2 : 1);
  appendBigEndian(out, value.size(), lengthBytes);
  out.insert(out.end(), value.begin(), value.end());
  return {};
}

std::size_t signedWidth(std::int64_t v) {
  if (v >= INT8_MIN && v <= INT8_MAX) return 1;
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

std::size_t unsignedWidth(std::uint64_t v) {
  if (v <= UINT8_MAX) return 1;
  if (v <= UINT16_MAX) return 2;
  if (v <= UINT32_MAX) return 4;
  return 8;
}

/// True when the 4-byte form carries `v` exactly. The range check comes first: converting an
/// out-of-range double to float is undefined behaviour.
bool fitsFloat(double v) {
  if (!std::isfinite(v)) return true;
  if (std::fabs(v) > FLT_MAX) return false;
  return static_cast<double>(static_cast<float>(v)) == v;
}

Result<std::vector<std::uint8_t>> encodeValue(const Value& value, ResourceType type,
                                              std::uint16_t id) {
  if (!holdsType(value, type))
    return internalError(
        fmt::format("value {} of id {} is not a {}", describe(value), id, toString(type)));
  std::vector<std::uint8_t> out;
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk: {
      const auto& s = std::get<std::string>(value);
      out.assign(s.begin(), s.end());
      break;
    }
    case ResourceType::Integer:
    case ResourceType::Time: {
      const auto v = std::get<std::int64_t>(value);
      appendBigEndian(out, static_cast<std::uint64_t>(v), signedWidth(v));
      break;
    }
    case ResourceType::UnsignedInteger: {
      const auto v = std::get<std::uint64_t>(value);
      appendBigEndian(out, v, unsignedWidth(v));
      break;
    }
    case ResourceType::Float: {
      const double v = std::get<double>(value);
      if (fitsFloat(v))
        appendBigEndian(out, std::bit_cast<std::uint32_t>(static_cast<float>(v)), 4);
      else
        appendBigEndian(out, std::bit_cast<std::uint64_t>(v), 8);
      break;
    }
    case ResourceType::Boolean:
      out.push_back(std::get<bool>(value) ? 1 : 0);
      break;
    case ResourceType::Opaque:
      out = std::get<Opaque>(value);
      break;
    case ResourceType::Objlnk: {
      const auto& link = std::get<Objlnk>(value);
      appendBigEndian(out, link.objectId, 2);
      appendBigEndian(out, link.instanceId, 2);
      break;
    }
    case ResourceType::None:
      return internalError(fmt::format("resource {} is executable and has no value", id));
  }
  return out;
}

Status appendResourceInstance(std::vector<std::uint8_t>& out, std::uint16_t riid,
                              const Value& value, ResourceType type) {
  auto bytes = encodeValue(value, type, riid);
  if (!bytes) return bytes.error();
  return appendTlv(out, TlvKind::ResourceInstance, riid, *bytes);
}

Status appendResource(std::vector<std::uint8_t>& out, const ResourceData& resource) {
  if (resource.multiple) {
    std::vector<std::uint8_t> children;
    for (const auto& [riid, value] : resource.instances)
      if (auto status = appendResourceInstance(children, riid, value, resource.type); !status)
        return status;
    return appendTlv(out, TlvKind::MultipleResource, resource.id, children);
  }
  if (!resource.value) return internalError(fmt::format("resource {} has no value", resource.id));
  auto bytes = encodeValue(*resource.value, resource.type, resource.id);
  if (!bytes) return bytes.error();
  return appendTlv(out, TlvKind::ResourceValue, resource.id, *bytes);
}

Status appendResources(std::vector<std::uint8_t>& out, const InstanceData& instance) {
  for (const auto& resource : instance.resources)
    if (auto status = appendResource(out, resource); !status) return status;
  return {};
}

const ResourceData* findResource(const Content& content) {
  for (const auto& instance : content.instances) {
    if (instance.id != content.path.instanceId()) continue;
    for (const auto& resource : instance.resources)
      if (resource.id == content.path.resourceId()) return &resource;
  }
  return nullptr;
}

// ---- decoding ---------------------------------------------------------------------------

struct TlvItem {
  TlvKind kind = TlvKind::ObjectInstance;
  std::uint16_t id = 0;
  std::span<const std::uint8_t> value;
  std::size_t offset = 0;       // of the type byte, from the start of the whole payload
  std::size_t valueOffset = 0;  // of the first value byte, likewise
};

/// Splits `data` (starting at `base` in the payload) into a sequence of TLVs.
Result<std::vector<TlvItem>> parseItems(std::span<const std::uint8_t> data, std::size_t base) {
  std::vector<TlvItem> items;
  std::size_t pos = 0;
  while (pos < data.size()) {  // every pass consumes at least the type byte
    TlvItem item;
    item.offset = base + pos;
    const std::uint8_t type = data[pos++];
    item.kind = static_cast<TlvKind>(type >> 6);
    const std::size_t idBytes = (type & 0x20) ? 2 : 1;
    const std::size_t lengthBytes = (type >> 3) & 0x03;
    if (data.size() - pos < idBytes + lengthBytes)
      return malformed(fmt::format("header at byte {} is truncated", item.offset));
    item.id = data[pos];
    if (idBytes == 2) item.id = static_cast<std::uint16_t>((item.id << 8) | data[pos + 1]);
    pos += idBytes;
    std::size_t length = type & 0x07;
    if (lengthBytes > 0) {
      length = 0;
      for (std::size_t i = 0; i < lengthBytes; ++i) length = (length << 8) | data[pos + i];
      pos += lengthBytes;
    }
    if (item.id == Path::kInvalidId)
      return malformed(fmt::format("id 65535 at byte {} is reserved", item.offset));
    if (data.size() - pos < length)
      return malformed(fmt::format("value at byte {} needs {} bytes but only {} remain",
                                   item.offset, length, data.size() - pos));
    item.value = data.subspan(pos, length);
    item.valueOffset = base + pos;
    pos += length;
    items.push_back(item);
  }
  return items;
}

std::uint64_t readBigEndian(std::span<const std::uint8_t> bytes) {
  std::uint64_t v = 0;
  for (auto b : bytes) v = (v << 8) | b;
  return v;
}

Error badSize(const Path& where, ResourceType type, std::size_t size, std::size_t offset,
              std::string_view allowed) {
  return malformed(fmt::format("{} at byte {} is {} with {} bytes; expected {}", where.toString(),
                               offset, toString(type), size, allowed));
}

Result<Value> decodeValue(const TlvItem& item, ResourceType type, const Path& where) {
  const auto bytes = item.value;
  const auto size = bytes.size();
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk: {
      std::string text(bytes.begin(), bytes.end());
      if (!isValidUtf8(text))
        return malformed(
            fmt::format("{} at byte {} is not valid UTF-8", where.toString(), item.offset));
      return Value{std::move(text)};
    }
    case ResourceType::Integer:
    case ResourceType::Time: {
      if (size != 1 && size != 2 && size != 4 && size != 8)
        return badSize(where, type, size, item.offset, "1, 2, 4 or 8");
      std::uint64_t raw = readBigEndian(bytes);
      const unsigned bits = static_cast<unsigned>(size * 8);
      // Sign-extend from the top bit of the encoded width.
      if (bits < 64 && (raw >> (bits - 1)) & 1) raw |= ~std::uint64_t{0} << bits;
      return Value{static_cast<std::int64_t>(raw)};
    }
    case ResourceType::UnsignedInteger:
      if (size != 1 && size != 2 && size != 4 && size != 8)
        return badSize(where, type, size, item.offset, "1, 2, 4 or 8");
      return Value{readBigEndian(bytes)};
    case ResourceType::Float:
      if (size == 4)
        return Value{static_cast<double>(
            std::bit_cast<float>(static_cast<std::uint32_t>(readBigEndian(bytes))))};
      if (size == 8) return Value{std::bit_cast<double>(readBigEndian(bytes))};
      return badSize(where, type, size, item.offset, "4 or 8");
    case ResourceType::Boolean:
      if (size != 1) return badSize(where, type, size, item.offset, "1");
      if (bytes[0] > 1)
        return malformed(fmt::format("{} at byte {} is a Boolean of value {}; expected 0 or 1",
                                     where.toString(), item.offset, bytes[0]));
      return Value{bytes[0] == 1};
    case ResourceType::Opaque:
      return Value{Opaque(bytes.begin(), bytes.end())};
    case ResourceType::Objlnk:
      if (size != 4) return badSize(where, type, size, item.offset, "4");
      return Value{Objlnk{static_cast<std::uint16_t>(readBigEndian(bytes.first(2))),
                          static_cast<std::uint16_t>(readBigEndian(bytes.subspan(2)))}};
    case ResourceType::None:
      break;
  }
  return malformed(fmt::format("{} is executable and has no value", where.toString()));
}

Error unexpected(const TlvItem& item, std::string_view expected) {
  return malformed(fmt::format("{} TLV (id {}) at byte {} where {} belongs", kindName(item.kind),
                               item.id, item.offset, expected));
}

/// One resource TLV (single or multiple) of the instance at `instancePath`.
Result<ResourceData> decodeResource(const TlvItem& item, const Path& instancePath,
                                    const ShapeLookup& shapes) {
  if (item.kind != TlvKind::ResourceValue && item.kind != TlvKind::MultipleResource)
    return unexpected(item, "a resource");
  const Path where = instancePath.child(item.id);
  auto shape = shapes ? shapes(item.id) : std::nullopt;
  if (!shape)
    return Error{
        CoapCode::NotFound,
        fmt::format("TLV: resource {} (byte {}) is not known", where.toString(), item.offset),
        ErrorKind::NotFound};
  if (shape->type == ResourceType::None)
    return malformed(
        fmt::format("{} at byte {} is executable and has no value", where.toString(), item.offset));
  const bool multiple = item.kind == TlvKind::MultipleResource;
  if (shape->multiple != multiple)
    return malformed(fmt::format("{} at byte {} is {} resource but the TLV is {}", where.toString(),
                                 item.offset, shape->multiple ? "a multiple" : "a single",
                                 kindName(item.kind)));
  ResourceData resource;
  resource.id = item.id;
  resource.type = shape->type;
  resource.multiple = multiple;
  if (!multiple) {
    auto value = decodeValue(item, shape->type, where);
    if (!value) return value.error();
    resource.value = std::move(*value);
    return resource;
  }
  auto children = parseItems(item.value, item.valueOffset);
  if (!children) return children.error();
  for (const auto& child : *children) {
    if (child.kind != TlvKind::ResourceInstance) return unexpected(child, "a resource instance");
    auto value = decodeValue(child, shape->type, where.child(child.id));
    if (!value) return value.error();
    if (!resource.instances.emplace(child.id, std::move(*value)).second)
      return malformed(fmt::format("duplicate resource instance {} at byte {}",
                                   where.child(child.id).toString(), child.offset));
  }
  return resource;
}

Result<std::vector<ResourceData>> decodeResources(const std::vector<TlvItem>& items,
                                                  const Path& instancePath,
                                                  const ShapeLookup& shapes) {
  std::vector<ResourceData> resources;
  std::set<std::uint16_t> seen;
  for (const auto& item : items) {
    auto resource = decodeResource(item, instancePath, shapes);
    if (!resource) return resource.error();
    if (!seen.insert(item.id).second)
      return malformed(fmt::format("duplicate resource {} at byte {}",
                                   instancePath.child(item.id).toString(), item.offset));
    resources.push_back(std::move(*resource));
  }
  std::sort(resources.begin(), resources.end(),
            [](const ResourceData& a, const ResourceData& b) { return a.id < b.id; });
  return resources;
}

}  // namespace

Result<std::vector<std::uint8_t>> encodeTlv(const Content& content) {
  const Path& path = content.path;
  std::vector<std::uint8_t> out;
  switch (path.depth()) {
    case 1:
      for (const auto& instance : content.instances) {
        // An instance without an id (a Create letting the client pick) is written as bare
        // resources, the form decodeTlv reads back to Path::kInvalidId.
        if (instance.id == Path::kInvalidId) {
          if (content.instances.size() != 1)
            return internalError("an instance without id must be the only one");
          if (auto status = appendResources(out, instance); !status) return status.error();
          continue;
        }
        std::vector<std::uint8_t> body;
        if (auto status = appendResources(body, instance); !status) return status.error();
        if (auto status = appendTlv(out, TlvKind::ObjectInstance, instance.id, body); !status)
          return status.error();
      }
      return out;
    case 2:
      for (const auto& instance : content.instances)
        if (instance.id == path.instanceId())
          if (auto status = appendResources(out, instance); !status) return status.error();
      return out;
    case 3:
    case 4: {
      const ResourceData* resource = findResource(content);
      if (!resource) return internalError(fmt::format("no value for {}", path.toString()));
      if (path.depth() == 3) {
        if (auto status = appendResource(out, *resource); !status) return status.error();
        return out;
      }
      auto it = resource->instances.find(path.resourceInstanceId());
      if (!resource->multiple || it == resource->instances.end())
        return internalError(fmt::format("no value for {}", path.toString()));
      if (auto status = appendResourceInstance(out, it->first, it->second, resource->type); !status)
        return status.error();
      return out;
    }
    default:
      break;
  }
  return Error{CoapCode::NotAcceptable, "TLV needs at least an object in the path",
               ErrorKind::InvalidType};
}

Result<Content> decodeTlv(const Path& path, std::span<const std::uint8_t> payload,
                          const ShapeLookup& shapes) {
  if (path.depth() == 0) return malformed("a payload needs at least an object in the path");
  auto parsed = parseItems(payload, 0);
  if (!parsed) return parsed.error();
  const auto& items = *parsed;
  Content content;
  content.path = path;

  if (path.depth() == 1) {
    const auto wrapped = std::count_if(items.begin(), items.end(), [](const TlvItem& item) {
      return item.kind == TlvKind::ObjectInstance;
    });
    if (wrapped == 0) {
      if (items.empty()) return content;
      const Path instancePath(path.objectId(), Path::kInvalidId);
      auto resources = decodeResources(items, instancePath, shapes);
      if (!resources) return resources.error();
      content.instances.push_back(InstanceData{Path::kInvalidId, std::move(*resources)});
      return content;
    }
    std::set<std::uint16_t> seen;
    for (const auto& item : items) {
      if (item.kind != TlvKind::ObjectInstance) return unexpected(item, "an object instance");
      if (!seen.insert(item.id).second)
        return malformed(fmt::format("duplicate object instance {} at byte {}",
                                     path.child(item.id).toString(), item.offset));
      auto children = parseItems(item.value, item.valueOffset);
      if (!children) return children.error();
      auto resources = decodeResources(*children, path.child(item.id), shapes);
      if (!resources) return resources.error();
      content.instances.push_back(InstanceData{item.id, std::move(*resources)});
    }
    return content;
  }

  const Path instancePath(path.objectId(), path.instanceId());
  if (path.depth() == 2) {
    std::vector<TlvItem> resourceItems = items;
    if (!items.empty() && items.front().kind == TlvKind::ObjectInstance) {
      if (items.size() != 1) return unexpected(items[1], "nothing (one Object Instance TLV)");
      if (items.front().id != path.instanceId())
        return malformed(fmt::format("Object Instance TLV has id {} but the request is for {}",
                                     items.front().id, path.toString()));
      auto children = parseItems(items.front().value, items.front().valueOffset);
      if (!children) return children.error();
      resourceItems = std::move(*children);
    }
    auto resources = decodeResources(resourceItems, instancePath, shapes);
    if (!resources) return resources.error();
    content.instances.push_back(InstanceData{path.instanceId(), std::move(*resources)});
    return content;
  }

  if (items.size() != 1)
    return malformed(
        fmt::format("{} needs exactly one TLV, the payload has {}", path.toString(), items.size()));
  const TlvItem& item = items.front();
  const std::uint16_t expectedId =
      path.depth() == 3 ? path.resourceId() : path.resourceInstanceId();
  if (item.id != expectedId)
    return malformed(
        fmt::format("TLV at byte 0 has id {} but the request is for {}", item.id, path.toString()));
  ResourceData resource;
  if (path.depth() == 3) {
    auto decoded = decodeResource(item, instancePath, shapes);
    if (!decoded) return decoded.error();
    resource = std::move(*decoded);
  } else {
    if (item.kind != TlvKind::ResourceInstance) return unexpected(item, "a resource instance");
    auto shape = shapes ? shapes(path.resourceId()) : std::nullopt;
    if (!shape)
      return Error{CoapCode::NotFound,
                   fmt::format("TLV: resource {} is not known",
                               instancePath.child(path.resourceId()).toString()),
                   ErrorKind::NotFound};
    if (!shape->multiple)
      return malformed(fmt::format("{} is not a multiple resource", path.toString()));
    auto value = decodeValue(item, shape->type, path);
    if (!value) return value.error();
    resource.id = path.resourceId();
    resource.type = shape->type;
    resource.multiple = true;
    resource.instances.emplace(item.id, std::move(*value));
  }
  content.instances.push_back(InstanceData{path.instanceId(), {std::move(resource)}});
  return content;
}

}  // namespace lwm2md

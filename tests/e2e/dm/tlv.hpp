#pragma once

// A deliberately small OMA TLV reader and writer (LwM2M 1.1 TS §7.4.3) for the e2e tests: it
// lets a test check and build payloads independently of the daemon's own codec.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lwm2md::test::tlv {

enum class Kind : uint8_t { ObjectInstance = 0, ResourceInstance = 1, Multiple = 2, Resource = 3 };

struct Entry {
  Kind kind = Kind::Resource;
  uint16_t id = 0;
  std::vector<uint8_t> value;  // the raw value, or the nested TLVs' bytes

  std::string text() const { return {value.begin(), value.end()}; }
  int64_t integer() const {
    if (value.empty() || value.size() > 8) return 0;
    int64_t v = (value[0] & 0x80) ? -1 : 0;  // sign-extend
    for (uint8_t b : value) v = static_cast<int64_t>(static_cast<uint64_t>(v) << 8 | b);
    return v;
  }
  bool boolean() const { return value.size() == 1 && value[0] == 1; }
};

/// Splits one level of TLVs; nullopt when the bytes are not well-formed TLV.
inline std::optional<std::vector<Entry>> parse(const std::vector<uint8_t>& bytes) {
  std::vector<Entry> entries;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const uint8_t type = bytes[pos++];
    Entry entry;
    entry.kind = static_cast<Kind>(type >> 6);
    const size_t idLength = (type & 0x20) ? 2 : 1;
    const size_t lengthBytes = (type >> 3) & 0x03;
    if (pos + idLength + lengthBytes > bytes.size()) return std::nullopt;
    entry.id = idLength == 2 ? static_cast<uint16_t>(bytes[pos] << 8 | bytes[pos + 1]) : bytes[pos];
    pos += idLength;
    size_t length = type & 0x07;
    if (lengthBytes > 0) {
      length = 0;
      for (size_t i = 0; i < lengthBytes; ++i) length = length << 8 | bytes[pos++];
    }
    if (pos + length > bytes.size()) return std::nullopt;
    entry.value.assign(bytes.begin() + static_cast<long>(pos),
                       bytes.begin() + static_cast<long>(pos + length));
    pos += length;
    entries.push_back(std::move(entry));
  }
  return entries;
}

/// Resource id → entry of one level (the last one wins; tests look up by id).
inline std::map<uint16_t, Entry> byId(const std::vector<uint8_t>& bytes) {
  std::map<uint16_t, Entry> result;
  if (auto entries = parse(bytes))
    for (auto& entry : *entries) result[entry.id] = entry;
  return result;
}

inline std::vector<uint8_t> encode(Kind kind, uint16_t id, const std::vector<uint8_t>& value) {
  std::vector<uint8_t> out;
  uint8_t type = static_cast<uint8_t>(static_cast<uint8_t>(kind) << 6);
  if (id > 0xff) type |= 0x20;
  const size_t n = value.size();
  int lengthBytes = 0;
  if (n < 8)
    type |= static_cast<uint8_t>(n);
  else
    lengthBytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : 3;
  type |= static_cast<uint8_t>(lengthBytes << 3);
  out.push_back(type);
  if (id > 0xff) out.push_back(static_cast<uint8_t>(id >> 8));
  out.push_back(static_cast<uint8_t>(id));
  for (int i = lengthBytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

inline std::vector<uint8_t> integerBytes(int64_t v) {
  int size = 8;
  if (v >= INT8_MIN && v <= INT8_MAX)
    size = 1;
  else if (v >= INT16_MIN && v <= INT16_MAX)
    size = 2;
  else if (v >= INT32_MIN && v <= INT32_MAX)
    size = 4;
  std::vector<uint8_t> out;
  for (int i = size - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return out;
}

inline std::vector<uint8_t> integer(uint16_t id, int64_t v, Kind kind = Kind::Resource) {
  return encode(kind, id, integerBytes(v));
}
inline std::vector<uint8_t> string(uint16_t id, const std::string& s) {
  return encode(Kind::Resource, id, std::vector<uint8_t>(s.begin(), s.end()));
}
inline std::vector<uint8_t> boolean(uint16_t id, bool b) {
  return encode(Kind::Resource, id, {static_cast<uint8_t>(b ? 1 : 0)});
}
/// A Float as 8 bytes (IEEE 754 big-endian).
inline std::vector<uint8_t> float64(uint16_t id, double d) {
  uint64_t bits = 0;
  static_assert(sizeof bits == sizeof d);
  __builtin_memcpy(&bits, &d, sizeof bits);
  std::vector<uint8_t> out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  return encode(Kind::Resource, id, out);
}
/// A multiple resource with integer instances.
inline std::vector<uint8_t> integers(uint16_t id, const std::map<uint16_t, int64_t>& values) {
  std::vector<uint8_t> body;
  for (const auto& [riid, v] : values) {
    auto one = integer(riid, v, Kind::ResourceInstance);
    body.insert(body.end(), one.begin(), one.end());
  }
  return encode(Kind::Multiple, id, body);
}
inline std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

}  // namespace lwm2md::test::tlv

#pragma once

// Just enough CBOR (RFC 8949) for the e2e tests to read and write SenML CBOR payloads without
// the daemon's codec: maps with integer or text keys become JSON objects keyed by the key's
// text ("-2", "0", "bn"...).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace lwm2md::test::cbor {

class Reader {
 public:
  explicit Reader(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}

  /// The whole input as JSON; nullopt on anything malformed or left over.
  std::optional<nlohmann::json> all() {
    auto value = item(0);
    if (!value || pos_ != bytes_.size()) return std::nullopt;
    return value;
  }

 private:
  std::optional<uint64_t> argument(uint8_t info) {
    if (info < 24) return info;
    const size_t n = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : 0;
    if (n == 0 || pos_ + n > bytes_.size()) return std::nullopt;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | bytes_[pos_++];
    return v;
  }

  std::optional<nlohmann::json> item(int depth) {
    if (depth > 8 || pos_ >= bytes_.size()) return std::nullopt;
    const uint8_t initial = bytes_[pos_++];
    const uint8_t major = initial >> 5, info = initial & 0x1f;
    if (major == 7) {
      if (info == 20) return false;
      if (info == 21) return true;
      if (info == 22) return nullptr;
      if (info == 26 || info == 27) {
        auto bits = argument(info);
        if (!bits) return std::nullopt;
        if (info == 26) {
          float f;
          const auto b32 = static_cast<uint32_t>(*bits);
          std::memcpy(&f, &b32, sizeof f);
          return static_cast<double>(f);
        }
        double d;
        std::memcpy(&d, &*bits, sizeof d);
        return d;
      }
      return std::nullopt;  // half floats and the rest are not needed here
    }
    auto arg = argument(info);
    if (!arg) return std::nullopt;
    switch (major) {
      case 0:
        return *arg;
      case 1:
        return -1 - static_cast<int64_t>(*arg);
      case 2:
      case 3: {
        if (pos_ + *arg > bytes_.size()) return std::nullopt;
        std::string s(bytes_.begin() + static_cast<long>(pos_),
                      bytes_.begin() + static_cast<long>(pos_ + *arg));
        pos_ += *arg;
        if (major == 3) return s;
        return nlohmann::json::binary(std::vector<uint8_t>(s.begin(), s.end()));
      }
      case 4: {
        nlohmann::json array = nlohmann::json::array();
        for (uint64_t i = 0; i < *arg; ++i) {
          auto element = item(depth + 1);
          if (!element) return std::nullopt;
          array.push_back(*element);
        }
        return array;
      }
      case 5: {
        nlohmann::json object = nlohmann::json::object();
        for (uint64_t i = 0; i < *arg; ++i) {
          auto key = item(depth + 1);
          auto value = item(depth + 1);
          if (!key || !value) return std::nullopt;
          object[key->is_string() ? key->get<std::string>() : key->dump()] = *value;
        }
        return object;
      }
      default:
        return std::nullopt;
    }
  }

  const std::vector<uint8_t>& bytes_;
  size_t pos_ = 0;
};

/// A tiny writer: call the pieces in order.
struct Writer {
  std::vector<uint8_t> out;

  void head(uint8_t major, uint64_t v) {
    if (v < 24) {
      out.push_back(static_cast<uint8_t>(major << 5 | v));
    } else if (v < 0x100) {
      out.push_back(static_cast<uint8_t>(major << 5 | 24));
      out.push_back(static_cast<uint8_t>(v));
    } else {
      out.push_back(static_cast<uint8_t>(major << 5 | 26));
      for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
  }
  Writer& array(uint64_t n) { return head(4, n), *this; }
  Writer& map(uint64_t n) { return head(5, n), *this; }
  Writer& integer(int64_t v) {
    if (v >= 0)
      head(0, static_cast<uint64_t>(v));
    else
      head(1, static_cast<uint64_t>(-1 - v));
    return *this;
  }
  Writer& text(const std::string& s) {
    head(3, s.size());
    out.insert(out.end(), s.begin(), s.end());
    return *this;
  }
  Writer& boolean(bool b) {
    out.push_back(b ? 0xf5 : 0xf4);
    return *this;
  }
};

}  // namespace lwm2md::test::cbor

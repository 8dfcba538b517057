#pragma once

// The daemon in the ETS configuration C.3 (dm/dm_e2e_fixture.hpp) plus the Portfolio object
// (16) the ETS composite cases write to, and helpers that read SenML answers without the
// daemon's codecs.

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dm/cbor_lite.hpp"
#include "dm/dm_e2e_fixture.hpp"

namespace lwm2md::test {

using nlohmann::json;

constexpr uint16_t kCbor = 60;

/// The Portfolio object (OMA registry, object 16) reduced to what the ETS cases use: the
/// multiple, mandatory Identity strings.
constexpr const char* kPortfolioDdf = R"(<?xml version="1.0" encoding="UTF-8"?>
<LWM2M>
  <Object ObjectType="MODefinition">
    <Name>Portfolio</Name>
    <Description1>Identity strings of the host device.</Description1>
    <ObjectID>16</ObjectID>
    <ObjectURN>urn:oma:lwm2m:oma:16</ObjectURN>
    <LWM2MVersion>1.1</LWM2MVersion>
    <ObjectVersion>1.0</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="0"><Name>Identity</Name><Operations>RW</Operations>
        <MultipleInstances>Multiple</MultipleInstances><Mandatory>Mandatory</Mandatory>
        <Type>String</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>Identity strings.</Description></Item>
    </Resources>
  </Object>
</LWM2M>
)";

namespace senml {

/// RFC 8428 §6 labels of the fields a SenML CBOR answer carries.
inline std::string label(int64_t key) {
  switch (key) {
    case -2:
      return "bn";
    case 0:
      return "n";
    case 2:
      return "v";
    case 3:
      return "vs";
    case 4:
      return "vb";
    case 8:
      return "vd";
    default:
      return std::to_string(key);
  }
}

/// A small CBOR (RFC 8949) reader, half floats included; maps come out as JSON objects with the
/// SenML labels as keys. nullopt for anything malformed or left over.
class CborReader {
 public:
  explicit CborReader(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}

  std::optional<json> all() {
    auto value = item(0);
    if (!value || pos_ != bytes_.size()) return std::nullopt;
    return value;
  }

 private:
  std::optional<uint64_t> argument(uint8_t info) {
    if (info < 24) return info;
    if (info > 27) return std::nullopt;
    const size_t n = size_t{1} << (info - 24);
    if (pos_ + n > bytes_.size()) return std::nullopt;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | bytes_[pos_++];
    return v;
  }

  static double half(uint16_t h) {
    const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    double v = exponent == 0    ? std::ldexp(mantissa, -24)
               : exponent != 31 ? std::ldexp(mantissa + 1024, exponent - 25)
                                : (mantissa ? NAN : INFINITY);
    return (h & 0x8000) ? -v : v;
  }

  std::optional<json> item(int depth) {
    if (depth > 8 || pos_ >= bytes_.size()) return std::nullopt;
    const uint8_t initial = bytes_[pos_++];
    const uint8_t major = initial >> 5, info = initial & 0x1f;
    if (major == 7 && info < 24) {
      if (info == 20) return false;
      if (info == 21) return true;
      if (info == 22) return nullptr;
      return std::nullopt;
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
        return json::binary(std::vector<uint8_t>(s.begin(), s.end()));
      }
      case 4: {
        json array = json::array();
        for (uint64_t i = 0; i < *arg; ++i) {
          auto element = item(depth + 1);
          if (!element) return std::nullopt;
          array.push_back(*element);
        }
        return array;
      }
      case 5: {
        json object = json::object();
        for (uint64_t i = 0; i < *arg; ++i) {
          auto key = item(depth + 1);
          auto value = item(depth + 1);
          if (!key || !value) return std::nullopt;
          object[key->is_string() ? key->get<std::string>() : label(key->get<int64_t>())] = *value;
        }
        return object;
      }
      case 7:
        if (info == 25) return half(static_cast<uint16_t>(*arg));
        if (info == 26) {
          float f;
          const auto bits = static_cast<uint32_t>(*arg);
          std::memcpy(&f, &bits, sizeof f);
          return static_cast<double>(f);
        }
        if (info == 27) {
          double d;
          std::memcpy(&d, &*arg, sizeof d);
          return d;
        }
        return std::nullopt;
      default:
        return std::nullopt;  // tags are not expected in an answer
    }
  }

  const std::vector<uint8_t>& bytes_;
  size_t pos_ = 0;
};

/// A pack (JSON, or CBOR read above) as full name -> value, base names resolved.
inline std::map<std::string, json> byName(const json& pack) {
  std::map<std::string, json> out;
  if (!pack.is_array()) return out;
  std::string base;
  for (const auto& record : pack) {
    if (record.contains("bn")) base = record["bn"].get<std::string>();
    json value;
    for (const char* key : {"v", "vs", "vb", "vd", "vlo"})
      if (record.contains(key)) value = record[key];
    out[base + record.value("n", "")] = value;
  }
  return out;
}

/// The values of a SenML JSON (110) or CBOR (112) answer; empty (and a test failure) otherwise.
inline std::map<std::string, json> values(const Response& r) {
  if (r.contentFormat == kSenmlJson) {
    auto pack = json::parse(TestLwm2mServer::text(r), nullptr, false);
    EXPECT_FALSE(pack.is_discarded()) << TestLwm2mServer::text(r);
    return byName(pack);
  }
  if (r.contentFormat == kSenmlCbor) {
    auto pack = CborReader(r.payload).all();
    EXPECT_TRUE(pack) << "not CBOR";
    return pack ? byName(*pack) : std::map<std::string, json>{};
  }
  ADD_FAILURE() << "not a SenML answer: " << r.contentFormat.value_or(0);
  return {};
}

/// The object ids among the names ("/3/0/1" -> 3).
inline std::set<int> objectsOf(const std::map<std::string, json>& values) {
  std::set<int> out;
  for (const auto& [name, value] : values) out.insert(std::stoi(name.substr(1)));
  return out;
}

/// A SenML pack listing `paths` (names only), in SenML JSON or CBOR.
inline std::vector<uint8_t> pathList(const std::vector<std::string>& paths, uint16_t format) {
  if (format == kSenmlJson) {
    json pack = json::array();
    for (const auto& path : paths) pack.push_back({{"n", path}});
    const std::string text = pack.dump();
    return {text.begin(), text.end()};
  }
  cbor::Writer out;
  out.array(paths.size());
  for (const auto& path : paths) out.map(1).integer(0).text(path);
  return out.out;
}

/// A SenML JSON pack of integers, strings and booleans as SenML CBOR (integer labels).
inline std::vector<uint8_t> toCbor(const json& pack) {
  static const std::map<std::string, int64_t> kLabels = {
      {"bn", -2}, {"n", 0}, {"v", 2}, {"vs", 3}, {"vb", 4}};
  cbor::Writer out;
  out.array(pack.size());
  for (const auto& record : pack) {
    out.map(record.size());
    for (const auto& [key, value] : record.items()) {
      out.integer(kLabels.at(key));
      if (value.is_string())
        out.text(value.get<std::string>());
      else if (value.is_boolean())
        out.boolean(value.get<bool>());
      else
        out.integer(value.get<int64_t>());
    }
  }
  return out.out;
}

}  // namespace senml

class CompositeFixture : public DmFixture {
 protected:
  void SetUp() override {
    DmFixture::SetUp();
    const std::string config = dmConfig();  // creates the objects directory
    writeFile(dir_.file("objects") + "/16.xml", kPortfolioDdf);
    startDaemon(config);
    auto reg = server_.waitForEvent(Event::Kind::Register, 10s);
    ASSERT_TRUE(reg) << "no Register; daemon output:\n" << daemon_->output();
    ASSERT_TRUE(waitForBusName());
  }

  /// Read-Composite: FETCH / with the paths in `format`.
  Response fetch(const std::vector<std::string>& paths, uint16_t format = kSenmlJson,
                 std::optional<uint16_t> accept = {}) {
    RequestOptions options;
    options.contentFormat = format;
    options.payload = senml::pathList(paths, format);
    options.accept = accept;
    return call(Method::Fetch, "/", options);
  }

  /// Write-Composite: iPATCH / with a SenML JSON pack.
  Response patch(const json& pack, uint16_t format = kSenmlJson) {
    RequestOptions options;
    options.contentFormat = format;
    if (format == kSenmlJson) {
      const std::string text = pack.dump();
      options.payload.assign(text.begin(), text.end());
    } else {
      options.payload = senml::toCbor(pack);
    }
    return call(Method::IPatch, "/", options);
  }

  /// Creates /16/<iid> with Identity instances `identities` (SenML JSON).
  void createPortfolio(int iid, const std::vector<std::string>& identities) {
    json pack = json::array();
    for (size_t i = 0; i < identities.size(); ++i)
      pack.push_back(
          {{"n", "/16/" + std::to_string(iid) + "/0/" + std::to_string(i)}, {"vs", identities[i]}});
    const std::string text = pack.dump();
    Response r = send(Method::Post, "/16", kSenmlJson, {text.begin(), text.end()});
    ASSERT_EQ(TestLwm2mServer::codeString(r.code), "2.01") << TestLwm2mServer::text(r);
  }
};

}  // namespace lwm2md::test

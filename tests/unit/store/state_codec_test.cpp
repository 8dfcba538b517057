#include "store/state_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "generated_state.hpp"
#include "store/crc32.hpp"

namespace lwm2md {
namespace {

ResourceData single(std::uint16_t id, ResourceType type, std::optional<Value> value) {
  ResourceData r;
  r.id = id;
  r.type = type;
  r.value = std::move(value);
  return r;
}

ResourceData multiple(std::uint16_t id, ResourceType type, std::map<std::uint16_t, Value> values) {
  ResourceData r;
  r.id = id;
  r.type = type;
  r.multiple = true;
  r.instances = std::move(values);
  return r;
}

PersistedState roundTrip(const PersistedState& state) {
  EXPECT_TRUE(validateState(state).ok());
  auto decoded = decodeState(encodeState(state));
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  return decoded.ok() ? *decoded : PersistedState{};
}

// A header with the right length and checksum around any content, to reach the JSON checks.
std::string envelope(const std::string& body) {
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32(body));
  return "lwm2md-state version=1 length=" + std::to_string(body.size()) + " crc32=" + crc + "\n" +
         body;
}

std::string decodeError(std::string_view text) {
  auto decoded = decodeState(text);
  EXPECT_FALSE(decoded.ok()) << "decoded: " << text;
  return decoded.ok() ? std::string() : decoded.error().message;
}

constexpr const char* kEmptyLists = R"("instances": [], "attributes": [], "locations": [])";

std::string withInstance(const std::string& instance) {
  return envelope(R"({"generation": 1, "bootstrapped": false, "instances": [)" + instance +
                  R"(], "attributes": [], "locations": []})");
}

std::string withResource(const std::string& resource) {
  return withInstance(R"({"object": 0, "instance": 1, "resources": [)" + resource + "]}");
}

std::string withAttribute(const std::string& attribute) {
  return envelope(R"({"generation": 1, "bootstrapped": false, "instances": [], "attributes": [)" +
                  attribute + R"(], "locations": []})");
}

TEST(Crc32, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926U);
  EXPECT_EQ(crc32(""), 0U);
  EXPECT_EQ(crc32(std::string(1, '\0')), 0xD202EF8DU);
}

TEST(StateCodec, RoundTripsEveryValueType) {
  PersistedState state;
  state.generation = std::numeric_limits<std::uint64_t>::max();
  state.bootstrapped = true;
  InstanceData data;
  data.id = 7;
  Opaque allBytes;
  for (int i = 0; i < 256; ++i) allBytes.push_back(static_cast<std::uint8_t>(i));
  data.resources = {
      single(0, ResourceType::String, std::string("coaps://[::1]:5684 \"quoted\" \xc3\xa9\n")),
      single(1, ResourceType::Integer, std::numeric_limits<std::int64_t>::min()),
      single(2, ResourceType::UnsignedInteger, std::numeric_limits<std::uint64_t>::max()),
      single(3, ResourceType::Float, 0.1),
      single(4, ResourceType::Boolean, false),
      single(5, ResourceType::Opaque, allBytes),
      single(6, ResourceType::Time, std::int64_t{1700000000}),
      single(7, ResourceType::Objlnk, Objlnk{65535, 65535}),
      single(8, ResourceType::Corelnk, std::string("</3/0>;ver=1.1")),
      single(9, ResourceType::None, std::nullopt),
      single(10, ResourceType::Opaque, Opaque{}),
      single(11, ResourceType::String, std::string()),
      single(12, ResourceType::Integer, std::nullopt),
      single(13, ResourceType::Float, -0.0),
      single(14, ResourceType::Float, 5e-324),
      single(15, ResourceType::Float, 1.7976931348623157e308),
      single(16, ResourceType::Integer, std::numeric_limits<std::int64_t>::max()),
      single(17, ResourceType::Float, 3.0),
      single(18, ResourceType::String, std::string("nul\0inside", 10)),
  };
  state.instances.emplace_back(65535, data);
  const PersistedState back = roundTrip(state);
  EXPECT_EQ(back, state);
  ASSERT_EQ(back.instances.size(), 1U);
  EXPECT_TRUE(std::signbit(std::get<double>(*back.instances[0].second.resources[13].value)));
  EXPECT_TRUE(std::holds_alternative<double>(*back.instances[0].second.resources[17].value));
}

TEST(StateCodec, RoundTripsMultipleInstanceResources) {
  PersistedState state;
  InstanceData acl;
  acl.id = 0;
  acl.resources = {
      multiple(2, ResourceType::Integer, {{0, std::int64_t{1}}, {101, std::int64_t{31}}}),
      multiple(3, ResourceType::Opaque, {{0, Opaque{1, 2, 3}}, {65535, Opaque{}}}),
      multiple(4, ResourceType::String, {}),
      multiple(5, ResourceType::Objlnk, {{1, Objlnk{3, 0}}}),
      multiple(6, ResourceType::Float, {{0, 1.5}, {1, -2.25}}),
      multiple(7, ResourceType::Boolean, {{9, true}}),
      multiple(8, ResourceType::UnsignedInteger, {{0, std::uint64_t{0}}}),
  };
  state.instances.emplace_back(2, acl);
  state.instances.emplace_back(1, InstanceData{3, {}});
  EXPECT_EQ(roundTrip(state), state);
}

TEST(StateCodec, RoundTripsNonFiniteFloats) {
  PersistedState state;
  InstanceData data;
  data.resources = {
      single(0, ResourceType::Float, std::numeric_limits<double>::quiet_NaN()),
      single(1, ResourceType::Float, std::numeric_limits<double>::infinity()),
      single(2, ResourceType::Float, -std::numeric_limits<double>::infinity()),
  };
  state.instances.emplace_back(3, data);
  StoredAttributeEntry entry;
  entry.path = Path(3, 0, 1);
  entry.attributes.gt = std::numeric_limits<double>::infinity();
  entry.attributes.st = std::numeric_limits<double>::quiet_NaN();
  state.attributes.push_back(entry);
  const std::string text = encodeState(state);
  EXPECT_NE(text.find("\"NaN\""), std::string::npos);
  const PersistedState back = roundTrip(state);
  ASSERT_EQ(back.instances.size(), 1U);
  const auto& r = back.instances[0].second.resources;
  EXPECT_TRUE(std::isnan(std::get<double>(*r[0].value)));
  EXPECT_EQ(std::get<double>(*r[1].value), std::numeric_limits<double>::infinity());
  EXPECT_EQ(std::get<double>(*r[2].value), -std::numeric_limits<double>::infinity());
  ASSERT_EQ(back.attributes.size(), 1U);
  EXPECT_EQ(back.attributes[0].attributes.gt, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*back.attributes[0].attributes.st));
}

TEST(StateCodec, KeepsStringsThatAreNotUtf8ByteForByte) {
  PersistedState state;
  InstanceData data;
  data.resources = {single(0, ResourceType::String, std::string("\xff\xfe\xc0\x80"))};
  state.instances.emplace_back(0, data);
  state.locations[1] = {"rd", std::string("\xed\xa0\x80")};  // an encoded surrogate
  const std::string text = encodeState(state);
  EXPECT_NE(text.find("\"base64\""), std::string::npos);
  EXPECT_EQ(roundTrip(state), state);
}

TEST(StateCodec, RoundTripsAttributesWithEachField) {
  PersistedState state;
  auto add = [&](std::uint16_t server, Path path, auto setter) {
    StoredAttributeEntry entry;
    entry.server = server;
    entry.path = path;
    setter(entry.attributes);
    state.attributes.push_back(entry);
  };
  add(1, Path(3), [](StoredAttributes& a) { a.pmin = 0; });
  add(1, Path(3, 0), [](StoredAttributes& a) { a.pmax = 4294967295U; });
  add(1, Path(3, 0, 1), [](StoredAttributes& a) { a.gt = -12.5; });
  add(1, Path(3, 0, 2), [](StoredAttributes& a) { a.lt = 1e-9; });
  add(1, Path(3, 0, 3), [](StoredAttributes& a) { a.st = 0.25; });
  add(1, Path(3, 0, 4), [](StoredAttributes& a) { a.epmin = 5; });
  add(1, Path(3, 0, 5), [](StoredAttributes& a) { a.epmax = 50; });
  add(1, Path(3, 0, 6), [](StoredAttributes& a) { a.con = false; });
  add(2, Path(3, 0, 6), [](StoredAttributes& a) { a.con = true; });
  add(65535, Path(3, 0, 11, 65534),
      [](StoredAttributes& a) { a = StoredAttributes{1, 2, 3.5, 4.5, 5.5, 6, 7, true}; });
  add(3, Path(), [](StoredAttributes&) {});  // nothing set, root path
  EXPECT_EQ(roundTrip(state), state);
}

TEST(StateCodec, RoundTripsLocations) {
  PersistedState state;
  state.locations[0] = {};
  state.locations[101] = {"rd", "5a3f"};
  state.locations[65535] = {"", "\xe2\x82\xac", "a/b", "x y"};
  EXPECT_EQ(roundTrip(state), state);
}

TEST(StateCodec, RoundTripsGeneratedStates) {
  for (std::uint64_t g = 0; g < 40; ++g) {
    const auto state = test::stateForGeneration(g);
    EXPECT_EQ(roundTrip(state), state) << "generation " << g;
  }
}

TEST(StateCodec, HeaderCarriesFormatVersionLengthAndChecksum) {
  const std::string text = encodeState(test::stateForGeneration(5));
  const auto eol = text.find('\n');
  ASSERT_NE(eol, std::string::npos);
  const std::string body = text.substr(eol + 1);
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32(body));
  EXPECT_EQ(text.substr(0, eol),
            "lwm2md-state version=1 length=" + std::to_string(body.size()) + " crc32=" + crc);
  EXPECT_EQ(body.back(), '\n');
  EXPECT_EQ(encodeState(test::stateForGeneration(5)), text);  // deterministic
}

TEST(StateCodec, RejectsEveryTruncation) {
  const std::string text = encodeState(test::stateForGeneration(4));
  for (std::size_t size = 0; size < text.size(); ++size) {
    auto decoded = decodeState(std::string_view(text).substr(0, size));
    ASSERT_FALSE(decoded.ok()) << "truncated to " << size << " bytes";
  }
  EXPECT_NE(decodeError(text.substr(0, text.size() / 2)).find("truncated"), std::string::npos);
  EXPECT_EQ(decodeError(text.substr(0, 7)), "truncated inside the header line");
}

TEST(StateCodec, RejectsEveryFlippedBit) {
  const std::string text = encodeState(test::stateForGeneration(4));
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (int bit : {0, 5, 7}) {
      std::string bad = text;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      ASSERT_FALSE(decodeState(bad).ok()) << "bit " << bit << " of byte " << i;
    }
  }
  std::string flipped = text;
  flipped[text.size() / 2] ^= 0x01;
  EXPECT_EQ(decodeError(flipped), "checksum mismatch (half-written or corrupt)");
}

TEST(StateCodec, RejectsOtherFormatsAndVersions) {
  const std::string text = encodeState(PersistedState{});
  EXPECT_EQ(decodeError(""), "empty file");
  EXPECT_EQ(decodeError("{\"generation\": 1}"),
            "not an lwm2md state file (it begins with \"{\\x22generation\\x22: 1}\")");
  EXPECT_NE(decodeError("\x7f"
                        "ELF\x02\x01\x01")
                .find("not an lwm2md state file"),
            std::string::npos);
  std::string other = text;
  other.replace(0, 12, "lwm2md-stats");
  EXPECT_NE(decodeError(other).find("not an lwm2md state file"), std::string::npos);

  std::string newer = text;
  newer.replace(newer.find("version=1"), 9, "version=3");
  EXPECT_EQ(decodeError(newer),
            "format version 3 is newer than this daemon understands (up to 2): refusing it");
  std::string zero = text;
  zero.replace(zero.find("version=1"), 9, "version=0");
  EXPECT_EQ(decodeError(zero), "unknown format version 0");
  std::string padded = text;
  padded.replace(padded.find("version=1"), 9, "version=01");
  EXPECT_NE(decodeError(padded).find("malformed version field"), std::string::npos);
  EXPECT_EQ(decodeError("lwm2md-state\n"), "the header line has no version");
  EXPECT_EQ(decodeError("lwm2md-state version=1\n"),
            "malformed header line \"lwm2md-state version=1\" (expected \"lwm2md-state "
            "version=<v> length=<bytes> crc32=<8 hex digits>\")");
  EXPECT_EQ(decodeError("lwm2md-state " + std::string(200, 'x')), "the header line is too long");
  EXPECT_EQ(decodeError(text + "\n"), std::to_string(text.size() - text.find('\n')) +
                                          " bytes of content where the header announces " +
                                          std::to_string(text.size() - text.find('\n') - 1) +
                                          " (data appended?)");
  std::string upper = text;
  const auto crcAt = upper.find("crc32=") + 6;
  for (std::size_t i = crcAt; i < crcAt + 8; ++i)
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  if (upper != text) {
    EXPECT_NE(decodeError(upper).find("malformed header line"), std::string::npos);
  }
}

TEST(StateCodec, RejectsContentThatIsNotJson) {
  EXPECT_NE(decodeError(envelope("{\"generation\": ")).find("the content is not valid JSON: "),
            std::string::npos);
  EXPECT_NE(decodeError(envelope("")).find("not valid JSON"), std::string::npos);
}

TEST(StateCodec, ExplainsSchemaErrorsWithTheirLocation) {
  EXPECT_EQ(decodeError(envelope("[]")), "content: expected an object, found array");
  EXPECT_EQ(decodeError(envelope(R"({"bootstrapped": true, )" + std::string(kEmptyLists) + "}")),
            "content: missing member \"generation\"");
  EXPECT_EQ(decodeError(envelope(R"({"generation": -1, "bootstrapped": true, )" +
                                 std::string(kEmptyLists) + "}")),
            "generation: expected an unsigned integer");
  EXPECT_EQ(decodeError(envelope(R"({"generation": 1, "bootstrapped": 1, )" +
                                 std::string(kEmptyLists) + "}")),
            "bootstrapped: expected true or false");
  EXPECT_EQ(decodeError(envelope(R"({"generation": 1, "bootstrapped": true, "extra": 0, )" +
                                 std::string(kEmptyLists) + "}")),
            "content: unknown member \"extra\"");
  EXPECT_EQ(decodeError(withInstance(R"({"object": 65536, "instance": 0, "resources": []})")),
            "instances[0].object: 65536 is out of range (0..65535)");
  EXPECT_EQ(decodeError(withInstance(R"({"object": 0, "instance": 0, "resources": {}})")),
            "instances[0].resources: expected an array");
  EXPECT_EQ(decodeError(withInstance(R"({"object": 0, "instance": 0, "resources": []},
                                        {"object": 0, "instance": 0, "resources": []})")),
            "instances[1]: instance /0/0 appears twice");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "text", "value": "x"})")),
            "instances[0].resources[0].type: unknown type \"text\"");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "string", "value": 5})")),
            "instances[0].resources[0].value: expected a string or {\"base64\": ...}");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "integer", "value": 1.5})")),
            "instances[0].resources[0].value: expected an integer");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "integer",
                                         "value": 9223372036854775808})")),
            "instances[0].resources[0].value: 9223372036854775808 is out of the 64-bit signed "
            "range");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "unsigned", "value": -1})")),
            "instances[0].resources[0].value: expected an unsigned integer");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "float", "value": "1.5"})")),
            "instances[0].resources[0].value: expected a number, \"NaN\", \"Infinity\" or "
            "\"-Infinity\"");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "opaque", "value": "AQI"})")),
            "instances[0].resources[0].value: not valid base64 (RFC 4648, padded)");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "objlnk", "value": {"object": 1}})")),
            "instances[0].resources[0].value: missing member \"instance\"");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "none", "value": 1})")),
            "instances[0].resources[0].value: an executable resource (type \"none\") has no "
            "value");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "none", "multiple": true,
                                         "instances": []})")),
            "instances[0].resources[0]: an executable resource (type \"none\") cannot be "
            "multiple");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "integer", "multiple": true,
                                         "value": 1, "instances": []})")),
            "instances[0].resources[0]: a multiple resource has \"instances\", not \"value\"");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "integer", "instances": []})")),
            "instances[0].resources[0]: a single resource has \"value\", not \"instances\"");
  EXPECT_EQ(decodeError(withResource(R"({"id": 0, "type": "integer", "multiple": true,
                                         "instances": [{"id": 1, "value": 1},
                                                       {"id": 1, "value": 2}]})")),
            "instances[0].resources[0].instances[1].id: resource instance 1 appears twice");
  EXPECT_EQ(decodeError(withResource(R"({"id": 4, "type": "integer", "value": 1},
                                        {"id": 4, "type": "integer", "value": 2})")),
            "instances[0].resources[1].id: resource 4 appears twice");
  EXPECT_EQ(decodeError(withAttribute(R"({"server": 1, "path": "3/0"})")),
            "attributes[0].path: not an LwM2M path: \"3/0\"");
  EXPECT_EQ(decodeError(withAttribute(R"({"server": 1, "path": "/3/65535"})")),
            "attributes[0].path: not an LwM2M path: \"/3/65535\"");
  EXPECT_EQ(decodeError(withAttribute(R"({"server": 1, "path": "/3", "pmin": 4294967296})")),
            "attributes[0].pmin: 4294967296 is out of range (0..4294967295)");
  EXPECT_EQ(decodeError(withAttribute(R"({"server": 1, "path": "/3", "con": "yes"})")),
            "attributes[0].con: expected true or false");
  EXPECT_EQ(decodeError(withAttribute(R"({"server": 1, "path": "/3", "pmin": 1},
                                         {"server": 1, "path": "/3", "pmax": 1})")),
            "attributes[1]: attributes of server 1 on /3 appear twice");
  EXPECT_EQ(decodeError(envelope(R"({"generation": 1, "bootstrapped": false, "instances": [],
      "attributes": [], "locations": [{"server": 1, "path": ["rd"]},
                                      {"server": 1, "path": []}]})")),
            "locations[1].server: location of server 1 appears twice");
  EXPECT_EQ(decodeError(envelope(R"({"generation": 1, "bootstrapped": false, "instances": [],
      "attributes": [], "locations": [{"server": 1, "path": [7]}]})")),
            "locations[0].path[0]: expected a string or {\"base64\": ...}");
}

TEST(StateCodec, AcceptsHandWrittenContent) {
  auto decoded = decodeState(withResource(
      R"({"id": 2, "type": "integer", "multiple": false, "value": 3},
         {"id": 3, "type": "opaque", "value": "AQI="},
         {"id": 4, "type": "string", "value": {"base64": "/w=="}})"));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->instances.size(), 1U);
  const auto& resources = decoded->instances[0].second.resources;
  ASSERT_EQ(resources.size(), 3U);
  EXPECT_EQ(std::get<std::int64_t>(*resources[0].value), 3);
  EXPECT_EQ(std::get<Opaque>(*resources[1].value), (Opaque{1, 2}));
  EXPECT_EQ(std::get<std::string>(*resources[2].value), "\xff");
}

TEST(StateCodec, ValidateRejectsStatesThatWouldNotReadBack) {
  auto withData = [](std::vector<ResourceData> resources) {
    PersistedState state;
    state.instances.emplace_back(0, InstanceData{1, std::move(resources)});
    return state;
  };
  auto message = [](const PersistedState& state) {
    auto s = validateState(state);
    EXPECT_FALSE(s.ok());
    return s.ok() ? std::string() : s.error().message;
  };
  EXPECT_EQ(message(withData({single(5, ResourceType::Opaque, std::string("key"))})),
            "/0/1/5: the value does not hold the opaque type");
  EXPECT_EQ(message(withData({single(4, ResourceType::None, std::int64_t{1})})),
            "/0/1/4: an executable resource has no value");
  EXPECT_EQ(message(withData({multiple(4, ResourceType::None, {})})),
            "/0/1/4: an executable resource cannot be multiple");
  EXPECT_EQ(message(withData({multiple(2, ResourceType::Integer, {{7, true}})})),
            "/0/1/2/7: the value does not hold the integer type");
  EXPECT_EQ(message(withData({single(1, ResourceType::Integer, std::int64_t{1}),
                              single(1, ResourceType::Integer, std::int64_t{2})})),
            "resource /0/1/1 appears twice");
  PersistedState twice = withData({});
  twice.instances.push_back(twice.instances[0]);
  EXPECT_EQ(message(twice), "instance /0/1 appears twice");
  PersistedState attributes;
  attributes.attributes = {StoredAttributeEntry{1, Path(3), {}},
                           StoredAttributeEntry{1, Path(3), {}}};
  EXPECT_EQ(message(attributes), "attributes of server 1 on /3 appear twice");
  EXPECT_TRUE(validateState(test::stateForGeneration(3)).ok());
}

}  // namespace
}  // namespace lwm2md

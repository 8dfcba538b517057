// ETS cases in the JSON and SenML formats: OMA LwM2M JSON (11543), SenML JSON (110) and SenML
// CBOR (112). Payloads are checked with nlohmann-json and a small CBOR reader, not the daemon's
// codecs.
#include "cbor_lite.hpp"
#include "dm_e2e_fixture.hpp"

namespace lwm2md::test {
namespace {

using nlohmann::json;

/// SenML records (JSON labels or their CBOR numbers) resolved to full name -> record.
std::map<std::string, json> senml(const json& pack) {
  std::map<std::string, json> byName;
  std::string baseName;
  if (!pack.is_array()) return byName;
  for (const auto& record : pack) {
    auto field = [&](const char* label, int number) -> const json* {
      if (record.contains(label)) return &record[label];
      if (record.contains(std::to_string(number))) return &record[std::to_string(number)];
      return nullptr;
    };
    if (const json* bn = field("bn", -2)) baseName = bn->get<std::string>();
    const json* n = field("n", 0);
    json value;
    if (const json* v = field("v", 2)) value = *v;
    if (const json* vs = field("vs", 3)) value = *vs;
    if (const json* vb = field("vb", 4)) value = *vb;
    byName[baseName + (n ? n->get<std::string>() : "")] = value;
  }
  return byName;
}

/// OMA LwM2M JSON: bn + e[].n -> value.
std::map<std::string, json> lwm2mJson(const json& doc) {
  std::map<std::string, json> byName;
  const std::string baseName = doc.value("bn", "");
  for (const auto& e : doc.value("e", json::array())) {
    json value;
    for (const char* key : {"v", "sv", "bv", "ov"})
      if (e.contains(key)) value = e[key];
    byName[baseName + e.value("n", "")] = value;
  }
  return byName;
}

std::vector<uint8_t> bytesOf(const std::string& s) {
  return {s.begin(), s.end()};
}

class EtsFormats : public DmFixture {
 protected:
  void SetUp() override {
    DmFixture::SetUp();
    startDm();
    supplyDeviceC3();
  }

  std::map<std::string, json> readSenmlJson(const std::string& path) {
    Response r = read(path, kSenmlJson);
    EXPECT_CODE(r, code::kContent);
    EXPECT_EQ(r.contentFormat, kSenmlJson);
    return senml(json::parse(TestLwm2mServer::text(r), nullptr, false));
  }
  std::map<std::string, json> readSenmlCbor(const std::string& path) {
    Response r = read(path, kSenmlCbor);
    EXPECT_CODE(r, code::kContent);
    EXPECT_EQ(r.contentFormat, kSenmlCbor);
    auto decoded = cbor::Reader(r.payload).all();
    EXPECT_TRUE(decoded) << "not CBOR";
    return decoded ? senml(*decoded) : std::map<std::string, json>{};
  }

  /// The C.3 values the fixture supplied over D-Bus (supplyDeviceC3).
  static void expectSuppliedDevice(std::map<std::string, json>& device) {
    EXPECT_EQ(device["/3/0/6/0"], 1);
    EXPECT_EQ(device["/3/0/6/1"], 5);
    EXPECT_EQ(device["/3/0/7/0"], 3800);
    EXPECT_EQ(device["/3/0/7/1"], 5000);
    EXPECT_EQ(device["/3/0/8/0"], 125);
    EXPECT_EQ(device["/3/0/8/1"], 900);
    EXPECT_EQ(device["/3/0/9"], 100);
    EXPECT_EQ(device["/3/0/10"], 15);
  }

  void expectBasicInformation(const std::function<std::map<std::string, json>(std::string)>& get) {
    auto server = get("/1");
    EXPECT_EQ(server["/1/0/0"], 1);
    EXPECT_EQ(server["/1/0/1"], 86400);
    EXPECT_EQ(server["/1/0/2"], 1);
    EXPECT_EQ(server["/1/0/3"], 10);
    EXPECT_EQ(server["/1/0/7"], "U");
    auto device = get("/3/0");
    EXPECT_EQ(device["/3/0/0"], "Open Mobile Alliance");
    EXPECT_EQ(device["/3/0/1"], "Lightweight M2M Client");
    EXPECT_EQ(device["/3/0/2"], "345000123");
    EXPECT_EQ(device["/3/0/3"], "1.0");
    EXPECT_EQ(device["/3/0/11/0"], 0);
    EXPECT_EQ(device["/3/0/16"], "U");
    expectSuppliedDevice(device);
    EXPECT_EQ(get("/3/0/16")["/3/0/16"], "U");
    EXPECT_EQ(get("/3/0/11/0")["/3/0/11/0"], 0);
  }
};

TEST_F(EtsFormats, Int204_QueryingBasicInformationInJson) {
  Response r = read("/3/0", kLwm2mJson);
  EXPECT_CODE(r, code::kContent);
  EXPECT_EQ(r.contentFormat, kLwm2mJson);
  auto device = lwm2mJson(json::parse(TestLwm2mServer::text(r), nullptr, false));
  EXPECT_EQ(device["/3/0/0"], "Open Mobile Alliance");
  EXPECT_EQ(device["/3/0/1"], "Lightweight M2M Client");
  EXPECT_EQ(device["/3/0/2"], "345000123");
  EXPECT_EQ(device["/3/0/3"], "1.0");
  EXPECT_EQ(device["/3/0/11/0"], 0);
  EXPECT_EQ(device["/3/0/16"], "U");
  expectSuppliedDevice(device);
}

TEST_F(EtsFormats, Int220_SettingBasicInformationInJson) {
  const std::string update =
      R"({"bn":"/1/0/","e":[{"n":"2","v":101},{"n":"3","v":1010},{"n":"6","bv":true}]})";
  EXPECT_CODE(send(Method::Post, "/1/0", kLwm2mJson, bytesOf(update)), code::kChanged);
  EXPECT_EQ(readText("/1/0/2"), "101");
  EXPECT_EQ(readText("/1/0/3"), "1010");
  EXPECT_EQ(readText("/1/0/6"), "1");
  const std::string replace =
      R"({"bn":"/1/0/","e":[{"n":"1","v":86400},{"n":"2","v":1},{"n":"3","v":10},)"
      R"({"n":"6","bv":false},{"n":"7","sv":"U"}]})";
  EXPECT_CODE(send(Method::Put, "/1/0", kLwm2mJson, bytesOf(replace)), code::kChanged);
  EXPECT_EQ(readText("/1/0/2"), "1");
  EXPECT_EQ(readText("/1/0/6"), "0");
}

TEST_F(EtsFormats, Int231_QueryingBasicInformationInSenmlJson) {
  expectBasicInformation([this](const std::string& path) { return readSenmlJson(path); });
}

TEST_F(EtsFormats, Int232_QueryingBasicInformationInSenmlCbor) {
  expectBasicInformation([this](const std::string& path) { return readSenmlCbor(path); });
}

TEST_F(EtsFormats, Int233_SettingBasicInformationInSenmlCbor) {
  cbor::Writer w;
  w.array(2).map(3).integer(-2).text("/1/0/").integer(0).text("1").integer(2).integer(61);
  w.map(2).integer(0).text("6").integer(4).boolean(true);
  EXPECT_CODE(send(Method::Post, "/1/0", kSenmlCbor, w.out), code::kChanged);
  auto server = readSenmlCbor("/1/0");
  EXPECT_EQ(server["/1/0/1"], 61);
  EXPECT_EQ(server["/1/0/6"], true);
  cbor::Writer one;
  one.array(1).map(2).integer(-2).text("/1/0/1").integer(2).integer(63);
  EXPECT_CODE(send(Method::Put, "/1/0/1", kSenmlCbor, one.out), code::kChanged);
  EXPECT_EQ(readText("/1/0/1"), "63");
}

TEST_F(EtsFormats, Int234_SettingBasicInformationInSenmlJson) {
  EXPECT_CODE(send(Method::Post, "/1/0", kSenmlJson,
                   bytesOf(R"([{"bn":"/1/0/","n":"1","v":61},{"n":"6","vb":true}])")),
              code::kChanged);
  auto server = readSenmlJson("/1/0");
  EXPECT_EQ(server["/1/0/1"], 61);
  EXPECT_EQ(server["/1/0/6"], true);
  EXPECT_CODE(send(Method::Put, "/1/0/1", kSenmlJson, bytesOf(R"([{"bn":"/1/0/1","v":63}])")),
              code::kChanged);
  EXPECT_EQ(readText("/1/0/1"), "63");
}

TEST_F(EtsFormats, Int237_ReadOnObjectWithoutSpecifyingContentTypeIsSenmlCbor) {
  Response r = read("/3");
  EXPECT_CODE(r, code::kContent);
  EXPECT_EQ(r.contentFormat, kSenmlCbor);
  auto decoded = cbor::Reader(r.payload).all();
  ASSERT_TRUE(decoded);
  EXPECT_EQ(senml(*decoded)["/3/0/0"], "Open Mobile Alliance");
}

TEST_F(EtsFormats, CreateWithSenmlNamesCarryingTheInstanceId) {
  Response created = send(Method::Post, "/3303", kSenmlJson,
                          bytesOf(R"([{"bn":"/3303/","n":"4/5700","v":20.5}])"));
  EXPECT_CODE(created, code::kCreated);
  EXPECT_EQ(created.locationPath, (std::vector<std::string>{"3303", "4"}));
  EXPECT_EQ(readText("/3303/4/5700"), "20.5");
  // A SenML pack that is not valid JSON, and one naming another object.
  EXPECT_CODE(send(Method::Post, "/3303", kSenmlJson, bytesOf(R"([{"bn":"/3303/")")),
              code::kBadRequest);
  EXPECT_CODE(
      send(Method::Post, "/3303", kSenmlJson, bytesOf(R"([{"bn":"/3/","n":"4/5700","v":20.5}])")),
      code::kBadRequest);
}

}  // namespace
}  // namespace lwm2md::test

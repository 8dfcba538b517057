// ETS Read-Composite and Write-Composite cases (FETCH and iPATCH with SenML JSON and CBOR):
// int-229, int-230, int-235, int-236, int-257, int-280, int-281, and the error codes.
#include "composite_fixture.hpp"

namespace lwm2md::test {
namespace {

using senml::values;

class EtsComposite : public CompositeFixture {
 protected:
  /// A plain Read in SenML JSON, as name -> value.
  std::map<std::string, json> plain(const std::string& path) {
    Response r = read(path, kSenmlJson);
    EXPECT_CODE(r, code::kContent);
    return values(r);
  }
};

TEST_F(EtsComposite, Int229_ReadComposite) {
  for (uint16_t format : {kSenmlJson, kSenmlCbor}) {
    SCOPED_TRACE(format);
    Response r = fetch({"/3", "/1/0"}, format);
    EXPECT_CODE(r, code::kContent);
    EXPECT_EQ(r.contentFormat, format);  // no Accept: the request's format
    auto all = values(r);
    EXPECT_EQ(senml::objectsOf(all), (std::set<int>{1, 3}));
    // Exactly what plain Reads of the two paths return (the clock /3/0/13 moves on).
    auto expected = plain("/3");
    for (auto& [name, value] : plain("/1/0")) expected[name] = value;
    all.erase("/3/0/13");
    expected.erase("/3/0/13");
    EXPECT_EQ(all, expected);
    EXPECT_EQ(all.at("/3/0/0"), "Open Mobile Alliance");
    EXPECT_EQ(all.at("/1/0/1"), 86400);

    r = fetch({"/1/0/1", "/3/0/11/0"}, format);
    EXPECT_CODE(r, code::kContent);
    all = values(r);
    EXPECT_EQ(all, (std::map<std::string, json>{{"/1/0/1", 86400}, {"/3/0/11/0", 0}}));
  }
  // Accept picks the answer's format.
  Response r = fetch({"/1/0/7"}, kSenmlJson, kSenmlCbor);
  EXPECT_CODE(r, code::kContent);
  EXPECT_EQ(r.contentFormat, kSenmlCbor);
  EXPECT_EQ(values(r), (std::map<std::string, json>{{"/1/0/7", "U"}}));
}

TEST_F(EtsComposite, Int230_WriteComposite) {
  createPortfolio(0, {"a", "b"});
  for (uint16_t format : {kSenmlJson, kSenmlCbor}) {
    SCOPED_TRACE(format);
    const std::string tag = format == kSenmlJson ? "j" : "c";
    json pack = json::array({{{"n", "/1/0/1"}, {"v", 60}},
                             {{"n", "/1/0/6"}, {"vb", true}},
                             {{"bn", "/16/0/0/"}, {"n", "0"}, {"vs", tag + "aa"}},
                             {{"n", "1"}, {"vs", tag + "bb"}},
                             {{"n", "2"}, {"vs", tag + "cc"}},
                             {{"n", "3"}, {"vs", tag + "dd"}}});
    EXPECT_CODE(patch(pack, format), code::kChanged);
    auto server = plain("/1/0");
    EXPECT_EQ(server.at("/1/0/1"), 60);
    EXPECT_EQ(server.at("/1/0/6"), true);
    EXPECT_EQ(plain("/16/0/0"), (std::map<std::string, json>{{"/16/0/0/0", tag + "aa"},
                                                             {"/16/0/0/1", tag + "bb"},
                                                             {"/16/0/0/2", tag + "cc"},
                                                             {"/16/0/0/3", tag + "dd"}}));
    // Back to C.3.
    EXPECT_CODE(
        patch(json::array({{{"n", "/1/0/1"}, {"v", 86400}}, {{"n", "/1/0/6"}, {"vb", false}}}),
              format),
        code::kChanged);
    EXPECT_EQ(readText("/1/0/1"), "86400");
  }
}

TEST_F(EtsComposite, Int235_ReadCompositeOnRootPath) {
  createPortfolio(0, {"x"});
  Response r = fetch({"/"});
  EXPECT_CODE(r, code::kContent);
  auto all = values(r);
  // Server, Device and Portfolio; never the Security object's keys.
  const auto objects = senml::objectsOf(all);
  for (int oid : {1, 3, 16}) EXPECT_TRUE(objects.contains(oid)) << oid;
  EXPECT_FALSE(objects.contains(0));
  EXPECT_EQ(all.at("/16/0/0/0"), "x");
  EXPECT_EQ(all.at("/3/0/16"), "U");
}

TEST_F(EtsComposite, Int236_ReadCompositePartialPresence) {
  Response r = fetch({"/1/0", "/3/0/11/0", "/3339/0/5522", "/3353/0/6030"}, kSenmlCbor);
  EXPECT_CODE(r, code::kContent);
  auto all = values(r);
  EXPECT_EQ(senml::objectsOf(all), (std::set<int>{1, 3}));
  EXPECT_EQ(all.at("/1/0/1"), 86400);
  EXPECT_EQ(all.at("/3/0/11/0"), 0);
}

TEST_F(EtsComposite, Int257_WriteComposite) {
  for (uint16_t format : {kSenmlJson, kSenmlCbor}) {
    SCOPED_TRACE(format);
    EXPECT_CODE(patch(json::array({{{"n", "/1/0/2"}, {"v", 102}},
                                   {{"n", "/1/0/6"}, {"vb", true}},
                                   {{"n", "/3/0/13"}, {"v", 0}}}),
                      format),
                code::kChanged);
    EXPECT_EQ(readText("/1/0/2"), "102");
    EXPECT_EQ(readText("/1/0/6"), "1");
    EXPECT_CODE(
        patch(json::array({{{"n", "/1/0/2"}, {"v", 1}}, {{"n", "/1/0/6"}, {"vb", false}}}), format),
        code::kChanged);
  }
  // All or nothing: /1/0/0 (Short Server ID) is read-only, so /1/0/2 keeps its value.
  Response r = patch(json::array({{{"n", "/1/0/2"}, {"v", 55}}, {{"n", "/1/0/0"}, {"v", 9}}}));
  EXPECT_CODE(r, code::kMethodNotAllowed);
  EXPECT_EQ(readText("/1/0/2"), "1");
  EXPECT_EQ(readText("/1/0/0"), "1");
  // An instance that does not exist is not created.
  r = patch(json::array({{{"n", "/1/0/2"}, {"v", 55}}, {{"n", "/16/9/0/0"}, {"vs", "new"}}}));
  EXPECT_CODE(r, code::kNotFound);
  EXPECT_CODE(read("/16/9", kSenmlJson), code::kNotFound);
  EXPECT_EQ(readText("/1/0/2"), "1");
  // Nor may a server write keys.
  r = patch(json::array({{{"n", "/0/0/0"}, {"vs", "coap://elsewhere"}}}));
  EXPECT_CODE(r, code::kUnauthorized);
}

TEST_F(EtsComposite, Int280_SuccessfulReadComposite) {
  Response r = fetch({"/3/0/16", "/3/0/11/0", "/1/0"});
  EXPECT_CODE(r, code::kContent);
  auto all = values(r);
  EXPECT_EQ(all.at("/3/0/16"), "U");
  EXPECT_EQ(all.at("/3/0/11/0"), 0);
  EXPECT_EQ(all.at("/1/0/0"), 1);
  EXPECT_EQ(all.at("/1/0/1"), 86400);
  EXPECT_EQ(all.at("/1/0/6"), readText("/1/0/6") == "1");
  EXPECT_EQ(all.at("/1/0/7"), "U");
  for (const auto& [name, value] : all) {  // no other Device resources
    if (name.starts_with("/3/")) {
      EXPECT_TRUE(name == "/3/0/16" || name == "/3/0/11/0") << name;
    }
  }
}

TEST_F(EtsComposite, Int281_PartiallySuccessfulReadComposite) {
  // /1/0/8 (Registration Update Trigger) is executable: left out, the rest answered.
  Response r = fetch({"/1/0/1", "/1/0/7", "/1/0/8"});
  EXPECT_CODE(r, code::kContent);
  EXPECT_EQ(values(r), (std::map<std::string, json>{{"/1/0/1", 86400}, {"/1/0/7", "U"}}));
}

TEST_F(EtsComposite, LargePayloadsGoBlockwise) {
  // About 6 KiB each way: the answer comes in Block2 blocks, the iPATCH goes in Block1 blocks.
  std::vector<std::string> identities;
  for (int i = 0; i < 60; ++i)
    identities.push_back(std::string(100, static_cast<char>('a' + i % 26)));
  createPortfolio(0, identities);
  Response r = fetch({"/16", "/1/0/1"}, kSenmlCbor);
  EXPECT_CODE(r, code::kContent);
  auto all = values(r);
  EXPECT_EQ(all.size(), 61u);
  EXPECT_EQ(all.at("/16/0/0/59"), identities[59]);

  json pack = json::array();
  for (int i = 0; i < 60; ++i)
    pack.push_back({{"n", "/16/0/0/" + std::to_string(i)}, {"vs", std::string(100, 'z')}});
  pack.push_back({{"n", "/1/0/6"}, {"vb", true}});
  EXPECT_CODE(patch(pack), code::kChanged);
  all = values(fetch({"/16/0/0/59", "/1/0/6"}));
  EXPECT_EQ(all.at("/16/0/0/59"), std::string(100, 'z'));
  EXPECT_EQ(all.at("/1/0/6"), true);
}

TEST_F(EtsComposite, ErrorCodes) {
  // Nothing listed exists: 4.04; only keys: 4.01.
  EXPECT_CODE(fetch({"/3339/0/5522", "/3/9"}), code::kNotFound);
  EXPECT_CODE(fetch({"/0/0"}), code::kUnauthorized);
  // Formats: the list must be SenML (4.15); the answer too (4.06).
  RequestOptions options;
  options.contentFormat = kTlv;
  options.payload = {0xc1, 0x00, 0x01};
  EXPECT_CODE(call(Method::Fetch, "/", options), code::kUnsupported);
  EXPECT_CODE(fetch({"/1/0/1"}, kSenmlJson, kTlv), code::kNotAcceptable);
  EXPECT_CODE(fetch({"/1/0/1"}, kSenmlJson, kCbor), code::kNotAcceptable);
  // Malformed lists and packs: 4.00.
  options.contentFormat = kSenmlJson;
  for (const std::string bad : {"[", "[]", R"([{"n":"/1/0/1","v":1}])", R"([{"n":"1/0"}])"}) {
    options.payload.assign(bad.begin(), bad.end());
    EXPECT_CODE(call(Method::Fetch, "/", options), code::kBadRequest);
  }
  options.payload = {0x81, 0xa1, 0x00};  // truncated CBOR
  options.contentFormat = kSenmlCbor;
  EXPECT_CODE(call(Method::Fetch, "/", options), code::kBadRequest);
  EXPECT_CODE(call(Method::IPatch, "/", options), code::kBadRequest);
  EXPECT_CODE(patch(json::array({{{"n", "/1/0/1"}, {"vs", "long"}}})), code::kBadRequest);
  EXPECT_EQ(readText("/1/0/1"), "86400");
}

}  // namespace
}  // namespace lwm2md::test

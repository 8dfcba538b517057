#include "io/link_format.hpp"

#include <gtest/gtest.h>

#include <ostream>

namespace lwm2md {
namespace {

std::vector<Link> registrationLinks() {
  return {Link{"/", {{"rt", "oma.lwm2m", true}, {"ct", "11543", false}}}, Link{"/1/0", {}},
          Link{"/3/0", {{"ver", "1.1", false}}}};
}

TEST(LinkFormat, EncodesRegistrationPayload) {
  EXPECT_EQ(encodeLinks(registrationLinks()),
            R"(</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1)");
  EXPECT_EQ(encodeLinks({}), "");
}

TEST(LinkFormat, ParsesRegistrationPayload) {
  auto links = parseLinks(R"(</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1)");
  ASSERT_TRUE(links) << links.error().message;
  EXPECT_EQ(*links, registrationLinks());
  ASSERT_NE((*links)[0].find("ct"), nullptr);
  EXPECT_EQ((*links)[0].find("ct")->value, "11543");
  EXPECT_EQ((*links)[1].find("ct"), nullptr);
}

TEST(LinkFormat, QuotedStringsWithEscapesAndCommas) {
  auto links = parseLinks(R"(</a>;title="x \"y\", z;w \\ q";rt="a b",</b>)");
  ASSERT_TRUE(links) << links.error().message;
  ASSERT_EQ(links->size(), 2u);
  const auto* title = (*links)[0].find("title");
  ASSERT_NE(title, nullptr);
  EXPECT_EQ(title->value, R"(x "y", z;w \ q)");
  EXPECT_TRUE(title->quoted);
  EXPECT_EQ((*links)[0].find("rt")->value, "a b");
  EXPECT_EQ((*links)[1].target, "/b");
  // Re-encoding escapes again and reads back the same.
  const auto text = encodeLinks(*links);
  EXPECT_EQ(text, R"(</a>;title="x \"y\", z;w \\ q";rt="a b",</b>)");
  EXPECT_EQ(*parseLinks(text), *links);
  // An escaped ordinary character stands for itself.
  EXPECT_EQ((*parseLinks(R"(<a>;t="\a")"))[0].find("t")->value, "a");
}

TEST(LinkFormat, ParametersWithoutValues) {
  auto links = parseLinks("</3/0/1>;obs;pmin=10,</3/0/2>;dim");
  ASSERT_TRUE(links);
  const auto* obs = (*links)[0].find("obs");
  ASSERT_NE(obs, nullptr);
  EXPECT_FALSE(obs->value);
  EXPECT_EQ((*links)[0].find("pmin")->value, "10");
  EXPECT_EQ(encodeLinks(*links), "</3/0/1>;obs;pmin=10,</3/0/2>;dim");
}

TEST(LinkFormat, EncoderQuotesValuesThatAreNoPtoken) {
  EXPECT_EQ(encodeLinks({Link{"/x", {{"a", "b c", false}, {"e", "", false}, {"q", "\"", false}}}}),
            R"(</x>;a="b c";e="";q="\"")");
}

TEST(LinkFormat, EscapedControlCharactersSurviveARoundTrip) {
  auto links = parseLinks("<a>;t=\"x\\\x08y\tz\"");
  ASSERT_TRUE(links) << links.error().message;
  EXPECT_EQ((*links)[0].find("t")->value, "x\x08y\tz");
  const auto text = encodeLinks(*links);
  EXPECT_EQ(text, "<a>;t=\"x\\\x08y\tz\"");
  auto again = parseLinks(text);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *links);
}

TEST(LinkFormat, ExtendedCharactersInTargetsAndValues) {
  auto links = parseLinks("</a%20b?x=1&y=2>;title*=UTF-8'de'n%c3%a4chstes;anchor=\"/\"");
  ASSERT_TRUE(links) << links.error().message;
  EXPECT_EQ((*links)[0].target, "/a%20b?x=1&y=2");
  EXPECT_EQ((*links)[0].find("title*")->value, "UTF-8'de'n%c3%a4chstes");
  EXPECT_EQ(parseLinks("").value().size(), 0u);
  EXPECT_EQ(parseLinks("<>").value().size(), 1u);
}

struct BadLinks {
  std::string text;
  std::string_view expect;
};

void PrintTo(const BadLinks& param, std::ostream* os) {
  *os << '"' << param.text << '"';
}

class LinkMalformed : public ::testing::TestWithParam<BadLinks> {};

TEST_P(LinkMalformed, IsBadRequestWithOffset) {
  const auto& param = GetParam();
  auto links = parseLinks(param.text);
  ASSERT_FALSE(links) << param.text;
  EXPECT_EQ(links.error().code, CoapCode::BadRequest);
  EXPECT_NE(links.error().message.find(param.expect), std::string::npos)
      << param.text << " -> " << links.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, LinkMalformed,
    ::testing::Values(
        BadLinks{"</1/0>, </3/0>",
                 "expected '<' at byte 7, found byte 0x20 (RFC 6690 allows no whitespace"},
        BadLinks{" </1/0>", "expected '<' at byte 0"}, BadLinks{"</1/0> ", "at byte 6"},
        BadLinks{"</1/0>;ct=1 ", "at byte 11"},
        BadLinks{"</1/0>,", "expected '<' after ',' at byte 7, found the end"},
        BadLinks{",</1/0>", "expected '<' at byte 0"},
        BadLinks{"</1/0>,,</3/0>", "expected '<' at byte 7"},
        BadLinks{"1/0", "expected '<' at byte 0"}, BadLinks{"</1/0", "expected '>' at byte 5"},
        BadLinks{"</1/0>;", "expected a parameter name at byte 7"},
        BadLinks{"</1/0>;;ct=1", "expected a parameter name at byte 7"},
        BadLinks{"</1/0>;=5", "expected a parameter name at byte 7"},
        BadLinks{"</1/0>;ct=", "expected a value after '=' at byte 10"},
        BadLinks{"</1/0>;ct=,</2>", "expected a value after '=' at byte 10"},
        BadLinks{"</1/0>;rt=\"abc", "unterminated quoted string"},
        BadLinks{"</1/0>;rt=\"a\\", "unterminated quoted string"},
        BadLinks{"</1/0>;rt=\"a\x01\"", "control character in quoted string at byte 12"},
        BadLinks{"</1/0>;rt=\"a\\\xC3\xA9\"", "expected an ASCII character after"},
        BadLinks{"</1/0>x", "expected ',' or ';' at byte 6, found 'x'"},
        BadLinks{"</1/0>;rt=\"a\"b", "expected ',' or ';' at byte 13, found 'b'"},
        BadLinks{"<a b>", "expected a URI character or '>' at byte 2"},
        BadLinks{"<a\"b>", "at byte 2"},
        BadLinks{"</%zz>", "expected two hex digits after '%' at byte 2"},
        BadLinks{"</%2>", "expected two hex digits after '%' at byte 2"},
        BadLinks{"</1>;ct=a\"b", "expected ',' or ';' at byte 9"}));

}  // namespace
}  // namespace lwm2md

#include "config/coap_uri.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lwm2md {
namespace {

TEST(CoapUri, DefaultsThePortFromTheScheme) {
  auto plain = parseCoapUri("coap://127.0.0.1");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_FALSE(plain->secure);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 5683);

  auto secure = parseCoapUri("coaps://lwm2m.example.net");
  ASSERT_TRUE(secure.ok()) << secure.error().message;
  EXPECT_TRUE(secure->secure);
  EXPECT_EQ(secure->host, "lwm2m.example.net");
  EXPECT_EQ(secure->port, 5684);
}

TEST(CoapUri, AcceptsBracketedIpv6AndExplicitPorts) {
  auto v6 = parseCoapUri("coap://[::1]:15683");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(v6->hostIsIpv6);
  EXPECT_EQ(v6->port, 15683);

  auto edge = parseCoapUri("coap://a-b.c:65535");
  ASSERT_TRUE(edge.ok()) << edge.error().message;
  EXPECT_EQ(edge->port, 65535);
  EXPECT_TRUE(parseCoapUri("coap://localhost:1").ok());
}

struct BadUri {
  const char* uri;
  const char* message;
};

class CoapUriBad : public testing::TestWithParam<BadUri> {};

TEST_P(CoapUriBad, IsRefusedWithAReason) {
  auto result = parseCoapUri(GetParam().uri);
  ASSERT_FALSE(result.ok()) << GetParam().uri;
  EXPECT_THAT(result.error().message, testing::HasSubstr(GetParam().message)) << GetParam().uri;
}

INSTANTIATE_TEST_SUITE_P(
    All, CoapUriBad,
    testing::Values(
        BadUri{"", "must start with coap:// or coaps://"},
        BadUri{"http://127.0.0.1", "must start with coap:// or coaps://"},
        BadUri{"COAP://host", "must start with coap:// or coaps://"},
        BadUri{"coap://", "has no host"}, BadUri{"coap://:5683", "has no host"},
        BadUri{"coap://host/rd", "must not have a path"},
        BadUri{"coap://host/", "must not have a path"},
        BadUri{"coap://host?x=1", "must not have a path"},
        BadUri{"coap://host#f", "must not have a path"},
        BadUri{"coap://user@host", "must not contain user info"},
        BadUri{"coap://host:0", "outside 1..65535"},
        BadUri{"coap://host:65536", "outside 1..65535"},
        BadUri{"coap://host:123456", "invalid port"}, BadUri{"coap://host:", "invalid port"},
        BadUri{"coap://host:-1", "invalid port"}, BadUri{"coap://host:56a", "invalid port"},
        BadUri{"coap://300.1.1.1", "invalid IPv4"}, BadUri{"coap://1.2.3", "invalid IPv4"},
        BadUri{"coap://::1", "without brackets"}, BadUri{"coap://fe80::1:5683", "without brackets"},
        BadUri{"coap://[::1", "without ']'"}, BadUri{"coap://[]", "invalid IPv6"},
        BadUri{"coap://[::g]", "invalid IPv6"}, BadUri{"coap://[::1]x", "unexpected text"},
        BadUri{"coap://-host", "invalid host name"}, BadUri{"coap://ho_st", "invalid host name"},
        BadUri{"coap://a..b", "invalid host name"},
        BadUri{"coap://host name", "invalid host name"}));

}  // namespace
}  // namespace lwm2md

// The version-2 members of the state file: registrations and observations (FORMAT.md).
#include <gtest/gtest.h>

#include <string>

#include "store/crc32.hpp"
#include "store/state_codec.hpp"

namespace lwm2md {
namespace {

PersistedState withSessions() {
  PersistedState state;
  state.generation = 5;
  state.locations[101] = {"rd", "5a3f"};
  StoredRegistration registration;
  registration.server = 101;
  registration.uri = "coap://127.0.0.1:5683";
  registration.endpoint = "gw-\xff";  // not UTF-8: kept exactly
  registration.lifetime = 86400;
  registration.updatedAt = 1795000000;
  registration.localPort = 56830;
  state.registrations.push_back(registration);

  StoredObservation plain;
  plain.server = 101;
  plain.token = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  plain.path = *Path::parse("/3/0/9");
  plain.accept = 11542;
  plain.sequence = (1U << 24) - 1;
  state.observations.push_back(plain);

  StoredObservation composite;
  composite.server = 101;
  composite.token = {};
  composite.composite = true;
  composite.path = *Path::parse("/");
  composite.contentFormat = 112;
  composite.accept = 112;
  composite.payload = {0x81, 0xa1, 0x00, 0x66, '/', '3', '/', '0', '/', '9'};
  composite.sequence = 0;
  state.observations.push_back(composite);
  return state;
}

std::string envelope(const std::string& version, const std::string& body) {
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32(body));
  return "lwm2md-state version=" + version + " length=" + std::to_string(body.size()) +
         " crc32=" + crc + "\n" + body;
}

std::string withObservation(const std::string& observation) {
  return envelope("2", R"({"generation": 1, "bootstrapped": false, "instances": [],
    "attributes": [], "locations": [], "registrations": [], "observations": [)" +
                           observation + "]}");
}

std::string decodeError(std::string_view text) {
  auto decoded = decodeState(text);
  EXPECT_FALSE(decoded.ok()) << "decoded: " << text;
  return decoded.ok() ? std::string() : decoded.error().message;
}

TEST(SessionCodec, RegistrationsAndObservationsRoundTripAsVersion2) {
  const PersistedState state = withSessions();
  ASSERT_TRUE(validateState(state).ok());
  const std::string text = encodeState(state);
  EXPECT_EQ(text.rfind("lwm2md-state version=2 ", 0), 0U) << text.substr(0, 40);
  auto decoded = decodeState(text);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, state);
}

TEST(SessionCodec, AStateWithoutSessionsStaysVersion1) {
  PersistedState state;
  state.locations[1] = {"rd", "x"};
  const std::string text = encodeState(state);
  EXPECT_EQ(text.rfind("lwm2md-state version=1 ", 0), 0U);
  EXPECT_EQ(text.find("registrations"), std::string::npos);
}

TEST(SessionCodec, Version1RefusesTheSessionMembersAndVersion2RequiresThem) {
  const std::string members = R"({"generation": 1, "bootstrapped": false, "instances": [],
    "attributes": [], "locations": [], "registrations": [], "observations": []})";
  EXPECT_EQ(decodeError(envelope("1", members)), "content: unknown member \"registrations\"");
  EXPECT_TRUE(decodeState(envelope("2", members)).ok());
  EXPECT_EQ(decodeError(envelope("2", R"({"generation": 1, "bootstrapped": false,
    "instances": [], "attributes": [], "locations": [], "observations": []})")),
            "content: missing member \"registrations\"");
}

TEST(SessionCodec, RejectsMalformedObservations) {
  const std::string good = R"("server": 1, "token": "AQI=", "path": "/3/0/9", "sequence": 7)";
  EXPECT_TRUE(decodeState(withObservation("{" + good + R"(, "method": "GET"})")).ok());
  EXPECT_EQ(decodeError(withObservation("{" + good + R"(, "method": "PUT"})")),
            "observations[0].method: expected \"GET\" or \"FETCH\", found \"PUT\"");
  EXPECT_EQ(decodeError(withObservation(
                R"({"server": 1, "token": "AQIDBAUGBwgJ", "method": "GET", "path": "/3",
                    "sequence": 1})")),
            "observations[0].token: 9 bytes (a token has at most 8)");
  EXPECT_EQ(decodeError(withObservation(
                R"({"server": 1, "token": "", "method": "GET", "path": "/3/0/", "sequence": 1})")),
            "observations[0].path: not an LwM2M path: \"/3/0/\"");
  EXPECT_EQ(decodeError(withObservation(R"({"server": 1, "token": "", "method": "GET",
                    "path": "/3", "sequence": 16777216})")),
            "observations[0].sequence: 16777216 is out of range (0..16777215)");
  EXPECT_EQ(decodeError(withObservation(R"({"server": 1, "token": "", "method": "GET",
                    "path": "/3", "sequence": 1, "colour": "red"})")),
            "observations[0]: unknown member \"colour\"");
  EXPECT_EQ(decodeError(withObservation(R"({"server": 1, "token": "AQ==", "method": "GET",
      "path": "/3", "sequence": 1}, {"server": 1, "token": "AQ==", "method": "GET",
      "path": "/4", "sequence": 1})")),
            "observation of server 1 with token 01 appears twice");
}

TEST(SessionCodec, RejectsMalformedRegistrations) {
  auto withRegistrations = [](const std::string& list) {
    return envelope("2", R"({"generation": 1, "bootstrapped": false, "instances": [],
      "attributes": [], "locations": [], "observations": [], "registrations": [)" +
                             list + "]}");
  };
  const std::string one =
      R"({"server": 1, "uri": "coap://127.0.0.1", "endpoint": "e", "lifetime": 60,
          "updated": -5, "port": 5683})";
  auto decoded = decodeState(withRegistrations(one));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->registrations.at(0).updatedAt, -5);
  EXPECT_EQ(decodeError(withRegistrations(one + "," + one)),
            "the registration with server 1 appears twice");
  EXPECT_EQ(decodeError(withRegistrations(
                R"({"server": 1, "uri": "u", "endpoint": "e", "lifetime": 60, "updated": 1,
                    "port": 70000})")),
            "registrations[0].port: 70000 is out of range (0..65535)");
  EXPECT_EQ(decodeError(withRegistrations(R"({"server": 1, "uri": "u", "endpoint": "e",
                    "lifetime": 60, "updated": 1})")),
            "registrations[0]: missing member \"port\"");
}

TEST(SessionCodec, ValidateRefusesWhatCannotBeWritten) {
  PersistedState state = withSessions();
  state.observations.push_back(state.observations.front());
  EXPECT_FALSE(validateState(state).ok());
  state = withSessions();
  state.observations.front().token.resize(9);
  EXPECT_FALSE(validateState(state).ok());
  state = withSessions();
  state.registrations.push_back(state.registrations.front());
  EXPECT_FALSE(validateState(state).ok());
}

}  // namespace
}  // namespace lwm2md

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace lwm2md {
namespace {

// Each bad file must be refused with exactly this message: file, line of the offending value
// (or of its table when the key is missing), the key, and what is wrong.
struct BadFile {
  const char* name;
  const char* text;
  const char* message;
};

void PrintTo(const BadFile& bad, std::ostream* os) {
  *os << bad.name;
}

class ConfigBad : public testing::TestWithParam<BadFile> {};

TEST_P(ConfigBad, IsRefusedNamingFileLineAndKey) {
  auto config = parseConfig(GetParam().text, "bad.toml");
  ASSERT_FALSE(config.ok()) << GetParam().text;
  EXPECT_EQ(config.error().message, GetParam().message) << GetParam().text;
}

#define SERVER "[[server]]\nuri = \"coap://127.0.0.1\"\n"

INSTANTIATE_TEST_SUITE_P(
    All, ConfigBad,
    testing::Values(
        BadFile{"UnknownTopLevelKey", "endpoint = \"a\"\nendpont = \"b\"\n" SERVER,
                "bad.toml:2: key 'endpont': unknown key"},
        BadFile{"UnknownTopLevelTable", SERVER "\n[devices]\nmodel = \"x\"\n",
                "bad.toml:4: key 'devices': unknown table"},
        BadFile{"UnknownKeyInSecondServer",
                SERVER
                "[[server]]\nuri = \"coap://127.0.0.1:5684\"\nshort_id = 2\nLife-Time = 60\n",
                "bad.toml:6: key 'server[1].Life-Time': unknown key (did you mean 'lifetime'?)"},
        BadFile{"UnknownKeyInDevice", SERVER "[device]\nmanufacturer = \"m\"\ncolour = \"red\"\n",
                "bad.toml:5: key 'device.colour': unknown key"},
        BadFile{"UnknownKeyInBootstrap", "[bootstrap]\nuri = \"coap://h\"\nport = 1\n",
                "bad.toml:3: key 'bootstrap.port': unknown key"},
        BadFile{"UnknownKeyInRegistration", SERVER "[registration]\nRetry_Max = 3\n",
                "bad.toml:4: key 'registration.Retry_Max': unknown key (did you mean "
                "'retry_max'?)"},
        BadFile{"WrongTypeLifetime", SERVER "lifetime = \"300\"\n",
                "bad.toml:3: key 'server[0].lifetime': must be an integer in 1..2147483648"},
        BadFile{"WrongTypeEndpoint", "endpoint = 5\n" SERVER,
                "bad.toml:1: key 'endpoint': must be a string"},
        BadFile{"WrongTypeBool", SERVER "notify_confirmable = \"yes\"\n",
                "bad.toml:3: key 'server[0].notify_confirmable': must be true or false"},
        BadFile{"WrongTypeFloatForInteger", SERVER "short_id = 1.0\n",
                "bad.toml:3: key 'server[0].short_id': must be an integer in 1..65534"},
        BadFile{"WrongTypeObjectDirs", "object_dirs = \"/a\"\n" SERVER,
                "bad.toml:1: key 'object_dirs': must be an array of strings"},
        BadFile{"WrongTypeObjectDirsElement",
                SERVER "\nobject_dirs = []\n"
                       "[device]\n",
                "bad.toml:4: key 'server[0].object_dirs': unknown key"},
        BadFile{"ObjectDirsElementNotString", "object_dirs = [\"/a\", 1]\n" SERVER,
                "bad.toml:1: key 'object_dirs[1]': must be a non-empty string"},
        BadFile{"DeviceNotATable", "device = \"x\"\n" SERVER,
                "bad.toml:1: key 'device': must be a table ([device])"},
        BadFile{"ServerAsSingleTable", "[server]\nuri = \"coap://127.0.0.1\"\n",
                "bad.toml:1: key 'server': must be an array of tables: write [[server]], not "
                "[server]"},
        BadFile{"ServerArrayOfNumbers", "server = [1]\n",
                "bad.toml:1: key 'server[0]': must be a table ([[server]])"},
        BadFile{"BadUriScheme", "[[server]]\nuri = \"http://127.0.0.1\"\n",
                "bad.toml:2: key 'server[0].uri': \"http://127.0.0.1\" must start with coap:// "
                "or coaps://"},
        BadFile{"BadUriPath", "[[server]]\n\nuri = \"coap://127.0.0.1:5683/rd\"\n",
                "bad.toml:3: key 'server[0].uri': \"coap://127.0.0.1:5683/rd\" must not have a "
                "path, query or fragment (only coap[s]://host[:port])"},
        BadFile{"BadUriPort", "[[server]]\nuri = \"coap://127.0.0.1:0\"\n",
                "bad.toml:2: key 'server[0].uri': \"coap://127.0.0.1:0\" has a port outside "
                "1..65535"},
        BadFile{"MissingUri", "[[server]]\nshort_id = 1\n",
                "bad.toml:1: key 'server[0].uri': is required"},
        BadFile{"MissingBootstrapUri", "\n[bootstrap]\nsecurity = \"nosec\"\n",
                "bad.toml:2: key 'bootstrap.uri': is required"},
        BadFile{"DuplicateShortId",
                SERVER "short_id = 3\n[[server]]\nuri = \"coap://127.0.0.2\"\nshort_id = 3\n",
                "bad.toml:6: key 'server[1].short_id': short_id 3 is already used by "
                "server[0]"},
        BadFile{"DuplicateDefaultShortId", SERVER SERVER,
                "bad.toml:3: key 'server[1].short_id': short_id 1 (the default) is already "
                "used by server[0]"},
        BadFile{"ShortIdZero", SERVER "short_id = 0\n",
                "bad.toml:3: key 'server[0].short_id': must be an integer in 1..65534"},
        BadFile{"ShortIdReserved", SERVER "short_id = 65535\n",
                "bad.toml:3: key 'server[0].short_id': must be an integer in 1..65534"},
        BadFile{"LifetimeZero", SERVER "lifetime = 0\n",
                "bad.toml:3: key 'server[0].lifetime': must be an integer in 1..2147483648"},
        BadFile{"LifetimeTooLong", SERVER "lifetime = 2147483649\n",
                "bad.toml:3: key 'server[0].lifetime': must be an integer in 1..2147483648"},
        BadFile{"PminNegative", SERVER "default_pmin = -1\n",
                "bad.toml:3: key 'server[0].default_pmin': must be an integer in 0..4294967295"},
        BadFile{"PmaxBelowPmin", SERVER "default_pmin = 10\ndefault_pmax = 5\n",
                "bad.toml:4: key 'server[0].default_pmax': must be 0 (none) or >= "
                "default_pmin"},
        BadFile{"BadVersion", SERVER "version = \"1.2\"\n",
                "bad.toml:3: key 'server[0].version': must be \"1.0\" or \"1.1\""},
        BadFile{"VersionAsNumber", SERVER "version = 1.1\n",
                "bad.toml:3: key 'server[0].version': must be a string"},
        BadFile{"BindingUnknownLetter", SERVER "binding = \"UM\"\n",
                "bad.toml:3: key 'server[0].binding': may only contain the letters U, Q, S, N, "
                "T"},
        BadFile{"BindingLowercase", SERVER "binding = \"u\"\n",
                "bad.toml:3: key 'server[0].binding': may only contain the letters U, Q, S, N, "
                "T"},
        BadFile{"BindingRepeated", SERVER "binding = \"UU\"\n",
                "bad.toml:3: key 'server[0].binding': repeats the letter 'U'"},
        BadFile{"BindingQueueOnly", SERVER "binding = \"Q\"\n",
                "bad.toml:3: key 'server[0].binding': must contain a transport (U, S, N or T), "
                "not only Q"},
        BadFile{"BindingEmpty", SERVER "binding = \"\"\n",
                "bad.toml:3: key 'server[0].binding': must not be empty"},
        BadFile{"BindingTcpOn10", SERVER "version = \"1.0\"\nbinding = \"T\"\n",
                "bad.toml:4: key 'server[0].binding': letter 'T' needs version = \"1.1\""},
        BadFile{"BadSecurityWithPskKeys",
                "[[server]]\nuri = \"coaps://h\"\nsecurity = \"PSK\"\npsk_identity = \"i\"\n"
                "psk_key = \"00\"\n",
                "bad.toml:3: key 'server[0].security': must be one of nosec, psk, cert, rpk"},
        BadFile{"BadSecurity", SERVER "security = \"none\"\n",
                "bad.toml:3: key 'server[0].security': must be one of nosec, psk, cert, rpk"},
        BadFile{"PskWithoutKey",
                "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"psk\"\n"
                "psk_identity = \"id\"\n",
                "bad.toml:1: key 'server[0].psk_key': security = \"psk\" needs psk_key or "
                "psk_key_file"},
        BadFile{"PskWithoutIdentity",
                "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"psk\"\n"
                "psk_key = \"00\"\n",
                "bad.toml:1: key 'server[0].psk_identity': is required when security = \"psk\""},
        BadFile{"PskKeyAndKeyFile",
                "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"psk\"\n"
                "psk_identity = \"id\"\npsk_key = \"00\"\npsk_key_file = \"/k\"\n",
                "bad.toml:6: key 'server[0].psk_key_file': psk_key and psk_key_file are "
                "mutually exclusive"},
        BadFile{"PskKeyNotHex",
                "[bootstrap]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"psk\"\n"
                "psk_identity = \"id\"\npsk_key = \"0g\"\n",
                "bad.toml:5: key 'bootstrap.psk_key': must be hex (an even number of hex "
                "digits) or \"base64:\" and base64"},
        BadFile{"PskKeyOddLength",
                "[bootstrap]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"psk\"\n"
                "psk_identity = \"id\"\npsk_key = \"000\"\n",
                "bad.toml:5: key 'bootstrap.psk_key': must be hex (an even number of hex "
                "digits) or \"base64:\" and base64"},
        BadFile{"PskKeyWithNosec", SERVER "psk_key = \"00\"\n",
                "bad.toml:3: key 'server[0].psk_key': is only used with security = \"psk\""},
        BadFile{"CoapsWithNosec", "[[server]]\nuri = \"coaps://127.0.0.1\"\n",
                "bad.toml:1: key 'server[0].security': coaps:// needs security = psk, cert or "
                "rpk"},
        BadFile{"CoapWithPsk",
                SERVER "security = \"psk\"\npsk_identity = \"id\"\npsk_key = \"00\"\n",
                "bad.toml:3: key 'server[0].security': security = \"psk\" needs a coaps:// "
                "uri"},
        BadFile{"BadLogLevel", "log_level = \"verbose\"\n" SERVER,
                "bad.toml:1: key 'log_level': must be one of trace, debug, info, warn, error, "
                "critical, off"},
        BadFile{"EndpointWithSpace", "endpoint = \"gw 1\"\n" SERVER,
                "bad.toml:1: key 'endpoint': must be non-empty printable ASCII without '&' or "
                "whitespace"},
        BadFile{"EndpointWithAmpersand", "endpoint = \"gw&lt=1\"\n" SERVER,
                "bad.toml:1: key 'endpoint': must be non-empty printable ASCII without '&' or "
                "whitespace"},
        BadFile{"EndpointEmpty", "endpoint = \"\"\n" SERVER,
                "bad.toml:1: key 'endpoint': must be non-empty printable ASCII without '&' or "
                "whitespace"},
        BadFile{"EndpointNonAscii", "endpoint = \"g\u00e9\"\n" SERVER,
                "bad.toml:1: key 'endpoint': must be non-empty printable ASCII without '&' or "
                "whitespace"},
        BadFile{"StateDirEmpty", "state_dir = \"\"\n" SERVER,
                "bad.toml:1: key 'state_dir': must not be empty"},
        BadFile{"NoServerNoBootstrap", "endpoint = \"a\"\n[device]\nmodel = \"m\"\n",
                "bad.toml:1: key 'server': at least one [[server]] or a [bootstrap] table is "
                "required"},
        BadFile{"EmptyServerArray", "endpoint = \"a\"\nserver = []\n",
                "bad.toml:2: key 'server': at least one [[server]] or a [bootstrap] table is "
                "required"},
        BadFile{"RetryInitialZero", SERVER "[registration]\nretry_initial = 0\n",
                "bad.toml:4: key 'registration.retry_initial': must be an integer in "
                "1..4294967295"},
        BadFile{"RetryMaxBelowInitial",
                SERVER "[registration]\nretry_initial = 10\nretry_max = 5\n",
                "bad.toml:5: key 'registration.retry_max': must be >= retry_initial (10)"},
        BadFile{"RetryInitialAboveDefaultMax", SERVER "[registration]\nretry_initial = 600\n",
                "bad.toml:4: key 'registration.retry_initial': must be <= retry_max (300)"},
        BadFile{"FractionTooLow", SERVER "[registration]\nupdate_at_fraction = 0.4\n",
                "bad.toml:4: key 'registration.update_at_fraction': must be a number in "
                "0.5..0.95"},
        BadFile{"FractionOne", SERVER "[registration]\nupdate_at_fraction = 1\n",
                "bad.toml:4: key 'registration.update_at_fraction': must be a number in "
                "0.5..0.95"},
        BadFile{"FractionNaN", SERVER "[registration]\nupdate_at_fraction = nan\n",
                "bad.toml:4: key 'registration.update_at_fraction': must be a number in "
                "0.5..0.95"},
        BadFile{"AckTimeoutZero", SERVER "[coap]\nack_timeout = 0\n",
                "bad.toml:4: key 'coap.ack_timeout': must be a number in 1..300"},
        BadFile{"AckTimeoutNegative", SERVER "[coap]\nack_timeout = -2.0\n",
                "bad.toml:4: key 'coap.ack_timeout': must be a number in 1..300"},
        BadFile{"AckTimeoutBelowOneSecond", SERVER "[coap]\nack_timeout = 0.5\n",
                "bad.toml:4: key 'coap.ack_timeout': must be a number in 1..300"},
        BadFile{"AckTimeoutTooLong", SERVER "[coap]\nack_timeout = 301\n",
                "bad.toml:4: key 'coap.ack_timeout': must be a number in 1..300"},
        BadFile{"AckTimeoutNaN", SERVER "[coap]\nack_timeout = nan\n",
                "bad.toml:4: key 'coap.ack_timeout': must be a number in 1..300"},
        BadFile{"AckTimeoutString", SERVER "[coap]\nack_timeout = \"2s\"\n",
                "bad.toml:4: key 'coap.ack_timeout': must be a number in 1..300"},
        BadFile{"AckRandomFactorBelowOne", SERVER "[coap]\nack_random_factor = 0.99\n",
                "bad.toml:4: key 'coap.ack_random_factor': must be a number in 1..10"},
        BadFile{"AckRandomFactorInfinite", SERVER "[coap]\nack_random_factor = inf\n",
                "bad.toml:4: key 'coap.ack_random_factor': must be a number in 1..10"},
        BadFile{"MaxRetransmitZero", SERVER "[coap]\nmax_retransmit = 0\n",
                "bad.toml:4: key 'coap.max_retransmit': must be an integer in 1..20"},
        BadFile{"MaxRetransmitTooMany", SERVER "[coap]\nmax_retransmit = 21\n",
                "bad.toml:4: key 'coap.max_retransmit': must be an integer in 1..20"},
        BadFile{"MaxRetransmitFloat", SERVER "[coap]\nmax_retransmit = 2.5\n",
                "bad.toml:4: key 'coap.max_retransmit': must be an integer in 1..20"},
        BadFile{"UnknownKeyInCoap", SERVER "[coap]\nack_timeout = 1\nleisure = 1\n",
                "bad.toml:5: key 'coap.leisure': unknown key"},
        BadFile{"NstartZero", SERVER "[coap]\nnstart = 0\n",
                "bad.toml:4: key 'coap.nstart': must be an integer in 1..32"},
        BadFile{"NstartTooMany", SERVER "[coap]\nnstart = 33\n",
                "bad.toml:4: key 'coap.nstart': must be an integer in 1..32"},
        BadFile{"MaxPayloadTooSmall", SERVER "[limits]\nmax_payload = 1023\n",
                "bad.toml:4: key 'limits.max_payload': must be an integer in 1024..67108864"},
        BadFile{"NoInstancesPerProvider", SERVER "[limits]\nmax_instances_per_provider = 0\n",
                "bad.toml:4: key 'limits.max_instances_per_provider': must be an integer in "
                "1..1000000"},
        BadFile{"ObservationsNotANumber", SERVER "[limits]\nmax_observations_per_server = \"9\"\n",
                "bad.toml:4: key 'limits.max_observations_per_server': must be an integer in "
                "1..1000000"},
        BadFile{"PendingRequestsTooMany", SERVER "[limits]\nmax_pending_requests = 100001\n",
                "bad.toml:4: key 'limits.max_pending_requests': must be an integer in 1..100000"},
        BadFile{"NegativeCallRate", SERVER "[limits]\ndbus_calls_per_second = -1\n",
                "bad.toml:4: key 'limits.dbus_calls_per_second': must be an integer in "
                "0..10000000"},
        BadFile{"UnknownKeyInLimits", SERVER "[limits]\nmax_observations = 5\n",
                "bad.toml:4: key 'limits.max_observations': unknown key"},
        BadFile{"CoapNotATable", "coap = 1\n" SERVER,
                "bad.toml:1: key 'coap': must be a table ([coap])"},
        BadFile{"SyntaxErrorMissingValue", SERVER "lifetime =\nshort_id = 1\n",
                "bad.toml:3:11: syntax error: Error while parsing key-value pair: expected "
                "value, saw '\\n'"},
        BadFile{"SyntaxErrorDuplicateKey", SERVER "short_id = 1\nshort_id = 2\n",
                "bad.toml:4:12: syntax error: Error while parsing key-value pair: cannot "
                "redefine existing integer 'short_id'"}),
    [](const testing::TestParamInfo<BadFile>& param) { return param.param.name; });

// Mistakes are all reported at once, in file order, one per line.
TEST(ConfigErrors, ReportsEveryProblemInLineOrder) {
  auto config = parseConfig(
      "zzz = 1\n[[server]]\nuri = \"coap://h\"\nlifetime = 0\n"
      "aaa = 2\n[registration]\nretry_initial = 0\n",
      "many.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            "many.toml:1: key 'zzz': unknown key\n"
            "many.toml:4: key 'server[0].lifetime': must be an integer in 1..2147483648\n"
            "many.toml:5: key 'server[0].aaa': unknown key\n"
            "many.toml:7: key 'registration.retry_initial': must be an integer in "
            "1..4294967295");
}

TEST(ConfigErrors, SyntaxErrorNamesLineOfTheMistake) {
  auto config = parseConfig("# line 1\n\n[[server]]\nuri = \"coap://h\n", "syntax.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, testing::StartsWith("syntax.toml:4:"));
  EXPECT_THAT(config.error().message, testing::HasSubstr("syntax error"));
}

TEST(ConfigErrors, InvalidUtf8IsASyntaxError) {
  auto config = parseConfig("endpoint = \"\xff\"\n" SERVER, "utf8.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, testing::StartsWith("utf8.toml:1:"));
}

TEST(ConfigErrors, EmptyFileNeedsAServer) {
  auto config = parseConfig("", "empty.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            "empty.toml:1: key 'server': at least one [[server]] or a [bootstrap] table is "
            "required");
}

}  // namespace
}  // namespace lwm2md

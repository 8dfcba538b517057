#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/key_material.hpp"

namespace lwm2md {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;
using testing::Not;
using Bytes = std::vector<std::uint8_t>;

const fs::path kData = fs::path(LWM2MD_SOURCE_DIR) / "tests" / "data" / "dtls";

Bytes readBytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string readText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string base64Of(const fs::path& file) {
  // The test data is PEM: its body is the base64 of the DER.
  std::string text = readText(file);
  std::string body;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("-----")) body += line;
  }
  return body;
}

/// A private directory with the config file and key files in it; removed afterwards.
class SecurityConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "lwm2md-seccfg-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Writes `content` to dir/name with `mode`; returns the path.
  fs::path write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const fs::path file = dir_ / name;
    std::ofstream(file, std::ios::binary) << content;
    EXPECT_EQ(::chmod(file.c_str(), mode), 0);
    return file;
  }
  /// Copies a test data file into the directory with `mode`.
  fs::path copy(const std::string& name, mode_t mode = 0600) {
    return write(name, readText(kData / name), mode);
  }
  /// Loads `text` as dir/lwm2md.toml, so relative key file names resolve against dir.
  Result<Config> load(const std::string& text) {
    return loadConfig(write("lwm2md.toml", text, 0644));
  }
  std::string configFile() const { return (dir_ / "lwm2md.toml").string(); }

  fs::path dir_;
};

constexpr const char* kPskServer =
    "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"psk\"\npsk_identity = \"gw-1\"\n";

TEST_F(SecurityConfigTest, PskKeyInlineHex) {
  auto config = load(std::string(kPskServer) + "psk_key = \"00A1ff\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const SecurityConfig& s = config->servers.at(0).security;
  EXPECT_EQ(s.mode, "psk");
  EXPECT_EQ(s.identity, (Bytes{'g', 'w', '-', '1'}));
  EXPECT_EQ(s.secretKey, (Bytes{0x00, 0xa1, 0xff}));
  EXPECT_TRUE(s.serverKey.empty());
}

TEST_F(SecurityConfigTest, PskKeyInlineBase64) {
  auto config = load(std::string(kPskServer) + "psk_key = \"base64:AAECAw==\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->servers.at(0).security.secretKey, (Bytes{0, 1, 2, 3}));
}

TEST_F(SecurityConfigTest, PskKeyFileRelativeToTheConfigFile) {
  write("server.psk", "  0a0b0c\n", 0600);
  auto config = load(std::string(kPskServer) + "psk_key_file = \"server.psk\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->servers.at(0).security.secretKey, (Bytes{0x0a, 0x0b, 0x0c}));
}

TEST_F(SecurityConfigTest, PskKeyFileInBase64AndGroupReadable) {
  // Group-readable (0640) is allowed: the daemon's group may need it; only "others" may not.
  const fs::path file = write("server.psk", "base64:AAEC\n", 0640);
  auto config = load(std::string(kPskServer) + "psk_key_file = \"" + file.string() + "\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->servers.at(0).security.secretKey, (Bytes{0, 1, 2}));
}

TEST_F(SecurityConfigTest, WorldReadableKeyFileIsRefusedNamingFileAndKey) {
  const fs::path file = write("server.psk", "c0ffee11c0ffee11\n", 0644);
  auto config = load(std::string(kPskServer) + "psk_key_file = \"server.psk\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            configFile() + ":5: key 'server[0].psk_key_file': " + file.string() +
                " is readable by every user (mode 0644): refusing key material that is no "
                "secret; chmod o-r it");
  EXPECT_THAT(config.error().message, Not(HasSubstr("c0ffee")));
}

TEST_F(SecurityConfigTest, WorldReadableCertificateAndPrivateKeyFilesAreRefused) {
  copy("client.crt", 0604);
  copy("client.key", 0644);
  auto config = load(
      "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"cert\"\n"
      "certificate_file = \"client.crt\"\nprivate_key_file = \"client.key\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message,
              HasSubstr(":4: key 'server[0].certificate_file': " + (dir_ / "client.crt").string() +
                        " is readable by every user (mode 0604)"));
  EXPECT_THAT(config.error().message,
              HasSubstr(":5: key 'server[0].private_key_file': " + (dir_ / "client.key").string() +
                        " is readable by every user (mode 0644)"));
  EXPECT_THAT(config.error().message, Not(HasSubstr("BEGIN")));
}

TEST_F(SecurityConfigTest, MissingKeyFileIsAnError) {
  auto config = load(std::string(kPskServer) + "psk_key_file = \"nowhere.psk\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            configFile() + ":5: key 'server[0].psk_key_file': cannot read " +
                (dir_ / "nowhere.psk").string() + ": No such file or directory");
}

TEST_F(SecurityConfigTest, DirectoryAsKeyFileIsAnError) {
  fs::create_directory(dir_ / "keys");
  fs::permissions(dir_ / "keys", fs::perms::owner_all);
  auto config = load(std::string(kPskServer) + "psk_key_file = \"keys\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message,
              HasSubstr("key 'server[0].psk_key_file': " + (dir_ / "keys").string() +
                        " is not a regular file"));
}

TEST_F(SecurityConfigTest, BadPskFileContentIsNamedButNotShown) {
  write("server.psk", "secret-words-112233\n", 0600);
  auto config = load(std::string(kPskServer) + "psk_key_file = \"server.psk\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message,
              HasSubstr("key 'server[0].psk_key_file': " + (dir_ / "server.psk").string() +
                        " must be hex (an even number of hex digits) or \"base64:\" and base64"));
  EXPECT_THAT(config.error().message, Not(HasSubstr("secret")));
  EXPECT_THAT(config.error().message, Not(HasSubstr("112233")));
}

TEST_F(SecurityConfigTest, EmptyPskFileIsAnError) {
  write("server.psk", "\n", 0600);
  auto config = load(std::string(kPskServer) + "psk_key_file = \"server.psk\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("server.psk must not be empty"));
}

TEST_F(SecurityConfigTest, CertificateModeFromPemFiles) {
  copy("client.crt");
  copy("client.key");
  copy("ca.crt");
  auto config = load(
      "[[server]]\nuri = \"coaps://127.0.0.1:5684\"\nsecurity = \"cert\"\n"
      "certificate_file = \"client.crt\"\nprivate_key_file = \"client.key\"\n"
      "server_certificate_file = \"ca.crt\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const SecurityConfig& s = config->servers.at(0).security;
  EXPECT_EQ(s.mode, "cert");
  EXPECT_EQ(s.identity, readBytes(kData / "client.crt.der"));
  EXPECT_EQ(s.secretKey, readBytes(kData / "client.key.der"));
  EXPECT_EQ(s.serverKey, readBytes(kData / "ca.crt.der"));
}

TEST_F(SecurityConfigTest, CertificateModeFromDerFilesAndInlineValues) {
  write("client.der", readText(kData / "client.crt.der"));
  write("key.der", readText(kData / "client.key.der"));
  auto config = load(
      "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"cert\"\n"
      "certificate_file = \"client.der\"\nprivate_key_file = \"key.der\"\n"
      "[bootstrap]\nuri = \"coaps://127.0.0.1:5694\"\nsecurity = \"cert\"\n"
      "certificate = \"base64:" +
      base64Of(kData / "client.crt") + "\"\nprivate_key = \"\"\"\n" +
      readText(kData / "client.key") +
      "\"\"\"\nserver_certificate = \"base64:" + base64Of(kData / "server.crt") + "\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const SecurityConfig& s = config->servers.at(0).security;
  EXPECT_EQ(s.identity, readBytes(kData / "client.crt.der"));
  EXPECT_EQ(s.secretKey, readBytes(kData / "client.key.der"));
  EXPECT_TRUE(s.serverKey.empty());  // optional: not given
  ASSERT_TRUE(config->bootstrap);
  const SecurityConfig& b = config->bootstrap->security;
  EXPECT_EQ(b.mode, "cert");
  EXPECT_EQ(b.identity, readBytes(kData / "client.crt.der"));
  EXPECT_EQ(b.secretKey, readBytes(kData / "client.key.der"));
  EXPECT_EQ(b.serverKey, readBytes(kData / "server.crt.der"));
}

TEST_F(SecurityConfigTest, RawPublicKeyMode) {
  copy("client-rpk.pub");
  write("client-rpk.der", readText(kData / "client-rpk.key.der"));
  auto config = load(
      "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"rpk\"\n"
      "public_key_file = \"client-rpk.pub\"\nprivate_key_file = \"client-rpk.der\"\n"
      "server_public_key = \"base64:" +
      base64Of(kData / "server-rpk.pub") + "\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const SecurityConfig& s = config->servers.at(0).security;
  EXPECT_EQ(s.mode, "rpk");
  EXPECT_EQ(s.identity, readBytes(kData / "client-rpk.pub.der"));
  EXPECT_EQ(s.secretKey, readBytes(kData / "client-rpk.key.der"));
  EXPECT_EQ(s.serverKey, readBytes(kData / "server-rpk.pub.der"));
}

TEST_F(SecurityConfigTest, WrongPemBlockIsNamed) {
  copy("client.key");
  copy("client.crt");
  auto config = load(
      "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"cert\"\n"
      "certificate_file = \"client.key\"\nprivate_key_file = \"client.crt\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message,
              HasSubstr(":4: key 'server[0].certificate_file': " + (dir_ / "client.key").string() +
                        " holds no PEM block 'CERTIFICATE'"));
  EXPECT_THAT(config.error().message,
              HasSubstr(":5: key 'server[0].private_key_file': " + (dir_ / "client.crt").string() +
                        " holds no PEM block 'PRIVATE KEY'"));
}

TEST_F(SecurityConfigTest, GarbageDerIsRefused) {
  write("client.der", "not a certificate at all");
  auto config = load(
      "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"cert\"\n"
      "certificate_file = \"client.der\"\nprivate_key = \"3003020100\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, configFile() + ":4: key 'server[0].certificate_file': " +
                                        (dir_ / "client.der").string() +
                                        " is not an X.509 certificate in DER (or PEM)");
}

TEST_F(SecurityConfigTest, EncryptedPrivateKeyIsRefused) {
  write("enc.key",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n");
  auto config = load(
      "[[server]]\nuri = \"coaps://127.0.0.1\"\nsecurity = \"rpk\"\n"
      "public_key = \"3000\"\nprivate_key_file = \"enc.key\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message,
              HasSubstr("key 'server[0].private_key_file': " + (dir_ / "enc.key").string() +
                        " holds an encrypted private key, which is not supported"));
}

// Every mode's required items, and items of another mode, in one table of expected messages.
struct BadSecurity {
  const char* name;
  const char* text;
  const char* message;
};

void PrintTo(const BadSecurity& bad, std::ostream* os) {
  *os << bad.name;
}

class SecurityConfigBad : public testing::TestWithParam<BadSecurity> {};

TEST_P(SecurityConfigBad, IsRefusedNamingLineAndKey) {
  auto config = parseConfig(GetParam().text, "bad.toml");
  ASSERT_FALSE(config.ok()) << GetParam().text;
  EXPECT_EQ(config.error().message, GetParam().message) << GetParam().text;
}

#define COAPS "[[server]]\nuri = \"coaps://127.0.0.1\"\n"

INSTANTIATE_TEST_SUITE_P(
    All, SecurityConfigBad,
    testing::Values(
        BadSecurity{"PskKeyBothInlineAndFile",
                    COAPS "security = \"psk\"\npsk_identity = \"i\"\npsk_key = \"00\"\n"
                          "psk_key_file = \"k\"\n",
                    "bad.toml:6: key 'server[0].psk_key_file': psk_key and psk_key_file are "
                    "mutually exclusive"},
        BadSecurity{"PskKeyBadBase64",
                    COAPS "security = \"psk\"\npsk_identity = \"i\"\npsk_key = \"base64:AA=A\"\n",
                    "bad.toml:5: key 'server[0].psk_key': is not valid base64 after \"base64:\""},
        BadSecurity{"PskKeyEmptyBase64",
                    COAPS "security = \"psk\"\npsk_identity = \"i\"\npsk_key = \"base64:\"\n",
                    "bad.toml:5: key 'server[0].psk_key': has nothing after \"base64:\""},
        BadSecurity{"PskKeyEmpty",
                    COAPS "security = \"psk\"\npsk_identity = \"i\"\npsk_key = \"\"\n",
                    "bad.toml:5: key 'server[0].psk_key': must not be empty"},
        BadSecurity{"PskKeyNotAString",
                    COAPS "security = \"psk\"\npsk_identity = \"i\"\npsk_key = 1234\n",
                    "bad.toml:5: key 'server[0].psk_key': must be a string"},
        BadSecurity{"PskKeyHexWithSpaces",
                    COAPS "security = \"psk\"\npsk_identity = \"i\"\npsk_key = \"00 11\"\n",
                    "bad.toml:5: key 'server[0].psk_key': must be hex (an even number of hex "
                    "digits) or \"base64:\" and base64"},
        BadSecurity{"PskKeyFileEmptyName",
                    COAPS "security = \"psk\"\npsk_identity = \"i\"\npsk_key_file = \"\"\n",
                    "bad.toml:5: key 'server[0].psk_key_file': must not be empty"},
        BadSecurity{"PskIdentityEmpty",
                    COAPS "security = \"psk\"\npsk_identity = \"\"\npsk_key = \"00\"\n",
                    "bad.toml:4: key 'server[0].psk_identity': must not be empty"},
        BadSecurity{"PskIdentityWithCert",
                    COAPS "security = \"cert\"\ncertificate = \"3000\"\nprivate_key = \"3000\"\n"
                          "psk_identity = \"i\"\n",
                    "bad.toml:6: key 'server[0].psk_identity': is only used with security = "
                    "\"psk\""},
        BadSecurity{"CertWithoutCertificate", COAPS "security = \"cert\"\nprivate_key = \"3000\"\n",
                    "bad.toml:1: key 'server[0].certificate': security = \"cert\" needs "
                    "certificate or certificate_file"},
        BadSecurity{"CertWithoutPrivateKey", COAPS "security = \"cert\"\ncertificate = \"3000\"\n",
                    "bad.toml:1: key 'server[0].private_key': security = \"cert\" needs "
                    "private_key or private_key_file"},
        BadSecurity{"RpkWithoutPublicKey", COAPS "security = \"rpk\"\nprivate_key = \"3000\"\n",
                    "bad.toml:1: key 'server[0].public_key': security = \"rpk\" needs "
                    "public_key or public_key_file"},
        BadSecurity{"RpkWithServerCertificate",
                    COAPS "security = \"rpk\"\npublic_key = \"3000\"\nprivate_key = \"3000\"\n"
                          "server_certificate = \"3000\"\n",
                    "bad.toml:6: key 'server[0].server_certificate': is only used with "
                    "security = \"cert\""},
        BadSecurity{"CertWithServerPublicKeyFile",
                    COAPS "security = \"cert\"\ncertificate = \"3000\"\nprivate_key = \"3000\"\n"
                          "server_public_key_file = \"/k\"\n",
                    "bad.toml:6: key 'server[0].server_public_key_file': is only used with "
                    "security = \"rpk\""},
        BadSecurity{"PrivateKeyWithPsk",
                    COAPS "security = \"psk\"\npsk_identity = \"i\"\npsk_key = \"00\"\n"
                          "private_key_file = \"/k\"\n",
                    "bad.toml:6: key 'server[0].private_key_file': is only used with security "
                    "= \"cert\" or \"rpk\""},
        BadSecurity{"CertificateNotDer",
                    COAPS "security = \"cert\"\ncertificate = \"0102\"\nprivate_key = \"3000\"\n",
                    "bad.toml:4: key 'server[0].certificate': is not an X.509 certificate in "
                    "DER (or PEM)"},
        BadSecurity{"CertificateDerLengthWrong",
                    COAPS "security = \"cert\"\ncertificate = \"300200\"\nprivate_key = \"3000\"\n",
                    "bad.toml:4: key 'server[0].certificate': is not an X.509 certificate in "
                    "DER (or PEM)"},
        BadSecurity{"CertificatePemWithoutEnd",
                    COAPS
                    "security = \"cert\"\ncertificate = \"-----BEGIN CERTIFICATE-----\\nMAA=\"\n"
                    "private_key = \"3000\"\n",
                    "bad.toml:4: key 'server[0].certificate': has a PEM block 'CERTIFICATE' "
                    "without its END line"},
        BadSecurity{"PublicKeyPemNotBase64",
                    COAPS "security = \"rpk\"\npublic_key = \"-----BEGIN PUBLIC KEY-----\\n!!\\n"
                          "-----END PUBLIC KEY-----\"\nprivate_key = \"3000\"\n",
                    "bad.toml:4: key 'server[0].public_key': has a PEM block 'PUBLIC KEY' that "
                    "is not base64"},
        BadSecurity{"CertKeysOnNosecServer",
                    "[[server]]\nuri = \"coap://127.0.0.1\"\ncertificate = \"3000\"\n",
                    "bad.toml:3: key 'server[0].certificate': is only used with security = "
                    "\"cert\""},
        BadSecurity{"CoapWithCert",
                    "[[server]]\nuri = \"coap://127.0.0.1\"\nsecurity = \"cert\"\n"
                    "certificate = \"3000\"\nprivate_key = \"3000\"\n",
                    "bad.toml:3: key 'server[0].security': security = \"cert\" needs a coaps:// "
                    "uri"},
        BadSecurity{"CoapWithRpkInBootstrap",
                    "[bootstrap]\nuri = \"coap://127.0.0.1\"\nsecurity = \"rpk\"\n"
                    "public_key = \"3000\"\nprivate_key = \"3000\"\n",
                    "bad.toml:3: key 'bootstrap.security': security = \"rpk\" needs a coaps:// "
                    "uri"},
        BadSecurity{"BootstrapCoapsWithNosec", "[bootstrap]\nuri = \"coaps://127.0.0.1\"\n",
                    "bad.toml:1: key 'bootstrap.security': coaps:// needs security = psk, cert "
                    "or rpk"}));

TEST(KeyMaterial, DerSequenceLengthsAreChecked) {
  EXPECT_TRUE(isDerSequence({0x30, 0x00}));
  EXPECT_TRUE(isDerSequence({0x30, 0x02, 0x05, 0x00}));
  EXPECT_FALSE(isDerSequence({}));
  EXPECT_FALSE(isDerSequence({0x30}));
  EXPECT_FALSE(isDerSequence({0x31, 0x00}));                 // a SET, not a SEQUENCE
  EXPECT_FALSE(isDerSequence({0x30, 0x03, 0x05}));           // truncated
  EXPECT_FALSE(isDerSequence({0x30, 0x00, 0x00}));           // trailing bytes
  EXPECT_FALSE(isDerSequence({0x30, 0x80, 0x00, 0x00}));     // indefinite length (BER)
  EXPECT_FALSE(isDerSequence({0x30, 0x85, 1, 0, 0, 0, 0}));  // 5 length bytes
  Bytes longForm{0x30, 0x82, 0x01, 0x00};
  longForm.resize(4 + 256);
  EXPECT_TRUE(isDerSequence(longForm));
  longForm.pop_back();
  EXPECT_FALSE(isDerSequence(longForm));
  EXPECT_TRUE(isDerSequence(readBytes(kData / "server.crt.der")));
}

TEST(KeyMaterial, PemPicksTheBlockOfTheWantedKind) {
  // A key and a certificate chain in one file: each kind finds its own block, the first wins.
  const std::string text =
      readText(kData / "client.key") + readText(kData / "client.crt") + readText(kData / "ca.crt");
  auto cert = pemToDer(text, KeyMaterial::Certificate);
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  EXPECT_EQ(*cert, readBytes(kData / "client.crt.der"));
  auto key = pemToDer(text, KeyMaterial::PrivateKey);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(*key, readBytes(kData / "client.key.der"));
  auto pub = pemToDer(text, KeyMaterial::PublicKey);
  ASSERT_FALSE(pub.ok());
  EXPECT_EQ(pub.error().message, "holds no PEM block 'PUBLIC KEY'");
}

TEST(KeyMaterial, PemHeadersAreRefused) {
  auto key = pemToDer(
      "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"
      "MAA=\n-----END RSA PRIVATE KEY-----\n",
      KeyMaterial::PrivateKey);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message,
            "has PEM headers in block 'RSA PRIVATE KEY' (an encrypted key?), which are not "
            "supported");
}

TEST(KeyMaterial, InlineValuesDecode) {
  EXPECT_EQ(decodeInlineKey("0aFF", KeyMaterial::PskKey).value(), (Bytes{0x0a, 0xff}));
  EXPECT_EQ(decodeInlineKey(" base64:AAE= ", KeyMaterial::PskKey).value(), (Bytes{0, 1}));
  EXPECT_EQ(decodeInlineKey("3000", KeyMaterial::Certificate).value(), (Bytes{0x30, 0x00}));
  // A PSK is never PEM, whatever it looks like.
  EXPECT_FALSE(decodeInlineKey("-----BEGIN PUBLIC KEY-----", KeyMaterial::PskKey).ok());
  EXPECT_FALSE(decodeInlineKey("0g", KeyMaterial::PskKey).ok());
  EXPECT_FALSE(decodeInlineKey("   ", KeyMaterial::PskKey).ok());
}

}  // namespace
}  // namespace lwm2md

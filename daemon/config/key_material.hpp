#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace lwm2md {

/// What a piece of DTLS key material is: it decides which PEM labels a file may hold and how a
/// PSK file is read. Messages about key material never contain the bytes themselves.
enum class KeyMaterial {
  PskKey,       // bytes given as hex or "base64:..." text
  Certificate,  // X.509 certificate, DER (PEM label CERTIFICATE)
  PrivateKey,   // PKCS#8 or SEC1/PKCS#1 private key, DER (PEM labels *PRIVATE KEY)
  PublicKey,    // SubjectPublicKeyInfo, DER (PEM label PUBLIC KEY): a raw public key
};

/// Decodes an inline config value: hex ("0a1B..."), or "base64:" and RFC 4648 base64. For
/// anything but a PSK, PEM text ("-----BEGIN ...") is accepted too and converted to DER.
/// Errors say what is wrong with the text, never what it contains.
Result<std::vector<std::uint8_t>> decodeInlineKey(std::string_view text, KeyMaterial kind);

/// Reads a key file. The file must exist, be a regular file and not be readable by others
/// (S_IROTH): keys that every local user can read are no secret. A PSK file holds the same text
/// as an inline psk_key (surrounding whitespace ignored); other files are PEM or DER.
Result<std::vector<std::uint8_t>> readKeyFile(const std::filesystem::path& file, KeyMaterial kind);

/// The DER of the first PEM block in `text` whose label fits `kind`.
Result<std::vector<std::uint8_t>> pemToDer(std::string_view text, KeyMaterial kind);

/// Whether `der` is exactly one well-formed DER SEQUENCE (tag and length agree with the size):
/// a cheap check that catches a wrong file or truncated paste before the TLS library does.
bool isDerSequence(const std::vector<std::uint8_t>& der);

}  // namespace lwm2md

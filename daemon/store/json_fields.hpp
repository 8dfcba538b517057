#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/result.hpp"
#include "model/value.hpp"

/// The JSON building blocks of the state file (FORMAT.md): strict readers that name where a
/// member is wrong, and the encodings of text and floats that keep every value exact. Shared by
/// the codecs of the provisioning (state_codec) and of the sessions (session_codec).
namespace lwm2md::state_json {

// ordered_json keeps members in the order written, so the file reads top-down as documented.
using Json = nlohmann::ordered_json;

Error stateError(std::string message);
/// "<where>: <what>", e.g. "instances[0].resources[2].value: not valid base64".
Error at(const std::string& where, const std::string& what);
/// Untrusted text in a message: control and non-ASCII bytes escaped, long text cut.
std::string printable(std::string_view text, std::size_t limit = 32);
std::span<const std::uint8_t> bytesOf(std::string_view text);

/// A JSON string when `text` is UTF-8, else {"base64": "..."}: any byte string is kept exactly.
Json encodeText(const std::string& text);
/// JSON has no NaN or infinities; they are written as strings.
Json encodeFloat(double value);

const Json* member(const Json& object, std::string_view key);
/// `j` is an object whose members are all among `known`.
Status expectObject(const Json& j, const std::string& where,
                    std::initializer_list<std::string_view> known);
Result<const Json*> required(const Json& object, std::string_view key, const std::string& where);
Result<std::uint64_t> decodeUnsigned(const Json& j, const std::string& where, std::uint64_t max);
Result<std::uint16_t> decodeId(const Json& j, const std::string& where);
Result<std::uint32_t> decodeU32(const Json& j, const std::string& where);
Result<std::int64_t> decodeSigned(const Json& j, const std::string& where);
Result<double> decodeFloat(const Json& j, const std::string& where);
Result<bool> decodeBool(const Json& j, const std::string& where);
Result<Opaque> decodeBytes(const Json& j, const std::string& where);
Result<std::string> decodeText(const Json& j, const std::string& where);

}  // namespace lwm2md::state_json

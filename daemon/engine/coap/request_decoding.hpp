#pragma once

#include <coap3/coap.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dm/dm_request.hpp"

namespace lwm2md {

/// The request method of a CoAP code; nullopt for codes that are no request LwM2M knows.
std::optional<CoapMethod> fromPduCode(coap_pdu_code_t code);

/// Every value of a repeatable string option (Uri-Path, Uri-Query, Location-Path), in order.
std::vector<std::string> stringOptions(const coap_pdu_t* pdu, coap_option_num_t number);

/// The first value of a uint option (Content-Format, Accept, Observe); nullopt when absent.
std::optional<std::uint32_t> uintOption(const coap_pdu_t* pdu, coap_option_num_t number);

/// The options a request's handling looks at, read in one pass over the PDU: libcoap's
/// coap_check_option() walks every option again for each lookup, and a request's handling
/// asked half a dozen times (a third of the instructions of a Read, issue 7).
struct RequestOptions {
  std::vector<std::string> uriPath;
  std::vector<std::string> uriQuery;
  std::optional<std::uint32_t> contentFormat;  // first one
  std::optional<std::uint32_t> accept;         // first one
  std::optional<std::uint32_t> observe;        // first one
  bool block2 = false;                         // a Block2 option is present
};
RequestOptions requestOptions(const coap_pdu_t* pdu);

std::vector<std::uint8_t> tokenOf(const coap_pdu_t* pdu);

/// The payload (the whole body once libcoap has reassembled a block-wise transfer).
std::vector<std::uint8_t> bodyOf(const coap_pdu_t* pdu);

/// How large the body of a request will be, as far as this one datagram tells: the larger of
/// Size1 (the sender's estimate of the whole body, RFC 7959 §4) and where the datagram's part
/// ends (Block1 NUM * block size + its payload, or the payload alone). Lets the endpoint refuse
/// a body beyond its limit from any block, before any of it is buffered.
std::size_t announcedBodySize(const coap_pdu_t* request);

/// A received request as the data model sees it: `method`, the Uri-Path as an LwM2M path,
/// Content-Format, Accept, Uri-Query and the body. nullopt when the Uri-Path is not an LwM2M
/// path (the caller answers 4.04). Kept apart from the endpoint so that the fuzzer decodes
/// datagrams with the daemon's own code.
std::optional<DmRequest> decodeDmRequest(CoapMethod method, const coap_pdu_t* request);
/// The same with the request's options already read.
std::optional<DmRequest> decodeDmRequest(CoapMethod method, const coap_pdu_t* request,
                                         const RequestOptions& options);

}  // namespace lwm2md

#include "coap/request_decoding.hpp"

namespace lwm2md {

std::optional<CoapMethod> fromPduCode(coap_pdu_code_t code) {
  switch (code) {
    case COAP_REQUEST_CODE_GET:
      return CoapMethod::Get;
    case COAP_REQUEST_CODE_POST:
      return CoapMethod::Post;
    case COAP_REQUEST_CODE_PUT:
      return CoapMethod::Put;
    case COAP_REQUEST_CODE_DELETE:
      return CoapMethod::Delete;
    case COAP_REQUEST_CODE_FETCH:
      return CoapMethod::Fetch;
    case COAP_REQUEST_CODE_PATCH:
      return CoapMethod::Patch;
    case COAP_REQUEST_CODE_IPATCH:
      return CoapMethod::IPatch;
    default:
      return std::nullopt;
  }
}

std::vector<std::string> stringOptions(const coap_pdu_t* pdu, coap_option_num_t number) {
  std::vector<std::string> values;
  coap_opt_filter_t filter;
  coap_option_filter_clear(&filter);
  coap_option_filter_set(&filter, number);
  coap_opt_iterator_t it;
  coap_option_iterator_init(pdu, &it, &filter);
  while (coap_opt_t* opt = coap_option_next(&it)) {
    values.emplace_back(reinterpret_cast<const char*>(coap_opt_value(opt)), coap_opt_length(opt));
  }
  return values;
}

std::optional<std::uint32_t> uintOption(const coap_pdu_t* pdu, coap_option_num_t number) {
  coap_opt_iterator_t it;
  coap_opt_t* opt = coap_check_option(pdu, number, &it);
  if (!opt) return std::nullopt;
  return coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

RequestOptions requestOptions(const coap_pdu_t* pdu) {
  RequestOptions options;
  auto uintValue = [](coap_opt_t* opt) {
    return coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
  };
  coap_opt_iterator_t it;
  coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
  while (coap_opt_t* opt = coap_option_next(&it)) {
    switch (it.number) {
      case COAP_OPTION_URI_PATH:
        options.uriPath.emplace_back(reinterpret_cast<const char*>(coap_opt_value(opt)),
                                     coap_opt_length(opt));
        break;
      case COAP_OPTION_URI_QUERY:
        options.uriQuery.emplace_back(reinterpret_cast<const char*>(coap_opt_value(opt)),
                                      coap_opt_length(opt));
        break;
      case COAP_OPTION_CONTENT_FORMAT:
        if (!options.contentFormat) options.contentFormat = uintValue(opt);
        break;
      case COAP_OPTION_ACCEPT:
        if (!options.accept) options.accept = uintValue(opt);
        break;
      case COAP_OPTION_OBSERVE:
        if (!options.observe) options.observe = uintValue(opt);
        break;
      case COAP_OPTION_BLOCK2:
        options.block2 = true;
        break;
      default:
        break;
    }
  }
  return options;
}

std::vector<std::uint8_t> tokenOf(const coap_pdu_t* pdu) {
  coap_bin_const_t token = coap_pdu_get_token(pdu);
  return {token.s, token.s + token.length};
}

std::vector<std::uint8_t> bodyOf(const coap_pdu_t* pdu) {
  size_t length = 0;
  const uint8_t* data = nullptr;
  size_t offset = 0;
  size_t total = 0;
  if (coap_get_data_large(pdu, &length, &data, &offset, &total) && data)
    return {data, data + length};
  return {};
}

std::size_t announcedBodySize(const coap_pdu_t* request) {
  size_t length = 0;
  const uint8_t* data = nullptr;
  if (!coap_get_data(request, &length, &data)) length = 0;
  std::size_t end = length;
  coap_block_t block{};
  if (coap_get_block(request, COAP_OPTION_BLOCK1, &block)) {
    // SZX 7 is reserved outside BERT (RFC 8323 §6): count it as the largest block, 1024.
    const unsigned szx = block.szx > 6 ? 6 : block.szx;
    end += static_cast<std::size_t>(block.num) << (szx + 4);
  }
  const std::size_t announced = uintOption(request, COAP_OPTION_SIZE1).value_or(0);
  return end > announced ? end : announced;
}

std::optional<DmRequest> decodeDmRequest(CoapMethod method, const coap_pdu_t* request) {
  return decodeDmRequest(method, request, requestOptions(request));
}

std::optional<DmRequest> decodeDmRequest(CoapMethod method, const coap_pdu_t* request,
                                         const RequestOptions& options) {
  auto path = Path::fromSegments(options.uriPath);
  if (!path) return std::nullopt;
  DmRequest dm;
  dm.method = method;
  dm.path = *path;
  if (options.contentFormat) dm.contentFormat = static_cast<std::uint16_t>(*options.contentFormat);
  if (options.accept) dm.accept = static_cast<std::uint16_t>(*options.accept);
  dm.query = options.uriQuery;
  dm.payload = bodyOf(request);
  return dm;
}

}  // namespace lwm2md

#include "config/coap_uri.hpp"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <string>

namespace lwm2md {

namespace {

Error uriError(std::string message) {
  return badRequest(std::move(message));
}

bool isDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// RFC 1123 host name: dot-separated labels of letters, digits and hyphens, no label starting or
// ending with a hyphen. A name made only of digits and dots is an IPv4 address and is checked
// as one, so "300.1.1.1" is refused instead of being looked up as a name.
bool isHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

bool looksLikeIpv4(std::string_view host) {
  for (char c : host) {
    if (c != '.' && !std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool isIpv4(const std::string& host) {
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

bool isIpv6(const std::string& host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

}  // namespace

Result<CoapUri> parseCoapUri(std::string_view uri) {
  CoapUri out;
  std::string_view rest;
  if (uri.starts_with("coap://")) {
    rest = uri.substr(7);
  } else if (uri.starts_with("coaps://")) {
    rest = uri.substr(8);
    out.secure = true;
    out.port = 5684;
  } else {
    return uriError("must start with coap:// or coaps://");
  }

  // The authority ends at the first path, query or fragment delimiter; none may follow.
  std::size_t end = rest.find_first_of("/?#");
  if (end != std::string_view::npos) {
    return uriError("must not have a path, query or fragment (only coap[s]://host[:port])");
  }
  if (rest.find('@') != std::string_view::npos) return uriError("must not contain user info");

  std::string_view host;
  std::string_view portText;
  bool hasPort = false;
  if (rest.starts_with('[')) {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return uriError("has an IPv6 address without ']'");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return uriError("has unexpected text after the IPv6 address");
      hasPort = true;
      portText = after.substr(1);
    }
    if (!isIpv6(std::string(host))) return uriError("has an invalid IPv6 address");
    out.hostIsIpv6 = true;
  } else {
    if (rest.find(':') != rest.rfind(':')) {
      return uriError("has an IPv6 address without brackets (write coap://[addr]:port)");
    }
    std::size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      hasPort = true;
      portText = rest.substr(colon + 1);
    }
    if (host.empty()) return uriError("has no host");
    if (looksLikeIpv4(host)) {
      if (!isIpv4(std::string(host))) return uriError("has an invalid IPv4 address");
    } else if (!isHostName(host)) {
      return uriError("has an invalid host name (IPv6 addresses go in brackets)");
    }
  }

  if (hasPort) {
    // At most 5 digits, so the conversion below cannot overflow.
    if (!isDigits(portText) || portText.size() > 5) return uriError("has an invalid port");
    unsigned long port = std::stoul(std::string(portText));
    if (port < 1 || port > 65535) return uriError("has a port outside 1..65535");
    out.port = static_cast<std::uint16_t>(port);
  }
  out.host = std::string(host);
  return out;
}

}  // namespace lwm2md

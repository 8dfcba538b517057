#pragma once

#include <span>
#include <string>
#include <string_view>

#include "model/coap_code.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// One row of the table that turns a provider's D-Bus error into what the LwM2M server gets.
struct ProviderErrorMapping {
  std::string_view dbusName;
  CoapCode code;
  ErrorKind kind;
};

/// The one place where provider errors become CoAP codes (documented for provider authors in
/// dbus/org.lwm2md1.Provider.xml). Names not listed map to 5.00, kind Failed.
std::span<const ProviderErrorMapping> providerErrorTable();

/// The error a server receives when a provider answered a call with the D-Bus error
/// `dbusName`; `message` becomes the diagnostic payload as given.
Error providerError(std::string_view dbusName, std::string message);

/// The provider did not answer within the timeout: 5.04 Gateway Timeout, kind Timeout.
/// The daemon acts as a gateway for the provider here, and HTTP 504 (which RFC 7252 §5.9.3.5
/// takes over for CoAP) is exactly "a gateway did not receive a timely response from the
/// upstream server it needed to complete the request".
Error providerTimeoutError(std::string message);

/// The provider is not on the bus (it left, or never was): 5.03 Service Unavailable, kind
/// Failed. Temporary by nature: a restarted provider adds its instances again.
Error providerGoneError(std::string message);

}  // namespace lwm2md

#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "model/coap_code.hpp"

namespace lwm2md {

/// An error that is also an answer: every failure inside the engine carries the CoAP code the
/// server will receive and a reason a person can act on (sent as the diagnostic payload).
/// `kind` says which named D-Bus error (org.lwm2md1.Error.<kind>) the same failure becomes
/// when it reaches a D-Bus caller instead of a server.
enum class ErrorKind {
  Failed,
  NotFound,
  InvalidType,
  InvalidValue,
  NotPermitted,
  AlreadyExists,
  UnknownObject,
  Timeout
};

struct Error {
  CoapCode code = CoapCode::InternalServerError;
  std::string message;
  ErrorKind kind = ErrorKind::Failed;
};

/// The D-Bus error name suffix for a kind ("NotFound", ...).
std::string_view toString(ErrorKind kind);

inline Error badRequest(std::string message) {
  return {CoapCode::BadRequest, std::move(message), ErrorKind::InvalidValue};
}

/// Minimal std::expected stand-in (C++20 has none): errors are values on every hot path.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

/// Result of an operation that yields nothing but success or an error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace lwm2md

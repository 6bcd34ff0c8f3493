//===- laws/support/result.h - Value-or-error return type -------*- C++ -*-===//
/// \file
/// `Result<T>` holds either a value or an `Error` (a one-line, human-readable message), in the
/// spirit of absl::StatusOr / llvm::Expected: libraries return errors, they never exit or print.
/// Messages follow one style: lowercase, no final period, name the file and the JSON path or
/// field, state what was expected and what was found, e.g.
///   "mixtral.json: field 'num_experts_per_tok': expected an integer in 1..8, got 9"
//===----------------------------------------------------------------------===//
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace moeplan {

/// A failure that is the user's (bad input) rather than a bug.
struct Error {
  std::string message;
};

/// Either a `T` or an `Error`. Check with `ok()` / `operator bool` before dereferencing.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    assert(ok() && "Result::value() on an error");
    return std::get<T>(state_);
  }
  T& value() & {
    assert(ok() && "Result::value() on an error");
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok() && "Result::value() on an error");
    return std::get<T>(std::move(state_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const {
    assert(!ok() && "Result::error() on a value");
    return std::get<Error>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

/// `Result<void>`: success or an error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error.message)), failed_(true) {}  // NOLINT
  static Status Ok() { return Status(); }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  Error error() const { return Error{error_}; }
  const std::string& message() const { return error_; }

 private:
  std::string error_;
  bool failed_ = false;
};

}  // namespace moeplan

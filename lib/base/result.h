#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include <glog/logging.h>

#include "lib/base/error.h"

namespace daap {

// A T or an Error: the subset of C++23 std::expected that DAAP uses, so it can become an alias
// once the toolchain has <expected> in C++20 mode. value() on an error is a bug and CHECK-fails.
template <typename T>
class [[nodiscard]] Result {
public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return state_.index() == 0; }  // NOLINT(readability-identifier-naming)
  explicit operator bool() const { return has_value(); }

  T& value() & {
    CHECK(has_value()) << "Result::value() on error: " << std::get<1>(state_).toString();
    return std::get<0>(state_);
  }
  const T& value() const& {
    CHECK(has_value()) << "Result::value() on error: " << std::get<1>(state_).toString();
    return std::get<0>(state_);
  }
  T&& value() && {
    CHECK(has_value()) << "Result::value() on error: " << std::get<1>(state_).toString();
    return std::get<0>(std::move(state_));
  }
  const Error& error() const& {
    CHECK(!has_value()) << "Result::error() on a value";
    return std::get<1>(state_);
  }
  Error&& error() && {
    CHECK(!has_value()) << "Result::error() on a value";
    return std::get<1>(std::move(state_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

private:
  std::variant<T, Error> state_;
};

// Ok or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool has_value() const { return !error_.has_value(); }  // NOLINT(readability-identifier-naming)
  explicit operator bool() const { return has_value(); }
  void value() const { CHECK(has_value()) << "Result::value() on error: " << error_->toString(); }
  const Error& error() const& {
    CHECK(!has_value()) << "Result::error() on success";
    return *error_;
  }
  Error&& error() && {
    CHECK(!has_value()) << "Result::error() on success";
    return std::move(*error_);
  }

private:
  std::optional<Error> error_;
};

}  // namespace daap

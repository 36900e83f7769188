// SPDX-License-Identifier: Apache-2.0
// Result<T, E>: a value or an error code, without exceptions or heap. Used by every core module;
// each module defines its own error enum (see STYLE.md: one status enum per layer).
#pragma once

#include <type_traits>
#include <utility>

namespace fota {

template <typename E>
struct [[nodiscard]] Error {
  E code;
};

template <typename E>
Error(E) -> Error<E>;

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  static_assert(std::is_trivially_destructible_v<E>, "error codes are plain enums");

  Result(T value) : ok_(true), value_(std::move(value)) {}    // NOLINT: implicit by design
  Result(Error<E> error) : ok_(false), error_(error.code) {}  // NOLINT: implicit by design
  Result(const Result&) = default;
  Result& operator=(const Result&) = default;

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  E error() const { return ok_ ? E{} : error_; }

  // Precondition: ok(). Callers check first; there is no exception to throw on the target.
  T& value() { return value_; }
  const T& value() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }

 private:
  bool ok_;
  T value_{};
  E error_{};
};

}  // namespace fota

// FOTA_TRY(expr): return the error of a status-returning expression (an enum whose zero value is
// kOk) from the current function.
#define FOTA_TRY(expr)                                                             \
  do {                                                                             \
    auto fota_try_status_ = (expr);                                                \
    if (fota_try_status_ != decltype(fota_try_status_){}) return fota_try_status_; \
  } while (0)

// SPDX-License-Identifier: Apache-2.0
// Result<T, E>: a value or an error code, without exceptions or heap. Used by every core module;
// each module defines its own error enum (one status enum per module, with to_string).
#pragma once

#include <new>
#include <type_traits>
#include <utility>

namespace fota {

template <typename E>
struct [[nodiscard]] Error {
  E code;
  // Lets FOTA_TRY_ASSIGN return the error from a function that returns the bare status enum.
  constexpr operator E() const { return code; }  // NOLINT: implicit by design
};

template <typename E>
Error(E) -> Error<E>;

// T need not be default-constructible and may be move-only; the value exists only when ok().
template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  static_assert(std::is_trivially_destructible_v<E>, "error codes are plain enums");

  Result(T value) : ok_(true) { new (&value_) T(std::move(value)); }  // NOLINT: implicit by design
  Result(Error<E> error) : error_(error.code), ok_(false) {}          // NOLINT: implicit by design

  Result(const Result& other) requires std::is_copy_constructible_v<T> : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(other.value_);
    } else {
      error_ = other.error_;
    }
  }
  Result(Result&& other) noexcept(
      std::is_nothrow_move_constructible_v<T>) requires std::is_move_constructible_v<T>
      : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(std::move(other.value_));
    } else {
      error_ = other.error_;
    }
  }
  Result& operator=(const Result& other) requires std::is_copy_constructible_v<T> {
    if (this != &other) {
      reset();
      new (this) Result(other);
    }
    return *this;
  }
  Result& operator=(Result&& other) noexcept(
      std::is_nothrow_move_constructible_v<T>) requires std::is_move_constructible_v<T> {
    if (this != &other) {
      reset();
      new (this) Result(std::move(other));
    }
    return *this;
  }
  ~Result() { reset(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  E error() const { return ok_ ? E{} : error_; }

  // Checked: value() on an error is a programmer error and stops the program (a trap on the
  // target, where there is no exception to throw).
  T& value() & {
    check();
    return value_;
  }
  const T& value() const& {
    check();
    return value_;
  }
  T&& value() && {
    check();
    return std::move(value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  void check() const {
    if (!ok_) __builtin_trap();
  }
  void reset() {
    if (ok_) value_.~T();
    ok_ = false;
  }

  union {
    T value_;
    E error_;
  };
  bool ok_;
};

}  // namespace fota

// FOTA_TRY(expr): return the error of a status-returning expression (an enum whose zero value is
// kOk) from the current function.
#define FOTA_TRY(expr)                                                             \
  do {                                                                             \
    auto fota_try_status_ = (expr);                                                \
    if (fota_try_status_ != decltype(fota_try_status_){}) return fota_try_status_; \
  } while (0)

// FOTA_TRY_ASSIGN(lhs, expr): evaluates a Result-returning expression; on error returns it from
// the current function (which returns a Result with the same error type, or the bare enum), else
// moves the value into `lhs` (a declaration such as `auto header` or an existing variable).
#define FOTA_TRY_ASSIGN(lhs, expr) \
  FOTA_TRY_ASSIGN_IMPL_(FOTA_TRY_CONCAT_(fota_try_result_, __LINE__), lhs, expr)
#define FOTA_TRY_CONCAT_INNER_(a, b) a##b
#define FOTA_TRY_CONCAT_(a, b) FOTA_TRY_CONCAT_INNER_(a, b)
#define FOTA_TRY_ASSIGN_IMPL_(tmp, lhs, expr)       \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return ::fota::Error{tmp.error()}; \
  lhs = std::move(tmp).value()

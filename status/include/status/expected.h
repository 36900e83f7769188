// SPDX-License-Identifier: Apache-2.0
// Expected<T>: the one error convention of host code (tools, ports/linux, release, tests).
// A value, or a Failure whose message names what went wrong ("upload x.img: 403 ..."). Host-only:
// it owns a std::string. The freestanding core uses Result<T, E> (status/result.h) instead.
// std::expected is not usable here: clang 14 with libstdc++ 12 cannot compile <expected>.
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace fota {

// What went wrong, as a sentence for a person. Wrap with context as it travels up:
// `return fail("upload " + name + ": " + e.message);`
struct [[nodiscard]] Failure {
  std::string message;
};

inline Failure fail(std::string message) {
  return Failure{std::move(message)};
}

template <typename T = void>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Expected(Failure failure)                                                // NOLINT: implicit
      : state_(std::in_place_index<1>, std::move(failure)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Checked: calling value() on a failure (or error() on a value) is a programmer error.
  T& value() & {
    assert(ok() && "Expected::value() on a failure");
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok() && "Expected::value() on a failure");
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok() && "Expected::value() on a failure");
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Failure& failure() const {
    assert(!ok() && "Expected::failure() on a value");
    return std::get<1>(state_);
  }
  const std::string& error() const { return failure().message; }

 private:
  std::variant<T, Failure> state_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Failure failure) : failure_(std::move(failure)), ok_(false) {}  // NOLINT: implicit

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Failure& failure() const {
    assert(!ok_ && "Expected::failure() on success");
    return failure_;
  }
  const std::string& error() const { return failure().message; }

 private:
  Failure failure_;
  bool ok_ = true;
};

}  // namespace fota

// FOTA_TRY_EXPECTED(expr): return the failure of an Expected<...> expression from the current
// function (which returns any Expected<U>).
#define FOTA_TRY_EXPECTED(expr)                                        \
  do {                                                                 \
    auto&& fota_try_expected_ = (expr);                                \
    if (!fota_try_expected_.ok()) return fota_try_expected_.failure(); \
  } while (0)

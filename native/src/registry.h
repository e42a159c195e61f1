// Self-registration of the addon's areas: each source file calls HAVEN_REGISTER once with a
// function that adds its exports. addon.cc runs every registered function at module load,
// so adding a source file never means editing a central list in C++.
#pragma once

#include <napi.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

namespace haven {

using RegisterFn = void (*)(Napi::Env env, Napi::Object exports);

// Called from static initializers; returns a dummy value so it can initialise a variable.
bool AddRegistration(const char* area, RegisterFn fn);
void RunRegistrations(Napi::Env env, Napi::Object exports);

// A path: a string (UTF-8) or a Buffer holding the exact bytes (names that are not valid
// UTF-8 travel as Buffers).
inline std::string PathValue(const Napi::Value& v) {
  if (v.IsBuffer()) {
    Napi::Buffer<char> b = v.As<Napi::Buffer<char>>();
    return std::string(b.Data(), b.Length());
  }
  return v.As<Napi::String>().Utf8Value();
}

// A path argument (PathValue).
inline std::string PathArg(const Napi::CallbackInfo& info, size_t i) { return PathValue(info[i]); }

// A time as two number arguments, seconds at i and nanoseconds at i + 1 (the split keeps
// nanoseconds that a double of seconds would round away).
inline struct timespec TimespecArg(const Napi::CallbackInfo& info, size_t i) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(info[i].As<Napi::Number>().Int64Value());
  ts.tv_nsec = static_cast<long>(info[i + 1].As<Napi::Number>().Int64Value());
  return ts;
}

// A file name as JavaScript gets it: a string when the bytes are valid UTF-8, else a Buffer
// of the exact bytes (src/names.cc).
bool ValidUtf8(const std::string& s);
Napi::Value NameValue(Napi::Env env, const std::string& name);

// Throws a JS Error shaped like Node's fs errors: message "CODE: syscall 'path'", .code, .errno, .syscall, .path.
void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& path);
// The same error as a value (to reject a promise with).
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& path);

}  // namespace haven

#define HAVEN_CONCAT_INNER(a, b) a##b
#define HAVEN_CONCAT(a, b) HAVEN_CONCAT_INNER(a, b)
#define HAVEN_REGISTER(area, fn) \
  static const bool HAVEN_CONCAT(haven_registered_, __LINE__) = ::haven::AddRegistration(area, fn)

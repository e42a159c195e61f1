// Shared by the three files of the "restore-at" area (restore-at.cc registers it): argument
// checks, the one-component name rule, and the call and export helpers they all use. Every call of the area names its target as a
// directory descriptor plus ONE component, so the kernel never resolves a path we did not
// walk ourselves without following links.
#pragma once

#include "registry.h"

#include <initializer_list>
#include <string>

namespace haven {
namespace restore_at {

enum class Arg { Fd, Number, Path, Bool, Bytes, String };

// A descriptor is a non-negative integer; in particular AT_FDCWD (-100) is refused, since
// it would resolve names against the working directory instead of a directory we opened.
inline bool IsFdNumber(const Napi::Value& v) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  return d >= 0 && d <= 2147483647.0 && d == static_cast<double>(static_cast<int>(d));
}

// Throws a TypeError carrying `usage` and returns false unless every argument has its kind.
inline bool CheckArgs(const Napi::CallbackInfo& info, const char* usage, std::initializer_list<Arg> kinds) {
  size_t i = 0;
  for (Arg kind : kinds) {
    Napi::Value v = info[i++];
    bool ok = false;
    switch (kind) {
      case Arg::Fd: ok = IsFdNumber(v); break;
      case Arg::Number: ok = v.IsNumber(); break;
      case Arg::Path: ok = v.IsString() || v.IsBuffer(); break;
      case Arg::Bool: ok = v.IsBoolean(); break;
      case Arg::Bytes: ok = v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array; break;
      case Arg::String: ok = v.IsString(); break;
    }
    if (!ok) {
      Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
      return false;
    }
  }
  return true;
}

inline int FdAt(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }

// One path component as the kernel will see it: not empty, '.', '..', and no '/' or NUL
// (a NUL would silently cut the name short at the syscall).
inline bool IsOneComponent(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// Reads argument i as one component into `out`; otherwise throws EINVAL (as from `syscall`).
inline bool NameAt(const Napi::CallbackInfo& info, size_t i, const char* syscall, std::string& out) {
  out = PathArg(info, i);
  if (IsOneComponent(out)) return true;
  ThrowErrno(info.Env(), EINVAL, syscall, out);
  return false;
}

// Throws errno as from `syscall` on `name` when rc says the call failed; returns undefined.
inline Napi::Value Result(Napi::Env env, int rc, const char* syscall, const std::string& name) {
  if (rc != 0) ThrowErrno(env, errno, syscall, name);
  return env.Undefined();
}

inline mode_t PermissionsAt(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<mode_t>(info[i].As<Napi::Number>().Uint32Value() & 07777);
}

// The head most calls share, (dirFd, name, ...): every argument's kind, then the name at 1.
inline bool NameCall(const Napi::CallbackInfo& info, const char* usage, std::initializer_list<Arg> kinds,
                     const char* syscall, std::string& name) {
  return CheckArgs(info, usage, kinds) && NameAt(info, 1, syscall, name);
}

// The (dirFd, name, mode) calls: mkdirAt, mkfifoAt, fchmodAt.
using ModeCall = int (*)(int dirFd, const char* name, mode_t mode);
inline Napi::Value CallWithMode(const Napi::CallbackInfo& info, const char* usage, const char* syscall, ModeCall call) {
  std::string name;
  if (!NameCall(info, usage, {Arg::Fd, Arg::Path, Arg::Number}, syscall, name)) return info.Env().Undefined();
  return Result(info.Env(), call(FdAt(info, 0), name.c_str(), PermissionsAt(info, 2)), syscall, name);
}

struct Export {
  const char* name;
  Napi::Value (*fn)(const Napi::CallbackInfo&);
};

inline void ExportAll(Napi::Env env, Napi::Object exports, std::initializer_list<Export> functions) {
  for (const Export& f : functions) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
}

// The registrations of the area's other two files, called from restore-at.cc's Register.
void RegisterEntries(Napi::Env env, Napi::Object exports);
void RegisterMetadata(Napi::Env env, Napi::Object exports);

}  // namespace restore_at
}  // namespace haven

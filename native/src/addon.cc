// Module entry point: runs every area's registration (see registry.h).
#include "registry.h"

#include <vector>

namespace haven {

namespace {
struct Registration {
  const char* area;
  RegisterFn fn;
};
// A function-local static avoids the static-initialisation-order problem between files.
std::vector<Registration>& Registrations() {
  static std::vector<Registration> list;
  return list;
}

const char* ErrnoCode(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTSUP: return "ENOTSUP";
    case ENODATA: return "ENODATA";
    case E2BIG: return "E2BIG";
    case ERANGE: return "ERANGE";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EDQUOT: return "EDQUOT";
    case EXDEV: return "EXDEV";
    case EMLINK: return "EMLINK";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOSYS: return "ENOSYS";
    case EBUSY: return "EBUSY";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ETXTBSY: return "ETXTBSY";
    case EAGAIN: return "EAGAIN";
    case EOVERFLOW: return "EOVERFLOW";
    default: return "EUNKNOWN";
  }
}
}  // namespace

bool AddRegistration(const char* area, RegisterFn fn) {
  Registrations().push_back({area, fn});
  return true;
}

void RunRegistrations(Napi::Env env, Napi::Object exports) {
  Napi::Array areas = Napi::Array::New(env);
  uint32_t i = 0;
  for (const Registration& r : Registrations()) {
    r.fn(env, exports);
    areas.Set(i++, Napi::String::New(env, r.area));
  }
  exports.Set("areas", areas);
}

void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& path) {
  ErrnoError(env, err, syscall, path).ThrowAsJavaScriptException();
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  const char* code = ErrnoCode(err);
  std::string message = std::string(code) + ": " + std::strerror(err) + ", " + syscall + " '" + path + "'";
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.Set("path", Napi::String::New(env, path));
  return e;
}

}  // namespace haven

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  haven::RunRegistrations(env, exports);
  return exports;
}

NODE_API_MODULE(haven_native, Init)

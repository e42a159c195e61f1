// Setting access and modification times with nanosecond precision (Node's utimes goes
// through a double of seconds and loses the last digits), on a symlink itself when asked.
#include "registry.h"

#include <fcntl.h>
#include <sys/stat.h>

namespace haven {
namespace {

// utimensat(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec, noFollow)
Napi::Value SetTimes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  struct timespec ts[2] = {TimespecArg(info, 1), TimespecArg(info, 3)};
  int flags = info[5].ToBoolean().Value() ? AT_SYMLINK_NOFOLLOW : 0;
  if (utimensat(AT_FDCWD, path.c_str(), ts, flags) != 0) ThrowErrno(env, errno, "utimensat", path);
  return env.Undefined();
}

// futimens(fd, atimeSec, atimeNsec, mtimeSec, mtimeNsec): the same on an open file, no
// path lookup (restores set a file's times before closing it).
Napi::Value SetFdTimes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct timespec ts[2] = {TimespecArg(info, 1), TimespecArg(info, 3)};
  if (futimens(fd, ts) != 0) ThrowErrno(env, errno, "futimens", "fd " + std::to_string(fd));
  return env.Undefined();
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("utimensat", Napi::Function::New(env, SetTimes, "utimensat"));
  exports.Set("futimens", Napi::Function::New(env, SetFdTimes, "futimens"));
}

}  // namespace

HAVEN_REGISTER("file-times", Register);

}  // namespace haven

// Creating fifos and device nodes (Node 20 has neither mkfifo nor mknod).
#include "registry.h"

#include <sys/stat.h>
#include <sys/types.h>

namespace haven {
namespace {

// mkfifo(path, mode)
Napi::Value MakeFifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  mode_t mode = static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value());
  if (mkfifo(path.c_str(), mode & 07777) != 0) ThrowErrno(env, errno, "mkfifo", path);
  return env.Undefined();
}

// mknod(path, mode including S_IFCHR/S_IFBLK, rdev as Node's stat reports it)
Napi::Value MakeNode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  mode_t mode = static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value());
  dev_t dev = static_cast<dev_t>(info[2].As<Napi::Number>().Int64Value());
  if (mknod(path.c_str(), mode, dev) != 0) ThrowErrno(env, errno, "mknod", path);
  return env.Undefined();
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("mkfifo", Napi::Function::New(env, MakeFifo, "mkfifo"));
  exports.Set("mknod", Napi::Function::New(env, MakeNode, "mknod"));
}

}  // namespace

HAVEN_REGISTER("special-files", Register);

}  // namespace haven

// Extended attributes of a path itself (the l* calls: a symlink's own attributes, never
// its target's). Node 20 has no xattr API.
#include "registry.h"

#include <sys/xattr.h>

#include <vector>

namespace haven {
namespace {

// A filesystem without xattr support, or a path type that cannot carry them, has none.
bool NoXattrs(int err) { return err == ENOTSUP || err == ENODATA; }

// readXattrs(path) -> Array<[name: string, value: Buffer]> in the kernel's order.
Napi::Value ReadXattrs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  Napi::Array out = Napi::Array::New(env);
  std::vector<char> names;
  for (;;) {
    ssize_t n = llistxattr(path.c_str(), nullptr, 0);
    if (n < 0) {
      if (NoXattrs(errno)) return out;
      ThrowErrno(env, errno, "llistxattr", path);
      return env.Undefined();
    }
    if (n == 0) return out;
    names.resize(static_cast<size_t>(n));
    n = llistxattr(path.c_str(), names.data(), names.size());
    if (n >= 0) {
      names.resize(static_cast<size_t>(n));
      break;
    }
    if (errno != ERANGE) {  // ERANGE: the list grew between the calls; ask again
      ThrowErrno(env, errno, "llistxattr", path);
      return env.Undefined();
    }
  }
  uint32_t count = 0;
  std::vector<char> value;
  for (size_t pos = 0; pos < names.size();) {
    const char* name = names.data() + pos;
    size_t len = strnlen(name, names.size() - pos);
    pos += len + 1;
    for (;;) {
      ssize_t v = lgetxattr(path.c_str(), name, nullptr, 0);
      if (v < 0) {
        if (errno == ENODATA) break;  // removed meanwhile
        ThrowErrno(env, errno, "lgetxattr", path);
        return env.Undefined();
      }
      value.resize(static_cast<size_t>(v));
      v = lgetxattr(path.c_str(), name, value.data(), value.size());
      if (v >= 0) {
        Napi::Array pair = Napi::Array::New(env, 2);
        pair.Set(0u, Napi::String::New(env, name, len));
        pair.Set(1u, Napi::Buffer<char>::Copy(env, value.data(), static_cast<size_t>(v)));
        out.Set(count++, pair);
        break;
      }
      if (errno != ERANGE) {
        ThrowErrno(env, errno, "lgetxattr", path);
        return env.Undefined();
      }
    }
  }
  return out;
}

// writeXattr(path, name, value: Uint8Array)
Napi::Value WriteXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  std::string name = info[1].As<Napi::String>().Utf8Value();
  Napi::Uint8Array value = info[2].As<Napi::Uint8Array>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.ByteLength(), 0) != 0) {
    ThrowErrno(env, errno, "lsetxattr", path);
  }
  return env.Undefined();
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("readXattrs", Napi::Function::New(env, ReadXattrs, "readXattrs"));
  exports.Set("writeXattr", Napi::Function::New(env, WriteXattr, "writeXattr"));
}

}  // namespace

HAVEN_REGISTER("xattrs", Register);

}  // namespace haven

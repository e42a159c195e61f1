// Where a sparse file's holes are, so a backup can skip reading them. Node 20's fs has no
// lseek, hence SEEK_HOLE and SEEK_DATA here. A hole reads as zeros by definition, and the
// file systems that do not track holes report none (the whole file as data), so the answer
// can only save reads, never change what a backup records.
#include "registry.h"

#include <fcntl.h>
#include <unistd.h>

namespace haven {
namespace {

// nextHole(fd, offset) -> [start, end]: the first hole at or after `offset`, `end` being the
// file's size when the hole runs to its end. [size, size] when no hole lies before the end of
// the file. [-1, -1] when `offset` is at or past the end, and whenever lseek fails: not
// knowing where the holes are only means reading them, so no error of this question may keep
// a file out of a backup.
Napi::Value NextHole(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "nextHole(fd: number, offset: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  off_t offset = static_cast<off_t>(info[1].As<Napi::Number>().Int64Value());
  double start = -1;
  double end = -1;
  off_t hole = lseek(fd, offset, SEEK_HOLE);
  if (hole >= 0) {
    off_t data = lseek(fd, hole, SEEK_DATA);
    // ENXIO: no data after the hole, which runs to the end of the file
    if (data < 0 && errno == ENXIO) data = lseek(fd, 0, SEEK_END);
    if (data >= 0) {
      start = static_cast<double>(hole);
      end = static_cast<double>(data);
    }
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(uint32_t{0}, Napi::Number::New(env, start));
  out.Set(uint32_t{1}, Napi::Number::New(env, end));
  return out;
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("nextHole", Napi::Function::New(env, NextHole, "nextHole"));
}

}  // namespace

HAVEN_REGISTER("file-holes", Register);

}  // namespace haven

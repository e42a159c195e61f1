// copyBytes(target, targetOffset, source): memcpy between byte arrays. The ingest path copies
// every uploaded byte into (and out of) SharedArrayBuffer arenas, and V8 copies into or out
// of shared memory with relaxed atomic stores, byte by byte when the two sides are not
// equally aligned: measured here at 3.5 GB/s against 20-40 GB/s for memcpy, which made
// that one copy ~0.3 CPU-s per GiB of the daemon's ingest (docs/PERFORMANCE.md).
//
// Plain memcpy on shared memory is what every other thread sees as a data race only if it
// reads the bytes concurrently; the arena protocol (verify-task.ts) hands a region to one
// side at a time.
#include "registry.h"

namespace haven {
namespace {

// The bytes of a Uint8Array (or Buffer), whatever kind of buffer backs it.
bool BytesOf(const Napi::Value& v, uint8_t*& data, size_t& length) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray t = v.As<Napi::TypedArray>();
  if (t.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array u = t.As<Napi::Uint8Array>();
  data = u.Data();
  length = u.ByteLength();
  return true;
}

Napi::Value CopyBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* target = nullptr;
  uint8_t* source = nullptr;
  size_t targetLength = 0;
  size_t sourceLength = 0;
  if (!BytesOf(info[0], target, targetLength) || !info[1].IsNumber() || !BytesOf(info[2], source, sourceLength)) {
    Napi::TypeError::New(env, "copyBytes(target: Uint8Array, offset: number, source: Uint8Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double offset = info[1].As<Napi::Number>().DoubleValue();
  // The same contract as TypedArray.prototype.set: the whole source must fit.
  if (!(offset >= 0) || offset + static_cast<double>(sourceLength) > static_cast<double>(targetLength)) {
    Napi::RangeError::New(env, "offset is out of bounds").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (sourceLength > 0) std::memmove(target + static_cast<size_t>(offset), source, sourceLength);
  return env.Undefined();
}

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("copyBytes", Napi::Function::New(env, CopyBytes, "copyBytes"));
}

}  // namespace

HAVEN_REGISTER("copy-bytes", Register);

}  // namespace haven
